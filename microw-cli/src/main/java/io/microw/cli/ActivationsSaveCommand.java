package io.microw.cli;

import io.microw.data.DatasetOptions;
import io.microw.data.LoadingStrategy;
import io.microw.data.TextDataset;
import io.microw.demo.BrownCorpus;
import io.microw.frontend.ActivationsJobSpec;
import io.microw.frontend.ModelReference;
import io.microw.io.DType;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.lm.SaveProgress;
import io.microw.lm.SaveStoppedException;
import io.microw.store.DatasetIdentity;
import io.microw.store.LocalStore;
import io.microw.store.RunStatus;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code microw activations save}: runs a model over a text file (one text per line) and saves the named layers'
 * activations as a run of a store, with a progress bar on stderr; prints the run id and where it is. Ctrl-C stops
 * it after the batch being written: the run is recorded {@code cancelled}, keeps its complete batches and resumes
 * with {@code --resume}, which refuses another model, other layers or options, or another dataset.
 */
@Command(name = "save", description = "Run a model over texts and save layers' activations into a store.",
        footer = {"", "Examples:",
            "  microw activations save --brown train --layers transformer.h.2 --store st --run brown-h2 --batch-size 32",
            "  microw activations save --texts-file corpus.jsonl --layers layer_1,layer_3 --model owner/name",
            "  microw activations save --resume --run brown-h2 --brown train --layers transformer.h.2 --store st"})
final class ActivationsSaveCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = ActivationsJobSpec.DEFAULT_MODEL,
            description = "brown-gpt2 (the embedded demo model, default), a model directory, or a Hub id owner/name.")
    String model;

    @Option(names = "--layers", required = true, split = ",", paramLabel = "LAYER[,LAYER...]",
            description = "Layers to save: names, aliases or indices (see `microw layers`).")
    List<String> layers;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Where the texts come from: exactly one of a file or the Brown corpus. */
    static final class Source {
        @Option(names = "--texts-file", paramLabel = "FILE", description = "Texts: .txt (one per line), .jsonl, "
                + ".csv, .tsv or .parquet (optionally .gz), or a directory of .txt files; read lazily, never all in memory.")
        Path textsFile;

        @Option(names = "--brown", paramLabel = "train|validation",
                description = "Texts: the Brown corpus' sentences of the demo model's train or validation split.")
        String brown;
    }

    @Option(names = "--text-column", paramLabel = "NAME",
            description = "Column holding the text in .jsonl/.csv/.tsv/.parquet files (default: text).")
    String textColumn;

    @Option(names = "--lenient", description = "Skip malformed rows (and report how many) instead of failing.")
    boolean lenient;

    @Option(names = "--store", paramLabel = "DIR", defaultValue = ActivationsCommand.DEFAULT_STORE,
            description = "Store directory (default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--run", paramLabel = "ID", description = "Run id (default: made from the current time).")
    String run;

    @Option(names = "--batch-size", defaultValue = "" + ActivationsJobSpec.DEFAULT_BATCH_SIZE, description = "Texts per forward (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--max-length", defaultValue = "" + ActivationsJobSpec.DEFAULT_MAX_LENGTH,
            description = "Truncate texts to this many tokens (default 0: the model's context).")
    int maxLength;

    @Option(names = "--dtype", defaultValue = "float32", paramLabel = "float32|float16|bfloat16",
            description = "Precision of the stored activations (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--resume", description = "Continue an existing run from its last complete batch (with the "
            + "same model, layers, options and dataset).")
    boolean resume;

    @Option(names = "--no-attention-masks", description = "Do not store attention masks.")
    boolean noMasks;

    @Option(names = "--no-input-ids", description = "Do not store input ids and special-token masks.")
    boolean noInputIds;

    @Option(names = "--full-forward", description = "Run the whole model instead of stopping after the deepest layer.")
    boolean fullForward;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Override
    public Integer call() {
        TextDataset texts = dataset();
        PrintWriter err = spec.commandLine().getErr();
        SaveProgressBar bar = new SaveProgressBar(err);
        AtomicReference<SaveProgress> last = new AtomicReference<>();
        String runId;
        ActivationsJobSpec job = jobSpec();
        ModelReference reference = ModelReference.parse(job.model());
        try (LanguageModel lm = reference.open(); Interrupts interrupts = Interrupts.install(err, "batch")) {
            SaveOptions options = job.saveOptions(new LocalStore(store)).withDtype(parseDtype(spec.commandLine(), dtype)).withResume(resume)
                    .withSaveAttentionMasks(!noMasks).withSaveInputIds(!noInputIds)
                    .withStopAfterDeepestLayer(!fullForward)
                    .withModelName(reference.runName()).withDataset(identity())
                    .withProgress(p -> {
                        last.set(p);
                        if (!noProgress) {
                            bar.accept(p);
                        }
                        if (interrupts.stopRequested()) {
                            throw new SaveStoppedException(RunStatus.CANCELLED, "stopped by Ctrl-C");
                        }
                    });
            try {
                runId = lm.activations().saveActivations(texts, job.layers(), options);
            } catch (SaveStoppedException e) {
                // said before the shutdown hook is released by closing interrupts, so that it is seen
                bar.finish();
                SaveProgress p = last.get();
                err.printf(Locale.ROOT, "microw: stopped by Ctrl-C after %d of %s batches; run '%s' is cancelled and"
                        + " keeps its complete batches: add --resume to the same command to continue it%n",
                        p.batchesDone(), p.batchesTotal() < 0 ? "?" : Long.toString(p.batchesTotal()), p.runId());
                err.flush();
                return Interrupts.EXIT_INTERRUPTED;
            }
        } finally {
            bar.finish();
        }
        LocalStore s = new LocalStore(store);
        var meta = s.runMetadata(runId);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "saved run %s: %d batches, %,d tokens (%,d real) of layers %s in %s%n", runId,
                meta.path("batches").asLong(), meta.path("tokens").asLong(), meta.path("real_tokens").asLong(),
                meta.path("layers"), s.runDirectory(runId));
        out.flush();
        return 0;
    }

    /** The job the options describe (a bad batch size or max length is a usage error). */
    ActivationsJobSpec jobSpec() {
        try {
            return ActivationsJobSpec.of(model, layers).withBatchSize(batchSize).withMaxLength(maxLength).withRun(run);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The texts: a file in any dataset format (read lazily), or the Brown corpus' sentences. */
    private TextDataset dataset() {
        if (source.textsFile != null) {
            return SaeSupport.textsFile(source.textsFile, readOptions());
        }
        return BrownCorpus.load().sentenceDataset(brownSplit());
    }

    /** What the run records as its dataset, and a resume checks: the file and how it is read, or the Brown split. */
    private DatasetIdentity identity() {
        if (source.textsFile != null) {
            return DatasetIdentity.file(source.textsFile, readOptions());
        }
        return DatasetIdentity.of(DatasetIdentity.Kind.BROWN, brownSplit().name().toLowerCase(Locale.ROOT));
    }

    private DatasetOptions readOptions() {
        DatasetOptions options = DatasetOptions.defaults().withStrategy(LoadingStrategy.ON_DISK).withLenient(lenient);
        return textColumn == null ? options : options.withTextColumn(textColumn);
    }

    private BrownCorpus.Split brownSplit() {
        return switch (source.brown.toLowerCase(Locale.ROOT)) {
            case "train" -> BrownCorpus.Split.TRAIN;
            case "validation" -> BrownCorpus.Split.VALIDATION;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "unknown --brown split '"
                    + source.brown + "'; use train or validation");
        };
    }

    static DType parseDtype(CommandLine cmd, String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "float32", "f32", "fp32" -> DType.F32;
            case "float16", "f16", "fp16", "half" -> DType.F16;
            case "bfloat16", "bf16" -> DType.BF16;
            default -> throw new CommandLine.ParameterException(cmd, "unknown --dtype '" + name
                    + "'; use float32, float16 or bfloat16");
        };
    }
}
