package io.microw.io.hub;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub repository id (a model's, or a dataset's via {@link #parseDataset}), {@code org/name} or a
 * bare legacy {@code name}, checked against the
 * Hub's rules: ASCII letters, digits, {@code -}, {@code _} and {@code .}; at most one {@code /}; no {@code --}
 * or {@code ..}; no part that starts or ends with {@code -} or {@code .}; each part at most 96 characters.
 */
public final class RepoId {

    /** Longest namespace or name the Hub accepts. */
    public static final int MAX_PART_LENGTH = 96;

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?");

    private final String id;
    private final boolean dataset;

    private RepoId(String id, boolean dataset) {
        this.id = id;
        this.dataset = dataset;
    }

    /**
     * As {@link #parse}, for a dataset repository ({@code datasets/org/name} on the Hub).
     *
     * @param id the dataset's id, {@code org/name} or {@code name}
     * @return the dataset repository
     */
    public static RepoId parseDataset(String id) {
        return new RepoId(parse(id).id, true);
    }

    /**
     * Whether this is a dataset repository rather than a model.
     *
     * @return true for a dataset repository
     */
    public boolean isDataset() {
        return dataset;
    }

    /**
     * The repository's path under the endpoint: {@code org/name} for a model, {@code datasets/org/name} for a dataset.
     *
     * @return the URL path
     */
    public String urlPath() {
        return dataset ? "datasets/" + id : id;
    }

    /**
     * Validates {@code id}; an illegal one is an {@link IllegalArgumentException} that names it and the rule.
     *
     * @param id the model's id, {@code org/name} or {@code name}
     * @return the model repository
     */
    public static RepoId parse(String id) {
        Objects.requireNonNull(id, "repo id");
        String problem = problem(id);
        if (problem != null) {
            throw new IllegalArgumentException("'" + id + "' is not a valid Hugging Face repo id: " + problem
                    + " (expected 'org/name' or 'name' with letters, digits, '-', '_' and '.', e.g. 'openai-community/gpt2')");
        }
        return new RepoId(id, false);
    }

    /**
     * Whether {@code id} follows the Hub's repo-id rules.
     *
     * @param id a candidate id, may be null
     * @return true when {@link #parse} would accept it
     */
    public static boolean isValid(String id) {
        return id != null && problem(id) == null;
    }

    private static String problem(String id) {
        if (id.isEmpty()) {
            return "it is empty";
        }
        if (id.contains("--") || id.contains("..")) {
            return "'--' and '..' are not allowed";
        }
        String[] parts = id.split("/", -1);
        if (parts.length > 2) {
            return "at most one '/' is allowed";
        }
        for (String part : parts) {
            if (part.isEmpty()) {
                return "a part before or after '/' is empty";
            }
            if (part.length() > MAX_PART_LENGTH) {
                return "'" + part + "' is " + part.length() + " characters long, at most " + MAX_PART_LENGTH
                        + " are allowed";
            }
            if (!PART.matcher(part).matches()) {
                return "'" + part + "' must use only letters, digits, '-', '_' and '.', and must not start or end"
                        + " with '-' or '.'";
            }
        }
        return null;
    }

    /**
     * The id as written, e.g. {@code openai-community/gpt2}.
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * The cache folder name, {@code models--org--name} or {@code datasets--org--name}, as {@code huggingface_hub} names it.
     *
     * @return the folder name
     */
    public String cacheFolderName() {
        return (dataset ? "datasets--" : "models--") + id.replace("/", "--");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RepoId && ((RepoId) o).id.equals(id) && ((RepoId) o).dataset == dataset;
    }

    @Override
    public int hashCode() {
        return id.hashCode() + (dataset ? 1 : 0);
    }

    @Override
    public String toString() {
        return id;
    }
}
