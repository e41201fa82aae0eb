package io.clawgress.enforcement.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.bundle.BundleException.Reason;
import io.jsonwebtoken.security.Jwk;
import io.jsonwebtoken.security.Jwks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PublicKey;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The immutable set of keys a gateway trusts, parsed from a key-set file. Rotation means parsing the file again and
 * handing the new instance to the verifier; nothing here is mutable.
 *
 * <pre>
 * {"keys": [
 *   {"kid": "ops-2026", "alg": "EdDSA", "public_key_pem": "-----BEGIN PUBLIC KEY-----\n...\n-----END ..."},
 *   {"kid": "ops-ec",   "alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256", "x": "...", "y": "..."}}
 * ]}
 * </pre>
 * Each key has exactly one of {@code public_key_pem} (SPKI) or {@code jwk} (public, RFC 7517); {@code alg} is
 * {@code EdDSA} (Ed25519) or {@code ES256} (P-256). Unknown fields, duplicate kids, private key material and
 * mismatched key types are refused with {@link Reason#MALFORMED_KEY_SET}.
 */
public final class TrustedKeys {

    public static final int MAX_FILE_BYTES = 1024 * 1024;
    private static final Set<String> TOP = Set.of("keys");
    private static final Set<String> ENTRY = Set.of("kid", "alg", "public_key_pem", "jwk");

    private final Map<String, TrustedKey> byKid;

    private TrustedKeys(Map<String, TrustedKey> byKid) {
        this.byKid = Collections.unmodifiableMap(byKid);
    }

    public static TrustedKeys of(Collection<TrustedKey> keys) {
        Map<String, TrustedKey> map = new LinkedHashMap<>();
        for (TrustedKey key : keys) {
            if (map.putIfAbsent(key.kid(), key) != null) {
                throw new IllegalArgumentException("kid " + key.kid() + ": duplicate (expected: unique kids)");
            }
        }
        return new TrustedKeys(map);
    }

    public static TrustedKeys read(Path file) throws IOException, BundleException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new BundleException(Reason.MALFORMED_KEY_SET, file + ": larger than " + MAX_FILE_BYTES + " bytes");
        }
        return parse(Files.readAllBytes(file));
    }

    public static TrustedKeys parse(byte[] json) throws BundleException {
        Reason r = Reason.MALFORMED_KEY_SET;
        ObjectNode root = BundleFormat.parseObject(json, r, "key set");
        BundleFormat.requireOnlyFields(root, TOP, r, "key set");
        JsonNode keys = root.get("keys");
        if (keys == null || !keys.isArray()) {
            throw new BundleException(r, "key set: field keys missing or not an array");
        }
        Map<String, TrustedKey> map = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            String what = "key set: keys[" + i + "]";
            if (!(keys.get(i) instanceof ObjectNode entry)) {
                throw new BundleException(r, what + ": expected an object");
            }
            BundleFormat.requireOnlyFields(entry, ENTRY, r, what);
            String kid = BundleFormat.requireText(entry, "kid", r, what);
            String algName = BundleFormat.requireText(entry, "alg", r, what);
            SigningAlg alg = SigningAlg.fromJwsName(algName).orElseThrow(() -> new BundleException(r,
                    what + ": alg " + BundlePaths.quote(algName) + " (expected: EdDSA or ES256)"));
            boolean hasPem = entry.has("public_key_pem");
            boolean hasJwk = entry.has("jwk");
            if (hasPem == hasJwk) {
                throw new BundleException(r, what + " (kid " + kid + "): expected exactly one of public_key_pem, jwk");
            }
            PublicKey key;
            try {
                key = hasPem ? Pem.readPublicKey(BundleFormat.requireText(entry, "public_key_pem", r, what), alg)
                        : fromJwk(entry.get("jwk"), alg);
                if (map.containsKey(kid)) {
                    throw new BundleException(r, what + ": duplicate kid " + BundlePaths.quote(kid));
                }
                map.put(kid, new TrustedKey(kid, alg, key));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new BundleException(r, what + " (kid " + kid + "): " + e.getMessage(), e);
            }
        }
        return new TrustedKeys(map);
    }

    private static PublicKey fromJwk(JsonNode jwk, SigningAlg alg) throws GeneralSecurityException {
        if (jwk == null || !jwk.isObject()) {
            throw new GeneralSecurityException("jwk: expected an object");
        }
        if (jwk.has("d")) {
            throw new GeneralSecurityException("jwk: contains private key material 'd' (expected: public key only)");
        }
        Jwk<?> parsed = Jwks.parser().build().parse(jwk.toString());
        Key key = parsed.toKey();
        if (!(key instanceof PublicKey publicKey)) {
            throw new GeneralSecurityException("jwk: not a public key");
        }
        Pem.requireMatches(publicKey, alg);
        return publicKey;
    }

    public Optional<TrustedKey> find(String kid) {
        return Optional.ofNullable(byKid.get(kid));
    }

    public List<TrustedKey> keys() {
        return List.copyOf(byKid.values());
    }

    public int size() {
        return byKid.size();
    }

    @Override
    public String toString() {
        return "TrustedKeys" + byKid.keySet();
    }
}
