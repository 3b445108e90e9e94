package io.microw.cli;

import io.microw.analysis.PatchSite;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code microw patch --what} as a {@link PatchSite}; an unknown value is refused naming the accepted ones. */
final class PatchSiteConverter implements ITypeConverter<PatchSite> {

    @Override
    public PatchSite convert(String value) {
        try {
            return PatchSite.fromId(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException("'" + value + "' is not one of " + String.join(", ", PatchSite.ids()));
        }
    }
}
