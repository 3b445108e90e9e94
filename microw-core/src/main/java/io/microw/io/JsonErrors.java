package io.microw.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/** Short descriptions of Jackson parse errors for our error messages. */
final class JsonErrors {

    private JsonErrors() {
    }

    /** Jackson's message without its source dump, plus line and column when known. */
    static String describe(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 0
                ? e.getOriginalMessage()
                : e.getOriginalMessage() + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
