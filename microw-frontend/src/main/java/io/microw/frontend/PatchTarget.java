package io.microw.frontend;

import io.microw.analysis.PatchSite;
import io.microw.analysis.PathPatching;

import java.util.ArrayList;
import java.util.List;

/**
 * What a patching job patches, as both front ends name it ({@code microw patch --what}, a request's {@code what}): an
 * activation patching site ({@link PatchSite}, by its id) or path patching ({@value #PATH}, {@link PathPatching}).
 *
 * @param site the site, or null for path patching
 */
public record PatchTarget(PatchSite site) {

    /** The name of path patching. */
    public static final String PATH = "path";

    /**
     * Path patching.
     *
     * @return the target
     */
    public static PatchTarget path() {
        return new PatchTarget(null);
    }

    /**
     * The target named {@code id}; an unknown one is an {@link IllegalArgumentException} naming it and the known ones.
     *
     * @param id a site's id or {@value #PATH}
     * @return the target
     */
    public static PatchTarget fromId(String id) {
        if (PATH.equals(id)) {
            return path();
        }
        if (!PatchSite.ids().contains(id)) {
            throw new IllegalArgumentException("'" + id + "' is not one of " + String.join(", ", ids()));
        }
        return new PatchTarget(PatchSite.fromId(id));
    }

    /**
     * Whether this is path patching.
     *
     * @return true for path patching
     */
    public boolean isPath() {
        return site == null;
    }

    /**
     * The name, as {@code what} takes it.
     *
     * @return the site's id or {@value #PATH}
     */
    public String id() {
        return isPath() ? PATH : site.id();
    }

    /**
     * Whether the sweep's columns are positions (else heads).
     *
     * @return true when the columns are positions
     */
    public boolean byPosition() {
        return !isPath() && site.byPosition();
    }

    /**
     * Every name {@code what} takes: the sites' ids, in declaration order, then {@value #PATH}.
     *
     * @return the names
     */
    public static List<String> ids() {
        List<String> ids = new ArrayList<>(PatchSite.ids());
        ids.add(PATH);
        return ids;
    }
}
