package io.microw.nn.internal;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;

/**
 * Memory mapped straight from the kernel ({@code mmap} of anonymous pages) and given back with {@code munmap} when
 * closed, for large buffers that live for one piece of work. Taken from malloc instead, such buffers stay in the
 * process after they are freed: glibc keeps the freed pages in the arena of the thread that freed them (a server
 * whose requests run on several threads grew 107–277 MB over 60 rounds of generations), and each large free raises
 * its mmap threshold, so that later allocations of that size land in those arenas too. Linux only.
 */
final class AnonymousMemory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AnonymousMemory.class);
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final Function MMAP = libc("mmap");
    private static final Function MUNMAP = libc("munmap");

    private final Pointer address;
    private final long bytes;
    private boolean closed;

    private AnonymousMemory(Pointer address, long bytes) {
        this.address = address;
        this.bytes = bytes;
    }

    /**
     * Whether this platform can map anonymous memory (Linux, with libc's entry points found).
     *
     * @return true when {@link #map} can be called
     */
    static boolean available() {
        return MMAP != null && MUNMAP != null;
    }

    /**
     * Maps {@code bytes} of zeroed memory, readable and writable (pages become resident when first touched).
     *
     * @param bytes the size, from 1 byte to 2 GiB − 1 (what one direct buffer can hold)
     * @return the mapping, to close when done
     * @throws IllegalArgumentException when {@code bytes} is not in that range
     * @throws IllegalStateException    when the mapping is not available or the kernel refuses it (out of memory)
     */
    static AnonymousMemory map(long bytes) {
        if (bytes < 1 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot map " + bytes + " bytes: from 1 to " + Integer.MAX_VALUE
                    + " (one direct buffer) expected");
        }
        if (!available()) {
            throw new IllegalStateException("anonymous memory is not available on " + Platform.getOSType() + "; "
                    + "check available() first");
        }
        Pointer p = (Pointer) MMAP.invoke(Pointer.class,
                new Object[] {Pointer.NULL, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L});
        if (p == null || Pointer.nativeValue(p) == -1L) {
            throw new IllegalStateException("could not map " + bytes + " bytes of memory (mmap failed: out of "
                    + "memory or address space?)");
        }
        return new AnonymousMemory(p, bytes);
    }

    /**
     * The memory as a direct buffer (valid until {@link #close}).
     *
     * @return a buffer over the whole mapping
     */
    ByteBuffer buffer() {
        if (closed) {
            throw new IllegalStateException("the mapping of " + bytes + " bytes is closed");
        }
        return address.getByteBuffer(0, bytes);
    }

    /** Gives the memory back; buffers over it must not be used after this. Closing twice does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        int result = MUNMAP.invokeInt(new Object[] {address, bytes});
        if (result != 0) {
            LOG.warn("munmap of {} bytes failed ({}); the memory stays mapped", bytes, result);
        }
    }

    private static Function libc(String name) {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction(name);
        } catch (UnsatisfiedLinkError e) {
            LOG.debug("libc has no {}: {}", name, e.toString());
            return null;
        }
    }
}
