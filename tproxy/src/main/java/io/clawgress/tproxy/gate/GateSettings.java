package io.clawgress.tproxy.gate;

import io.clawgress.tproxy.identity.TokenIdentifier;
import io.clawgress.tproxy.l7.Http1FramerSettings;
import io.clawgress.tproxy.l7.RequestHeadWriter;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What the L7 gate needs beyond the flow: how to verify injected tokens, where CPU work runs, framing limits.
 *
 * @param tokens         verifies the identity header's token, or {@code null} when no JWT issuer is configured (then
 *                       the header is still removed, never forwarded, and proves nothing)
 * @param identityHeader the field that carries the token (default {@code Proxy-Authorization}); always removed
 *                       before a request leaves the gateway
 * @param offLoop        runs token verification and certificate checks, never on an event loop
 * @param requests       limits of request heads
 * @param responses      limits of response heads
 * @param linger         after the gateway answered and shut its side, how long it keeps reading (and discarding)
 *                       the agent's input so that closing does not turn into a reset that destroys the answer
 */
public record GateSettings(TokenIdentifier tokens, String identityHeader, Executor offLoop,
                           Http1FramerSettings requests, Http1FramerSettings responses, Duration linger) {

    public static final String DEFAULT_IDENTITY_HEADER = "Proxy-Authorization";
    public static final Duration DEFAULT_LINGER = Duration.ofSeconds(2);

    public GateSettings {
        Objects.requireNonNull(identityHeader, "identityHeader");
        Objects.requireNonNull(offLoop, "offLoop");
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(responses, "responses");
        Objects.requireNonNull(linger, "linger");
        if (tokens != null && !tokens.headerName().equalsIgnoreCase(identityHeader)) {
            throw new IllegalArgumentException("identityHeader: " + identityHeader + " (expected: the token "
                    + "verifier's header " + tokens.headerName() + ")");
        }
        RequestHeadWriter.removing(identityHeader); // validates the name: a token, not Host or a framing field
    }

    /** Default limits, the default header, and no token verification. */
    public static GateSettings defaults(Executor offLoop) {
        return new GateSettings(null, DEFAULT_IDENTITY_HEADER, offLoop, Http1FramerSettings.REQUEST_DEFAULTS,
                Http1FramerSettings.RESPONSE_DEFAULTS, DEFAULT_LINGER);
    }

    /** The same with {@code tokens} verifying its header. */
    public GateSettings withTokens(TokenIdentifier verifier) {
        return new GateSettings(verifier, verifier.headerName(), offLoop, requests, responses, linger);
    }

    String identityHeaderLowerCase() {
        return identityHeader.toLowerCase(Locale.ROOT);
    }
}
