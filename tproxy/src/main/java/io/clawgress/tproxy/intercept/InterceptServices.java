package io.clawgress.tproxy.intercept;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What TLS interception needs: the client side toward upstreams (verification first), the server side toward
 * agents (minted leaves, client certificates), and the executor for minting and certificate checks.
 */
public record InterceptServices(UpstreamTls upstreamTls, ServerTls serverTls, Executor offLoop) {
    public InterceptServices {
        Objects.requireNonNull(upstreamTls, "upstreamTls");
        Objects.requireNonNull(serverTls, "serverTls");
        Objects.requireNonNull(offLoop, "offLoop");
    }
}
