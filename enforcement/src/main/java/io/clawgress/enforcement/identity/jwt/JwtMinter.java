package io.clawgress.enforcement.identity.jwt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.Identity;
import io.jsonwebtoken.JwtBuilder;
import io.jsonwebtoken.Jwts;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Mints EdDSA agent tokens with a local key, for sites without an identity provider ({@code clawgressctl agent token
 * <id> --ttl D}). The matching public key goes into the bundle's key set ({@link #keySetJson}) under an issuer whose
 * claims use the default {@link ClaimMapping}: the token carries {@code iss}, {@code sub} (the agent id),
 * {@code aud}, {@code iat}, {@code nbf}, {@code exp}, a random {@code jti}, and {@code team_id}, {@code project_id},
 * {@code environment}, {@code trust_tier} when the identity has them.
 *
 * <p>Key generation and minting read the system's random source, which can block: CLI or a worker thread only, never
 * an event loop.
 */
public final class JwtMinter {

    public static final Duration MAX_TTL = Duration.ofDays(366);

    private final String issuer;
    private final String kid;
    private final PrivateKey privateKey;

    /**
     * @param issuer     the {@code iss} the key set lists this key under
     * @param kid        the key's id in the key set
     * @param privateKey an Ed25519 private key
     */
    public JwtMinter(String issuer, String kid, PrivateKey privateKey) {
        Objects.requireNonNull(privateKey, "privateKey");
        JwtKey.requireKid(kid);
        if (issuer == null || issuer.isEmpty() || issuer.length() > JwtIssuer.MAX_ISSUER_LENGTH
                || !JwtKey.printableAscii(issuer)) {
            throw new IllegalArgumentException("issuer: " + JwtText.quote(issuer) + " (expected: 1.."
                    + JwtIssuer.MAX_ISSUER_LENGTH + " printable ASCII characters)");
        }
        String why = JwtAlg.EDDSA.unsuitable(privateKey);
        if (why != null) {
            throw new IllegalArgumentException("privateKey: " + why);
        }
        this.issuer = issuer;
        this.kid = kid;
        this.privateKey = privateKey;
    }

    /** From a PKCS #8 PEM as written by {@link #generate}. */
    public static JwtMinter fromPem(String issuer, String kid, String privateKeyPem) throws GeneralSecurityException {
        return new JwtMinter(issuer, kid, JwtPem.readPrivateKey(privateKeyPem, JwtAlg.EDDSA));
    }

    /**
     * A compact JWS for {@code agent}, valid from {@code now} (whole seconds) for {@code ttl}.
     *
     * @throws IllegalArgumentException when the agent is disabled, the audience is empty or the ttl out of range
     */
    public String mint(Identity agent, String audience, Instant now, Duration ttl) {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(ttl, "ttl");
        if (!agent.active()) {
            throw new IllegalArgumentException("agent " + agent.agentId() + ": disabled (expected: an active agent)");
        }
        if (audience == null || audience.isEmpty() || audience.length() > JwtIssuer.MAX_AUDIENCE_LENGTH
                || !JwtKey.printableAscii(audience)) {
            throw new IllegalArgumentException("audience: " + JwtText.quote(audience) + " (expected: 1.."
                    + JwtIssuer.MAX_AUDIENCE_LENGTH + " printable ASCII characters)");
        }
        if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: PT1S.." + MAX_TTL + ")");
        }
        Instant from = now.truncatedTo(ChronoUnit.SECONDS);
        ClaimMapping claims = ClaimMapping.DEFAULT;
        JwtBuilder builder = Jwts.builder()
                .header().keyId(kid).type("JWT").and()
                .issuer(issuer)
                .subject(agent.agentId())
                .audience().add(audience).and()
                .issuedAt(Date.from(from))
                .notBefore(Date.from(from))
                .expiration(Date.from(from.plus(ttl)))
                .id(UUID.randomUUID().toString());
        claim(builder, claims.teamId(), agent.teamId());
        claim(builder, claims.projectId(), agent.projectId());
        claim(builder, claims.environment(), agent.environment());
        claim(builder, claims.trustTier(), agent.trustTier());
        return builder.signWith(privateKey, Jwts.SIG.EdDSA).compact();
    }

    private static void claim(JwtBuilder builder, String name, String value) {
        if (value != null) {
            builder.claim(name, value);
        }
    }

    public String issuer() {
        return issuer;
    }

    public String kid() {
        return kid;
    }

    /** A fresh Ed25519 key pair as PEM. Blocks on entropy when the system has little; never on an event loop. */
    public static GeneratedKey generate(String kid) throws GeneralSecurityException {
        JwtKey.requireKid(kid);
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        return new GeneratedKey(kid, JwtPem.encode(JwtPem.PRIVATE, pair.getPrivate().getEncoded()),
                JwtPem.encode(JwtPem.PUBLIC, pair.getPublic().getEncoded()));
    }

    /** A generated Ed25519 key: the private half stays with the minter, the public half goes into the bundle. */
    public record GeneratedKey(String kid, String privateKeyPem, String publicKeyPem) {

        public GeneratedKey {
            JwtKey.requireKid(kid);
            Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            Objects.requireNonNull(publicKeyPem, "publicKeyPem");
        }

        public JwtKey jwtKey() throws GeneralSecurityException {
            return new JwtKey(kid, JwtAlg.EDDSA, JwtPem.readPublicKey(publicKeyPem, JwtAlg.EDDSA));
        }

        public JwtMinter minter(String issuer) throws GeneralSecurityException {
            return fromPem(issuer, kid, privateKeyPem);
        }

        @Override
        public String toString() {
            return "GeneratedKey[kid=" + kid + ", alg=EdDSA]";
        }
    }

    /** A complete key-set file ({@link JwtKeySet}) with one issuer trusting {@code keys}, pretty-printed. */
    public static String keySetJson(String issuer, List<String> audiences, List<GeneratedKey> keys) {
        ObjectNode root = JwtKeySet.JSON.createObjectNode();
        ObjectNode entry = root.putArray("issuers").addObject();
        entry.put("iss", issuer);
        ArrayNode aud = entry.putArray("aud");
        audiences.forEach(aud::add);
        ArrayNode array = entry.putArray("keys");
        for (GeneratedKey key : keys) {
            array.addObject().put("kid", key.kid()).put("alg", JwtAlg.EDDSA.jwsName())
                    .put("public_key_pem", key.publicKeyPem());
        }
        try {
            return JwtKeySet.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("serialising a JSON tree", e);
        }
    }
}
