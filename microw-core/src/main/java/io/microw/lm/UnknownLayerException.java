package io.microw.lm;

import io.microw.MicrowException;

/** A layer name or alias that the model does not have; the message lists the closest valid names. */
public class UnknownLayerException extends MicrowException {

    public UnknownLayerException(String message) {
        super(message);
    }
}
