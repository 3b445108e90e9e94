/**
 * microw's library: load a Hugging Face model, hook any named layer while it runs, save activations, train and load
 * sparse autoencoders, find what their latents mean, and steer the model. The exported packages are its API; the
 * packages it does not export ({@code io.microw.nn.internal}: the forward machinery; {@code io.microw.io.onnx}: the
 * ONNX reader behind {@code models.OnnxBertImporter}) are internals that may change without notice. ARCHITECTURE.md
 * at the repository root describes the layers; {@code microw-architecture}'s tests enforce them.
 */
module io.microw.core {
    requires transitive ai.djl.api;
    requires ai.djl.pytorch_engine;
    requires ai.djl.tokenizers;
    requires com.sun.jna;
    requires transitive com.fasterxml.jackson.databind;
    requires org.yaml.snakeyaml;
    requires org.slf4j;
    requires java.net.http;
    requires java.sql;

    exports io.microw;
    exports io.microw.analysis;
    exports io.microw.concepts;
    exports io.microw.data;
    exports io.microw.eval;
    exports io.microw.hooks;
    exports io.microw.io;
    exports io.microw.io.hub;
    exports io.microw.lm;
    exports io.microw.models;
    exports io.microw.nn;
    exports io.microw.sae;
    exports io.microw.sae.train;
    exports io.microw.steering;
    exports io.microw.store;
    exports io.microw.tokenizer;
    exports io.microw.util;
}
