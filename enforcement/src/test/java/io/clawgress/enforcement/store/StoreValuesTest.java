package io.clawgress.enforcement.store;

import static io.clawgress.enforcement.store.StoreFixture.KID;
import static io.clawgress.enforcement.store.StoreFixture.SOURCE;
import static io.clawgress.enforcement.store.StoreFixture.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StoreValuesTest {

    private static final byte[] BYTES = "bundle".getBytes(StandardCharsets.US_ASCII);
    private static final String SHA = StoredBundle.sha256Hex(BYTES);

    static Stream<Arguments> invalidSettings() {
        return Stream.of(
                Arguments.of(1024L * 1023, 5, 1000, "mapSizeBytes: 1047552 (expected: >= 1048576 and <= "),
                Arguments.of(1L << 40, 5, 1000, "mapSizeBytes: 1099511627776 (expected: >= 1048576 and <= "),
                Arguments.of(StoreSettings.MIB, 0, 1000, "generations: 0 (expected: >= 1 and <= 1000)"),
                Arguments.of(StoreSettings.MIB, 1001, 1000, "generations: 1001 (expected: >= 1 and <= 1000)"),
                Arguments.of(StoreSettings.MIB, 5, 0, "maxHistory: 0 (expected: >= 1 and <= 1000000)"));
    }

    @ParameterizedTest
    @MethodSource("invalidSettings")
    void settingsSayWhatWasExpected(long mapSize, int generations, int maxHistory, String message) {
        assertThatThrownBy(() -> new StoreSettings(mapSize, generations, maxHistory))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void defaults() {
        assertThat(StoreSettings.DEFAULTS).isEqualTo(new StoreSettings(256 * StoreSettings.MIB, 5, 1000));
        assertThat(new StoreSettings(StoreSettings.MIB, 1, 1).generations()).isEqualTo(1);
    }

    @Test
    void bundleDigestMustMatchItsBytes() {
        String other = StoredBundle.sha256Hex(new byte[] {1});
        assertThatThrownBy(() -> new StoredBundle(1, BYTES, other, KID, SOURCE, T0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sha256: " + other + " (expected: " + SHA + ", the SHA-256 of the 6 bytes)");
        assertThatThrownBy(() -> new StoredBundle(1, BYTES, SHA.toUpperCase(), KID, SOURCE, T0))
                .hasMessageContaining("(expected: 64 lower-case hex digits)");
    }

    @Test
    void bundleFieldsAreChecked() {
        assertThatThrownBy(() -> new StoredBundle(0, BYTES, SHA, KID, SOURCE, T0))
                .hasMessage("revision: 0 (expected: >= 1)");
        assertThatThrownBy(() -> StoredBundle.of(1, new byte[0], KID, SOURCE, T0))
                .hasMessage("bytes: empty (expected: a signed bundle)");
        assertThatThrownBy(() -> new StoredBundle(1, BYTES, SHA, " ", SOURCE, T0))
                .hasMessage("kid: 1 chars, blank (expected: non-blank, <= 1024 chars)");
        assertThatThrownBy(() -> new StoredBundle(1, BYTES, SHA, KID, null, T0))
                .isInstanceOf(NullPointerException.class).hasMessage("source");
    }

    @Test
    void bundleEqualityFollowsTheContent() {
        assertThat(StoredBundle.of(3, BYTES, KID, SOURCE, T0))
                .isEqualTo(StoredBundle.of(3, BYTES.clone(), KID, SOURCE, T0))
                .isNotEqualTo(StoredBundle.of(3, new byte[] {1}, KID, SOURCE, T0))
                .hasToString("StoredBundle[revision=3, bytes=6, sha256=" + SHA + ", kid=" + KID + ", source=" + SOURCE
                        + ", activatedAt=" + T0 + "]");
    }

    @Test
    void historyEntryFieldsAreChecked() {
        assertThatThrownBy(() -> new HistoryEntry(T0, SOURCE, null, -1, "activated", null, null))
                .hasMessage("revision: -1 (expected: >= 0, 0 when unknown)");
        assertThatThrownBy(() -> new HistoryEntry(T0, SOURCE, null, 0, "Rolled-Back", null, null))
                .hasMessage("result: 'Rolled-Back' (expected: lower-case snake case like rolled_back, <= 64 chars)");
        assertThatThrownBy(() -> new HistoryEntry(T0, SOURCE, null, 0, "rejected", "BAD SIG", null))
                .hasMessageStartingWith("reasonCode: 'BAD SIG' (expected: ");
        assertThatThrownBy(() -> new HistoryEntry(T0, SOURCE, null, 0, "rejected", null, "x".repeat(4097)))
                .hasMessage("message: 4097 chars (expected: non-blank, <= 4096 chars)");
        assertThatThrownBy(() -> new HistoryEntry(null, SOURCE, null, 0, "rejected", null, null))
                .isInstanceOf(NullPointerException.class).hasMessage("at");
        assertThat(new HistoryEntry(T0, SOURCE, null, 0, "rejected", "bad_signature", "kid ops-x: no such key").kid())
                .isNull();
    }

    @Test
    void reasonCodes() {
        assertThat(new StoreException(StoreException.Reason.MAP_FULL, "x"))
                .hasMessage("map_full: x")
                .extracting(StoreException::reason).isEqualTo(StoreException.Reason.MAP_FULL);
    }
}
