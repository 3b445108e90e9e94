package io.microw.models;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The architecture families microw knows, looked up by {@code model_type}. */
public final class ModelFamilies {

    private static final List<ModelFamily> FAMILIES = List.of(new Gpt2(), new Llama(), new Gemma(), new GptNeoX(), new Bert());

    private ModelFamilies() {
    }

    /**
     * The family building {@code modelType}; an unknown type is an error listing the supported ones.
     *
     * @param modelType a {@code model_type} from config.json
     * @return the family that builds it
     * @throws ModelLoadException for an unknown model type
     */
    public static ModelFamily forModelType(String modelType) {
        for (ModelFamily f : FAMILIES) {
            if (f.modelTypes().contains(modelType)) {
                return f;
            }
        }
        throw new ModelLoadException("unknown model_type '" + modelType + "'; supported: " + supported().keySet());
    }

    /**
     * model_type to family, for listings.
     *
     * @return every supported model type and its family, sorted by type
     */
    public static Map<String, ModelFamily> supported() {
        Map<String, ModelFamily> all = new TreeMap<>();
        for (ModelFamily f : FAMILIES) {
            f.modelTypes().forEach(t -> all.put(t, f));
        }
        return all;
    }
}
