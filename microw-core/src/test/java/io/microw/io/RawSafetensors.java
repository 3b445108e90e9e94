package io.microw.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, without SafetensorsWriter, for reader tests. */
final class RawSafetensors {

    private RawSafetensors() {
    }

    /** Writes the 8-byte little-endian header length, the header text unpadded, then the data bytes. */
    static Path write(Path file, String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return writeWithLength(file, json.length, json, data);
    }

    /** Like {@link #write} but with an arbitrary (possibly lying) header length prefix. */
    static Path writeWithLength(Path file, long headerLength, byte[] json, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(json).put(data);
        return Files.write(file, b.array());
    }

    static byte[] floatsLE(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
