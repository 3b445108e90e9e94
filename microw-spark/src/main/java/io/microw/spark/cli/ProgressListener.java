package io.microw.spark.cli;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicInteger;

/** Prints "tasks done/total" on one line as a job's tasks end. */
final class ProgressListener extends SparkListener {

    private final PrintWriter err;
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();

    ProgressListener(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted stage) {
        total.addAndGet(stage.stageInfo().numTasks());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd task) {
        err.print("\rtasks " + done.incrementAndGet() + "/" + total.get());
        err.flush();
    }

    /** Ends the progress line. */
    void finish() {
        err.println();
    }
}
