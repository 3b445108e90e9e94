package io.microw.cli;

import ai.djl.engine.Engine;
import com.sun.jna.NativeLibrary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads libtorch and prints the code path its MKL picks ({@code mkl_serv_cpu_detect()}, which asks
 * {@code mkl_serv_intel_cpu_true()} the way every MKL call does, so a preloaded definition is the one it reaches).
 * Run by {@link MklDispatchShimTest} in a JVM of its own.
 */
public final class MklDispatchProbe {

    private MklDispatchProbe() {
    }

    public static void main(String[] args) throws IOException {
        Engine.getEngine("PyTorch");
        String libtorch = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(l -> l.endsWith("/libtorch_cpu.so")).map(l -> l.substring(l.indexOf('/')))
                .findFirst().orElseThrow(() -> new IllegalStateException("libtorch_cpu.so is not loaded"));
        NativeLibrary torch = NativeLibrary.getInstance(libtorch);
        System.out.println("mkl_serv_cpu_detect=" + torch.getFunction("mkl_serv_cpu_detect").invokeInt(new Object[0]));
    }
}
