package io.clawgress.tproxy.l7;

import io.clawgress.api.Decision;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A complete, small HTTP/1.1 response the gate answers with instead of forwarding a request (DESIGN.md §3 6c):
 * the status, {@code Content-Type: application/json}, {@code Content-Length}, {@code Cache-Control: no-store},
 * {@code Connection: close}, {@code Retry-After} on a 429 and {@code Proxy-Authenticate: Bearer realm="clawgress"}
 * on a 407, and a JSON body an agent can act on:
 *
 * <pre>{"error":"policy_denied","status":403,"rule":"no-admin","policy":"research-llm",
 *  "reason":"path /admin is not allowed","message":"blocked by policy research-llm (rule no-admin); do not retry
 *  through other routes"}</pre>
 *
 * {@code rule}, {@code policy} and {@code reason} are JSON null when unknown; a 429 adds {@code "retry_after"}.
 * Strings are escaped here (RFC 8259 §7), the body is UTF-8. The connection is always closed after it: the agent's
 * next bytes are not trusted to be framed as the gate thinks.
 *
 * @param status            one of 400, 403, 407, 429, 431, 501, 502, 505
 * @param error             stable snake_case code (a decision reason or a {@link RefusalCode})
 * @param rule              the rule that decided, or null
 * @param policy            the policy of that rule, or null
 * @param reason            what was wrong, for people and logs, or null
 * @param message           one sentence telling the agent what to do
 * @param retryAfterSeconds for 429 (required, >= 0); -1 otherwise
 */
public record DenialResponse(int status, String error, String rule, String policy, String reason, String message,
                             long retryAfterSeconds) {

    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");
    private static final String REALM = "Bearer realm=\"clawgress\"";

    public DenialResponse {
        if (reasonPhrase(status) == null) {
            throw new IllegalArgumentException("status: " + status + " (expected: 400, 403, 407, 429, 431, 501, 502 "
                    + "or 505)");
        }
        if (error == null || !CODE.matcher(error).matches()) {
            throw new IllegalArgumentException("error: " + error + " (expected: snake_case)");
        }
        if (message == null || message.isBlank()) {
            throw new IllegalArgumentException("message: " + message + " (expected: a sentence for the agent)");
        }
        if (status == 429 ? retryAfterSeconds < 0 : retryAfterSeconds != -1) {
            throw new IllegalArgumentException("retryAfterSeconds: " + retryAfterSeconds + " (expected: "
                    + (status == 429 ? ">= 0 for 429" : "-1 unless the status is 429") + ")");
        }
    }

    /** 403: a policy (or the default deny, when {@code policy} is null) refused the request. */
    public static DenialResponse forbidden(String error, String policy, String rule, String reason) {
        String message = policy == null
                ? "blocked by the gateway's default deny (no rule allows this request); do not retry through other "
                        + "routes"
                : "blocked by policy " + policy + (rule == null ? "" : " (rule " + rule + ")")
                        + "; do not retry through other routes";
        return new DenialResponse(403, error, rule, policy, reason, message, -1);
    }

    /** 429 with {@code Retry-After}: a hard-stop rate limit. */
    public static DenialResponse rateLimited(String policy, String rule, String reason, long retryAfterSeconds) {
        return new DenialResponse(429, "rate_limited", rule, policy, reason, "rate limited by "
                + (policy == null ? "the gateway" : "policy " + policy + (rule == null ? "" : " (rule " + rule + ")"))
                + "; retry after " + retryAfterSeconds + " seconds, and do not retry through other routes",
                retryAfterSeconds);
    }

    /** 407: the identity the policy requires is missing or invalid ({@code error} says which check failed). */
    public static DenialResponse identityRequired(String error, String policy, String rule, String reason) {
        return new DenialResponse(407, error, rule, policy, reason, "the gateway could not establish this agent's "
                + "identity (" + error + "); send a valid Proxy-Authorization: Bearer token for this agent, or "
                + "connect with its client certificate", -1);
    }

    /**
     * The answer to a policy decision that denied a request: 429 with {@code Retry-After} for a hard-stop rate limit,
     * 407 when {@code identityRequired} (the agent proved no identity, or too weak a one), else 403 naming the rule.
     */
    public static DenialResponse forDenial(Decision decision, Verdict.Deny deny, boolean identityRequired) {
        if (deny.termination() == Termination.RATE_LIMITED) {
            return rateLimited(decision.policyId(), deny.ruleId(), deny.reason(), decision.retryAfterSeconds());
        }
        return identityRequired
                ? identityRequired("identity_required", decision.policyId(), deny.ruleId(), deny.reason())
                : forbidden(deny.termination().code(), decision.policyId(), deny.ruleId(), deny.reason());
    }

    /** 502: the upstream answered with bytes the gate cannot relay safely. */
    public static DenialResponse badGateway(String error, String reason) {
        return new DenialResponse(502, error, null, null, reason, "the upstream server sent a response the gateway "
                + "could not relay safely (" + error + "); retrying may not help", -1);
    }

    /** The answer to a request the {@link Http1RequestFramer} refused (its status: 400, 431, 501 or 505). */
    public static DenialResponse refused(Refusal refusal) {
        String code = refusal.code();
        String message = switch (refusal.status()) {
            case 431 -> "the request head is too large (" + code + "); send fewer or smaller header fields";
            case 501 -> "this request is not supported through the gateway (" + code + "); do not retry it "
                    + "unchanged or through other routes";
            case 505 -> "this HTTP version is not supported through the gateway; use HTTP/1.1";
            case 502 -> "the upstream server sent a response the gateway could not relay safely (" + code
                    + "); retrying may not help";
            default -> "the gateway refused this request as ambiguous or malformed HTTP/1.1 (" + code + "); fix "
                    + "how the request is framed and do not retry it unchanged";
        };
        return new DenialResponse(refusal.status(), code, null, null, refusal.message(), message, -1);
    }

    /** The JSON body. */
    public String json() {
        StringBuilder sb = new StringBuilder(256).append("{\"error\":");
        string(sb, error);
        sb.append(",\"status\":").append(status).append(",\"rule\":");
        string(sb, rule);
        sb.append(",\"policy\":");
        string(sb, policy);
        sb.append(",\"reason\":");
        string(sb, reason);
        sb.append(",\"message\":");
        string(sb, message);
        if (status == 429) {
            sb.append(",\"retry_after\":").append(retryAfterSeconds);
        }
        return sb.append('}').toString();
    }

    /** The whole response: head and body. */
    public byte[] toBytes() {
        byte[] body = json().getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(192).append("HTTP/1.1 ").append(status).append(' ')
                .append(reasonPhrase(status)).append("\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append("Cache-Control: no-store\r\n");
        if (status == 429) {
            head.append("Retry-After: ").append(retryAfterSeconds).append("\r\n");
        }
        if (status == 407) {
            head.append("Proxy-Authenticate: ").append(REALM).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    /** The whole response in a new buffer from {@code alloc}; the caller owns it (typically writes it, then closes). */
    public ByteBuf encode(ByteBufAllocator alloc) {
        byte[] bytes = toBytes();
        return alloc.buffer(bytes.length, bytes.length).writeBytes(bytes);
    }

    static String reasonPhrase(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 407 -> "Proxy Authentication Required";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 505 -> "HTTP Version Not Supported";
            default -> null;
        };
    }

    /**
     * A JSON string (RFC 8259 §7): quote, backslash and control characters escaped; a lone surrogate (which UTF-8
     * cannot encode) becomes U+FFFD; everything else as is (the body is UTF-8).
     */
    private static void string(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        sb.append('\uFFFD');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
