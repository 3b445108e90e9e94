package io.microw.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EngineLogFilterTest {

    /** What libtorch 2.7.1 (c10's logger, through DJL 0.36) printed once per process on this machine, shortened. */
    static final String WARNING = "[W1205 09:02:17.492538778 LegacyTypeDispatch.h:74] Warning: "
            + "AutoNonVariableTypeMode is deprecated and will be removed in 1.10 release. For kernel implementations "
            + "please use AutoDispatchBelowADInplaceOrView instead, ... (function operator())\n";

    @Test
    void engineWarningsAndInfosAreLeftOutAndEverythingElsePasses() throws IOException {
        String kept = "bench sae: small...\n"
                + "[E1205 09:01:02.123456789 Foo.cpp:7] a real engine error\n"
                + "[not a log line]\n"
                + "microw: error: --steps must be at least 2\n"
                + "\r[#####---------------]  25%  1/4 steps\r[##########----------]  50%  2/4 steps\n";
        String info = "[I105 23:59:59.000000001 Bar.cpp:1] info\n";
        String in = "bench sae: small...\n" + WARNING + "[E1205 09:01:02.123456789 Foo.cpp:7] a real engine error\n"
                + info + "[not a log line]\nmicrow: error: --steps must be at least 2\n"
                + "\r[#####---------------]  25%  1/4 steps\r[##########----------]  50%  2/4 steps\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int dropped = new EngineLogFilter(new ByteArrayInputStream(bytes(in)), out).copy();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(kept);
        assertThat(dropped).isEqualTo(2);
    }

    @Test
    void aProgressLineShowsBeforeItsLineEnds() throws IOException {
        Deque<byte[]> chunks = new ArrayDeque<>(List.of(bytes("\r[###--]  60%"), bytes("\r[####-]  80%"),
                bytes("\n[W1205 09:01:02.1 A.cpp:1] Warn"), bytes("ing: x\n")));
        InputStream in = new InputStream() {
            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                byte[] c = chunks.poll();
                if (c == null) {
                    return -1;
                }
                int n = Math.min(len, c.length);
                System.arraycopy(c, 0, b, off, n);
                if (n < c.length) {
                    chunks.addFirst(java.util.Arrays.copyOfRange(c, n, c.length));
                }
                return n;
            }
        };
        List<String> atFlush = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public void flush() {
                atFlush.add(toString(StandardCharsets.UTF_8));
            }
        };
        new EngineLogFilter(in, out).copy();
        assertThat(atFlush.get(0)).isEqualTo("\r[###--]  60%");
        assertThat(atFlush.get(1)).isEqualTo("\r[###--]  60%\r[####-]  80%");
        assertThat(atFlush.get(atFlush.size() - 1)).isEqualTo("\r[###--]  60%\r[####-]  80%\n");
    }

    @Test
    void anUnfinishedLastLineIsJudgedToo() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new EngineLogFilter(new ByteArrayInputStream(bytes("done\n" + WARNING.strip())), out).copy();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("done\n");
        out.reset();
        new EngineLogFilter(new ByteArrayInputStream(bytes("done\n[W")), out).copy();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("done\n[W");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
