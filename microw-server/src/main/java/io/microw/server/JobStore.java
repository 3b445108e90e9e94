package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Job records in SQLite ({@code <dataDir>/microw.db}): kind, status, parameters, progress, metric history, error,
 * timestamps and artifact. Opening the store marks the jobs a previous process left queued or running as
 * {@code interrupted}. One connection; every method is synchronized.
 */
final class JobStore implements AutoCloseable {

    /** The statuses a job passes through. */
    enum Status {
        QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED;

        String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        boolean terminal() {
            return this != QUEUED && this != RUNNING;
        }

        static Status of(String id) {
            return valueOf(id.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** One job as stored. */
    record Job(String id, String kind, Status status, ObjectNode params, double progress, String message,
               ArrayNode metrics, String error, long createdAt, Long startedAt, Long finishedAt, String artifact) {

        ObjectNode toJson(boolean withMetrics) {
            ObjectNode n = Json.object();
            n.put("id", id);
            n.put("kind", kind);
            n.put("status", status.id());
            n.set("params", params);
            ObjectNode p = n.putObject("progress");
            Json.putNumber(p, "fraction", progress);
            if (message == null) {
                p.putNull("message");
            } else {
                p.put("message", message);
            }
            if (withMetrics) {
                n.set("metrics", metrics);
            } else {
                n.put("metrics_count", metrics.size());
            }
            if (error == null) {
                n.putNull("error");
            } else {
                n.put("error", error);
            }
            n.put("created_at", java.time.Instant.ofEpochMilli(createdAt).toString());
            putTime(n, "started_at", startedAt);
            putTime(n, "finished_at", finishedAt);
            if (artifact == null) {
                n.putNull("artifact");
            } else {
                n.put("artifact", artifact);
            }
            return n;
        }

        private static void putTime(ObjectNode n, String field, Long millis) {
            if (millis == null) {
                n.putNull(field);
            } else {
                n.put(field, java.time.Instant.ofEpochMilli(millis).toString());
            }
        }
    }

    private final Connection db;
    private final int interruptedAtOpen;

    /** Opens (creating) {@code file} and marks jobs left queued or running as interrupted. */
    JobStore(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS jobs ("
                        + "id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, params TEXT NOT NULL, "
                        + "progress REAL NOT NULL DEFAULT 0, message TEXT, metrics TEXT NOT NULL DEFAULT '[]', "
                        + "error TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, "
                        + "artifact TEXT)");
                s.execute("CREATE TABLE IF NOT EXISTS job_logs (job_id TEXT NOT NULL, n INTEGER NOT NULL, "
                        + "time INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (job_id, n))");
                interruptedAtOpen = s.executeUpdate("UPDATE jobs SET status = 'interrupted', finished_at = "
                        + System.currentTimeMillis() + ", message = 'the server stopped while the job was ' || status"
                        + " WHERE status IN ('queued', 'running')");
            }
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot open the job database " + file + ": " + e.getMessage(), e);
        }
    }

    /** How many jobs opening the store marked interrupted. */
    int interruptedAtOpen() {
        return interruptedAtOpen;
    }

    /** Records a new queued job; returns it. */
    synchronized Job create(String kind, ObjectNode params) {
        String id = "job-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        long now = System.currentTimeMillis();
        update("INSERT INTO jobs (id, kind, status, params, created_at) VALUES (?, ?, 'queued', ?, ?)",
                id, kind, params.toString(), now);
        return get(id).orElseThrow();
    }

    synchronized Optional<Job> get(String id) {
        try (PreparedStatement ps = db.prepareStatement("SELECT * FROM jobs WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading job " + id + " failed", e);
        }
    }

    /** Every job, newest first. */
    synchronized List<Job> list() {
        List<Job> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC")) {
            while (rs.next()) {
                out.add(read(rs));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("listing jobs failed", e);
        }
        return out;
    }

    /** Back to queued for a resume: progress kept, error and finish time cleared. */
    synchronized void requeue(String id) {
        update("UPDATE jobs SET status = 'queued', error = NULL, finished_at = NULL, message = 'queued to resume' "
                + "WHERE id = ?", id);
    }

    synchronized void started(String id) {
        update("UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, ?), message = 'running' "
                + "WHERE id = ?", System.currentTimeMillis(), id);
    }

    synchronized void progress(String id, double fraction, String message) {
        update("UPDATE jobs SET progress = ?, message = ? WHERE id = ?", fraction, message, id);
    }

    /** Adds one metrics line to the history, dropping lines at or after its step (a resume repeats them). */
    synchronized void addMetrics(String id, ObjectNode line, double fraction, String message) {
        Job job = get(id).orElseThrow();
        ArrayNode kept = Json.array();
        long step = line.path("step").asLong();
        for (JsonNode m : job.metrics()) {
            if (m.path("step").asLong() < step) {
                kept.add(m);
            }
        }
        kept.add(line);
        update("UPDATE jobs SET metrics = ?, progress = ?, message = ? WHERE id = ?", kept.toString(), fraction,
                message, id);
    }

    /** A terminal status, with an error message (failed) or artifact (succeeded), or neither. */
    synchronized void finish(String id, Status status, String message, String error, String artifact) {
        update("UPDATE jobs SET status = ?, message = ?, error = ?, artifact = COALESCE(?, artifact), "
                + "finished_at = ?, progress = CASE WHEN ? = 'succeeded' THEN 1.0 ELSE progress END WHERE id = ?",
                status.id(), message, error, artifact, System.currentTimeMillis(), status.id(), id);
    }

    /** One line of a job's log: its number (from 1), time and text. */
    record LogLine(long n, long time, String text) {

        ObjectNode toJson() {
            ObjectNode o = Json.object();
            o.put("n", n);
            o.put("time", java.time.Instant.ofEpochMilli(time).toString());
            o.put("text", text);
            return o;
        }
    }

    /** Appends a line to a job's log. */
    synchronized void log(String id, String text) {
        update("INSERT INTO job_logs (job_id, n, time, text) SELECT ?, COALESCE(MAX(n), 0) + 1, ?, ? FROM job_logs "
                + "WHERE job_id = ?", id, System.currentTimeMillis(), text, id);
    }

    /** A job's log lines numbered above {@code after}, in order. */
    synchronized List<LogLine> logs(String id, long after) {
        List<LogLine> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT n, time, text FROM job_logs WHERE job_id = ? AND n > ? "
                + "ORDER BY n")) {
            ps.setString(1, id);
            ps.setLong(2, after);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new LogLine(rs.getLong(1), rs.getLong(2), rs.getString(3)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading the log of job " + id + " failed", e);
        }
        return out;
    }

    /** Whether any queued or running job reads or writes the run (activations) or reads it (training). */
    synchronized boolean runInUse(String run) {
        for (Job j : list()) {
            if (!j.status().terminal() && run.equals(j.params().path("run").asText(null))) {
                return true;
            }
        }
        return false;
    }

    private void update(String sql, Object... args) {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("updating the job database failed: " + e.getMessage(), e);
        }
    }

    private static Job read(ResultSet rs) throws SQLException {
        try {
            long started = rs.getLong("started_at");
            Long startedAt = rs.wasNull() ? null : started;
            long finished = rs.getLong("finished_at");
            Long finishedAt = rs.wasNull() ? null : finished;
            return new Job(rs.getString("id"), rs.getString("kind"), Status.of(rs.getString("status")),
                    (ObjectNode) Json.MAPPER.readTree(rs.getString("params")), rs.getDouble("progress"),
                    rs.getString("message"), (ArrayNode) Json.MAPPER.readTree(rs.getString("metrics")),
                    rs.getString("error"), rs.getLong("created_at"), startedAt, finishedAt, rs.getString("artifact"));
        } catch (IOException e) {
            throw new SQLException("a job record holds invalid JSON", e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            // closing anyway
        }
    }
}
