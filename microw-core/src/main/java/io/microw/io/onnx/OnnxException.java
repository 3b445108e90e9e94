package io.microw.io.onnx;

import io.microw.MicrowException;

import java.nio.file.Path;

/** An ONNX file could not be read or used: truncated or corrupt protobuf, unsupported tensor layout, odd graph. */
public class OnnxException extends MicrowException {

    public OnnxException(Path file, String what) {
        super("ONNX file " + file + ": " + what);
    }

    public OnnxException(Path file, String what, Throwable cause) {
        super("ONNX file " + file + ": " + what, cause);
    }
}
