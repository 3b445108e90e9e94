package io.microw.models;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A family's variants keyed by {@code model_type}: the one place a model type string is compared. An unknown type
 * is an error naming it and the known ones.
 *
 * @param <V> the family's variant row
 */
final class VariantTable<V> {

    private final String family;
    private final Map<String, V> rows = new LinkedHashMap<>();

    VariantTable(String family, List<V> rows, Function<V, String> modelType) {
        this.family = family;
        for (V row : rows) {
            if (this.rows.put(modelType.apply(row), row) != null) {
                throw new IllegalArgumentException(family + ": model_type '" + modelType.apply(row) + "' listed twice");
            }
        }
    }

    /** The model types in table order. */
    Set<String> modelTypes() {
        return Collections.unmodifiableSet(rows.keySet());
    }

    /** The row for {@code modelType}; {@code source} names the config in the error. */
    V get(String source, String modelType) {
        V row = rows.get(modelType);
        if (row == null) {
            throw new ModelLoadException(source + ": model_type '" + modelType + "' is not a " + family
                    + " variant; expected one of " + rows.keySet());
        }
        return row;
    }
}
