package io.microw.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * microw's one Jackson {@link ObjectMapper}, shared by every module: Jackson's defaults (compact output, unknown
 * properties fail when binding to a class). A reader or writer that needs another setting derives it from this
 * mapper ({@code mapper().reader().with(...)}, {@link #pretty()}, {@link #strict()}); the mapper itself is never
 * reconfigured.
 */
public final class JsonMapper {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();
    private static final ObjectReader STRICT = MAPPER.reader()
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonMapper() {
    }

    /**
     * The shared mapper; do not change its configuration.
     *
     * @return the mapper
     */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * A writer of indented JSON (files people read: configs, reports, exports).
     *
     * @return the writer
     */
    public static ObjectWriter pretty() {
        return PRETTY;
    }

    /**
     * A reader for files microw checks strictly: a key given twice, or anything after the document, is an error.
     *
     * @return the reader
     */
    public static ObjectReader strict() {
        return STRICT;
    }
}
