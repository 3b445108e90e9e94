package io.microw.cli;

import io.microw.analysis.PathPatching;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an attention head written {@code LAYER.HEAD} ({@code 3.2}: block 3, head 2), as {@code microw patch --receiver}
 * takes it; the model checks the range.
 */
final class HeadConverter implements ITypeConverter<PathPatching.Head> {

    private static final Pattern HEAD = Pattern.compile("(\\d{1,6})\\.(\\d{1,6})");

    @Override
    public PathPatching.Head convert(String value) {
        Matcher m = HEAD.matcher(value.strip());
        if (!m.matches()) {
            throw new TypeConversionException("'" + value + "' is not a head: write LAYER.HEAD, e.g. 3.2 for block 3, "
                    + "head 2");
        }
        return new PathPatching.Head(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }
}
