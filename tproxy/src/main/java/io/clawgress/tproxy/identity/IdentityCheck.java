package io.clawgress.tproxy.identity;

import io.clawgress.api.Identity;

import java.util.Objects;
import java.util.regex.Pattern;

/** What a presented credential (client certificate, injected JWT) proved: an agent, or why it proved none. */
public sealed interface IdentityCheck {

    /** The credential names this agent (auth {@code mtls} or {@code jwt}). */
    record Proven(Identity identity) implements IdentityCheck {
        public Proven {
            Objects.requireNonNull(identity, "identity");
        }
    }

    /**
     * The credential proves nothing: the request is answered 407 with {@code code}.
     *
     * @param code    stable snake_case reason ({@code jwt_expired}, {@code client_cert_untrusted}, {@code
     *                agent_unknown}, ...)
     * @param message what was wrong, safe to show the agent (no secrets, untrusted text quoted)
     */
    record Refused(String code, String message) implements IdentityCheck {
        private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

        public Refused {
            if (code == null || !CODE.matcher(code).matches()) {
                throw new IllegalArgumentException("code: " + code + " (expected: snake_case)");
            }
            Objects.requireNonNull(message, "message");
        }
    }
}
