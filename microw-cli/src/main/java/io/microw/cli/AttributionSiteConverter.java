package io.microw.cli;

import io.microw.analysis.PatchSite;
import io.microw.frontend.AttributionJobSpec;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Iterator;

/**
 * Reads {@code microw attribute --method atp --what}: a patching site that attribution patching estimates
 * ({@link AttributionJobSpec#site}); another is refused naming the accepted ones.
 */
final class AttributionSiteConverter implements ITypeConverter<PatchSite> {

    @Override
    public PatchSite convert(String value) {
        try {
            return AttributionJobSpec.site(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** The names, as picocli's {@code completionCandidates}. */
    static final class Ids implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return AttributionJobSpec.ids().iterator();
        }
    }
}
