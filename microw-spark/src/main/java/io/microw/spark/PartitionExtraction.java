package io.microw.spark;

import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

import java.util.Iterator;

/** The function each extraction task runs: (text_id, text) rows in, token rows out, with this JVM's model. */
final class PartitionExtraction implements FlatMapFunction<Iterator<Row>, Row> {

    private final ExtractPlan plan;

    PartitionExtraction(ExtractPlan plan) {
        this.plan = plan;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        if (!input.hasNext()) {
            return input;
        }
        return new TokenRows(input, plan, ExecutorModels.get(plan.model(), plan.threads()));
    }
}
