package io.clawgress.enforcement.bundle;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A bundle whose signature, validity window, revision and every file digest checked out. Only this type should reach
 * the policy compiler.
 *
 * @param files path to content, sorted, exactly the files the signature lists (without {@code .signatures.json});
 *              the arrays are the verifier's copies and must not be modified
 */
public record VerifiedBundle(long revision, Instant notBefore, Instant expires, String kid, Map<String, byte[]> files) {

    public VerifiedBundle {
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(kid, "kid");
        if (revision < 1) {
            throw new IllegalArgumentException("revision: " + revision + " (expected: >= 1)");
        }
        files = Collections.unmodifiableMap(new TreeMap<>(files));
    }

    @Override
    public String toString() {
        return "VerifiedBundle[revision=" + revision + ", kid=" + kid + ", notBefore=" + notBefore + ", expires="
                + expires + ", files=" + files.keySet() + "]";
    }
}
