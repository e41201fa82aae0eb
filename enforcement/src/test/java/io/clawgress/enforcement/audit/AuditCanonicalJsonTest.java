package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static io.clawgress.enforcement.audit.AuditFixture.JSON;
import static io.clawgress.enforcement.audit.AuditFixture.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The canonical form a record's hash covers: RFC 8785, checked against hand-written bytes. */
class AuditCanonicalJsonTest {

    private static String canonical(String json) throws Exception {
        return new String(CanonicalJson.bytes(JSON.readTree(json)), StandardCharsets.UTF_8);
    }

    /** RFC 8785 §3.2.2 / appendix: the specification's own example. */
    @Test
    void rfc8785Example() throws Exception {
        String input = """
                {
                  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                  "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
                  "literals": [null, true, false]
                }""";
        assertThat(canonical(input)).isEqualTo(
                "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                        + "\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    }

    /** RFC 8785 §3.2.3: names sort by UTF-16 code units (the emoji's high surrogate sorts before U+FB33). */
    @Test
    void rfc8785SortingExample() throws Exception {
        String input = """
                {"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh",
                 "1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control",
                 "\\u00f6":"Latin Small Letter O With Diaeresis"}""";
        assertThat(canonical(input)).isEqualTo("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
                + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
                + "\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}");
    }

    @Test
    void nestedObjectsSortAtEveryLevelAndWhitespaceGoes() throws Exception {
        assertThat(canonical("{ \"b\" : [ {\"z\":1, \"a\":2} ], \"a\" : { \"y\" : null , \"x\" : true } }"))
                .isEqualTo("{\"a\":{\"x\":true,\"y\":null},\"b\":[{\"a\":2,\"z\":1}]}");
    }

    @Test
    void controlCharactersEscapeShortOrLowerCaseHexAndNothingElseEscapes() throws Exception {
        assertThat(canonical("{\"s\":\"\\b\\f\\n\\r\\t\\u0000\\u001F\\u007f/<>&\\u2028é\"}"))
                .isEqualTo("{\"s\":\"\\b\\f\\n\\r\\t\\u0000\\u001f\u007f/<>&\u2028é\"}");
    }

    @Test
    void aLoneSurrogateIsEscapedAsJsonStringifyDoes() throws Exception {
        assertThat(canonical("{\"s\":\"a\\uDC00b\"}")).isEqualTo("{\"s\":\"a\\udc00b\"}");
    }

    /** ECMAScript Number::toString, as RFC 8785 §3.2.2.3 (and its test data, es6testfile) has it. */
    @ParameterizedTest
    @CsvSource({
            "0, 0", "-0.0, 0", "1, 1", "-1, -1", "12.345, 12.345", "0.001, 0.001", "1.0E7, 10000000",
            "12345678.9, 12345678.9", "100, 100", "1e21, 1e+21", "1e20, 100000000000000000000",
            "123456789012345680000, 123456789012345680000", "0.000001, 0.000001", "0.0000001, 1e-7",
            "1.5e-7, 1.5e-7", "9007199254740992, 9007199254740992", "9007199254740993, 9007199254740992",
            "5e-324, 5e-324", "1.7976931348623157e308, 1.7976931348623157e+308", "4.50, 4.5", "2e-3, 0.002",
            "333333333.33333329, 333333333.3333333", "1E30, 1e+30", "-1.5e-9, -1.5e-9", "2e-323, 2e-323",
            "295147905179352830000, 295147905179352830000", "1e23, 1e+23", "9.5e-322, 9.5e-322",
            "-9007199254740992, -9007199254740992", "-9223372036854775808, -9223372036854776000",
            "9223372036854775807, 9223372036854776000", "18446744073709551616, 18446744073709552000"
    })
    void numbersAsEcmaScriptWritesThem(String json, String expected) throws Exception {
        assertThat(canonical("[" + json + "]")).isEqualTo("[" + expected + "]");
    }

    @Test
    void nonFiniteNumbersAreRefused() {
        assertThatThrownBy(() -> CanonicalJson.number(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CanonicalJson.number(Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A whole flow record, sealed as seq 1. The expected canonical bytes are written out by hand; the expected hash
     * was computed outside Java: {@code printf '%s' '<those bytes>' | sha256sum}, and again with Python's
     * {@code json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False)}.
     */
    @Test
    void aSealedFlowRecordIsCanonicalAndHashesToTheHandComputedValue() throws Exception {
        FlowRecord r = new FlowRecord("f-1", T0.minusSeconds(1), new InetSocketAddress("198.18.1.2", 40000),
                new InetSocketAddress("2001:db8::1", 443),
                Optional.of(new Identity("research-bot", "research", null, null, null, AuthMethod.SUBNET, true)),
                "relay", "allowed by rule web: \"quoted\" é\ttab", "web", "static:abc", 100, 2000,
                Duration.ofNanos(12_345_999), Termination.COMPLETED, null,
                PeekFacts.tls("api.example.com", List.of("h2", "http/1.1"), false),
                new InetSocketAddress("2001:db8::1", 443));
        String withoutHash = "{\"alpn\":[\"h2\",\"http/1.1\"],\"bytes_down\":2000,\"bytes_up\":100,"
                + "\"dialled\":\"[2001:db8::1]:443\",\"duration_ms\":12.345,\"ech_offered\":false,\"flow_id\":\"f-1\","
                + "\"identity\":{\"agent_id\":\"research-bot\",\"auth\":\"subnet\",\"team_id\":\"research\"},"
                + "\"mode\":\"enforce\",\"original_destination\":\"[2001:db8::1]:443\",\"peek\":\"tls\",\"policy_revision\":\"static:abc\","
                + "\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\","
                + "\"reason\":\"allowed by rule web: \\\"quoted\\\" é\\ttab\",\"rule\":\"web\",\"seq\":1,"
                + "\"sni\":\"api.example.com\",\"source\":\"198.18.1.2:40000\",\"start\":\"2026-11-21T11:59:59Z\","
                + "\"termination\":\"completed\",\"time\":\"2026-11-21T12:00:00Z\",\"type\":\"flow\","
                + "\"verdict\":\"relay\",\"would_deny\":false,\"would_limit\":false}";
        String hash = "ae31815b8cfeffa7f734c8b8d2c15ccfc095509e08da13f58d1953f786c78b9a";

        ObjectNode body = AuditRecords.flow(r, T0);
        AuditRecords.Sealed sealed = new AuditRecords().seal(body, 1, AuditFields.ZERO_HASH);

        assertThat(new String(CanonicalJson.bytes(body), StandardCharsets.UTF_8)).isEqualTo(withoutHash);
        assertThat(sealed.hash()).isEqualTo(hash);
        String line = new String(sealed.line(), StandardCharsets.UTF_8);
        assertThat(line).isEqualTo(withoutHash.replace("\"identity\":", "\"hash\":\"" + hash + "\",\"identity\":")
                + "\n");
        // The spliced line is exactly the canonical form of the record with its hash.
        assertThat(line).isEqualTo(new String(CanonicalJson.bytes(JSON.readTree(line)), StandardCharsets.UTF_8)
                + "\n");
    }

    @Test
    void theHashGoesFirstWhenEveryOtherNameSortsAfterIt() {
        ObjectNode body = JSON.createObjectNode().put("type", "x").put("time", "t");
        AuditRecords.Sealed s = new AuditRecords().seal(body, 7, AuditFields.ZERO_HASH);
        String line = new String(s.line(), StandardCharsets.UTF_8);
        assertThat(line).startsWith("{\"hash\":\"" + s.hash() + "\",\"prev_hash\":");
        assertThat(s.hash()).isEqualTo(AuditVerifier.sha256Hex(("{\"prev_hash\":\"" + AuditFields.ZERO_HASH
                + "\",\"seq\":7,\"time\":\"t\",\"type\":\"x\"}").getBytes(StandardCharsets.UTF_8)));
    }
}
