package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * libtorch's own log level, for a command that runs without the stderr filter of {@link EngineRelaunch} (the user
 * exported microw's engine variables, or opted out with {@code MICROW_OMP_DEFAULT=0}): c10, libtorch's base library,
 * writes its warnings ({@code Warning: AutoNonVariableTypeMode is deprecated ...}) to the native stderr when a message's
 * level reaches the globals {@code FLAGS_caffe2_log_level} and {@code FLAGS_minloglevel} of {@code libc10.so}, which
 * nothing in DJL sets and no environment variable reaches in a libtorch without Python. Setting both to error level
 * through JNA keeps errors and leaves out warnings and infos. Where the library or a symbol is missing (another
 * libtorch build), nothing changes.
 */
final class EngineLogLevel {

    private static final Logger LOG = LoggerFactory.getLogger(EngineLogLevel.class);
    /** c10's level numbers: 0 info, 1 warning, 2 error, 3 fatal. */
    static final int ERROR = 2;
    private static final String[] FLAGS = {"FLAGS_caffe2_log_level", "FLAGS_minloglevel"};

    private EngineLogLevel() {
    }

    /**
     * Loads libtorch (as the command would) and raises c10's log level to errors only.
     *
     * @return whether both flags were set
     */
    static boolean errorsOnly() {
        try {
            Engine.getEngine("PyTorch");
            NativeLibrary c10 = c10();
            for (String flag : FLAGS) {
                Pointer address = c10.getGlobalVariableAddress(flag);
                address.setInt(0, ERROR);
            }
            return true;
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("libtorch's log level stays as it is: {}", e.toString());
            return false;
        }
    }

    /**
     * c10's current level, the lower of its two flags (what a message must reach to be written); libtorch must be
     * loaded.
     *
     * @return the level, or -1 when the flags cannot be read
     */
    static int current() {
        try {
            NativeLibrary c10 = c10();
            int level = Integer.MAX_VALUE;
            for (String flag : FLAGS) {
                level = Math.min(level, c10.getGlobalVariableAddress(flag).getInt(0));
            }
            return level;
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** libtorch's {@code libc10.so}, the one DJL loaded (libtorch must be loaded already). */
    private static NativeLibrary c10() {
        return NativeLibrary.getInstance(Path.of(LibUtils.getLibtorchPath(), "libc10.so").toString());
    }
}
