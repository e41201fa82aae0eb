package io.clawgress.tproxy.identity;

/**
 * Verifies the identity token an agent's sidecar injects into each HTTP request (DESIGN.md §4: by default
 * {@code Proxy-Authorization: Bearer <jwt>}). The gate asks {@link #cached} on the event loop and, on a miss, runs
 * {@link #verify} on a worker thread while the connection's reads are paused.
 */
public interface TokenIdentifier {

    /** The request field that carries the token; removed before the request leaves the gateway. */
    String headerName();

    /** A verdict from the cache of verified tokens, or {@code null} on a miss. Cheap, never blocks: event loop. */
    IdentityCheck cached(String headerValue);

    /** The full check (signature, claims). CPU work of up to a few milliseconds: never on an event loop. */
    IdentityCheck verify(String headerValue);
}
