package io.microw.sae;

import java.nio.file.Path;

/**
 * One published SAE file layout: says whether a path looks like it and loads it into an {@link Sae} with the
 * exact semantics of the code that writes it. {@link SaeFormats#ALL} lists the formats {@link Sae#load(Path)}
 * tries.
 */
public interface SaeFormat {

    /**
     * A short name for messages and docs, e.g. "Gemma Scope".
     *
     * @return the name
     */
    String name();

    /**
     * What a path must hold to be this format, for the error when nothing matches.
     *
     * @return e.g. "a folder with params.npz"
     */
    String looksFor();

    /**
     * Whether {@code path} (a file or folder) has this format's files; reads nothing but names.
     *
     * @param path the file or folder
     * @return whether {@link #load} should be used
     */
    boolean detects(Path path);

    /**
     * Loads the SAE at {@code path}; every problem is a {@link SaeException} naming the file and key.
     *
     * @param path the file or folder
     * @return the SAE
     */
    Sae load(Path path);
}
