package io.clawgress.enforcement.identity.jwt;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsonwebtoken.security.Jwk;
import io.jsonwebtoken.security.Jwks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The identity providers and keys agent tokens are verified against, parsed from a key-set file the signed bundle
 * carries at {@value #BUNDLE_PATH}. Immutable: a new bundle means a new instance (and a new {@link JwtVerifier}).
 * Parsing runs on the activation executor, never on an event loop.
 *
 * <pre>
 * {"issuers": [
 *   {"iss": "https://idp.example.com/",
 *    "aud": ["clawgress"],
 *    "claims": {"agent_id": "sub", "team_id": "team"},            optional; see {@link ClaimMapping}
 *    "keys": [
 *      {"kid": "idp-2026-01", "alg": "RS256", "jwk": {"kty": "RSA", "n": "...", "e": "AQAB"}},
 *      {"kid": "local-ed",    "alg": "EdDSA", "public_key_pem": "-----BEGIN PUBLIC KEY-----\n..."}]}]}
 * </pre>
 * Strict: unknown fields, duplicate JSON members, duplicate {@code iss} values, duplicate kids (across all issuers),
 * {@code alg} other than {@code EdDSA}, {@code ES256}, {@code RS256} (so {@code none} and {@code HS*}), private key
 * material (PEM private blocks, JWK {@code d}/{@code p}/{@code q}/..., symmetric {@code oct} JWKs), keys that do not
 * suit their alg, and RSA keys under 2048 bits are all refused with a {@link JwtKeySetException} that names the entry.
 */
public final class JwtKeySet {

    /** Where a bundle carries the key set. */
    public static final String BUNDLE_PATH = "identity/jwt-keys.json";
    public static final int MAX_FILE_BYTES = 1024 * 1024;
    public static final JwtKeySet EMPTY = new JwtKeySet(List.of(), Map.of());

    private static final Set<String> TOP = Set.of("issuers");
    private static final Set<String> ISSUER = Set.of("iss", "aud", "claims", "keys");
    private static final Set<String> CLAIMS = Set.of("agent_id", "team_id", "project_id", "environment",
            "trust_tier");
    private static final Set<String> KEY = Set.of("kid", "alg", "public_key_pem", "jwk");
    private static final Set<String> JWK_COMMON = Set.of("kty", "kid", "alg", "use", "key_ops");
    /** Public members per key type (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2). */
    private static final Map<String, Set<String>> JWK_PUBLIC = Map.of(
            "OKP", Set.of("crv", "x"), "EC", Set.of("crv", "x", "y"), "RSA", Set.of("n", "e"));
    /** Private members (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2): never accepted. */
    private static final Set<String> JWK_PRIVATE = Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

    /** Strict JSON: duplicate members are an error (RFC 8259 §4 leaves them undefined), no comments or trailers. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.ALLOW_COMMENTS)
            .build();

    /** A key with the issuer it belongs to. */
    record Bound(JwtKey key, JwtIssuer issuer) {
    }

    private final List<JwtIssuer> issuers;
    private final Map<String, Bound> byKid;

    private JwtKeySet(List<JwtIssuer> issuers, Map<String, Bound> byKid) {
        this.issuers = List.copyOf(issuers);
        this.byKid = Collections.unmodifiableMap(byKid);
    }

    /** @throws IllegalArgumentException on a duplicate issuer or kid */
    public static JwtKeySet of(List<JwtIssuer> issuers) {
        Map<String, Bound> byKid = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (JwtIssuer issuer : issuers) {
            if (!seen.add(issuer.issuer())) {
                throw new IllegalArgumentException("issuer " + JwtText.quote(issuer.issuer())
                        + ": duplicate (expected: each iss once)");
            }
            for (JwtKey key : issuer.keys()) {
                if (byKid.putIfAbsent(key.kid(), new Bound(key, issuer)) != null) {
                    throw new IllegalArgumentException("kid " + JwtText.quote(key.kid())
                            + ": duplicate (expected: kids unique across all issuers)");
                }
            }
        }
        return new JwtKeySet(issuers, byKid);
    }

    public static JwtKeySet read(Path file) throws IOException, JwtKeySetException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new JwtKeySetException(file + ": larger than " + MAX_FILE_BYTES + " bytes");
        }
        return parse(Files.readAllBytes(file));
    }

    public static JwtKeySet parse(byte[] json) throws JwtKeySetException {
        if (json.length > MAX_FILE_BYTES) {
            throw new JwtKeySetException("jwt key set: larger than " + MAX_FILE_BYTES + " bytes");
        }
        JsonNode rootNode;
        try {
            rootNode = JSON.readTree(json);
        } catch (IOException e) {
            throw new JwtKeySetException("jwt key set: not valid JSON (" + e.getMessage() + ")", e);
        }
        ObjectNode root = object(rootNode, "jwt key set");
        onlyFields(root, TOP, "jwt key set");
        JsonNode list = root.get("issuers");
        if (list == null || !list.isArray()) {
            throw new JwtKeySetException("jwt key set: field issuers missing or not an array");
        }
        List<JwtIssuer> issuers = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            issuers.add(issuer(list.get(i), "issuers[" + i + "]"));
        }
        try {
            return of(issuers);
        } catch (IllegalArgumentException e) {
            throw new JwtKeySetException("jwt key set: " + e.getMessage(), e);
        }
    }

    private static JwtIssuer issuer(JsonNode node, String what) throws JwtKeySetException {
        ObjectNode entry = object(node, what);
        onlyFields(entry, ISSUER, what);
        String iss = text(entry, "iss", what);
        what = what + " (iss " + JwtText.quote(iss) + ")";
        JsonNode audNode = entry.get("aud");
        if (audNode == null || !audNode.isArray() || audNode.isEmpty()) {
            throw new JwtKeySetException(what + ": field aud missing or not a non-empty array of strings");
        }
        List<String> audiences = new ArrayList<>();
        for (JsonNode aud : audNode) {
            if (!aud.isTextual()) {
                throw new JwtKeySetException(what + ": aud " + aud + " (expected: a string)");
            }
            audiences.add(aud.textValue());
        }
        ClaimMapping claims = claims(entry.get("claims"), what);
        JsonNode keysNode = entry.get("keys");
        if (keysNode == null || !keysNode.isArray() || keysNode.isEmpty()) {
            throw new JwtKeySetException(what + ": field keys missing or not a non-empty array");
        }
        List<JwtKey> keys = new ArrayList<>();
        for (int k = 0; k < keysNode.size(); k++) {
            keys.add(key(keysNode.get(k), what + ".keys[" + k + "]"));
        }
        try {
            return new JwtIssuer(iss, audiences, claims, keys);
        } catch (IllegalArgumentException e) {
            throw new JwtKeySetException(what + ": " + e.getMessage(), e);
        }
    }

    private static ClaimMapping claims(JsonNode node, String what) throws JwtKeySetException {
        if (node == null) {
            return ClaimMapping.DEFAULT;
        }
        what = what + ".claims";
        ObjectNode claims = object(node, what);
        onlyFields(claims, CLAIMS, what);
        ClaimMapping d = ClaimMapping.DEFAULT;
        try {
            return new ClaimMapping(optionalText(claims, "agent_id", d.agentId(), what),
                    optionalText(claims, "team_id", d.teamId(), what),
                    optionalText(claims, "project_id", d.projectId(), what),
                    optionalText(claims, "environment", d.environment(), what),
                    optionalText(claims, "trust_tier", d.trustTier(), what));
        } catch (IllegalArgumentException e) {
            throw new JwtKeySetException(what + ": " + e.getMessage(), e);
        }
    }

    private static JwtKey key(JsonNode node, String what) throws JwtKeySetException {
        ObjectNode entry = object(node, what);
        onlyFields(entry, KEY, what);
        String kid = text(entry, "kid", what);
        what = what + " (kid " + JwtText.quote(kid) + ")";
        String algName = text(entry, "alg", what);
        String where = what;
        JwtAlg alg = JwtAlg.fromJwsName(algName).orElseThrow(() -> new JwtKeySetException(where + ": alg "
                + JwtText.quote(algName) + " (expected: EdDSA, ES256 or RS256; none and HMAC are never accepted, "
                + "RFC 8725 §3.1)"));
        boolean hasPem = entry.has("public_key_pem");
        boolean hasJwk = entry.has("jwk");
        if (hasPem == hasJwk) {
            throw new JwtKeySetException(what + ": expected exactly one of public_key_pem, jwk");
        }
        try {
            PublicKey key = hasPem ? JwtPem.readPublicKey(text(entry, "public_key_pem", what), alg)
                    : fromJwk(entry.get("jwk"), kid, alg);
            return new JwtKey(kid, alg, key);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new JwtKeySetException(what + ": " + e.getMessage(), e);
        }
    }

    private static PublicKey fromJwk(JsonNode node, String kid, JwtAlg alg) throws GeneralSecurityException {
        if (!(node instanceof ObjectNode jwk)) {
            throw new GeneralSecurityException("jwk: expected an object");
        }
        JsonNode kty = jwk.get("kty");
        if (kty == null || !kty.isTextual()) {
            throw new GeneralSecurityException("jwk: kty missing (RFC 7517 §4.1)");
        }
        if ("oct".equals(kty.textValue())) {
            throw new GeneralSecurityException("jwk: kty \"oct\" is a symmetric (HMAC) key (expected: a public key; "
                    + "HMAC is never accepted)");
        }
        Set<String> publicMembers = JWK_PUBLIC.get(kty.textValue());
        if (publicMembers == null) {
            throw new GeneralSecurityException("jwk: kty " + JwtText.quote(kty.textValue())
                    + " (expected: OKP, EC or RSA)");
        }
        for (Iterator<String> it = jwk.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (JWK_PRIVATE.contains(name)) {
                throw new GeneralSecurityException("jwk: contains private key material " + JwtText.quote(name)
                        + " (expected: public key only; private keys never go into a bundle)");
            }
            if (!JWK_COMMON.contains(name) && !publicMembers.contains(name)) {
                throw new GeneralSecurityException("jwk: unknown member " + JwtText.quote(name) + " (expected: only "
                        + new TreeSet<>(union(JWK_COMMON, publicMembers)) + ")");
            }
        }
        requireMemberEquals(jwk, "alg", alg.jwsName());
        requireMemberEquals(jwk, "kid", kid);
        requireMemberEquals(jwk, "use", "sig");
        JsonNode ops = jwk.get("key_ops");
        if (ops != null && !includesVerify(ops)) {
            throw new GeneralSecurityException("jwk: key_ops " + ops + " (expected: an array including \"verify\","
                    + " RFC 7517 §4.3)");
        }
        Jwk<?> parsed = Jwks.parser().build().parse(jwk.toString());
        Key key = parsed.toKey();
        if (!(key instanceof PublicKey publicKey)) {
            throw new GeneralSecurityException("jwk: not a public key");
        }
        String why = alg.unsuitable(publicKey);
        if (why != null) {
            throw new GeneralSecurityException("jwk: " + why);
        }
        return publicKey;
    }

    private static boolean includesVerify(JsonNode ops) {
        if (ops.isArray()) {
            for (JsonNode op : ops) {
                if (op.isTextual() && op.textValue().equals("verify")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return u;
    }

    private static void requireMemberEquals(ObjectNode jwk, String member, String expected)
            throws GeneralSecurityException {
        JsonNode value = jwk.get(member);
        if (value != null && !(value.isTextual() && value.textValue().equals(expected))) {
            throw new GeneralSecurityException("jwk: " + member + " " + value + " (expected: absent or \"" + expected
                    + "\")");
        }
    }

    private static ObjectNode object(JsonNode node, String what) throws JwtKeySetException {
        if (!(node instanceof ObjectNode object)) {
            throw new JwtKeySetException(what + ": expected a JSON object");
        }
        return object;
    }

    private static void onlyFields(ObjectNode node, Set<String> allowed, String what) throws JwtKeySetException {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw new JwtKeySetException(what + ": unknown field " + JwtText.quote(name) + " (expected: only "
                        + new TreeSet<>(allowed) + ")");
            }
        }
    }

    private static String text(ObjectNode node, String field, String what) throws JwtKeySetException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
            throw new JwtKeySetException(what + ": field " + field + " missing or not a non-empty string");
        }
        return value.textValue();
    }

    private static String optionalText(ObjectNode node, String field, String fallback, String what)
            throws JwtKeySetException {
        return node.has(field) ? text(node, field, what) : fallback;
    }

    /** The issuers in file order. */
    public List<JwtIssuer> issuers() {
        return issuers;
    }

    public Optional<JwtIssuer> issuer(String iss) {
        for (JwtIssuer issuer : issuers) {
            if (issuer.issuer().equals(iss)) {
                return Optional.of(issuer);
            }
        }
        return Optional.empty();
    }

    public Optional<JwtKey> key(String kid) {
        Bound bound = byKid.get(kid);
        return bound == null ? Optional.empty() : Optional.of(bound.key());
    }

    /** The key and its issuer, or {@code null}: for the verifier's miss path. */
    Bound bound(String kid) {
        return byKid.get(kid);
    }

    /** Number of keys across all issuers. */
    public int size() {
        return byKid.size();
    }

    @Override
    public String toString() {
        return "JwtKeySet[issuers=" + issuers.stream().map(JwtIssuer::issuer).toList() + ", kids=" + byKid.keySet()
                + "]";
    }
}
