package io.clawgress.tproxy.l7;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The denial bytes, exactly, for every status; the JSON parses; the response frames as one closing response. */
class DenialResponseTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String head(String statusLine, int length, String extra) {
        return statusLine + "\r\nContent-Type: application/json\r\nContent-Length: " + length
                + "\r\nCache-Control: no-store\r\n" + extra + "Connection: close\r\n\r\n";
    }

    static Stream<Arguments> denials() {
        return Stream.of(
                arguments(DenialResponse.forbidden("policy_denied", "research-llm", "no-admin",
                        "path /admin is not allowed"), "HTTP/1.1 403 Forbidden", "",
                        "{\"error\":\"policy_denied\",\"status\":403,\"rule\":\"no-admin\",\"policy\":\"research-llm\","
                                + "\"reason\":\"path /admin is not allowed\",\"message\":\"blocked by policy "
                                + "research-llm (rule no-admin); do not retry through other routes\"}"),
                arguments(DenialResponse.forbidden("no_rule_matched", null, null, null), "HTTP/1.1 403 Forbidden", "",
                        "{\"error\":\"no_rule_matched\",\"status\":403,\"rule\":null,\"policy\":null,\"reason\":null,"
                                + "\"message\":\"blocked by the gateway's default deny (no rule allows this request); "
                                + "do not retry through other routes\"}"),
                arguments(DenialResponse.identityRequired("jwt_expired", "research-llm", "llm-apis",
                        "token expired at 2026-11-21T10:00:00Z"), "HTTP/1.1 407 Proxy Authentication Required",
                        "Proxy-Authenticate: Bearer realm=\"clawgress\"\r\n",
                        "{\"error\":\"jwt_expired\",\"status\":407,\"rule\":\"llm-apis\",\"policy\":\"research-llm\","
                                + "\"reason\":\"token expired at 2026-11-21T10:00:00Z\",\"message\":\"the gateway "
                                + "could not establish this agent's identity (jwt_expired); send a valid "
                                + "Proxy-Authorization: Bearer token for this agent, or connect with its client "
                                + "certificate\"}"),
                arguments(DenialResponse.rateLimited("research-llm", "llm-apis", "5 requests per second", 2),
                        "HTTP/1.1 429 Too Many Requests", "Retry-After: 2\r\n",
                        "{\"error\":\"rate_limited\",\"status\":429,\"rule\":\"llm-apis\",\"policy\":\"research-llm\","
                                + "\"reason\":\"5 requests per second\",\"message\":\"rate limited by policy "
                                + "research-llm (rule llm-apis); retry after 2 seconds, and do not retry through "
                                + "other routes\",\"retry_after\":2}"),
                arguments(DenialResponse.refused(new Refusal("te_cl_conflict", 400, "both")),
                        "HTTP/1.1 400 Bad Request", "",
                        "{\"error\":\"te_cl_conflict\",\"status\":400,\"rule\":null,\"policy\":null,"
                                + "\"reason\":\"both\","
                                + "\"message\":\"the gateway refused this request as ambiguous or malformed HTTP/1.1 "
                                + "(te_cl_conflict); fix how the request is framed and do not retry it unchanged\"}"),
                arguments(DenialResponse.refused(new Refusal("head_too_large", 431, "big")),
                        "HTTP/1.1 431 Request Header Fields Too Large", "",
                        "{\"error\":\"head_too_large\",\"status\":431,\"rule\":null,\"policy\":null,\"reason\":\"big\","
                                + "\"message\":\"the request head is too large (head_too_large); send fewer or "
                                + "smaller header fields\"}"),
                arguments(DenialResponse.refused(new Refusal("connect_not_supported", 501, "no")),
                        "HTTP/1.1 501 Not Implemented", "",
                        "{\"error\":\"connect_not_supported\",\"status\":501,\"rule\":null,\"policy\":null,"
                                + "\"reason\":\"no\",\"message\":\"this request is not supported through the gateway "
                                + "(connect_not_supported); do not retry it unchanged or through other routes\"}"),
                arguments(DenialResponse.refused(new Refusal("http_version_not_supported", 505, "v")),
                        "HTTP/1.1 505 HTTP Version Not Supported", "",
                        "{\"error\":\"http_version_not_supported\",\"status\":505,\"rule\":null,\"policy\":null,"
                                + "\"reason\":\"v\",\"message\":\"this HTTP version is not supported through the "
                                + "gateway; use HTTP/1.1\"}"),
                arguments(DenialResponse.badGateway("upstream_framing", "te_cl_conflict"),
                        "HTTP/1.1 502 Bad Gateway", "",
                        "{\"error\":\"upstream_framing\",\"status\":502,\"rule\":null,\"policy\":null,"
                                + "\"reason\":\"te_cl_conflict\",\"message\":\"the upstream server sent a response the "
                                + "gateway could not relay safely (upstream_framing); retrying may not help\"}"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("denials")
    void bytesAreExact(DenialResponse denial, String statusLine, String extra, String body) throws Exception {
        String expected = head(statusLine, body.getBytes(StandardCharsets.UTF_8).length, extra) + body;
        assertThat(new String(denial.toBytes(), StandardCharsets.UTF_8)).isEqualTo(expected);

        ByteBuf buf = denial.encode(ByteBufAllocator.DEFAULT);
        try {
            assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
        } finally {
            buf.release();
        }
        JsonNode json = JSON.readTree(denial.json());
        assertThat(json.get("error").asText()).isEqualTo(denial.error());
        assertThat(json.get("status").asInt()).isEqualTo(denial.status());
        assertThat(json.get("message").asText()).isEqualTo(denial.message());
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("denials")
    void framesAsOneResponseThatClosesTheConnection(DenialResponse denial, String statusLine, String extra,
                                                     String body) {
        Recorder<ResponseHead> events = new Recorder<>();
        Http1ResponseFramer framer = new Http1ResponseFramer(Http1FramerSettings.RESPONSE_DEFAULTS, events);
        framer.expectResponse("GET");
        Feed.byteByByte(framer, denial.toBytes());
        framer.inputClosed();

        assertThat(events.refusal()).isNull();
        ResponseHead head = events.heads().getFirst();
        assertThat(head.status()).isEqualTo(denial.status());
        assertThat(head.keepAlive()).isFalse();
        assertThat(events.bodies()).containsExactly(new String(body.getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1));
    }

    @Test
    void stringsAreEscaped() throws Exception {
        String nasty = "quote \" backslash \\ newline \n cr \r tab \t nul \u0000 del \u007f ls \u2028 "
                + "emoji \uD83D\uDE00 caf\u00e9";
        DenialResponse denial = DenialResponse.forbidden("policy_denied", "p\"1", "r\\1", nasty);
        JsonNode json = JSON.readTree(denial.json());
        assertThat(json.get("reason").asText()).isEqualTo(nasty);
        assertThat(json.get("policy").asText()).isEqualTo("p\"1");
        assertThat(json.get("rule").asText()).isEqualTo("r\\1");
        assertThat(denial.json()).doesNotContain("\n", "\r", "\t", "\u0000", "\u2028");

        DenialResponse lone = DenialResponse.forbidden("policy_denied", null, null, "lone \uD83D surrogate");
        assertThat(JSON.readTree(lone.json()).get("reason").asText()).isEqualTo("lone \uFFFD surrogate");
        byte[] bytes = lone.toBytes();
        String text = new String(bytes, StandardCharsets.UTF_8);
        int length = Integer.parseInt(text.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
        assertThat(length).isEqualTo(lone.json().getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void validatesItself() {
        assertThatThrownBy(() -> new DenialResponse(404, "x", null, null, null, "m", -1))
                .hasMessageContaining("status: 404");
        assertThatThrownBy(() -> new DenialResponse(403, "Not Snake", null, null, null, "m", -1))
                .hasMessageContaining("snake_case");
        assertThatThrownBy(() -> new DenialResponse(403, "x", null, null, null, " ", -1))
                .hasMessageContaining("message");
        assertThatThrownBy(() -> new DenialResponse(429, "rate_limited", null, null, null, "m", -1))
                .hasMessageContaining(">= 0 for 429");
        assertThatThrownBy(() -> new DenialResponse(403, "x", null, null, null, "m", 5))
                .hasMessageContaining("-1 unless the status is 429");
    }
}
