package io.microw.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What a process listens on, read from Linux's /proc: the tests' check that Spark binds to loopback only. */
final class ListeningSockets {

    private ListeningSockets() {
    }

    /**
     * The local addresses of a process's listening TCP sockets, from /proc (IPv4-mapped IPv6 as IPv4).
     *
     * @param pid the process (this JVM or one it started)
     * @return one address per listening socket
     */
    static List<String> of(long pid) {
        try {
            return read(Path.of("/proc", Long.toString(pid)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> read(Path proc) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(proc.resolve("fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException gone) {
                    // a descriptor closed while listing
                }
            }
        }
        List<String> addresses = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6")) {
            Path file = proc.resolve("net").resolve(table);
            if (!Files.exists(file)) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) {
                    addresses.add(decode(f[1].substring(0, f[1].indexOf(':'))));
                }
            }
        }
        return addresses;
    }

    private static String decode(String hex) {
        String v4 = hex.length() == 32 && hex.startsWith("0000000000000000FFFF0000") ? hex.substring(24) : hex;
        if (v4.length() != 8) {
            return "[" + hex + "]";
        }
        StringBuilder ip = new StringBuilder();
        for (int i = 3; i >= 0; i--) {
            ip.append(Integer.parseInt(v4.substring(2 * i, 2 * i + 2), 16)).append(i > 0 ? "." : "");
        }
        return ip.toString();
    }
}
