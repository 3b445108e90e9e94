package io.microw.sae;

import io.microw.io.AtomicFiles;
import io.microw.io.MicrowHome;
import io.microw.io.hub.HubResolver;
import io.microw.io.hub.PretrainedOptions;
import io.microw.io.hub.RepoId;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Puts the files of one registry SAE in a local folder: for a Hub release, exactly the files its converter needs,
 * through the Hugging Face cache ({@link HubResolver}: progress, resume, offline from the cache); for an embedded
 * release ({@code repo_id: classpath:<folder>}), its resources unpacked once under {@code $MICROW_HOME/saes}
 * (default {@code ~/.cache/microw/saes}), into a temporary folder renamed when complete, with the concept dictionary
 * ({@value #CONCEPTS}) the release ships beside the SAE, if any.
 */
final class PretrainedSaeFiles {

    /** The concept dictionary an embedded release may ship beside an SAE (the file name ConceptDictionary reads). */
    static final String CONCEPTS = "concepts.json";

    private PretrainedSaeFiles() {
    }

    /**
     * The local folder of an SAE, downloading or unpacking what is missing.
     *
     * @param release   the release
     * @param sae       the SAE
     * @param converter the release's file format
     * @param options   Hub settings (cache, offline, progress, ...) and the environment ({@code MICROW_HOME})
     * @return the folder holding the SAE's files
     */
    static Path fetch(SaeRelease release, SaeRelease.Entry sae, SaeConverter converter, PretrainedOptions options) {
        checkRelative(sae.path(), release, sae);
        return release.embedded() ? unpack(release, sae, converter, options) : download(release, sae, converter, options);
    }

    /**
     * The SAEs of a Hub release whose needed files are all in the local Hugging Face cache; reads the cache only.
     *
     * @param release   a Hub release
     * @param converter its file format
     * @param options   cache and revision settings
     * @return the cached SAEs, in registry order
     */
    static List<SaeRelease.Entry> cached(SaeRelease release, SaeConverter converter, PretrainedOptions options) {
        RepoId repo;
        try {
            repo = RepoId.parse(release.repoId());
        } catch (RuntimeException e) {
            return List.of(); // a registry entry with a malformed repo id cannot have been downloaded
        }
        if (!HubResolver.isCached(repo, List.of(), options)) {
            return List.of(); // the repository is not in the cache at that revision: no SAE of it is
        }
        return release.saes().stream().filter(e -> HubResolver.isCached(repo,
                converter.files().stream().map(f -> e.path() + "/" + f).toList(), options)).toList();
    }

    private static Path download(SaeRelease release, SaeRelease.Entry sae, SaeConverter converter,
                                 PretrainedOptions options) {
        RepoId repo = RepoId.parse(release.repoId());
        Path folder = null;
        for (String file : converter.files()) {
            folder = folderOf(HubResolver.file(repo, sae.path() + "/" + file, options), file);
        }
        for (String file : converter.optionalFiles()) {
            HubResolver.optionalFile(repo, sae.path() + "/" + file, options);
        }
        return folder;
    }

    /** The SAE's folder, given where one of its files (a path relative to the folder) lies. */
    private static Path folderOf(Path fetched, String file) {
        Path folder = fetched;
        for (int i = file.split("/").length; i > 0; i--) {
            folder = folder.getParent();
        }
        return folder;
    }

    private static Path unpack(SaeRelease release, SaeRelease.Entry sae, SaeConverter converter,
                               PretrainedOptions options) {
        String base = resourceFolder(release, sae);
        ClassLoader loader = PretrainedSaeFiles.class.getClassLoader();
        List<String> present = Stream.concat(converter.optionalFiles().stream(), Stream.of(CONCEPTS))
                .filter(f -> loader.getResource(base + f) != null).toList();
        List<String> files = Stream.concat(converter.files().stream(), present.stream()).toList();
        long size = 0;
        for (String file : files) {
            size += resourceSize(loader, base + file, release, sae);
        }
        Path target = MicrowHome.directory(options.environment()).resolve("saes").resolve(release.name())
                .resolve(sae.path() + "-" + Long.toString(size, 36));
        if (files.stream().allMatch(f -> Files.isRegularFile(target.resolve(f)))) {
            return target;
        }
        try {
            AtomicFiles.publishDirectory(target, temp -> {
                for (String file : files) {
                    Path out = temp.resolve(file);
                    Files.createDirectories(out.getParent());
                    try (InputStream in = loader.getResourceAsStream(base + file)) {
                        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            });
            return target;
        } catch (IOException e) {
            throw new SaeException("cannot unpack SAE '" + sae.id() + "' of release '" + release.name() + "' into "
                    + target + ": " + e.getMessage() + " (set MICROW_HOME to a writable folder)", e);
        }
    }

    /**
     * Whether an embedded release ships a concept dictionary ({@value #CONCEPTS}) beside an SAE; false for a Hub release.
     *
     * @param release the release
     * @param sae     the SAE
     * @return true when the class path holds the SAE's {@value #CONCEPTS}
     */
    static boolean shipsConcepts(SaeRelease release, SaeRelease.Entry sae) {
        return release.embedded() && PretrainedSaeFiles.class.getClassLoader()
                .getResource(resourceFolder(release, sae) + CONCEPTS) != null;
    }

    /** The class-path folder of an embedded SAE's files, ending in a slash. */
    private static String resourceFolder(SaeRelease release, SaeRelease.Entry sae) {
        return release.repoId().substring(SaeRelease.CLASSPATH.length()).replaceAll("^/+|/+$", "") + "/" + sae.path()
                + "/";
    }

    private static long resourceSize(ClassLoader loader, String name, SaeRelease release, SaeRelease.Entry sae) {
        URL url = loader.getResource(name);
        if (url == null) {
            throw new SaeException("release '" + release.name() + "' is embedded but its SAE '" + sae.id()
                    + "' lacks the resource " + name + " on the class path");
        }
        try {
            URLConnection connection = url.openConnection();
            connection.setUseCaches(false);
            long size = connection.getContentLengthLong();
            connection.getInputStream().close();
            return size;
        } catch (IOException e) {
            throw new SaeException("cannot read the resource " + name + " of release '" + release.name() + "': "
                    + e.getMessage(), e);
        }
    }

    private static void checkRelative(String path, SaeRelease release, SaeRelease.Entry sae) {
        boolean bad = path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0");
        for (String part : path.split("/", -1)) {
            bad |= part.isEmpty() || part.equals(".") || part.equals("..");
        }
        if (bad) {
            throw new SaeException("SAE '" + sae.id() + "' of release '" + release.name() + "' has path '" + path
                    + "'; expected a relative folder without empty, '.' or '..' parts");
        }
    }
}
