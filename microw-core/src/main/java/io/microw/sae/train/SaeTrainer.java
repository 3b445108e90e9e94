package io.microw.sae.train;

import io.microw.sae.Sae;
import io.microw.sae.SaeArchitectures;
import io.microw.sae.SaeException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Trains one SAE on an {@link ActivationSource} with a {@link SaeTrainingConfig}: Adam on fp32 parameters,
 * learning-rate warm-up and linear decay, L1 warm-up, AuxK for dead latents, unit-norm decoder rows with the
 * parallel gradient removed, global gradient clipping, input normalisation and {@code b_dec} at the data mean.
 * Metrics go to listeners and to the history; checkpoints (when a directory is configured) make a killed training
 * resumable with {@link #resume}, to the same result as an uninterrupted run. Deterministic on CPU for a seed.
 *
 * <pre>{@code
 * SaeTrainer trainer = new SaeTrainer(sae, SaeTrainingConfig.builder().epochs(5).build());
 * TrainingResult result = trainer.train(new StoreActivationSource(loader));
 * }</pre>
 */
public final class SaeTrainer {

    private final Sae sae;
    private final SaeTrainingConfig config;
    private final List<Consumer<TrainingMetrics>> listeners = new ArrayList<>();

    /**
     * A trainer for {@code sae} (any architecture with a {@link io.microw.sae.SaeArchitecture#training() training rule}) with the given recipe.
     *
     * @param sae the SAE, trained in place
     * @param config the recipe
     */
    public SaeTrainer(Sae sae, SaeTrainingConfig config) {
        this.sae = Objects.requireNonNull(sae, "sae");
        this.config = Objects.requireNonNull(config, "config");
        SaeArchitectures.requireTrainable(sae.architecture().saeLensName());
    }

    /**
     * Calls {@code listener} with every metrics line.
     *
     * @param listener receives each {@link TrainingMetrics}
     * @return this trainer
     */
    public SaeTrainer onMetrics(Consumer<TrainingMetrics> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Trains from the SAE's current weights; the SAE holds the result afterwards.
     *
     * @param source the training activations, of the SAE's input width
     * @return the last metrics and the throughput
     */
    public TrainingResult train(ActivationSource source) {
        return run(source, Optional.empty());
    }

    /**
     * Continues from the newest checkpoint in the config's checkpoint directory (or starts afresh when there is
     * none), reading the source from where that checkpoint stopped.
     *
     * @param source the same activations as the interrupted training
     * @return the last metrics and the throughput
     */
    public TrainingResult resume(ActivationSource source) {
        if (config.checkpointDir() == null) {
            throw new SaeException("resume needs a checkpoint directory in the training config");
        }
        return run(source, TrainingCheckpoint.latest(config.checkpointDir()));
    }

    private TrainingResult run(ActivationSource source, Optional<Path> checkpoint) {
        long totalSteps = totalSteps(source.rowsPerEpoch());
        int epochs = epochsNeeded(source.rowsPerEpoch(), totalSteps);
        try (TrainingRun run = start(source, checkpoint, totalSteps)) {
            Iterator<float[][]> batches = source.batches(config.batchSize(), epochs);
            for (long skip = 0; skip < run.batchesConsumed() && batches.hasNext(); skip++) {
                batches.next();
            }
            try {
                while (!run.done() && batches.hasNext()) {
                    run.step(batches.next());
                }
            } finally {
                PrefetchingIterator.closeIfCloseable(batches);
            }
            return run.finish();
        }
    }

    /**
     * Trains several SAEs from one pass over a multi-layer source (one model forward feeds them all): trainer i
     * reads layer {@code layers.get(i)}; several trainers may share a layer (different hyperparameters). All must
     * use the same batch size; each stops at its own step count. Results are in the trainers' order. Each trainer's
     * start (input scale, {@code b_dec} at the mean) reads its own sample from the source. A trainer gets exactly
     * what it would get trained alone when all need the same number of epochs; with a shuffled source and fewer
     * epochs than the pass, the rows near its last epoch's end come in a different order.
     *
     * @param trainers the trainers, one per SAE
     * @param layers for each trainer, the layer it reads
     * @param source the multi-layer source
     * @return the results, in the trainers' order
     */
    public static List<TrainingResult> trainTogether(List<SaeTrainer> trainers, List<String> layers,
                                                     LayerActivationSource source) {
        if (trainers.isEmpty() || trainers.size() != layers.size()) {
            throw new SaeException("trainTogether needs one layer per trainer, got " + trainers.size()
                    + " trainers and " + layers.size() + " layers");
        }
        int batchSize = trainers.get(0).config.batchSize();
        for (SaeTrainer t : trainers) {
            if (t.config.batchSize() != batchSize) {
                throw new SaeException("trainers trained together must share a batch size, got " + batchSize
                        + " and " + t.config.batchSize());
            }
        }
        List<TrainingRun> runs = new ArrayList<>();
        try {
            long rows = source.rowsPerEpoch();
            int epochs = 1;
            for (int i = 0; i < trainers.size(); i++) {
                SaeTrainer t = trainers.get(i);
                long steps = t.totalSteps(rows);
                epochs = Math.max(epochs, t.epochsNeeded(rows, steps));
                runs.add(t.start(source.layer(layers.get(i)), Optional.empty(), steps));
            }
            Iterator<Map<String, float[][]>> batches = source.batches(batchSize, epochs);
            try {
                while (batches.hasNext() && runs.stream().anyMatch(r -> !r.done())) {
                    Map<String, float[][]> batch = batches.next();
                    for (int i = 0; i < runs.size(); i++) {
                        if (!runs.get(i).done()) {
                            runs.get(i).step(batch.get(layers.get(i)));
                        }
                    }
                }
            } finally {
                PrefetchingIterator.closeIfCloseable(batches);
            }
            List<TrainingResult> results = new ArrayList<>();
            for (TrainingRun r : runs) {
                results.add(r.finish());
            }
            return results;
        } finally {
            runs.forEach(TrainingRun::close);
        }
    }

    private TrainingRun start(ActivationSource source, Optional<Path> checkpoint, long totalSteps) {
        sae.checkInputWidth(source.width(), "training data");
        TrainingRun run = new TrainingRun(sae, config, listeners, totalSteps);
        if (checkpoint.isPresent()) {
            run.restore(checkpoint.get());
        } else {
            run.initialise(source);
        }
        return run;
    }

    long totalSteps(long rowsPerEpoch) {
        if (config.totalTrainingTokens() > 0) {
            return (config.totalTrainingTokens() + config.batchSize() - 1) / config.batchSize();
        }
        if (rowsPerEpoch < 0) {
            throw new SaeException("the data source does not know its size; set total_training_tokens");
        }
        if (rowsPerEpoch == 0) {
            throw new SaeException("the data source is empty: no activation rows to train on");
        }
        // sources batch across epoch boundaries (only the very last batch may be short)
        return (config.epochs() * rowsPerEpoch + config.batchSize() - 1) / config.batchSize();
    }

    int epochsNeeded(long rowsPerEpoch, long totalSteps) {
        if (config.totalTrainingTokens() == 0) {
            return config.epochs();
        }
        if (rowsPerEpoch <= 0) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.min(Integer.MAX_VALUE, (totalSteps * config.batchSize() + rowsPerEpoch - 1) / rowsPerEpoch);
    }
}
