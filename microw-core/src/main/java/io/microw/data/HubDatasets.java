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

    /**
     * The texts of one split of {@code repoId}: every Parquet file of the repository whose path names the split
     * (a folder {@code <split>/} or a file {@code <split>-00000-of-00002.parquet} / {@code <split>.parquet}), in
     * path order, as the Hub's file listing (or, offline, the cached snapshot) shows them.
     *
     * @param repoId  the Hub dataset repository, {@code owner/name}
     * @param split   the split, e.g. {@code train}
     * @param options the text column, loading strategy and lenient mode
     * @param hub     revision, cache and offline settings
     * @return the dataset
     */
    public static TextDataset text(String repoId, String split, DatasetOptions options, PretrainedOptions hub) {
        return text(repoId, splitFiles(repoId, split, hub), options, hub);
    }

    /**
     * The texts and labels of one split of {@code repoId} (files found as {@link #text(String, String, DatasetOptions, PretrainedOptions)} finds them).
     *
     * @param repoId  the Hub dataset repository, {@code owner/name}
     * @param split   the split, e.g. {@code train}
     * @param options the columns, label set, loading strategy and lenient mode
     * @param hub     revision, cache and offline settings
     * @return the dataset
     */
    public static ClassificationDataset classification(String repoId, String split, DatasetOptions options,
            PretrainedOptions hub) {
        return classification(repoId, splitFiles(repoId, split, hub), options, hub);
    }

    /** The Parquet files of a split; none is an error listing the Parquet files there are. */
    static List<String> splitFiles(String repoId, String split, PretrainedOptions hub) {
        List<String> parquet = HubResolver.listFiles(RepoId.parseDataset(repoId), hub).stream()
                .filter(f -> f.endsWith(".parquet")).sorted().toList();
        List<String> chosen = parquet.stream().filter(f -> namesSplit(f, split)).toList();
        if (chosen.isEmpty()) {
            throw new DatasetException("Hub dataset " + repoId + " (revision '" + hub.revision() + "')", "no Parquet"
                    + " files for split '" + split + "'; its Parquet files: " + (parquet.isEmpty() ? "none" : parquet));
        }
        return chosen;
    }

    private static boolean namesSplit(String path, String split) {
        String[] parts = path.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            if (parts[i].equals(split)) {
                return true;
            }
        }
        String name = parts[parts.length - 1];
        return name.equals(split + ".parquet") || name.startsWith(split + "-");
    }

    /**
     * The texts of {@code repoId}'s Parquet {@code files}, read as {@code options} say.
     *
     * @param repoId  the Hub dataset repository, {@code owner/name}
     * @param files   paths of Parquet files in the repository, in reading order
     * @param options the text column, loading strategy and lenient mode
     * @param hub     revision, cache and offline settings
     * @return the dataset
     */
    public static TextDataset text(String repoId, List<String> files, DatasetOptions options, PretrainedOptions hub) {
        ConcatSource source = source(repoId, files, options, hub, false);
        return Datasets.fromSource(source, options, source::skipped);
    }

    /**
     * The texts and labels of {@code repoId}'s Parquet {@code files}.
     *
     * @param repoId  the Hub dataset repository, {@code owner/name}
     * @param files   paths of Parquet files in the repository, in reading order
     * @param options the columns, label set, loading strategy and lenient mode
     * @param hub     revision, cache and offline settings
     * @return the dataset
     */
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
