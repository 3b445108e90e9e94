package io.microw.server;

import io.microw.concepts.ConceptDictionary;
import io.microw.demo.BrownGpt2;
import io.microw.io.hub.PretrainedOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A newcomer's first start, in headless Chromium ({@link Browser}): a server with an empty data directory, nothing
 * loaded, an empty Hugging Face cache and an empty {@code MICROW_HOME}. On the concepts page the SAE picker offers the
 * embedded release first; one click on "Load SAE" loads brown-gpt2 and the release, and its named concepts show. The
 * steering page then has that SAE chosen, names the latents typed into an edit, and steers.
 */
class FirstStartUiTest {

    @TempDir
    static Path data;
    @TempDir
    static Path hub;

    static MicrowServer server;
    static WebDriver driver;
    static String base;

    @BeforeAll
    static void start() {
        Browser.assumeEnabled();
        PretrainedOptions options = PretrainedOptions.defaults().withCacheDir(hub.resolve("cache")).withOffline(true)
                .withEnvironment(Map.of("MICROW_HOME", hub.resolve("home").toString()));
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data)
                .allowedModels(List.of(BrownGpt2.NAME)).build(), options).start(0);
        base = "http://127.0.0.1:" + server.port() + "/";
        driver = Browser.start(false);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.stop();
        }
    }

    static WebDriverWait waiting() {
        return new WebDriverWait(driver, Duration.ofSeconds(120));
    }

    static WebElement byId(String id) {
        return driver.findElement(By.id(id));
    }

    static void open(String page) {
        driver.get(base + page);
        waiting().until(d -> !d.findElements(By.cssSelector("header nav a[aria-current='page']")).isEmpty());
        waiting().until(d -> !"Working…".equals(byId("status").getText()));
        waiting().until(d -> !new Select(byId("sae-pick")).getOptions().isEmpty());
    }

    /** Waits until the status line leaves "Working…"; returns it, failing on an error. */
    static String awaitStatus() {
        waiting().until(d -> !byId("status").getText().isEmpty() && !"Working…".equals(byId("status").getText()));
        assertThat(byId("status").getAttribute("class")).as(byId("status").getText()).doesNotContain("error");
        return byId("status").getText();
    }

    @Test
    void fromAnEmptyDataDirectoryTheEmbeddedSaeGivesNamedConceptsAndSteersInTwoClicks() throws Exception {
        try (var files = Files.list(data)) { // nothing but the job database the server opened
            assertThat(files.map(f -> f.getFileName().toString())).allMatch(f -> f.startsWith("microw.db"));
        }
        ConceptDictionary shipped = ConceptDictionary.load(WebUiTest.TEST_SAE.resolve(ConceptDictionary.FILE_NAME));

        open("concepts.html");
        assertThat(new Select(byId("sae-pick")).getFirstSelectedOption().getText())
                .contains(BrownGpt2.SAE_RELEASE).contains(BrownGpt2.SAE_ID);
        assertThat(byId("latents").getText()).contains("No SAE loaded");
        byId("load").click(); // the first click: brown-gpt2 and its SAE load, with the names it ships
        assertThat(awaitStatus()).contains("named concepts");
        List<WebElement> rows = byId("latents").findElements(By.cssSelector("tr.named"));
        assertThat(rows).hasSize(shipped.size());
        ConceptDictionary.Concept first = shipped.concepts().get(0);
        assertThat(rows.get(0).getText()).startsWith(first.latent() + " " + first.name());
        String saeId = new Select(byId("sae")).getFirstSelectedOption().getAttribute("value");

        byId("q").sendKeys("pos:cd");
        byId("search").click();
        waiting().until(d -> byId("latents").findElements(By.cssSelector("tr.named")).size()
                == shipped.find("pos:cd").size());
        int numbers = shipped.find("pos:cd").get(0).latent();

        driver.findElement(By.cssSelector("header nav a[href='steering.html']")).click(); // the second click
        waiting().until(d -> d.getCurrentUrl().endsWith("steering.html"));
        open("steering.html");
        assertThat(new Select(byId("sae")).getFirstSelectedOption().getAttribute("value")).isEqualTo(saeId);
        assertThat(new Select(byId("model")).getFirstSelectedOption().getAttribute("value")).isEqualTo(BrownGpt2.NAME);
        waiting().until(d -> byId("named-latents").findElements(By.tagName("option")).size() == shipped.size());
        byId("edit-latent-0").sendKeys(String.valueOf(numbers));
        assertThat(byId("edit-name-0").getText()).isEqualTo("pos:cd");
        ((JavascriptExecutor) driver).executeScript("const s = document.getElementById('edit-value-0');"
                + "s.value = s.max; s.dispatchEvent(new Event('input'));");
        byId("max-new").clear();
        byId("max-new").sendKeys("12");
        byId("steer").click();
        assertThat(awaitStatus()).isEqualTo("Done");
        String prompt = byId("prompt").getAttribute("value");
        assertThat(byId("baseline").getText()).startsWith(prompt);
        assertThat(byId("steered").getText()).startsWith(prompt).isNotEqualTo(byId("baseline").getText());
        assertThat(severe()).as("console errors").isEmpty();
        assertThat(Files.exists(hub.resolve("cache"))).as("nothing was downloaded").isFalse();
    }

    static List<String> severe() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }
}
