package io.clawgress.benchmarks;

import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtKeySetException;
import io.clawgress.enforcement.identity.jwt.JwtSettings;
import io.clawgress.enforcement.identity.jwt.JwtVerifier;
import io.jsonwebtoken.Jwts;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Agent JWT verification (DESIGN.md §8: cached median <= 1 us, aim <= 200 ns). {@code cached} is the hot path of
 * every request after the first with a token: the SHA-256 of the token and one map lookup. {@code uncached} is the
 * full check with the cache off: base64url, two strict JSON parses, the signature (jjwt over the JDK's providers)
 * and the claims. The tokens look like an identity provider's: {@code iss, sub, aud, iat, nbf, exp, jti} and three
 * identity claims: 477 characters for EdDSA and ES256, 733 for RS256 (2048-bit key). {@code sha256Only} is the
 * floor under {@code cached}: copying the token's bytes and hashing them.
 * Run: {@code scripts/bench.sh JwtVerify -bm sample -tu ns}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JwtVerifyBenchmark {

    private static final String ISS = "https://idp.example.com/";
    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    @Param({"EdDSA", "ES256", "RS256"})
    String alg;

    private JwtVerifier cachedVerifier;
    private JwtVerifier uncachedVerifier;
    private String header;

    @Setup
    public void setUp() throws GeneralSecurityException, JwtKeySetException {
        KeyPair pair = switch (alg) {
            case "EdDSA" -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            case "ES256" -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                yield g.generateKeyPair();
            }
            case "RS256" -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                yield g.generateKeyPair();
            }
            default -> throw new IllegalArgumentException("alg: " + alg);
        };
        // PEM with its line breaks written as JSON escapes, ready to go into the key-set file.
        String pem = "-----BEGIN PUBLIC KEY-----\\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pair.getPublic().getEncoded())
                        .replace("\n", "\\n")
                + "\\n-----END PUBLIC KEY-----\\n";
        String keySet = "{\"issuers\": [{\"iss\": \"" + ISS + "\", \"aud\": [\"clawgress\"], \"keys\": ["
                + "{\"kid\": \"bench-1\", \"alg\": \"" + alg + "\", \"public_key_pem\": \"" + pem + "\"}]}]}";
        JwtKeySet keys = JwtKeySet.parse(keySet.getBytes(StandardCharsets.UTF_8));
        cachedVerifier = new JwtVerifier(keys, JwtSettings.DEFAULTS);
        uncachedVerifier = new JwtVerifier(keys, JwtSettings.DEFAULTS.withCache(0, JwtSettings.DEFAULT_CACHE_TTL));

        String token = Jwts.builder()
                .header().keyId("bench-1").type("JWT").and()
                .issuer(ISS)
                .subject("agent-research-0042")
                .audience().add("clawgress").and()
                .issuedAt(Date.from(NOW.minusSeconds(60)))
                .notBefore(Date.from(NOW.minusSeconds(60)))
                .expiration(Date.from(NOW.plus(Duration.ofHours(1))))
                .id(UUID.randomUUID().toString())
                .claim("team_id", "research")
                .claim("project_id", "llm-evals")
                .claim("environment", "staging")
                .signWith(pair.getPrivate(), switch (alg) {
                    case "EdDSA" -> Jwts.SIG.EdDSA;
                    case "ES256" -> Jwts.SIG.ES256;
                    default -> Jwts.SIG.RS256;
                })
                .compact();
        header = "Bearer " + token;
        if (!(cachedVerifier.verify(header, NOW) instanceof JwtVerifier.Verified)
                || !(uncachedVerifier.verify(header, NOW) instanceof JwtVerifier.Verified)) {
            throw new IllegalStateException("benchmark token does not verify");
        }
    }

    @Benchmark
    public JwtVerifier.Result cached() {
        return cachedVerifier.verify(header, NOW);
    }

    @Benchmark
    public JwtVerifier.Result uncached() {
        return uncachedVerifier.verify(header, NOW);
    }

    /** The floor under {@link #cached}: the token's bytes and their SHA-256, nothing else. */
    @Benchmark
    public byte[] sha256Only(Digest digest) {
        digest.sha256.update(header.getBytes(StandardCharsets.UTF_8), 7, header.length() - 7);
        return digest.sha256.digest();
    }

    @State(Scope.Thread)
    public static class Digest {
        final MessageDigest sha256;

        public Digest() {
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
