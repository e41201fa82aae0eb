package io.clawgress.tproxy.l7;

/**
 * How the body of one message is delimited (RFC 9112 §6.3). Requests are {@link None}, {@link ContentLength} or
 * {@link Chunked}; {@link UntilClose} happens only for responses, and a connection whose response used it cannot be
 * reused. Switches over it need no {@code default} branch.
 */
public sealed interface BodyFraming {

    None NONE = new None();
    Chunked CHUNKED = new Chunked();
    UntilClose UNTIL_CLOSE = new UntilClose();

    /** No body: no framing fields on a request, or a response to HEAD, a 1xx, 204 or 304 (RFC 9112 §6.3 items 1-2). */
    record None() implements BodyFraming {
    }

    /** Exactly {@code length} bytes (RFC 9112 §6.3 item 6). */
    record ContentLength(long length) implements BodyFraming {
        public ContentLength {
            if (length < 0) {
                throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
            }
        }
    }

    /** {@code Transfer-Encoding: chunked} (RFC 9112 §7.1); body parts carry chunk data only, never the framing. */
    record Chunked() implements BodyFraming {
    }

    /** Response body delimited by the server closing the connection (RFC 9112 §6.3 item 8). */
    record UntilClose() implements BodyFraming {
    }
}
