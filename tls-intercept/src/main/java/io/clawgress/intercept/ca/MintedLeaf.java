package io.clawgress.intercept.ca;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;

/**
 * A leaf minted for one SNI: its private key and the chain to present (leaf, intermediate; the root is what agents
 * trust and is not sent). Immutable and thread-safe; one instance is shared by every flow for that name while it is
 * cached.
 */
public final class MintedLeaf {

    private final String name;
    private final PrivateKey privateKey;
    private final X509Certificate[] chain;
    private final Instant refreshAt;

    MintedLeaf(String name, PrivateKey privateKey, X509Certificate leaf, X509Certificate intermediate,
               Instant refreshAt) {
        this.name = Objects.requireNonNull(name, "name");
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        this.chain = new X509Certificate[] {Objects.requireNonNull(leaf, "leaf"),
                Objects.requireNonNull(intermediate, "intermediate")};
        this.refreshAt = Objects.requireNonNull(refreshAt, "refreshAt");
    }

    /** The host name (SNI) it is for, lower-case A-labels. */
    public String name() {
        return name;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** A copy of the chain: leaf first, then the intermediate. */
    public X509Certificate[] chain() {
        return chain.clone();
    }

    public X509Certificate certificate() {
        return chain[0];
    }

    public Instant notAfter() {
        return chain[0].getNotAfter().toInstant();
    }

    /** When the cache stops handing it out and mints a successor, ahead of {@link #notAfter()}. */
    public Instant refreshAt() {
        return refreshAt;
    }

    /** Leaf then intermediate, PEM. */
    public String chainPem() {
        return Pem.certificates(chain);
    }

    /** The key as an unencrypted PKCS #8 PEM block. */
    public String privateKeyPem() {
        return Pem.privateKey(privateKey);
    }

    @Override
    public String toString() {
        return "MintedLeaf[" + name + ", serial=" + chain[0].getSerialNumber().toString(16) + ", notAfter="
                + notAfter() + "]";
    }
}
