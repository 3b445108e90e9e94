package io.microw.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C for long commands: a JVM shutdown hook that asks the command to stop after its current unit of work (a
 * prompt, a batch) and waits, up to a grace period, until the command has finished writing what it has done.
 * The command checks {@link #stopRequested()} between units and closes this when done:
 *
 * <pre>{@code
 * try (Interrupts interrupts = Interrupts.install(err, "prompt")) {
 *     for (String p : prompts) {
 *         if (interrupts.stopRequested()) break;   // prints what it has, says where it stopped
 *         ...
 *     }
 * }
 * }</pre>
 *
 * Nothing is interrupted mid-write: the hook only sets a flag (interrupting a thread would close its file
 * channels). A run of {@code microw activations save} stopped by Ctrl-C keeps its complete batches, and
 * {@code microw activations save --resume --run ID ...} continues it from the last one.
 */
final class Interrupts implements AutoCloseable {

    /** Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
    static final int EXIT_INTERRUPTED = 130;

    /** How long the hook waits for the command to finish its current unit of work. */
    static final Duration GRACE = Duration.ofSeconds(10);

    private final PrintWriter err;
    private final String unit;
    private final Duration grace;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private final boolean registered;

    Interrupts(PrintWriter err, String unit, Duration grace, boolean register) {
        this.err = err;
        this.unit = unit;
        this.grace = grace;
        this.hook = new Thread(this::onShutdown, "microw-ctrl-c");
        boolean added = false;
        if (register) {
            try {
                Runtime.getRuntime().addShutdownHook(hook);
                added = true;
            } catch (IllegalStateException e) {
                stop.set(true); // the JVM is already shutting down
            }
        }
        this.registered = added;
    }

    /** Tests only: runs on each newly installed instance (for example to simulate Ctrl-C); null in production. */
    static volatile java.util.function.Consumer<Interrupts> onInstall;

    /** Installs the shutdown hook for a command whose work comes in units named {@code unit} ("prompt"). */
    static Interrupts install(PrintWriter err, String unit) {
        Interrupts interrupts = new Interrupts(err, unit, GRACE, true);
        java.util.function.Consumer<Interrupts> test = onInstall;
        if (test != null) {
            test.accept(interrupts);
        }
        return interrupts;
    }

    /** Whether Ctrl-C (or {@link #requestStop()}) asked the command to stop. */
    boolean stopRequested() {
        return stop.get();
    }

    /** Asks the command to stop after its current unit; says so on stderr once. */
    void requestStop() {
        if (stop.compareAndSet(false, true)) {
            err.println();
            err.println("microw: stopping after the current " + unit + " (Ctrl-C)");
            err.flush();
        }
    }

    /** What the shutdown hook runs: ask to stop, then wait until the command has closed this, or the grace ends. */
    void onShutdown() {
        requestStop();
        try {
            finished.await(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The line a stopped command prints on stderr: "stopped by Ctrl-C after 3 of 10 prompts". */
    String stoppedMessage(int done, int total) {
        return "microw: stopped by Ctrl-C after " + done + " of " + total + " " + unit + "s";
    }

    /** The command is done: releases a waiting hook and removes it (unless the JVM is already shutting down). */
    @Override
    public void close() {
        finished.countDown();
        if (registered) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down: the hook is running and now returns
            }
        }
    }
}
