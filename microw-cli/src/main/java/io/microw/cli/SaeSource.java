package io.microw.cli;

import io.microw.sae.PretrainedSaeInfo;
import io.microw.sae.Sae;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code --sae} names: an SAE folder ({@code DIR}), or a published SAE by release ({@code RELEASE:ID}, e.g.
 * {@code brown-gpt2-res:blocks.2.hook_resid_post} or
 * {@code gemma-scope-2b-pt-res-canonical:layer_12/width_16k/canonical}).
 * Text that names an existing file or folder is always a folder; otherwise text whose part before the first ':'
 * has no '/' is a release and id.
 *
 * @param dir     the folder, or null for a release
 * @param release the release, or null for a folder
 * @param saeId   the SAE's id in the release, or null for a folder
 */
record SaeSource(Path dir, String release, String saeId) {

    /** Parses the text of {@code --sae}. */
    static SaeSource parse(String value) {
        if (value == null || value.isBlank()) {
            throw new TypeConversionException("--sae needs a folder or RELEASE:ID, got an empty value");
        }
        int colon = value.indexOf(':');
        boolean exists = Files.exists(Path.of(value));
        if (!exists && colon > 0 && value.substring(0, colon).indexOf('/') < 0
                && value.substring(0, colon).indexOf('\\') < 0) {
            String id = value.substring(colon + 1);
            if (id.isBlank()) {
                throw new TypeConversionException("'" + value + "' names release '" + value.substring(0, colon)
                        + "' but no SAE id; write RELEASE:ID (`microw sae list-releases` lists them)");
            }
            return new SaeSource(null, value.substring(0, colon), id);
        }
        return new SaeSource(Path.of(value), null, null);
    }

    /** Whether this names a release and id rather than a folder. */
    boolean isRelease() {
        return release != null;
    }

    /** The folder the SAE's files were read from: the given one, or where a release's files were put. */
    Path folder(Sae sae) {
        return isRelease() ? sae.pretrained().map(PretrainedSaeInfo::folder).orElseThrow() : dir;
    }

    @Override
    public String toString() {
        return isRelease() ? release + ":" + saeId : dir.toString();
    }

    /** picocli's converter for every {@code --sae} option. */
    static final class Converter implements ITypeConverter<SaeSource> {
        @Override
        public SaeSource convert(String value) {
            return parse(value);
        }
    }
}
