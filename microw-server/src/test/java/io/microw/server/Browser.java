package io.microw.server;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Headless Chromium for the browser tests (Debian's chromium and chromium-driver, which .ci/run installs). Run with
 * {@code -Dmicrow.browserTests=false} to leave those tests out on a machine without Chromium.
 */
final class Browser {

    static final String CHROMIUM = "/usr/bin/chromium";
    static final String DRIVER = "/usr/bin/chromedriver";

    private Browser() {
    }

    /** Skips the calling test class with -Dmicrow.browserTests=false; otherwise fails unless Chromium is installed. */
    static void assumeEnabled() {
        Assumptions.assumeFalse("false".equals(System.getProperty("microw.browserTests")),
                "browser tests switched off with -Dmicrow.browserTests=false");
        assertThat(new File(CHROMIUM)).as("headless Chromium is needed for the browser tests: apt-get install "
                + "chromium chromium-driver (.ci/run does), or pass -Dmicrow.browserTests=false").exists();
        assertThat(new File(DRIVER)).as("chromedriver is needed: apt-get install chromium-driver").exists();
    }

    /**
     * Starts headless Chromium that keeps its console log ({@link LogType#BROWSER}) and, when asked, the DevTools
     * network events ({@link LogType#PERFORMANCE}).
     *
     * @param networkLog whether to keep the network events
     * @param arguments  more command-line switches
     * @return the driver; quit it when done
     */
    static WebDriver start(boolean networkLog, String... arguments) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000");
        options.addArguments(arguments);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        if (networkLog) {
            logs.enable(LogType.PERFORMANCE, Level.ALL);
        }
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER)).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }
}
