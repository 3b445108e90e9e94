package io.microw.cli;

import io.microw.analysis.PatchSite;
import io.microw.analysis.PathPatching;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * What {@code microw patch --what} names: an activation patching site ({@link PatchSite}, by its id) or path patching
 * ({@value #PATH}, {@link PathPatching}).
 *
 * @param site the site, or null for path patching
 */
record PatchTarget(PatchSite site) {

    /** The name of path patching. */
    static final String PATH = "path";

    /** Path patching. */
    static PatchTarget path() {
        return new PatchTarget(null);
    }

    /** Whether this is path patching. */
    boolean isPath() {
        return site == null;
    }

    /** The name, as {@code --what} takes it. */
    String id() {
        return isPath() ? PATH : site.id();
    }

    /** Whether the table's columns are positions (else heads). */
    boolean byPosition() {
        return !isPath() && site.byPosition();
    }

    /** Every name {@code --what} takes: the sites' ids, in declaration order, then {@value #PATH}. */
    static List<String> ids() {
        List<String> ids = new ArrayList<>(PatchSite.ids());
        ids.add(PATH);
        return ids;
    }

    /** The names, as picocli's {@code completionCandidates} (which {@code ${COMPLETION-CANDIDATES}} lists in help). */
    static final class Ids implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ids().iterator();
        }
    }
}
