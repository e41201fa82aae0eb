package io.clawgress.tproxy.flow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Flow ids: a per-run prefix and a counter, {@code xxxxxxxx-xxxxxxxxxxxxxxxx} in lower-case hex. */
class FlowIdsTest {

    private static final String FORMAT = "[0-9a-f]{8}-[0-9a-f]{16}";

    static Stream<Arguments> prefixes() {
        return Stream.of(
                Arguments.of(0x9f3a0c12, "9f3a0c12-"),
                Arguments.of(0x1b, "0000001b-"),
                Arguments.of(0, "00000000-"),
                Arguments.of(-1, "ffffffff-"),
                Arguments.of(Integer.MAX_VALUE, "7fffffff-"));
    }

    @ParameterizedTest
    @MethodSource("prefixes")
    void thePrefixIsTheRunsNumberInEightHexDigits(int prefix, String expected) {
        FlowIds ids = new FlowIds(prefix);
        assertThat(ids.next()).isEqualTo(expected + "0000000000000001");
        assertThat(ids.next()).isEqualTo(expected + "0000000000000002");
    }

    @Test
    void theCounterCountsInHex() {
        FlowIds ids = new FlowIds(0x9f3a0c12);
        String last = null;
        for (int i = 0; i < 0x1b; i++) {
            last = ids.next();
        }
        assertThat(last).isEqualTo("9f3a0c12-000000000000001b");
    }

    @Test
    void aRandomPrefixStaysTheSameForTheWholeRun() {
        FlowIds ids = new FlowIds();
        String first = ids.next();
        assertThat(first).matches(FORMAT).endsWith("-0000000000000001");
        String prefix = first.substring(0, 9);
        assertThat(IntStream.range(0, 1_000).mapToObj(i -> ids.next()))
                .allSatisfy(id -> assertThat(id).matches(FORMAT).startsWith(prefix));
    }

    @Test
    void idsAreUniqueAcrossThreads() {
        FlowIds ids = new FlowIds(1);
        Set<String> seen = new HashSet<>();
        IntStream.range(0, 10_000).parallel().mapToObj(i -> ids.next()).toList().forEach(seen::add);
        assertThat(seen).hasSize(10_000);
        assertThat(seen).contains("00000001-0000000000002710");
    }
}
