package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.concepts.LatentContext;
import io.microw.concepts.TopTextsExport;
import io.microw.demo.BrownGpt2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
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
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web UI in real headless Chromium ({@link Browser}), driven with Selenium against a server on 127.0.0.1 with
 * brown-gpt2, a saved run and the 1024-latent test SAE loaded. Run with {@code -Dmicrow.browserTests=false} to leave
 * them out on a machine without Chromium.
 */
class WebUiTest {

    static final Path TEST_SAE = Path.of("..", "microw-demo", "src", "main", "resources", "io", "microw", "demo",
            "sae-h2-topk1024");

    @TempDir
    static Path data;

    static MicrowServer server;
    static Http http;
    static final PausingPacing pacing = new PausingPacing();
    static WebDriver driver;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        Browser.assumeEnabled();
        server = pacing.server(ServerConfig.builder().dataDirectory(data)
                .allowedModels(List.of(BrownGpt2.NAME)).build()).start(0);
        http = new Http(server.port());
        base = "http://127.0.0.1:" + server.port() + "/";
        assertThat(http.post("/api/models/brown-gpt2/load", null).status()).isEqualTo(201);
        Path copy = data.resolve("saes").resolve("test-sae");
        Files.createDirectories(copy);
        try (var files = Files.list(TEST_SAE)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Http.Resp sae = http.post("/api/saes/load", "{\"path\": \"saes/test-sae\", \"model\": \"brown-gpt2\"}");
        assertThat(sae.status()).as(sae.raw()).isEqualTo(201);
        Http.Resp job = http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"brown\": \"validation\", "
                + "\"limit\": 80, \"layers\": [\"transformer.h.1\"], \"batch_size\": 8, \"run\": \"ui-run\"}");
        assertThat(job.status()).as(job.raw()).isEqualTo(201);
        JobsTest.waitFor(http, job.json().path("id").asText(), "succeeded");

        driver = Browser.start(false);
    }

    @AfterAll
    static void stop() {
        pacing.pause(0);
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.stop();
        }
    }

    @AfterEach
    void noConsoleErrors(org.junit.jupiter.api.TestInfo test) throws java.io.IOException {
        String shots = System.getProperty("microw.screenshots"); // a folder: keep a picture of each test's last page
        if (shots != null) {
            Path png = Path.of(shots, test.getTestMethod().orElseThrow().getName() + ".png");
            Files.createDirectories(png.getParent());
            Files.write(png, ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(
                    org.openqa.selenium.OutputType.BYTES));
        }
        assertThat(severe()).as("console errors").isEmpty();
        assertThat(lowContrast()).as("text below WCAG AA contrast at the end of the test").isEmpty();
    }

    static List<String> severe() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }

    static WebDriverWait waiting() {
        return new WebDriverWait(driver, Duration.ofSeconds(90));
    }

    /** Opens a page and waits until its scripts ran (the header is drawn and no request is pending). */
    static void open(String page) {
        driver.get(base + page);
        waiting().until(d -> !d.findElements(By.cssSelector("header nav a[aria-current='page']")).isEmpty());
        waiting().until(d -> !"Working…".equals(d.findElement(By.id("status")).getText()));
    }

    static WebElement byId(String id) {
        return driver.findElement(By.id(id));
    }

    static void type(String id, String text) {
        WebElement e = byId(id);
        e.clear();
        e.sendKeys(text);
    }

    static String status() {
        return byId("status").getText();
    }

    /** Waits until the status line contains {@code fragment}; fails at once on an error or an invalid form field. */
    static void awaitStatus(String fragment) {
        waiting().until(d -> status().contains(fragment) || byId("status").getAttribute("class").contains("error")
                || !d.findElements(By.cssSelector("input:invalid, select:invalid, textarea:invalid")).isEmpty());
        List<String> invalid = driver.findElements(By.cssSelector("input:invalid, select:invalid, textarea:invalid"))
                .stream().map(e -> e.getAttribute("id") + ": " + e.getAttribute("validationMessage")).toList();
        assertThat(invalid).as("invalid form fields").isEmpty();
        assertThat(status()).contains(fragment);
    }

    @Test
    void everyPageLoadsWithoutConsoleErrorsLabelsEveryInputAndKeepsContrast() {
        for (String page : List.of("index.html", "models.html", "inference.html", "activations.html",
                "training.html", "concepts.html", "steering.html", "circuits.html")) {
            open(page);
            assertThat(byId("status").getAttribute("class")).as(page + ": " + status()).doesNotContain("error");
            assertThat(driver.getTitle()).as(page).endsWith("· microw");
            assertThat(severe()).as(page + " console errors").isEmpty();
            Object unlabelled = ((JavascriptExecutor) driver).executeScript(
                    "return [...document.querySelectorAll('input, select, textarea')].filter(e => !(e.labels && "
                            + "e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id || e.outerHTML);");
            assertThat((List<?>) unlabelled).as(page + ": inputs without a label").isEmpty();
            assertThat(lowContrast()).as(page + ": text below WCAG AA contrast").isEmpty();
        }
    }

    /**
     * Visible text whose colour against its effective background is below WCAG AA: 4.5:1, or 3:1 for large text
     * (24 px, or 18.66 px bold). Disabled controls are exempt, as WCAG allows.
     */
    static List<?> lowContrast() {
        return (List<?>) ((JavascriptExecutor) driver).executeScript(String.join("\n",
                "const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);",
                "const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 "
                        + ": Math.pow((v + 0.055) / 1.055, 2.4); }).reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);",
                "const background = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e)"
                        + ".backgroundColor); if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };",
                "const bad = [];",
                "for (const e of document.querySelectorAll('body *')) {",
                "  if (e.closest('[disabled]') || !e.getClientRects().length) continue;",
                "  if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;",
                "  const st = getComputedStyle(e);",
                "  if (st.visibility === 'hidden' || Number(st.opacity) === 0) continue;",
                "  const a = lum(rgb(st.color)), b = lum(background(e));",
                "  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);",
                "  const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;",
                "  const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;",
                "  if (ratio < need) bad.push(e.tagName + ' \"' + e.textContent.trim().slice(0, 30) + '\" ' + ratio.toFixed(2));",
                "}",
                "return bad;"));
    }

    @Test
    void withAnApiKeyThePagesAskForItAndUseItOnceTyped(@TempDir Path otherData) {
        try (MicrowServer keyed = new MicrowServer(ServerConfig.builder().dataDirectory(otherData)
                .allowedModels(List.of(BrownGpt2.NAME)).apiKey("s3cret").build()).start(0)) {
            String keyedBase = "http://127.0.0.1:" + keyed.port() + "/";
            driver.get(keyedBase + "models.html");
            waiting().until(d -> !d.findElements(By.cssSelector("button[data-load='brown-gpt2']")).isEmpty());
            driver.findElement(By.cssSelector("button[data-load='brown-gpt2']")).click();
            awaitError("missing API key");
            type("api-key", "s3cret");
            byId("api-key").sendKeys(Keys.TAB); // change event: the key is kept for this origin
            driver.findElement(By.cssSelector("button[data-load='brown-gpt2']")).click();
            awaitStatus("Loaded brown-gpt2");
            waiting().until(d -> !d.findElements(By.cssSelector("button[data-unload='brown-gpt2']")).isEmpty());
            driver.findElement(By.cssSelector("button[data-unload='brown-gpt2']")).click();
            awaitStatus("Unloaded brown-gpt2");
            ((JavascriptExecutor) driver).executeScript("localStorage.clear()");
        }
        driver.manage().logs().get(LogType.BROWSER); // the refused request's 401 is expected here
    }

    /** Waits until the status line shows an error containing {@code fragment}. */
    static void awaitError(String fragment) {
        waiting().until(d -> byId("status").getAttribute("class").contains("error"));
        assertThat(status()).contains(fragment);
    }

    @Test
    void keyboardReachesTheSkipLinkAndTheNavigationFirst() {
        open("models.html");
        driver.findElement(By.tagName("body")).sendKeys(Keys.TAB);
        assertThat(driver.switchTo().activeElement().getText()).isEqualTo("Skip to content");
        driver.switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(driver.switchTo().activeElement().getText()).isEqualTo("microw");
    }

    @Test
    void modelsPageShowsTheLayerTreeWithAliases() {
        open("models.html");
        assertThat(byId("models").getText()).contains("brown-gpt2").contains("loaded");
        type("tree-filter", "h.1.mlp");
        byId("tree-show").click();
        waiting().until(d -> byId("tree-summary").getText().contains("hook points"));
        assertThat(byId("tree").getText()).contains("transformer.h.1.mlp").contains("hookable");
    }

    @Test
    void aGenerationRunsFromTheForm() {
        open("inference.html");
        type("prompt", "The jury said that");
        type("max-new", "6");
        byId("generate").click();
        awaitStatus("Generated");
        JsonNode expected = http.post("/api/models/brown-gpt2/generate",
                "{\"prompts\": [\"The jury said that\"], \"max_new_tokens\": 6}").json().path("results").get(0);
        assertThat(byId("generated").getText()).isEqualTo(expected.path("text").asText());
        assertThat(byId("generated-tokens").findElements(By.className("tok"))).hasSize(6);

        // the same with a hook from the catalogue: ablate the last block's MLP
        byId("add-hook").click();
        new Select(byId("hook-type-0")).selectByValue("ablate");
        new Select(byId("hook-layer-0")).selectByValue("transformer.h.3.mlp");
        byId("generate").click();
        awaitStatus("with ablate transformer.h.3.mlp");
        JsonNode ablated = http.post("/api/models/brown-gpt2/generate", "{\"prompts\": [\"The jury said that\"], "
                + "\"max_new_tokens\": 6, \"hooks\": [{\"type\": \"ablate\", \"layer\": \"transformer.h.3.mlp\"}]}")
                .json().path("results").get(0);
        assertThat(byId("generated").getText()).isEqualTo(ablated.path("text").asText())
                .isNotEqualTo(expected.path("text").asText());
    }

    @Test
    void theHeatmapShadesEachPromptTokenByALayerAndByAnSaeLatent() {
        int promptTokens = http.post("/api/models/brown-gpt2/infer", "{\"texts\": [\"Three men and two women\"]}")
                .json().path("results").get(0).path("tokens").size();
        open("inference.html");
        type("prompt", "Three men and two women");
        new Select(byId("heat-source")).selectByValue("layer");
        byId("heat-run").click();
        waiting().until(d -> !byId("heatmap").findElements(By.className("tok")).isEmpty());
        List<WebElement> chips = byId("heatmap").findElements(By.className("tok"));
        assertThat(chips).hasSize(promptTokens);
        assertThat(chips).allSatisfy(c -> assertThat(Double.parseDouble(c.getAttribute("data-value"))).isPositive());
        assertThat(byId("next").findElements(By.tagName("tr"))).hasSize(10);

        new Select(byId("heat-source")).selectByValue("sae");
        byId("heat-run").click();
        waiting().until(d -> byId("heatmap").getText().contains("Latent"));
        chips = byId("heatmap").findElements(By.className("tok"));
        assertThat(chips).hasSize(promptTokens);
        assertThat(chips).anySatisfy(c -> assertThat(Double.parseDouble(c.getAttribute("data-value"))).isPositive());
    }

    @Test
    void theCircuitsPageDrawsThePatchingHeatmapWithTheApisValuesAndTheLens() {
        open("circuits.html");
        type("clean", CircuitsTest.CLEAN);
        type("corrupt", CircuitsTest.CORRUPT);
        type("answer", " was");
        type("wrong", " had");
        new Select(byId("what")).selectByValue("heads");
        byId("run").click();
        awaitStatus("Patched");
        JsonNode expected = http.post("/api/models/brown-gpt2/patching", CircuitsTest.body("heads")).json();
        assertHeatmapShows(expected);
        assertThat(byId("job").isDisplayed()).as("no job for a small sweep").isFalse();
        assertThat(byId("heat-table").findElements(By.cssSelector("td.cell")).stream()
                .map(c -> c.getCssValue("background-color")).distinct().count()).isGreaterThan(1);
        assertThat(byId("lens").findElements(By.tagName("tr"))).hasSize(expected.path("rows").size() + 1);

        new Select(byId("what")).selectByValue("resid-pre");
        byId("run").click();
        waiting().until(d -> status().contains("(resid-pre)"));
        JsonNode pre = http.post("/api/models/brown-gpt2/patching", CircuitsTest.body("resid-pre")).json();
        List<WebElement> cells = byId("heat-table").findElements(By.cssSelector("td.cell"));
        assertThat(cells).hasSize(pre.path("values").size() * pre.path("columns").size());
        assertThat(Double.parseDouble(cells.get(cells.size() - 1).getAttribute("data-value")))
                .isCloseTo(pre.path("values").get(pre.path("values").size() - 1)
                        .get(pre.path("columns").size() - 1).asDouble(), org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void theCircuitsPageOffersEveryPatchingTargetAndDrawsPathPatching() {
        open("circuits.html");
        List<String> offered = new Select(byId("what")).getOptions().stream().map(o -> o.getAttribute("value")).toList();
        List<String> accepted = new java.util.ArrayList<>();
        http.get("/api/openapi.json").json().path("components").path("schemas").path("PatchingRequest")
                .path("properties").path("what").path("enum").forEach(v -> accepted.add(v.asText()));
        assertThat(offered).isEqualTo(accepted).contains("attn-pattern", "path");
        assertThat(byId("receivers").isDisplayed()).as("receivers only for path patching").isFalse();

        type("clean", CircuitsTest.CLEAN);
        type("corrupt", CircuitsTest.CORRUPT);
        type("answer", " was");
        type("wrong", " had");
        new Select(byId("what")).selectByValue("path");
        assertThat(byId("receivers").isDisplayed()).isTrue();
        assertThat(byId("channel").isDisplayed()).isTrue();
        type("receivers", "2.3, 3.0");
        new Select(byId("channel")).selectByValue("k");
        byId("run").click();
        awaitStatus("(path)");
        assertHeatmapShows(http.post("/api/models/brown-gpt2/patching", CircuitsTest.body("path").replace("}",
                ", \"receivers\": [{\"layer\": 2, \"head\": 3}, {\"layer\": 3, \"head\": 0}], "
                        + "\"channel\": \"k\"}")).json());

        type("receivers", "3");
        byId("run").click();
        awaitError("Receiver \"3\" is not a head: write layer.head");
        new Select(byId("what")).selectByValue("heads");
        assertThat(byId("receivers").isDisplayed()).isFalse();
    }

    /** The heatmap on the page has the rows and values of a patching answer, each row's label in its cells' titles. */
    static void assertHeatmapShows(JsonNode expected) {
        assertHeatmapShows("heat-table", expected);
    }

    /** The table {@code tableId} has the rows and values of a patching table, each row's label in its cells' titles. */
    static void assertHeatmapShows(String tableId, JsonNode expected) {
        List<WebElement> rows = byId(tableId).findElements(By.cssSelector("tbody tr"));
        assertThat(rows).hasSize(expected.path("values").size());
        for (int i = 0; i < rows.size(); i++) {
            List<WebElement> cells = rows.get(i).findElements(By.cssSelector("td.cell"));
            JsonNode want = expected.path("values").get(i);
            assertThat(cells).hasSize(want.size());
            for (int j = 0; j < cells.size(); j++) {
                assertThat(Double.parseDouble(cells.get(j).getAttribute("data-value"))).as("cell %d,%d", i, j)
                        .isCloseTo(want.get(j).asDouble(), org.assertj.core.data.Offset.offset(1e-6));
                assertThat(cells.get(j).getAttribute("title")).contains(expected.path("rows").get(i).asText());
            }
        }
    }

    @Test
    void theCircuitsPageDrawsAttributionBesideExactPatchingWithTheirCorrelation() {
        open("circuits.html");
        type("clean", CircuitsTest.CLEAN);
        type("corrupt", CircuitsTest.CORRUPT);
        type("answer", " was");
        type("wrong", " had");
        new Select(byId("what")).selectByValue("path");
        new Select(byId("method")).selectByValue("attribution");
        List<String> enabled = new Select(byId("what")).getOptions().stream().filter(WebElement::isEnabled)
                .map(o -> o.getAttribute("value")).toList();
        List<String> estimated = new java.util.ArrayList<>();
        http.get("/api/openapi.json").json().path("components").path("schemas").path("AttributionRequest")
                .path("properties").path("what").path("enum").forEach(v -> estimated.add(v.asText()));
        assertThat(enabled).isEqualTo(estimated);
        assertThat(new Select(byId("what")).getFirstSelectedOption().getAttribute("value"))
                .as("path patching has no estimate: the page falls back to resid-pre").isEqualTo("resid-pre");
        assertThat(byId("receivers").isDisplayed()).isFalse();

        new Select(byId("what")).selectByValue("heads");
        byId("run").click();
        awaitStatus("Estimated and patched");
        JsonNode expected = http.post("/api/models/brown-gpt2/attribution", CircuitsTest.body("heads")
                .replace("}", ", \"compare\": true}")).json();
        assertHeatmapShows("heat-table", expected.path("exact"));
        assertHeatmapShows("attr-table", expected);
        WebElement exact = byId("heatmap");
        WebElement estimate = byId("attr-heatmap");
        assertThat(estimate.isDisplayed()).isTrue();
        assertThat(estimate.getLocation().getX()).as("side by side").isGreaterThan(exact.getLocation().getX()
                + exact.getSize().getWidth() - 1);
        assertThat(estimate.getLocation().getY()).isEqualTo(exact.getLocation().getY());
        WebElement correlation = byId("correlation");
        assertThat(correlation.isDisplayed()).isTrue();
        double r = expected.path("correlation").asDouble();
        assertThat(Double.parseDouble(correlation.getAttribute("data-value")))
                .isCloseTo(r, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(correlation.getText()).contains(String.format(java.util.Locale.ROOT, "r = %.3f", r))
                .contains("over all " + expected.path("rows").size() * expected.path("columns").size() + " cells");

        new Select(byId("method")).selectByValue("exact");
        assertThat(new Select(byId("what")).getOptions()).allSatisfy(o -> assertThat(o.isEnabled()).isTrue());
        new Select(byId("what")).selectByValue("resid-pre");
        byId("run").click();
        awaitStatus("Patched");
        assertThat(byId("attr-box").isDisplayed()).as("no estimate in exact mode").isFalse();
        assertThat(byId("correlation").isDisplayed()).isFalse();
        assertHeatmapShows(http.post("/api/models/brown-gpt2/patching", CircuitsTest.body("resid-pre")).json());
    }

    @Test
    void theInferenceHeatmapShadesEachPromptTokenByItsSaliency() {
        open("inference.html");
        type("prompt", CircuitsTest.CLEAN);
        assertThat(byId("heat-answer").isDisplayed()).as("saliency inputs only for saliency").isFalse();
        new Select(byId("heat-source")).selectByValue("saliency");
        assertThat(byId("heat-answer").isDisplayed()).isTrue();
        type("heat-answer", " was");
        type("heat-wrong", " had");
        byId("heat-run").click();
        waiting().until(d -> !d.findElements(By.id("saliency-caption")).isEmpty());
        JsonNode expected = http.post("/api/models/brown-gpt2/saliency", "{\"prompt\": \"" + CircuitsTest.CLEAN
                + "\", \"answer\": \" was\", \"wrong\": \" had\"}").json();
        assertChipsShow(expected);
        assertThat(byId("saliency-caption").getText())
                .startsWith("Gradient × input of logit[\" was\"] − logit[\" had\"]");
        assertThat(byId("next").findElements(By.tagName("tr"))).hasSize(10);

        new Select(byId("heat-method")).selectByValue("ig");
        type("heat-steps", "8");
        type("heat-wrong", "");
        byId("heat-run").click();
        waiting().until(d -> byId("saliency-caption").getText().startsWith("Integrated gradients"));
        JsonNode ig = http.post("/api/models/brown-gpt2/saliency", "{\"prompt\": \"" + CircuitsTest.CLEAN
                + "\", \"answer\": \" was\", \"method\": \"ig\", \"steps\": 8}").json();
        assertChipsShow(ig);
        assertThat(byId("saliency-caption").getText()).startsWith("Integrated gradients (8 steps")
                .contains("of log p(\" was\")");
    }

    /** The heatmap's token chips show a saliency answer's tokens and values, each value in its chip's title. */
    static void assertChipsShow(JsonNode expected) {
        List<WebElement> chips = byId("heatmap").findElements(By.className("tok"));
        assertThat(chips).hasSize(expected.path("tokens").size());
        for (int i = 0; i < chips.size(); i++) {
            double want = expected.path("values").get(i).asDouble();
            assertThat(Double.parseDouble(chips.get(i).getAttribute("data-value"))).as("token %d", i)
                    .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(chips.get(i).getAttribute("title")).endsWith(String.format(java.util.Locale.ROOT, "%.3f", want));
        }
        assertThat(chips.stream().map(c -> c.getCssValue("background-color")).distinct().count()).isGreaterThan(1);
    }

    @Test
    void aPatchingJobShowsItsProgressAndThenTheHeatmap() {
        open("circuits.html");
        type("clean", PatchingJobsTest.PREFIX + CircuitsTest.CLEAN);
        type("corrupt", PatchingJobsTest.PREFIX + CircuitsTest.CORRUPT);
        type("answer", " was");
        type("wrong", " had");
        new Select(byId("what")).selectByValue("resid-pre");
        byId("async").click();
        byId("run").click();
        awaitStatus("Patched");
        assertThat(byId("job").isDisplayed()).isTrue();
        assertThat(byId("job-state").getAttribute("data-status")).isEqualTo("succeeded");
        assertThat(byId("progress").getAttribute("value")).isEqualTo("1");
        assertHeatmapShows(http.post("/api/models/brown-gpt2/patching",
                PatchingJobsTest.request(PatchingJobsTest.PREFIX, "resid-pre", false)).json());
    }

    @Test
    void anActivationsJobRunsFromTheFormAndItsRunIsListed() {
        open("activations.html");
        new Select(byId("source")).selectByValue("brown");
        type("limit", "12");
        type("layers", "transformer.h.0, layer_2");
        type("run", "ui-saved");
        byId("start").click();
        awaitStatus("succeeded");
        assertThat(byId("job-state").getAttribute("data-status")).isEqualTo("succeeded");
        assertThat(byId("progress").getAttribute("value")).isEqualTo("1");
        waiting().until(d -> byId("runs").getText().contains("ui-saved"));
        JsonNode run = http.get("/api/runs/ui-saved").json();
        assertThat(run.path("status").asText()).isEqualTo("complete");
        assertThat(run.path("layers").toString()).contains("transformer.h.0", "transformer.h.2");
    }

    @Test
    void aTrainingJobStartsAndItsChartUpdates() {
        pacing.pause(250);
        try {
            open("training.html");
            new Select(byId("run")).selectByValue("ui-run");
            type("d-sae", "64");
            type("k", "8");
            type("epochs", "3");
            type("batch", "64");
            type("metrics-every", "1");
            byId("start").click();
            WebElement loss = byId("chart-loss");
            waiting().until(d -> Integer.parseInt(loss.getAttribute("data-points")) >= 1);
            int first = Integer.parseInt(loss.getAttribute("data-points"));
            waiting().until(d -> Integer.parseInt(loss.getAttribute("data-points")) > first);
            assertThat(byId("job-state").getAttribute("data-status")).isEqualTo("running");
            assertThat(byId("chart-explained_variance").getAttribute("data-points")).isNotEqualTo("0");
            assertThat(byId("log").getText()).isNotBlank();
            byId("cancel").click();
            waiting().until(d -> "cancelled".equals(byId("job-state").getAttribute("data-status")));
        } finally {
            pacing.pause(0);
        }
    }

    @Test
    void theTrainingPageOffersTheRegistrysTrainableArchitectures() {
        open("training.html");
        Select architecture = new Select(byId("architecture"));
        waiting().until(d -> architecture.getOptions().size() == io.microw.sae.SaeArchitectures.trainable().size());
        assertThat(architecture.getOptions()).extracting(o -> o.getAttribute("value"))
                .contains("topk", "batchtopk", "standard", "jumprelu").doesNotContain("gated");
        architecture.selectByValue("standard");
        assertThat(byId("k").isEnabled()).as("standard SAEs take no k").isFalse();
        architecture.selectByValue("batchtopk");
        assertThat(byId("k").isEnabled()).isTrue();
    }

    @Test
    void theSteeringPlaygroundShowsTwoDifferentContinuations() {
        open("steering.html");
        type("prompt", "The committee met on Tuesday and");
        type("max-new", "12");
        byId("suggest").click();
        awaitStatus("Suggested");
        byId("steer").click();
        awaitStatus("Done");
        String baseline = byId("baseline").getText();
        String steered = byId("steered").getText();
        assertThat(baseline).startsWith("The committee met on Tuesday and");
        assertThat(steered).startsWith("The committee met on Tuesday and").isNotEqualTo(baseline);

        // the same edits saved as a manipulation config, then previewed from the table
        type("config-name", "ui-edits");
        byId("save").click();
        awaitStatus("Saved ui-edits");
        // the table of saved configs is redrawn after the status line changes: wait for its row
        waiting().until(d -> d.findElements(By.cssSelector("button[aria-label='Preview ui-edits']")).size() == 1);
        driver.findElement(By.cssSelector("button[aria-label='Preview ui-edits']")).click();
        awaitStatus("Previewed ui-edits");
        assertThat(byId("steered").getText()).isEqualTo(steered);
        assertThat(byId("baseline").getText()).isEqualTo(baseline);
        assertThat(http.get("/api/manipulations/ui-edits").json().path("edits")).hasSize(3);
    }

    @Test
    void conceptsShowTopContextsForALatent() {
        open("concepts.html");
        type("limit", "40");
        byId("track").click();
        awaitStatus("latents fired");
        waiting().until(d -> !byId("latents").findElements(By.cssSelector("button[data-latent]")).isEmpty());
        WebElement first = byId("latents").findElement(By.cssSelector("button[data-latent]"));
        String latent = first.getAttribute("data-latent");
        first.click();
        waiting().until(d -> byId("detail").getText().startsWith("Latent " + latent));
        assertThat(byId("detail").findElements(By.cssSelector(".context .tok.center"))).isNotEmpty();
        assertThat(byId("detail").findElements(By.tagName("rect"))).isNotEmpty();
        type("latent-name", "ui test name");
        byId("save-name").click();
        waiting().until(d -> byId("latents").getText().contains("ui test name"));
    }

    @Test
    void conceptsImportExportedTopTexts() {
        LatentContext c = new LatentContext(3, "The jury said it", 2, " said", 2.5f, List.of(" jury", " said", " it"), 1,
                List.of(0.5f, 2.5f, 0f));
        TopTextsExport.writeJson(new FixedTopTexts(1024, java.util.Map.of(11, List.of(c))), data.resolve("ui-top.json"));
        open("concepts.html");
        type("top-path", "ui-top.json");
        byId("import").click();
        awaitStatus("Imported data:ui-top.json");
        assertThat(status()).contains("no statistics");
        waiting().until(d -> !byId("latents").findElements(By.cssSelector("button[data-latent='11']")).isEmpty());
        assertThat(byId("latents").getText()).contains("unknown");
        byId("latents").findElement(By.cssSelector("button[data-latent='11']")).click();
        waiting().until(d -> byId("detail").getText().startsWith("Latent 11"));
        assertThat(byId("detail").getText()).contains("Firing statistics unknown", "text 3, token 2");
        assertThat(byId("detail").findElements(By.cssSelector(".context .tok.center"))).hasSize(1);
        assertThat(byId("detail").findElements(By.tagName("rect"))).isEmpty();
    }
}
