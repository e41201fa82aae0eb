package io.clawgress.enforcement.identity.jwt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.security.VerifySecureDigestRequest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Verifies the agent token in one request header value and maps it to an {@link Identity} with
 * {@link AuthMethod#JWT}. Thread-safe and non-blocking: {@link #verify} is called on event loops, concurrently; it
 * never waits on a lock, does no I/O, and throws only on programming errors. A verified token is cached by the SHA-256
 * of its text until {@code min(exp, now + cacheTtl)}, so a hit costs one hash and one map lookup.
 *
 * <p>One instance per key set: when a bundle brings a new {@link JwtKeySet}, build a new verifier (its cache starts
 * empty, so a removed key stops working at once).
 *
 * <p>Checks, in order; the first failure is the {@link JwtReason} (RFC 7519 §7.2, RFC 8725 §3):
 * <ol>
 *   <li>header absent or empty — {@code jwt_missing}; longer than the cap, before any parsing —
 *       {@code jwt_too_large}; not {@code <scheme> 1*SP <token>} — {@code jwt_malformed};</li>
 *   <li>a cache hit within its window returns the cached {@link Verified};</li>
 *   <li>compact JWS: three canonical base64url parts (a five-part JWE is refused), header a UTF-8 JSON object with
 *       an {@code alg} — {@code jwt_malformed};</li>
 *   <li>{@code alg} is EdDSA, ES256 or RS256 — else {@code jwt_alg_not_allowed} ({@code none}, {@code HS*});</li>
 *   <li>no {@code enc}, {@code crit}, {@code zip}, {@code b64}, nested {@code cty: JWT}; {@code typ} absent,
 *       {@code JWT} or {@code at+jwt} — else {@code jwt_malformed};</li>
 *   <li>{@code kid} names a configured key — else {@code jwt_unknown_kid}; {@code alg} is the key's pinned alg —
 *       else {@code jwt_alg_mismatch};</li>
 *   <li>the signature verifies (jjwt) — else {@code jwt_bad_signature}; nothing in the claims is read before;</li>
 *   <li>claims are a JSON object — else {@code jwt_malformed}; {@code exp} is a NumericDate — else
 *       {@code jwt_invalid_claims}, after now − skew — else {@code jwt_expired}; {@code nbf}, if present, not after
 *       now + skew — else {@code jwt_not_yet_valid};</li>
 *   <li>{@code iss} is the issuer the kid belongs to — else {@code jwt_wrong_issuer}; {@code aud} names one of its
 *       audiences — else {@code jwt_wrong_audience};</li>
 *   <li>the agent-id claim is present — else {@code jwt_no_identity}; it and the other mapped claims are valid ids —
 *       else {@code jwt_invalid_claims}.</li>
 * </ol>
 * Refusals are not cached: most are decided before any cryptography and cost less than a hash-map insert, caching
 * them would let a client flood the cache with junk and push out the tokens in use, and a refusal can stop being
 * right ({@code nbf}). Keys named by the token itself ({@code jwk}, {@code jku}, {@code x5u}, {@code x5c}) are
 * ignored: only the key set chooses keys (RFC 8725 §3.10).
 */
public final class JwtVerifier {

    /** The outcome of one {@link #verify} call. */
    public sealed interface Result permits Verified, Refused {
    }

    /**
     * @param identity the agent, with {@link AuthMethod#JWT} and active; the registry decides whether it is disabled
     * @param expires  the token's {@code exp}
     * @param kid      the key that verified it
     */
    public record Verified(Identity identity, Instant expires, String kid) implements Result {
        public Verified {
            Objects.requireNonNull(identity, "identity");
            Objects.requireNonNull(expires, "expires");
            Objects.requireNonNull(kid, "kid");
        }
    }

    /**
     * @param reasonCode a {@link JwtReason#code()}
     * @param message    what was wrong and what was expected; safe to return to the agent (untrusted text is quoted
     *                   and bounded)
     */
    public record Refused(String reasonCode, String message) implements Result {
        public Refused {
            if (JwtReason.fromCode(reasonCode) == null) {
                throw new IllegalArgumentException("reasonCode: " + JwtText.quote(reasonCode)
                        + " (expected: a JwtReason code)");
            }
            Objects.requireNonNull(message, "message");
        }

        Refused(JwtReason reason, String message) {
            this(reason.code(), message);
        }

        public JwtReason reason() {
            return JwtReason.fromCode(reasonCode);
        }
    }

    /** NumericDates are clamped a day inside Instant's range so that adding the skew never overflows. */
    private static final long MAX_SECONDS = Instant.MAX.getEpochSecond() - 86_400;
    private static final long MIN_SECONDS = Instant.MIN.getEpochSecond() + 86_400;
    /** Same rule as {@link Identity}'s ids; checked first so bad claims are answered, not thrown. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    private final JwtKeySet keys;
    private final JwtSettings settings;
    private final TokenCache cache;
    private final int maxHeaderChars;
    private final Refused missing;

    public JwtVerifier(JwtKeySet keys, JwtSettings settings) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.cache = settings.cacheSize() > 0 ? new TokenCache(settings.cacheSize()) : null;
        this.maxHeaderChars = settings.scheme().length() + 1 + settings.maxTokenBytes();
        this.missing = new Refused(JwtReason.MISSING, "no token (expected: header '" + settings.headerName() + ": "
                + settings.scheme() + " <jwt>')");
    }

    public JwtSettings settings() {
        return settings;
    }

    public JwtKeySet keySet() {
        return keys;
    }

    /** Tokens in the cache now (a gauge); 0 when caching is off. */
    public int cachedTokens() {
        return cache == null ? 0 : cache.size();
    }

    /**
     * Verifies one value of the {@link JwtSettings#headerName()} header. Any thread; never waits on a lock or I/O. A
     * cache hit costs the SHA-256 of the token; a miss also costs the signature check, 0.1 to 2 ms of CPU depending
     * on the algorithm (see {@link #cached} to keep misses off an event loop).
     *
     * @param headerValue the header's value, {@code null} when the request has none
     * @param now         the current time (injected so tests and replays control it)
     */
    public Result verify(String headerValue, Instant now) {
        Objects.requireNonNull(now, "now");
        if (headerValue == null || headerValue.isEmpty()) {
            return missing;
        }
        // The cap (DESIGN.md §4: 8 KiB) comes before anything looks at the bytes: bounded work on untrusted input.
        if (headerValue.length() > maxHeaderChars) {
            return new Refused(JwtReason.TOO_LARGE, "header value of " + headerValue.length() + " characters (expected:"
                    + " a token of at most " + settings.maxTokenBytes() + " bytes)");
        }
        int start = tokenStart(headerValue);
        if (start < 0) {
            return new Refused(JwtReason.MALFORMED, "expected '" + settings.scheme() + " <jwt>' (RFC 9110 §11.4, "
                    + "RFC 6750 §2.1)");
        }
        // The scheme and spaces before start are ASCII, so the token starts at the same index in the UTF-8 bytes;
        // a non-ASCII token is refused below, and UTF-8 keeps distinct strings distinct for the hash.
        byte[] bytes = headerValue.getBytes(StandardCharsets.UTF_8);
        TokenCache.Key key = null;
        if (cache != null) {
            key = TokenCache.Key.of(bytes, start, bytes.length);
            Verified hit = cache.get(key, now);
            if (hit != null) {
                return hit;
            }
        }
        Checked checked = check(headerValue, start, bytes, now);
        if (checked.result instanceof Verified verified && cache != null) {
            Instant ttlEnd = now.plus(settings.cacheTtl());
            Instant until = verified.expires().isBefore(ttlEnd) ? verified.expires() : ttlEnd;
            cache.put(key, new TokenCache.Entry(verified, checked.validFrom, until));
        }
        return checked.result;
    }

    /**
     * The cached verification of this header value, or {@code null} when it is not cached (or caching is off). Never
     * verifies anything, so it costs at most the hash: for a caller that checks the cache on the event loop and hands
     * a miss, whose signature check costs 0.1 to 2 ms of CPU, to a worker running {@link #verify}. Any thread.
     */
    public Verified cached(String headerValue, Instant now) {
        Objects.requireNonNull(now, "now");
        if (cache == null || headerValue == null || headerValue.length() > maxHeaderChars) {
            return null;
        }
        int start = tokenStart(headerValue);
        if (start < 0) {
            return null;
        }
        byte[] bytes = headerValue.getBytes(StandardCharsets.UTF_8);
        return cache.get(TokenCache.Key.of(bytes, start, bytes.length), now);
    }

    /** Index of the token after {@code scheme 1*SP}, or -1. Scheme names are case-insensitive (RFC 9110 §11.1). */
    private int tokenStart(String value) {
        String scheme = settings.scheme();
        int n = scheme.length();
        if (value.length() <= n + 1 || !value.regionMatches(true, 0, scheme, 0, n) || value.charAt(n) != ' ') {
            return -1;
        }
        int i = n + 1;
        while (i < value.length() && value.charAt(i) == ' ') {
            i++;
        }
        return i < value.length() ? i : -1;
    }

    private record Checked(Result result, Instant validFrom) {
    }

    private static Checked refuse(JwtReason reason, String message) {
        return new Checked(new Refused(reason, message), null);
    }

    /** The full check of the token {@code value[start..]}; the miss path. */
    private Checked check(String value, int start, byte[] bytes, Instant now) {
        // RFC 7519 §7.2 steps 1-2, RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
        int dots = 0;
        int first = -1;
        int second = -1;
        for (int i = start; i < value.length(); i++) {
            if (value.charAt(i) == '.') {
                if (dots == 0) {
                    first = i;
                } else if (dots == 1) {
                    second = i;
                }
                dots++;
            }
        }
        if (dots == 4) {
            return refuse(JwtReason.MALFORMED, "five-part token is a JWE (RFC 7516 §7.1); expected a signed JWT, a "
                    + "compact JWS (RFC 7515 §7.1)");
        }
        if (dots != 2) {
            return refuse(JwtReason.MALFORMED, "token has " + (dots + 1) + " parts (expected: 3, a compact JWS, "
                    + "RFC 7515 §7.1)");
        }
        byte[] headerBytes = Base64Url.decode(value, start, first);
        if (headerBytes == null || headerBytes.length == 0) {
            return refuse(JwtReason.MALFORMED, "header is not canonical base64url (RFC 7515 §2, RFC 4648 §3.5)");
        }
        byte[] payload = Base64Url.decode(value, first + 1, second);
        if (payload == null) {
            return refuse(JwtReason.MALFORMED, "payload is not canonical base64url (RFC 7515 §2, RFC 4648 §3.5)");
        }
        byte[] signature = Base64Url.decode(value, second + 1, value.length());
        if (signature == null) {
            return refuse(JwtReason.MALFORMED, "signature is not canonical base64url (RFC 7515 §2, RFC 4648 §3.5)");
        }
        // RFC 7515 §5.2 steps 3-4: the header is a UTF-8 JSON object; duplicate members are refused, not resolved.
        ObjectNode header = jsonObject(headerBytes);
        if (header == null) {
            return refuse(JwtReason.MALFORMED, "header is not a UTF-8 JSON object without duplicate members "
                    + "(RFC 7515 §5.2)");
        }
        JsonNode algNode = header.get("alg");
        if (algNode == null || !algNode.isTextual()) {
            return refuse(JwtReason.MALFORMED, "header has no alg (RFC 7515 §4.1.1)");
        }
        String algName = algNode.textValue();
        JwtAlg alg = JwtAlg.fromJwsName(algName).orElse(null);
        if (alg == null) {
            return refuse(algReason(algName), algRefusal(algName));
        }
        String unsupported = unsupportedHeader(header);
        if (unsupported != null) {
            return refuse(JwtReason.MALFORMED, unsupported);
        }
        JsonNode kidNode = header.get("kid");
        if (kidNode == null || !kidNode.isTextual()) {
            return refuse(JwtReason.UNKNOWN_KID, "header has no kid (RFC 7515 §4.1.4); every accepted key is "
                    + "named by its kid");
        }
        String kid = kidNode.textValue();
        JwtKeySet.Bound bound = keys.bound(kid);
        if (bound == null) {
            return refuse(JwtReason.UNKNOWN_KID, "kid " + JwtText.quote(kid) + " is not a configured key");
        }
        JwtKey jwtKey = bound.key();
        // RFC 8725 §3.1: the algorithm comes from the key, never from the token.
        if (alg != jwtKey.alg()) {
            return refuse(JwtReason.ALG_MISMATCH, "kid " + JwtText.quote(kid) + " is pinned to "
                    + jwtKey.alg().jwsName() + " but the token says " + alg.jwsName() + " (RFC 8725 §3.1)");
        }
        // RFC 7515 §5.2 step 8 with the JWS Signing Input = ASCII(header '.' payload), RFC 7515 §5.1 step 5.
        if (signature.length != alg.signatureLength(jwtKey.publicKey())
                || !signatureVerifies(alg, jwtKey.publicKey(), bytes, start, second - start, signature)) {
            return refuse(JwtReason.BAD_SIGNATURE, "signature does not verify with kid " + JwtText.quote(kid));
        }

        // Only now, authenticated, are the claims parsed at all.
        ObjectNode claims = jsonObject(payload);
        if (claims == null) {
            return refuse(JwtReason.MALFORMED, "claims are not a UTF-8 JSON object without duplicate members "
                    + "(RFC 7519 §7.2 step 10)");
        }
        return checkClaims(claims, bound, kid, now);
    }

    private Checked checkClaims(ObjectNode claims, JwtKeySet.Bound bound, String kid, Instant now) {
        Duration skew = settings.clockSkew();
        // RFC 7519 §4.1.4: required here, so that every token stops working on its own.
        JsonNode expNode = claims.get("exp");
        if (expNode == null) {
            return refuse(JwtReason.INVALID_CLAIMS, "exp missing (expected: a NumericDate, RFC 7519 §4.1.4; "
                    + "tokens without an expiry are refused)");
        }
        Instant exp = numericDate(expNode);
        if (exp == null) {
            return refuse(JwtReason.INVALID_CLAIMS, "exp " + JwtText.quote(expNode.toString())
                    + " (expected: a NumericDate, RFC 7519 §2)");
        }
        if (!exp.isAfter(now.minus(skew))) {
            return refuse(JwtReason.EXPIRED, "expired at " + exp + ", now is " + now + " (skew allowed: "
                    + skew.toSeconds() + " s, RFC 7519 §4.1.4)");
        }
        // RFC 7519 §4.1.5.
        JsonNode nbfNode = claims.get("nbf");
        Instant validFrom = Instant.MIN;
        if (nbfNode != null) {
            Instant nbf = numericDate(nbfNode);
            if (nbf == null) {
                return refuse(JwtReason.INVALID_CLAIMS, "nbf " + JwtText.quote(nbfNode.toString())
                        + " (expected: a NumericDate, RFC 7519 §2)");
            }
            if (nbf.isAfter(now.plus(skew))) {
                return refuse(JwtReason.NOT_YET_VALID, "not valid before " + nbf + ", now is " + now
                        + " (skew allowed: " + skew.toSeconds() + " s, RFC 7519 §4.1.5)");
            }
            validFrom = nbf.minus(skew);
        }
        JsonNode iat = claims.get("iat");
        if (iat != null && numericDate(iat) == null) {
            return refuse(JwtReason.INVALID_CLAIMS, "iat " + JwtText.quote(iat.toString())
                    + " (expected: a NumericDate, RFC 7519 §4.1.6)");
        }
        // RFC 7519 §4.1.1; the key binds the issuer: a key of one provider cannot vouch for another.
        JwtIssuer issuer = bound.issuer();
        JsonNode issNode = claims.get("iss");
        if (issNode != null && !issNode.isTextual()) {
            return refuse(JwtReason.INVALID_CLAIMS, "iss " + JwtText.quote(issNode.toString())
                    + " (expected: a string, RFC 7519 §4.1.1)");
        }
        if (issNode == null || !issNode.textValue().equals(issuer.issuer())) {
            String iss = issNode == null ? null : issNode.textValue();
            return refuse(JwtReason.WRONG_ISSUER, iss == null ? "iss missing (expected: " + JwtText.quote(
                    issuer.issuer()) + ")" : keys.issuer(iss).isPresent() ? "iss " + JwtText.quote(iss)
                    + " but kid " + JwtText.quote(kid) + " belongs to " + JwtText.quote(issuer.issuer())
                    : "iss " + JwtText.quote(iss) + " is not a configured issuer");
        }
        // RFC 7519 §4.1.3: a string or an array of strings; we must find ourselves in it, else reject.
        JsonNode aud = claims.get("aud");
        boolean ours = false;
        if (aud == null) {
            return refuse(JwtReason.WRONG_AUDIENCE, "aud missing (expected one of " + issuer.audiences() + ")");
        } else if (aud.isTextual()) {
            ours = issuer.accepts(aud.textValue());
        } else if (aud.isArray()) {
            for (JsonNode a : aud) {
                if (!a.isTextual()) {
                    return refuse(JwtReason.INVALID_CLAIMS, "aud contains " + JwtText.quote(a.toString())
                            + " (expected: strings, RFC 7519 §4.1.3)");
                }
                ours |= issuer.accepts(a.textValue());
            }
        } else {
            return refuse(JwtReason.INVALID_CLAIMS, "aud " + JwtText.quote(aud.toString())
                    + " (expected: a string or an array of strings, RFC 7519 §4.1.3)");
        }
        if (!ours) {
            return refuse(JwtReason.WRONG_AUDIENCE, "aud " + JwtText.quote(aud.toString()) + " (expected one of "
                    + issuer.audiences() + ")");
        }
        ClaimMapping map = issuer.claims();
        JsonNode agent = claims.get(map.agentId());
        if (agent == null || agent.isNull()) {
            return refuse(JwtReason.NO_IDENTITY, "claim " + map.agentId() + " (the agent id) missing");
        }
        String[] ids = new String[5];
        String[] names = {map.agentId(), map.teamId(), map.projectId(), map.environment(), map.trustTier()};
        for (int i = 0; i < names.length; i++) {
            JsonNode v = claims.get(names[i]);
            if (v == null || v.isNull()) {
                continue;
            }
            if (!v.isTextual() || !ID.matcher(v.textValue()).matches()) {
                return refuse(JwtReason.INVALID_CLAIMS, "claim " + names[i] + " " + JwtText.quote(v.toString())
                        + " (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit)");
            }
            ids[i] = v.textValue();
        }
        Identity identity = new Identity(ids[0], ids[1], ids[2], ids[3], ids[4], AuthMethod.JWT, true);
        return new Checked(new Verified(identity, exp, kid), validFrom);
    }

    private static JwtReason algReason(String alg) {
        if (alg.equalsIgnoreCase("none")) {
            return JwtReason.ALG_NONE;
        }
        return alg.toUpperCase(Locale.ROOT).startsWith("HS") ? JwtReason.ALG_HMAC : JwtReason.ALG_NOT_ALLOWED;
    }

    private static String algRefusal(String alg) {
        if (alg.equalsIgnoreCase("none")) {
            return "alg " + JwtText.quote(alg) + ": unsecured tokens are never accepted (RFC 7519 §6, RFC 8725 §3.1)";
        }
        if (alg.toUpperCase(Locale.ROOT).startsWith("HS")) {
            return "alg " + JwtText.quote(alg) + ": HMAC is never accepted; the gateway holds only public keys "
                    + "(RFC 8725 §2.1, §3.1)";
        }
        return "alg " + JwtText.quote(alg) + " (expected: EdDSA, ES256 or RS256)";
    }

    /** Header parameters we do not implement and must not ignore, or {@code null}. */
    private static String unsupportedHeader(ObjectNode header) {
        if (header.has("enc")) {
            return "header has enc: a JWE (RFC 7516 §4.1.2); expected a signed JWT";
        }
        if (header.has("crit")) {
            // RFC 7515 §4.1.11: a recipient that does not understand every listed extension MUST reject.
            return "header has crit " + JwtText.quote(header.get("crit").toString()) + "; no extensions are "
                    + "understood (RFC 7515 §4.1.11)";
        }
        if (header.has("b64")) {
            return "header has b64 (RFC 7797): unencoded payloads are not accepted";
        }
        if (header.has("zip")) {
            return "header has zip: compressed payloads are not accepted (RFC 8725 §3.6)";
        }
        JsonNode cty = header.get("cty");
        if (cty != null && (!cty.isTextual() || cty.textValue().equalsIgnoreCase("JWT"))) {
            return "header cty " + JwtText.quote(cty.toString()) + ": nested tokens are not accepted (RFC 7519 §5.2)";
        }
        JsonNode typ = header.get("typ");
        if (typ != null && !(typ.isTextual() && acceptedType(typ.textValue()))) {
            // RFC 8725 §3.11: explicit typing keeps other kinds of JWS (e.g. a bundle signature) from passing as one.
            return "header typ " + JwtText.quote(typ.toString()) + " (expected: absent, JWT or at+jwt, "
                    + "RFC 7519 §5.1, RFC 9068 §2.1)";
        }
        return null;
    }

    /** RFC 7515 §4.1.9: media types compared case-insensitively, "application/" may be omitted. */
    private static boolean acceptedType(String typ) {
        String t = typ.regionMatches(true, 0, "application/", 0, 12) ? typ.substring(12) : typ;
        return t.equalsIgnoreCase("JWT") || t.equalsIgnoreCase("at+jwt");
    }

    private static ObjectNode jsonObject(byte[] utf8) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(utf8)).toString();
            return JwtKeySet.JSON.readTree(text) instanceof ObjectNode object ? object : null;
        } catch (CharacterCodingException e) {
            return null; // RFC 7515 §5.2 step 4: the header is UTF-8
        } catch (IOException e) {
            return null; // not JSON, duplicate members, trailing data: refused by the caller with its reason
        }
    }

    /** RFC 7519 §2 NumericDate: seconds since the epoch, possibly fractional; {@code null} if not a number. */
    static Instant numericDate(JsonNode node) {
        if (!node.isNumber()) {
            return null;
        }
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                return Instant.ofEpochSecond(node.bigIntegerValue().signum() > 0 ? MAX_SECONDS : MIN_SECONDS);
            }
            return Instant.ofEpochSecond(Math.clamp(node.longValue(), MIN_SECONDS, MAX_SECONDS));
        }
        double v = node.doubleValue();
        if (Double.isNaN(v)) {
            return null;
        }
        if (v >= MAX_SECONDS) {
            return Instant.ofEpochSecond(MAX_SECONDS);
        }
        if (v <= MIN_SECONDS) {
            return Instant.ofEpochSecond(MIN_SECONDS);
        }
        double seconds = Math.floor(v);
        return Instant.ofEpochSecond((long) seconds, (long) ((v - seconds) * 1e9));
    }

    private static boolean signatureVerifies(JwtAlg alg, PublicKey key, byte[] bytes, int from, int length,
                                             byte[] signature) {
        try {
            return alg.jjwt().verify(new SignedInput(key, bytes, from, length, signature));
        } catch (JwtException e) {
            // jjwt's SignatureException and friends: a signature it cannot even check does not verify.
            return false;
        }
    }

    /** jjwt's verification request over a slice of the header bytes, without copying them. */
    private record SignedInput(PublicKey key, byte[] bytes, int from, int length, byte[] signature)
            implements VerifySecureDigestRequest<PublicKey> {

        @Override
        public InputStream getPayload() {
            return new ByteArrayInputStream(bytes, from, length);
        }

        @Override
        public Provider getProvider() {
            return null;
        }

        @Override
        public SecureRandom getSecureRandom() {
            return null;
        }

        @Override
        public PublicKey getKey() {
            return key;
        }

        @Override
        public byte[] getDigest() {
            return signature;
        }
    }
}
