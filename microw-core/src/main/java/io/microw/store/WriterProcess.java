package io.microw.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The process that writes a run, as {@code meta.json} records it ({@code "writer": {"pid", "started_at",
 * "host"}}), so that a reader can tell a run that is still being written from one whose writer was killed: a run
 * recorded {@code running} by a process that is gone is reported {@code interrupted}.
 * <p>
 * A writer is gone when it ran on this host and no process with its pid runs now, or the process with that pid
 * started at another time (the pid was reused). Start times are compared within {@link #START_TOLERANCE}: two JVMs
 * can compute a process's start a little differently (from the boot time, which moves with clock adjustments). A
 * writer on another host cannot be checked and never counts as gone.
 *
 * @param pid       the writer's process id
 * @param startedAt when the writer process started, or {@code null} where the platform does not say
 * @param host      the writer's host name
 */
public record WriterProcess(long pid, Instant startedAt, String host) {

    /** The largest difference between two readings of one process's start time that still match. */
    public static final Duration START_TOLERANCE = Duration.ofSeconds(10);

    private static final WriterProcess CURRENT = new WriterProcess(ProcessHandle.current().pid(),
            ProcessHandle.current().info().startInstant().orElse(null), localHost());

    /**
     * This process.
     *
     * @return the current JVM's pid, start time and host name
     */
    public static WriterProcess current() {
        return CURRENT;
    }

    /**
     * The writer a run's metadata records.
     *
     * @param writer the {@code writer} object of {@code meta.json} (missing in runs saved before it was recorded)
     * @return the writer, or empty when none (or no valid one) is recorded
     */
    public static Optional<WriterProcess> fromJson(JsonNode writer) {
        if (writer == null || !writer.path("pid").canConvertToLong() || !writer.path("host").isTextual()) {
            return Optional.empty();
        }
        Instant started = null;
        if (writer.path("started_at").isTextual()) {
            try {
                started = Instant.parse(writer.get("started_at").asText());
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        return Optional.of(new WriterProcess(writer.get("pid").asLong(), started, writer.get("host").asText()));
    }

    /**
     * The {@code writer} object of {@code meta.json}.
     *
     * @return {@code {"pid", "started_at", "host"}} ({@code started_at} null when unknown)
     */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("pid", pid);
        if (startedAt == null) {
            n.putNull("started_at");
        } else {
            n.put("started_at", startedAt.toString());
        }
        n.put("host", host);
        return n;
    }

    /**
     * Whether this is the current JVM.
     *
     * @return true when the pid, host and start time are this process's
     */
    public boolean isCurrentProcess() {
        return equals(CURRENT);
    }

    /**
     * Whether the writer certainly no longer runs: it ran on this host, and no process with its pid runs, or the
     * one that does started at another time.
     *
     * @return true when the writer is gone; false when it runs, or when that cannot be told (another host)
     */
    public boolean isGone() {
        return onThisHost() && !processRuns();
    }

    /**
     * Whether the writer certainly still runs: it ran on this host and its process (same pid, same start time
     * where both are known) runs.
     *
     * @return true when the writer runs; false when it is gone, or when that cannot be told (another host)
     */
    public boolean isRunning() {
        return onThisHost() && processRuns();
    }

    private boolean onThisHost() {
        return host.equals(CURRENT.host);
    }

    private boolean processRuns() {
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            return false;
        }
        Optional<Instant> started = process.get().info().startInstant();
        return startedAt == null || started.isEmpty()
                || Duration.between(startedAt, started.get()).abs().compareTo(START_TOLERANCE) <= 0;
    }

    /**
     * How error messages name the writer.
     *
     * @return "process 1234 on host h (started 2025-01-01T10:00:00Z)"
     */
    @Override
    public String toString() {
        return "process " + pid + " on host " + host + (startedAt == null ? "" : " (started " + startedAt + ")");
    }

    /** The host name: the kernel's on Linux (no name lookup), else the environment's or the resolver's. */
    private static String localHost() {
        Path kernel = Path.of("/proc/sys/kernel/hostname");
        try {
            if (Files.isReadable(kernel)) {
                String name = Files.readString(kernel).strip();
                if (!name.isEmpty()) {
                    return name;
                }
            }
        } catch (IOException e) {
            // fall through to the other sources
        }
        String env = System.getenv("COMPUTERNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
