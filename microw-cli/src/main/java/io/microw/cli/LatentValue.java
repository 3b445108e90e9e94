package io.microw.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code I=V}: an SAE latent index and a value (a scale, an addition, a clamp). */
record LatentValue(int latent, double value) {

    static LatentValue parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new TypeConversionException("'" + text + "' is not LATENT=VALUE (for example 12=4)");
        }
        int latent;
        double value;
        try {
            latent = Integer.parseInt(text.substring(0, eq).strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("latent '" + text.substring(0, eq) + "' in '" + text
                    + "' is not an index (LATENT=VALUE)");
        }
        try {
            value = Double.parseDouble(text.substring(eq + 1).strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("value '" + text.substring(eq + 1) + "' in '" + text
                    + "' is not a number (LATENT=VALUE)");
        }
        if (latent < 0) {
            throw new TypeConversionException("latent index in '" + text + "' must not be negative");
        }
        if (!Double.isFinite(value)) {
            throw new TypeConversionException("value in '" + text + "' must be a finite number");
        }
        return new LatentValue(latent, value);
    }

    static final class Converter implements ITypeConverter<LatentValue> {
        @Override
        public LatentValue convert(String value) {
            return parse(value);
        }
    }

    @Override
    public String toString() {
        return latent + "=" + CliText.number(value);
    }
}
