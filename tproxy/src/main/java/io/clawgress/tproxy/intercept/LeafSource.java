package io.clawgress.tproxy.intercept;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Certificates the gateway presents to agents for intercepted names: minted from the intercept CA's intermediate,
 * whose nameConstraints cover only the names the active bundle intercepts (DESIGN.md §3 step 6b).
 */
public interface LeafSource {

    /**
     * The key and chain for {@code sni}, from a cache or minted on {@code offLoop}. Never blocks. The future fails
     * when no leaf may be minted for the name (nothing intercepted, name outside the intermediate's constraints).
     * A leaf is returned again for as long as it is cached, so callers may cache what they build from it, keyed by
     * its certificate.
     */
    CompletableFuture<Leaf> leaf(String sni, Executor offLoop);

    /**
     * @param key   the leaf's private key
     * @param chain leaf first, then the intermediate (the root is what agents trust; it is not sent)
     */
    record Leaf(PrivateKey key, X509Certificate[] chain) {
        public Leaf {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(chain, "chain");
            if (chain.length == 0) {
                throw new IllegalArgumentException("chain: empty (expected: leaf first, then the intermediate)");
            }
        }
    }
}
