package io.microw.data;

import io.microw.io.hub.HubResolver;
import io.microw.io.hub.PretrainedOptions;
import io.microw.io.hub.RepoId;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Datasets from a Hugging Face Hub dataset repository's Parquet files (e.g. {@code data/train-00000-of-00002.parquet}),
 * downloaded into the same cache as models ({@code datasets--org--name}) with the same settings
 * ({@link PretrainedOptions}: revision, token, endpoint, offline mode), then read like local Parquet files, shard
 * after shard.
 */
public final class HubDatasets {

    private HubDatasets() {
    }

    /** The texts of {@code repoId}'s Parquet {@code files}, read as {@code options} say. */
    public static TextDataset text(String repoId, List<String> files, DatasetOptions options, PretrainedOptions hub) {
        ConcatSource source = source(repoId, files, options, hub, false);
        return Datasets.fromSource(source, options, source::skipped);
    }

    /** The texts and labels of {@code repoId}'s Parquet {@code files}. */
    public static ClassificationDataset classification(String repoId, List<String> files, DatasetOptions options,
            PretrainedOptions hub) {
        ConcatSource source = source(repoId, files, options, hub, true);
        return Datasets.classification(source, options, source::skipped);
    }

    private static ConcatSource source(String repoId, List<String> files, DatasetOptions options, PretrainedOptions hub,
            boolean withLabels) {
        RepoId repo = RepoId.parseDataset(repoId);
        DatasetOptions parquet = options.withFormat(DataFormat.PARQUET);
        List<FileSource> parts = new ArrayList<>();
        for (String file : files) {
            if (!file.endsWith(".parquet")) {
                throw new IllegalArgumentException("'" + file + "' of dataset " + repoId + " is not a .parquet file;"
                        + " Hub datasets are read from their Parquet files");
            }
            Path local = HubResolver.file(repo, file, hub);
            parts.add(new FileSource(local, parquet, withLabels));
        }
        return new ConcatSource(parts, "Hub dataset " + repoId + " (revision '" + hub.revision() + "', " + files
                + ", text column '" + options.textColumn() + "')");
    }
}
