package io.clawgress.enforcement.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.bundle.BundleException.Reason;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.SecurityException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Decides whether an {@link UnpackedBundle} may be activated. Checks run in this order and the first failure is the
 * reason (see {@code docs/bundles.md}):
 * <ol>
 *   <li>{@code .signatures.json}: {@code {"signatures": [one compact JWS]}} — else {@code MALFORMED_SIGNATURES};</li>
 *   <li>JWS protected header: only {@code alg, kid, typ, cty}, {@code typ} = {@value BundleFormat#JWS_TYPE} — else
 *       {@code MALFORMED_SIGNATURES}; {@code alg} is EdDSA or ES256 — else {@code DISALLOWED_ALG} ({@code none},
 *       HMAC and everything else, RFC 8725 §3.1);</li>
 *   <li>{@code kid} is in the trusted set — else {@code UNKNOWN_KID}; {@code alg} is the one pinned for that key —
 *       else {@code ALG_MISMATCH} (RFC 8725 §3.1: the key, not the token, chooses the algorithm);</li>
 *   <li>the signature verifies with that key (jjwt) — else {@code BAD_SIGNATURE};</li>
 *   <li>the payload is exactly {@code kid, revision, not_before, expires, files} with the header's kid — else
 *       {@code MALFORMED_SIGNATURES};</li>
 *   <li>{@code now} is within [{@code not_before} − skew, {@code expires} + skew), skew =
 *       {@link BundleFormat#CLOCK_SKEW} — else {@code NOT_YET_VALID} or {@code EXPIRED};</li>
 *   <li>{@code revision} &gt; the active one, unless rollback is allowed — else {@code REVISION_NOT_NEWER};</li>
 *   <li>every archive file is listed — else {@code FILE_NOT_SIGNED}; every listed file is present — else
 *       {@code SIGNED_FILE_MISSING}; every SHA-256 matches — else {@code DIGEST_MISMATCH}; each naming the first
 *       offending path in path order.</li>
 * </ol>
 * Nothing in the payload is believed before step 4, and no file content is used before step 8.
 */
public final class BundleVerifier {

    private static final Set<String> SIGNATURES_FIELDS = Set.of(BundleFormat.F_SIGNATURES);
    private static final Set<String> HEADER_FIELDS = Set.of("alg", "kid", "typ", "cty");
    private static final Set<String> PAYLOAD_FIELDS = Set.of(BundleFormat.F_KID, BundleFormat.F_REVISION,
            BundleFormat.F_NOT_BEFORE, BundleFormat.F_EXPIRES, BundleFormat.F_FILES);
    private static final int MAX_SIGNED_PATH = 4096;
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

    private BundleVerifier() {
    }

    /**
     * @param activeRevision the revision being enforced now, 0 when none
     * @param allowRollback  accept a revision lower than or equal to the active one (operator's {@code --rollback})
     */
    public static VerifiedBundle verify(UnpackedBundle bundle, TrustedKeys trusted, Instant now, long activeRevision,
                                        boolean allowRollback) throws BundleException {
        Reason m = Reason.MALFORMED_SIGNATURES;
        ObjectNode envelope = BundleFormat.parseObject(bundle.signaturesJson(), m, BundleFormat.SIGNATURES_FILE);
        BundleFormat.requireOnlyFields(envelope, SIGNATURES_FIELDS, m, BundleFormat.SIGNATURES_FILE);
        JsonNode list = envelope.get(BundleFormat.F_SIGNATURES);
        if (list == null || !list.isArray() || list.size() != 1 || !list.get(0).isTextual()) {
            throw new BundleException(m, BundleFormat.SIGNATURES_FILE
                    + ": expected {\"signatures\": [\"<one compact JWS>\"]}");
        }
        String jws = list.get(0).textValue();
        if (!COMPACT_JWS.matcher(jws).matches()) {
            throw new BundleException(m, "signature is not a compact JWS (RFC 7515 §7.1: three base64url parts)");
        }

        ObjectNode header = BundleFormat.parseObject(base64Url(jws.substring(0, jws.indexOf('.'))), m, "JWS header");
        BundleFormat.requireOnlyFields(header, HEADER_FIELDS, m, "JWS header");
        String algName = BundleFormat.requireText(header, "alg", m, "JWS header");
        SigningAlg alg = SigningAlg.fromJwsName(algName).orElseThrow(() -> new BundleException(Reason.DISALLOWED_ALG,
                "JWS alg " + BundlePaths.quote(algName) + " (expected: EdDSA or ES256; none and HMAC are never "
                        + "accepted)"));
        String kid = BundleFormat.requireText(header, "kid", m, "JWS header");
        String typ = BundleFormat.requireText(header, "typ", m, "JWS header");
        if (!typ.equals(BundleFormat.JWS_TYPE)) {
            throw new BundleException(m, "JWS typ " + BundlePaths.quote(typ) + " (expected: "
                    + BundleFormat.JWS_TYPE + ")");
        }

        TrustedKey key = trusted.find(kid).orElseThrow(() -> new BundleException(Reason.UNKNOWN_KID,
                "kid " + BundlePaths.quote(kid) + " is not in the trusted key set"));
        if (key.alg() != alg) {
            throw new BundleException(Reason.ALG_MISMATCH, "kid " + BundlePaths.quote(kid) + " is trusted for "
                    + key.alg().jwsName() + " but the signature claims " + alg.jwsName());
        }

        byte[] payloadBytes;
        try {
            payloadBytes = Jwts.parser()
                    .verifyWith(key.publicKey())
                    .sig().clear().add(switch (alg) {
                        case EDDSA -> Jwts.SIG.EdDSA;
                        case ES256 -> Jwts.SIG.ES256;
                    }).and()
                    .zip().clear().and()
                    .build()
                    .parseSignedContent(jws)
                    .getPayload();
        } catch (SecurityException e) {
            throw new BundleException(Reason.BAD_SIGNATURE, "signature does not verify with trusted key "
                    + BundlePaths.quote(kid) + " (" + e.getMessage() + ")", e);
        } catch (JwtException | IllegalArgumentException e) {
            throw new BundleException(m, "JWS refused: " + e.getMessage(), e);
        }

        ObjectNode payload = BundleFormat.parseObject(payloadBytes, m, "JWS payload");
        BundleFormat.requireOnlyFields(payload, PAYLOAD_FIELDS, m, "JWS payload");
        String payloadKid = BundleFormat.requireText(payload, BundleFormat.F_KID, m, "JWS payload");
        if (!payloadKid.equals(kid)) {
            throw new BundleException(m, "payload kid " + BundlePaths.quote(payloadKid) + " differs from header kid "
                    + BundlePaths.quote(kid));
        }
        JsonNode rev = payload.get(BundleFormat.F_REVISION);
        if (rev == null || !rev.isIntegralNumber() || !rev.canConvertToLong() || rev.longValue() < 1) {
            throw new BundleException(m, "payload revision " + rev + " (expected: an integer >= 1)");
        }
        long revision = rev.longValue();
        Instant notBefore = instant(payload, BundleFormat.F_NOT_BEFORE);
        Instant expires = instant(payload, BundleFormat.F_EXPIRES);
        if (!notBefore.isBefore(expires)) {
            throw new BundleException(m, "not_before " + notBefore + " is not before expires " + expires);
        }
        Map<String, String> signed = signedDigests(payload.get(BundleFormat.F_FILES));

        if (now.isBefore(notBefore.minus(BundleFormat.CLOCK_SKEW))) {
            throw new BundleException(Reason.NOT_YET_VALID, "not valid before " + notBefore + ", now is " + now
                    + " (skew allowed: " + BundleFormat.CLOCK_SKEW.toSeconds() + " s)");
        }
        if (!now.isBefore(expires.plus(BundleFormat.CLOCK_SKEW))) {
            throw new BundleException(Reason.EXPIRED, "expired at " + expires + ", now is " + now
                    + " (skew allowed: " + BundleFormat.CLOCK_SKEW.toSeconds() + " s)");
        }
        if (revision <= activeRevision && !allowRollback) {
            throw new BundleException(Reason.REVISION_NOT_NEWER, "revision " + revision + " is not newer than the "
                    + "active revision " + activeRevision + " (rollback not allowed)");
        }

        Map<String, byte[]> files = bundle.files();
        for (String path : files.keySet()) {
            if (!signed.containsKey(path)) {
                throw new BundleException(Reason.FILE_NOT_SIGNED, "file " + BundlePaths.quote(path)
                        + " is in the archive but not in the signed file list");
            }
        }
        for (String path : signed.keySet()) {
            if (!files.containsKey(path)) {
                throw new BundleException(Reason.SIGNED_FILE_MISSING, "file " + BundlePaths.quote(path)
                        + " is signed but missing from the archive");
            }
        }
        Map<String, byte[]> verified = new TreeMap<>();
        for (var e : signed.entrySet()) {
            byte[] content = files.get(e.getKey()).clone();
            byte[] actual = BundleBuilder.sha256Hex(content).getBytes(StandardCharsets.US_ASCII);
            if (!MessageDigest.isEqual(actual, e.getValue().getBytes(StandardCharsets.US_ASCII))) {
                throw new BundleException(Reason.DIGEST_MISMATCH, "file " + BundlePaths.quote(e.getKey())
                        + ": SHA-256 " + new String(actual, StandardCharsets.US_ASCII) + " (signed: " + e.getValue()
                        + ")");
            }
            verified.put(e.getKey(), content);
        }
        return new VerifiedBundle(revision, notBefore, expires, kid, verified);
    }

    private static Map<String, String> signedDigests(JsonNode node) throws BundleException {
        Reason m = Reason.MALFORMED_SIGNATURES;
        if (!(node instanceof ObjectNode files)) {
            throw new BundleException(m, "payload files: expected an object of path to SHA-256 hex");
        }
        Map<String, String> signed = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            var e = it.next();
            try {
                BundlePaths.requireValid(e.getKey(), MAX_SIGNED_PATH); // archive paths were bounded by the reader
            } catch (BundleException bad) {
                throw new BundleException(m, "payload files: " + bad.getMessage(), bad);
            }
            if (e.getKey().equals(BundleFormat.SIGNATURES_FILE)) {
                throw new BundleException(m, "payload files: lists " + BundleFormat.SIGNATURES_FILE);
            }
            if (!e.getValue().isTextual() || !SHA256_HEX.matcher(e.getValue().textValue()).matches()) {
                throw new BundleException(m, "payload files: " + BundlePaths.quote(e.getKey())
                        + " has digest " + e.getValue() + " (expected: 64 lower-case hex digits)");
            }
            signed.put(e.getKey(), e.getValue().textValue());
        }
        return signed;
    }

    private static Instant instant(ObjectNode payload, String field) throws BundleException {
        String text = BundleFormat.requireText(payload, field, Reason.MALFORMED_SIGNATURES, "JWS payload");
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new BundleException(Reason.MALFORMED_SIGNATURES, "payload " + field + " "
                    + BundlePaths.quote(text) + " (expected: ISO-8601 instant such as 2026-11-21T00:00:00Z)", e);
        }
    }

    private static byte[] base64Url(String part) throws BundleException {
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new BundleException(Reason.MALFORMED_SIGNATURES, "JWS header is not base64url", e);
        }
    }
}
