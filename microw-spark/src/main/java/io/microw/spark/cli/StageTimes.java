package io.microw.spark.cli;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a job's time went, stage by stage: each completed stage's call site, wall time, and its tasks' summed run
 * time and GC time (for {@code bench}'s breakdown of the Spark side).
 */
final class StageTimes extends SparkListener {

    /** One completed stage. */
    record Stage(String name, double wallSeconds, double taskSeconds, double gcSeconds) {
    }

    private final Map<Integer, long[]> taskMillis = new ConcurrentHashMap<>();
    private final List<Stage> stages = new ArrayList<>();

    @Override
    public void onTaskEnd(SparkListenerTaskEnd task) {
        if (task.taskMetrics() == null) {
            return;
        }
        long[] sums = taskMillis.computeIfAbsent(task.stageId(), id -> new long[2]);
        synchronized (sums) {
            sums[0] += task.taskMetrics().executorRunTime();
            sums[1] += task.taskMetrics().jvmGCTime();
        }
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted completed) {
        StageInfo info = completed.stageInfo();
        long start = info.submissionTime().isDefined() ? (Long) info.submissionTime().get() : 0;
        long end = info.completionTime().isDefined() ? (Long) info.completionTime().get() : start;
        long[] sums = taskMillis.getOrDefault(info.stageId(), new long[2]);
        stages.add(new Stage(info.name(), (end - start) / 1e3, sums[0] / 1e3, sums[1] / 1e3));
    }

    /** @return the stages completed since the last call, and forgets them */
    synchronized List<Stage> drain() {
        List<Stage> out = List.copyOf(stages);
        stages.clear();
        taskMillis.clear();
        return out;
    }
}
