package io.microw.cli;

import io.microw.analysis.PathPatching;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;


/** Reads {@code microw patch --channel} ({@code q}, {@code k} or {@code v}, either case) as a path's channel. */
final class ChannelConverter implements ITypeConverter<PathPatching.Channel> {

    @Override
    public PathPatching.Channel convert(String value) {
        try {
            return PathPatching.Channel.fromId(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException("'" + value + "' is not one of "
                    + String.join(", ", PathPatching.Channel.ids()));
        }
    }
}
