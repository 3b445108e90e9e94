package io.microw.cli;

import io.microw.analysis.PathPatching;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Reads {@code microw patch --channel} ({@code q}, {@code k} or {@code v}, either case) as a path's channel. */
final class ChannelConverter implements ITypeConverter<PathPatching.Channel> {

    @Override
    public PathPatching.Channel convert(String value) {
        for (PathPatching.Channel c : PathPatching.Channel.values()) {
            if (c.name().equalsIgnoreCase(value.strip())) {
                return c;
            }
        }
        throw new TypeConversionException("'" + value + "' is not one of " + names());
    }

    private static String names() {
        return Arrays.stream(PathPatching.Channel.values()).map(c -> c.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
    }
}
