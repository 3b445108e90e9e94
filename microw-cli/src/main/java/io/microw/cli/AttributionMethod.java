package io.microw.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/** What {@code microw attribute --method} names: attribution patching, integrated gradients or saliency. */
enum AttributionMethod {
    /** Attribution patching: every patching cell estimated from one forward-backward pair. */
    ATP("atp", "attribution patching"),
    /** Integrated gradients over the clean prompt's token embeddings. */
    IG("ig", "integrated gradients"),
    /** Gradient × input over the clean prompt's token embeddings. */
    SALIENCY("saliency", "gradient x input saliency");

    private final String id;
    private final String title;

    AttributionMethod(String id, String title) {
        this.id = id;
        this.title = title;
    }

    /** The name, as {@code --method} takes it. */
    String id() {
        return id;
    }

    /** The method's name in words, for headers and plot titles. */
    String title() {
        return title;
    }

    /** Every name {@code --method} takes, in declaration order. */
    static List<String> ids() {
        return Arrays.stream(values()).map(AttributionMethod::id).toList();
    }

    /** The method named {@code id}; an unknown name is refused naming the accepted ones. */
    static AttributionMethod fromId(String id) {
        for (AttributionMethod m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("'" + id + "' is not one of " + String.join(", ", ids()));
    }

    /** The names, as picocli's {@code completionCandidates}. */
    static final class Ids implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ids().iterator();
        }
    }

    /** Reads {@code --method}; an unknown value is refused naming the accepted ones. */
    static final class Converter implements ITypeConverter<AttributionMethod> {
        @Override
        public AttributionMethod convert(String value) {
            try {
                return fromId(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
