package io.microw.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --scale LAYER=FACTOR}: multiply a layer's output by a factor. */
record LayerScale(String layer, float factor) {

    /** Parses {@code LAYER=FACTOR}; the layer may itself contain '=' only before the last one. */
    static LayerScale parse(String value) {
        int eq = value.lastIndexOf('=');
        if (eq <= 0 || eq == value.length() - 1) {
            throw new TypeConversionException("'" + value + "' is not LAYER=FACTOR (for example transformer.h.2.mlp=3)");
        }
        String layer = value.substring(0, eq).strip();
        String number = value.substring(eq + 1).strip();
        float factor;
        try {
            factor = Float.parseFloat(number);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + number + "' in '" + value + "' is not a number (LAYER=FACTOR)");
        }
        if (!Float.isFinite(factor)) {
            throw new TypeConversionException("the factor in '" + value + "' must be a finite number");
        }
        return new LayerScale(layer, factor);
    }

    /** picocli's converter for {@code --scale}. */
    static final class Converter implements ITypeConverter<LayerScale> {
        @Override
        public LayerScale convert(String value) {
            return parse(value);
        }
    }

    @Override
    public String toString() {
        return layer + "=" + CliText.number(factor);
    }
}
