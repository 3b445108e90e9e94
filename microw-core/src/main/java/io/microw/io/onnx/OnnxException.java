package io.microw.io.onnx;

import io.microw.MicrowException;

import java.nio.file.Path;

/** An ONNX file could not be read or used: truncated or corrupt protobuf, unsupported tensor layout, odd graph. */
public class OnnxException extends MicrowException {

    /**
     * An error about one ONNX file; the message starts with the file's path.
     *
     * @param file the ONNX file
     * @param what what is wrong with it
     */
    public OnnxException(Path file, String what) {
        super("ONNX file " + file + ": " + what);
    }

    /**
     * An error about one ONNX file, caused by another exception.
     *
     * @param file  the ONNX file
     * @param what  what is wrong with it
     * @param cause the underlying exception
     */
    public OnnxException(Path file, String what, Throwable cause) {
        super("ONNX file " + file + ": " + what, cause);
    }
}
