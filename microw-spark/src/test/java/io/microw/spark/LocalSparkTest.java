package io.microw.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalSparkTest {

    @Test
    void everySocketTheSessionListensOnIsLoopback() throws IOException {
        SparkSession spark = TestSpark.session();
        assertThat(spark.range(100).count()).isEqualTo(100);
        assertThat(spark.conf().get("spark.driver.host")).isEqualTo("127.0.0.1");
        assertThat(spark.conf().get("spark.ui.enabled")).isEqualTo("false");

        List<String> listening = listeningAddresses();
        assertThat(listening).as("this JVM listens (the driver's RPC and block manager)").isNotEmpty();
        assertThat(listening).allSatisfy(a -> assertThat(a).isEqualTo("127.0.0.1"));
    }

    @Test
    void refusesAMasterThatIsNotLocal() {
        assertThatThrownBy(() -> LocalSpark.builder("spark://10.0.0.1:7077", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spark://10.0.0.1:7077").hasMessageContaining("local[N]");
    }

    /** The local addresses of this process's listening TCP sockets, from /proc (IPv4-mapped IPv6 as IPv4). */
    private static List<String> listeningAddresses() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
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
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            Path file = Path.of(table);
            if (!Files.exists(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file).subList(1, Files.readAllLines(file).size())) {
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
