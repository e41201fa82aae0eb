package io.clawgress.testing.peer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PatternStreamTest {

    @Test
    void sameSeedGivesSameBytesHoweverReadsAreSplit() {
        int n = 4 * PatternStream.CHUNK + 12_345;
        byte[] whole = new byte[n];
        new PatternStream(42).next(whole, 0, n);

        byte[] pieces = new byte[n];
        PatternStream p = new PatternStream(42);
        int off = 0;
        for (int len : new int[] {1, 7, 8, 65_535, 65_537, 3, 100_000}) {
            p.next(pieces, off, len);
            off += len;
        }
        p.next(pieces, off, n - off);
        assertThat(pieces).isEqualTo(whole);

        byte[] other = new byte[n];
        new PatternStream(43).next(other, 0, n);
        assertThat(Arrays.equals(other, whole)).isFalse();
    }

    @Test
    void eventsAreOneLineOfValidJson() {
        Map<String, Object> e = Events.event("x");
        e.put("text", "a\"b\\c\nd\u0001");
        e.put("n", 5L);
        e.put("ok", true);
        e.put("nothing", null);
        e.put("nested", Map.of("k", "v"));
        assertThat(Events.toJson(e)).isEqualTo(
                "{\"event\":\"x\",\"text\":\"a\\\"b\\\\c\\nd\\u0001\",\"n\":5,\"ok\":true,\"nothing\":null,"
                        + "\"nested\":{\"k\":\"v\"}}");
    }

    @Test
    void byteCountsTakeBinarySuffixes() {
        Args a = Args.parse("t", List.of("--a", "8M", "--b", "8MiB", "--c", "1g", "--d", "123", "--e", "4kB"));
        assertThat(a.bytes("a", 0)).isEqualTo(8L << 20);
        assertThat(a.bytes("b", 0)).isEqualTo(8L << 20);
        assertThat(a.bytes("c", 0)).isEqualTo(1L << 30);
        assertThat(a.bytes("d", 0)).isEqualTo(123);
        assertThat(a.bytes("e", 0)).isEqualTo(4096);
        assertThat(a.bytes("missing", 7)).isEqualTo(7);
        assertThatThrownBy(() -> Args.parse("t", List.of("--x", "-5")).bytes("x", 0))
                .hasMessageContaining("expected: a byte count");
    }
}
