package io.microw.cli;

import io.microw.analysis.PatchSite;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code microw patch --what} as a {@link PatchTarget}; an unknown value is refused naming the accepted ones. */
final class PatchTargetConverter implements ITypeConverter<PatchTarget> {

    @Override
    public PatchTarget convert(String value) {
        if (PatchTarget.PATH.equals(value)) {
            return PatchTarget.path();
        }
        try {
            return new PatchTarget(PatchSite.fromId(value));
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException("'" + value + "' is not one of " + String.join(", ", PatchTarget.ids()));
        }
    }
}
