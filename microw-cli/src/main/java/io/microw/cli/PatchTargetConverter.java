package io.microw.cli;

import io.microw.frontend.PatchTarget;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Iterator;

/** Reads {@code microw patch --what} as a {@link PatchTarget}; an unknown value is refused naming the accepted ones. */
final class PatchTargetConverter implements ITypeConverter<PatchTarget> {

    @Override
    public PatchTarget convert(String value) {
        try {
            return PatchTarget.fromId(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** The names, as picocli's {@code completionCandidates} (which {@code ${COMPLETION-CANDIDATES}} lists in help). */
    static final class Ids implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return PatchTarget.ids().iterator();
        }
    }
}
