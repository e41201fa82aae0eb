package io.clawgress.enforcement.identity.jwt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsonwebtoken.security.Jwks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keys generated once per test JVM, a key set with two issuers, a fixed clock, and tokens crafted byte by byte with
 * the JDK's own signature primitives, so that the verifier is never tested only against its own encoder.
 */
final class JwtFixture {

    static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    static final String ISS = "https://idp.example.com/";
    static final String OTHER_ISS = "https://other.example.org";
    static final String AUD = "clawgress";
    static final String ED_KID = "ed-1";
    static final String EC_KID = "ec-1";
    static final String RSA_KID = "rsa-1";
    static final String OTHER_KID = "other-ed";
    static final ObjectMapper JSON = new ObjectMapper();

    static final KeyPair ED = pair("Ed25519", null);
    static final KeyPair EC = pair("EC", new ECGenParameterSpec("secp256r1"));
    static final KeyPair RSA = rsa(2048);
    static final KeyPair OTHER = pair("Ed25519", null);
    /** Not in any key set: what an attacker without the real key signs with. */
    static final KeyPair IMPOSTOR = pair("Ed25519", null);
    static final KeyPair OTHER_RSA = rsa(2048);

    /** EdDSA and RS256 as PEM, ES256 as a public JWK; a second issuer with its own key and audience. */
    static final String KEY_SET_JSON = """
            {"issuers": [
              {"iss": "%s", "aud": ["%s", "gateway-b"], "keys": [
                {"kid": "%s", "alg": "EdDSA", "public_key_pem": %s},
                {"kid": "%s", "alg": "ES256", "jwk": %s},
                {"kid": "%s", "alg": "RS256", "public_key_pem": %s}]},
              {"iss": "%s", "aud": ["other-aud"], "claims": {"agent_id": "client_id", "team_id": "team"}, "keys": [
                {"kid": "%s", "alg": "EdDSA", "public_key_pem": %s}]}]}
            """.formatted(ISS, AUD, ED_KID, quoted(pem(ED)), EC_KID, jwk(EC), RSA_KID, quoted(pem(RSA)),
            OTHER_ISS, OTHER_KID, quoted(pem(OTHER)));
    static final JwtKeySet KEYS = parseKeys(KEY_SET_JSON);

    private JwtFixture() {
    }

    static KeyPair pair(String algorithm, ECGenParameterSpec spec) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (spec != null) {
                g.initialize(spec);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(KeyPair pair) {
        return JwtPem.encode(JwtPem.PUBLIC, pair.getPublic().getEncoded());
    }

    static String jwk(KeyPair pair) {
        try {
            return JSON.writeValueAsString(Jwks.builder().key(pair.getPublic()).build());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String quoted(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JwtKeySet parseKeys(String json) {
        try {
            return JwtKeySet.parse(json.getBytes(StandardCharsets.UTF_8));
        } catch (JwtKeySetException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The claims of a good token for agent-7 of team research, valid from NOW - 60 s to NOW + 10 min. */
    static Map<String, Object> claims() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("iss", ISS);
        c.put("sub", "agent-7");
        c.put("aud", AUD);
        c.put("team_id", "research");
        c.put("project_id", "llm-evals");
        c.put("environment", "dev");
        c.put("trust_tier", "t2");
        c.put("iat", NOW.getEpochSecond() - 60);
        c.put("nbf", NOW.getEpochSecond() - 60);
        c.put("exp", NOW.getEpochSecond() + 600);
        return c;
    }

    static Map<String, Object> header(String alg, String kid) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("alg", alg);
        h.put("typ", "JWT");
        if (kid != null) {
            h.put("kid", kid);
        }
        return h;
    }

    /** Signs ASCII(header.payload) the way RFC 7515 §5.1 says. */
    interface Signer {
        byte[] sign(byte[] input) throws GeneralSecurityException;
    }

    static Signer jca(String algorithm, PrivateKey key) {
        return input -> {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(input);
            return s.sign();
        };
    }

    static Signer ed(KeyPair pair) {
        return jca("Ed25519", pair.getPrivate());
    }

    /** ES256 signatures are R || S (RFC 7518 §3.4), which is the JDK's P1363 format. */
    static Signer es256(KeyPair pair) {
        return jca("SHA256withECDSAinP1363Format", pair.getPrivate());
    }

    static Signer rs256(KeyPair pair) {
        return jca("SHA256withRSA", pair.getPrivate());
    }

    /** The "HMAC with the public key as secret" forgery (RFC 8725 §2.1). */
    static Signer hmac(byte[] secret) {
        return input -> {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(input);
        };
    }

    static Signer none() {
        return input -> new byte[0];
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String b64(String utf8) {
        return b64(utf8.getBytes(StandardCharsets.UTF_8));
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String token(Map<String, Object> header, Map<String, Object> claims, Signer signer) {
        return token(json(header), json(claims), signer);
    }

    /** A compact JWS from raw header and payload JSON text. */
    static String token(String headerJson, String payloadJson, Signer signer) {
        String input = b64(headerJson) + "." + b64(payloadJson);
        try {
            return input + "." + b64(signer.sign(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String edToken(Map<String, Object> claims) {
        return token(header("EdDSA", ED_KID), claims, ed(ED));
    }

    static String bearer(String token) {
        return "Bearer " + token;
    }
}
