package io.microw.lm;

import io.microw.MicrowException;

/** A layer name or alias that the model does not have; the message lists the closest valid names. */
public class UnknownLayerException extends MicrowException {

    /**
     * An unknown layer.
     *
     * @param message names the layer and the closest valid names
     */
    public UnknownLayerException(String message) {
        super(message);
    }
}
