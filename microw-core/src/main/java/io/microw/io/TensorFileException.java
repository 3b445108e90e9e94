package io.microw.io;

import io.microw.MicrowException;

/** A numpy ({@code .npy}/{@code .npz}) or PyTorch ({@code torch.save}) file could not be read; the message says why. */
public class TensorFileException extends MicrowException {

    /**
     * An error with a message naming the file and what was expected.
     *
     * @param message the message
     */
    public TensorFileException(String message) {
        super(message);
    }

    /**
     * An error with a message and the failure that caused it.
     *
     * @param message the message
     * @param cause the underlying failure
     */
    public TensorFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
