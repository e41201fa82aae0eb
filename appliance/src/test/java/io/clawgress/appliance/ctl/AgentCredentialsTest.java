package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtSettings;
import io.clawgress.enforcement.identity.jwt.JwtVerifier;
import io.clawgress.intercept.ca.AgentCertIssuer;
import io.clawgress.intercept.ca.AgentIdentities;
import io.clawgress.intercept.ca.AgentIdentityResult;
import io.clawgress.intercept.ca.InterceptCa;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code clawgressctl agent cert} and {@code agent token}, in-process, on a registry and CA in a temp state dir. */
class AgentCredentialsTest {

    private static final String TD = "agents.example.com";

    @TempDir
    Path tmp;

    Path state;
    Path caDir;
    Path key;
    Path cert;

    @BeforeEach
    void setUp() throws Exception {
        state = Files.createDirectory(tmp.resolve("state"));
        caDir = InterceptCa.directoryIn(state);
        key = tmp.resolve("agent.key.pem");
        cert = tmp.resolve("agent.pem");
        ok(agent("add", "research-bot", "--team", "research", "--environment", "dev"));
        ok(agent("add", "old-bot"));
        ok(agent("disable", "old-bot", "--reason", "retired"));
    }

    private Ctl.Run agent(String... args) {
        List<String> all = new ArrayList<>(List.of("agent"));
        all.addAll(Arrays.asList(args));
        all.addAll(List.of("--state-dir", state.toString()));
        return Ctl.run(all.toArray(String[]::new));
    }

    private Ctl.Run cert(String id, String... more) {
        List<String> args = new ArrayList<>(List.of("cert", id, "--trust-domain", TD, "--out-key", key.toString(),
                "--out-cert", cert.toString()));
        args.addAll(Arrays.asList(more));
        return agent(args.toArray(String[]::new));
    }

    private static Ctl.Run ok(Ctl.Run run) {
        assertThat(run.exit()).as(run.toString()).isZero();
        return run;
    }

    private static String mode(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    private static X509Certificate readCert(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static PrivateKey readEcKey(Path file) throws Exception {
        String pem = Files.readString(file);
        assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n");
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    }

    // --- agent cert

    @Test
    void certRoundTrip() throws Exception {
        Ctl.Run run = ok(cert("research-bot"));

        assertThat(run.out()).contains("created the agents' CA").contains("ca export --agents")
                .contains("spiffe://agents.example.com/agent/research-bot")
                .contains("valid until: " + Ctl.NOW.plus(Duration.ofDays(90)));
        assertThat(mode(key)).isEqualTo("rw-------");
        assertThat(mode(cert)).isEqualTo("rw-r--r--");

        X509Certificate c = readCert(cert);
        assertThat(c.getSubjectAlternativeNames())
                .containsExactly(List.of(6, "spiffe://agents.example.com/agent/research-bot"));
        assertThat(c.getNotAfter().toInstant()).isEqualTo(Ctl.NOW.plus(Duration.ofDays(90)));
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");

        X509Certificate ca = AgentCertIssuer.readCaCertificate(caDir);
        AgentIdentities identities = new AgentIdentities(ca, TD, Ctl.CLOCK);
        assertThat(identities.identify(new Certificate[] {c}))
                .isEqualTo(new AgentIdentityResult.Identified("research-bot", AgentIdentityResult.Source.SPIFFE_ID));

        // the key is the certificate's
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(readEcKey(key));
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(c.getPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertThat(s.verify(sig)).isTrue();

        // the CA that `ca export --agents` prints is the one it chains to; a second cert reuses it
        assertThat(ok(Ctl.run("ca", "export", "--agents", "--state-dir", state.toString())).out())
                .isEqualTo(CaExportCommand.certificatePem(ca));
        Ctl.Run again = ok(cert("research-bot", "--force", "--valid-for", "12h"));
        assertThat(again.out()).doesNotContain("created the agents' CA");
        assertThat(AgentCertIssuer.readCaCertificate(caDir)).isEqualTo(ca);
        assertThat(readCert(cert).getNotAfter().toInstant()).isEqualTo(Ctl.NOW.plus(Duration.ofHours(12)));
    }

    @Test
    void pkcs12LoadsWithThePasswordFromTheFile() throws Exception {
        Path p12 = tmp.resolve("agent.p12");
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "s3cret pass\nignored second line\n");

        ok(cert("research-bot", "--pkcs12", p12.toString(), "--password-file", pw.toString()));

        assertThat(mode(p12)).isEqualTo("rw-------");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(Files.readAllBytes(p12)), "s3cret pass".toCharArray());
        assertThat(ks.isKeyEntry("research-bot")).isTrue();
        Certificate[] chain = ks.getCertificateChain("research-bot");
        assertThat(chain).hasSize(2);
        assertThat(chain[0]).isEqualTo(readCert(cert));
        assertThat(chain[1]).isEqualTo(AgentCertIssuer.readCaCertificate(caDir));
        assertThat(ks.getKey("research-bot", "s3cret pass".toCharArray()).getEncoded())
                .isEqualTo(readEcKey(key).getEncoded());
    }

    @Test
    void pkcs12NeedsAPasswordFileAndANonEmptyPassword() throws Exception {
        Path p12 = tmp.resolve("agent.p12");
        assertThat(cert("research-bot", "--pkcs12", p12.toString()).exit()).isEqualTo(2);

        Path empty = tmp.resolve("empty");
        Files.writeString(empty, "\n");
        Ctl.Run run = cert("research-bot", "--pkcs12", p12.toString(), "--password-file", empty.toString());
        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("empty first line");
        assertThat(key).doesNotExist();
        assertThat(p12).doesNotExist();
    }

    @Test
    void unknownAgentIsRefusedUnlessAllowed() throws Exception {
        Ctl.Run run = cert("ghost-bot");
        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("not_found: agent 'ghost-bot'").contains("--allow-unregistered");
        assertThat(key).doesNotExist();
        assertThat(cert).doesNotExist();
        assertThat(caDir).doesNotExist(); // nothing created for a refused request

        Ctl.Run allowed = ok(cert("ghost-bot", "--allow-unregistered"));
        assertThat(allowed.out()).contains("not registered");
        assertThat(readCert(cert).getSubjectAlternativeNames())
                .containsExactly(List.of(6, "spiffe://agents.example.com/agent/ghost-bot"));
    }

    @Test
    void disabledAgentIsRefusedEvenWhenUnregisteredAreAllowed() {
        for (Ctl.Run run : List.of(cert("old-bot"), cert("old-bot", "--allow-unregistered"))) {
            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.err()).contains("agent old-bot is disabled (reason: retired)");
        }
        assertThat(key).doesNotExist();
    }

    @Test
    void existingOutputIsRefusedWithoutForce() throws Exception {
        Files.writeString(key, "keep me\n");

        Ctl.Run run = cert("research-bot");

        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains(key + ": exists").contains("--force");
        assertThat(Files.readString(key)).isEqualTo("keep me\n");
        assertThat(cert).doesNotExist();

        ok(cert("research-bot", "--force"));
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(mode(key)).isEqualTo("rw-------");
    }

    @Test
    void invalidInputs() {
        assertThat(cert("bad id!").exit()).isEqualTo(78);
        assertThat(agent("cert", "research-bot", "--trust-domain", "Agents.Example.COM", "--out-key", key.toString(),
                "--out-cert", cert.toString()).exit()).isEqualTo(78);
        ok(agent("add", "ns:bot"));
        Ctl.Run colon = cert("ns:bot");
        assertThat(colon.exit()).as(colon.toString()).isEqualTo(78);
        assertThat(colon.err()).contains("cannot be put in a certificate");
        assertThat(agent("cert", "research-bot", "--trust-domain", TD, "--out-key", key.toString(), "--out-cert",
                key.toString()).exit()).isEqualTo(2);
        assertThat(cert("research-bot", "--valid-for", "0d").exit()).isEqualTo(2);
        assertThat(agent("cert", "research-bot", "--out-key", key.toString(), "--out-cert", cert.toString()).exit())
                .isEqualTo(2);
    }

    // --- agent token

    private Ctl.Run generateKey(Path priv, Path keySet, String... more) {
        List<String> args = new ArrayList<>(List.of("token", "--generate-key", "--kid", "local-2026", "--issuer",
                "clawgress-local", "--audience", "clawgress", "--out-private", priv.toString(), "--out-keyset",
                keySet.toString()));
        args.addAll(Arrays.asList(more));
        return agent(args.toArray(String[]::new));
    }

    private Ctl.Run token(String id, Path priv, String... more) {
        List<String> args = new ArrayList<>(List.of("token", id, "--issuer", "clawgress-local", "--audience",
                "clawgress", "--key", priv.toString()));
        args.addAll(Arrays.asList(more));
        return agent(args.toArray(String[]::new));
    }

    @Test
    void tokenGenerateKeyMintAndVerify() throws Exception {
        Path priv = tmp.resolve("jwt.key.pem");
        Path keySetFile = tmp.resolve("jwt-keys.json");

        Ctl.Run gen = ok(generateKey(priv, keySetFile));
        assertThat(gen.out()).contains("local-2026").contains(JwtKeySet.BUNDLE_PATH);
        assertThat(mode(priv)).isEqualTo("rw-------");
        assertThat(mode(keySetFile)).isEqualTo("rw-r--r--");
        assertThat(Files.readString(keySetFile)).doesNotContain("PRIVATE");
        JsonNode ks = Json.MAPPER.readTree(Files.readString(keySetFile));
        assertThat(ks.at("/issuers/0/iss").asText()).isEqualTo("clawgress-local");
        assertThat(ks.at("/issuers/0/keys/0/kid").asText()).isEqualTo("local-2026");
        JwtVerifier verifier = new JwtVerifier(JwtKeySet.read(keySetFile), JwtSettings.DEFAULTS);

        Ctl.Run mint = ok(token("research-bot", priv, "--ttl", "2h"));
        assertThat(mint.err()).isEmpty();
        assertThat(mint.out()).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\n");
        String jwt = mint.out().strip();

        JwtVerifier.Result result = verifier.verify("Bearer " + jwt, Ctl.NOW.plusSeconds(60));
        assertThat(result).isInstanceOf(JwtVerifier.Verified.class);
        JwtVerifier.Verified v = (JwtVerifier.Verified) result;
        assertThat(v.identity())
                .isEqualTo(new Identity("research-bot", "research", null, "dev", null, AuthMethod.JWT, true));
        assertThat(v.kid()).isEqualTo("local-2026");
        assertThat(v.expires()).isEqualTo(Ctl.NOW.plus(Duration.ofHours(2)));
        assertThat(verifier.verify("Bearer " + jwt, Ctl.NOW.plus(Duration.ofHours(3))))
                .isInstanceOf(JwtVerifier.Refused.class);

        // an explicit --kid, and the default ttl of 1h
        JwtVerifier.Result explicit = new JwtVerifier(JwtKeySet.read(keySetFile), JwtSettings.DEFAULTS)
                .verify("Bearer " + ok(token("research-bot", priv, "--kid", "local-2026")).out().strip(), Ctl.NOW);
        assertThat(((JwtVerifier.Verified) explicit).expires()).isEqualTo(Ctl.NOW.plus(Duration.ofHours(1)));

        // a kid the key set does not know is minted but refused
        String wrongKid = ok(token("research-bot", priv, "--kid", "other")).out().strip();
        assertThat(verifier.verify("Bearer " + wrongKid, Ctl.NOW)).isInstanceOf(JwtVerifier.Refused.class);
    }

    @Test
    void tokenRefusesUnknownAndDisabledAgents() throws Exception {
        Path priv = tmp.resolve("jwt.key.pem");
        Path keySetFile = tmp.resolve("jwt-keys.json");
        ok(generateKey(priv, keySetFile));

        Ctl.Run unknown = token("ghost-bot", priv);
        assertThat(unknown.exit()).as(unknown.toString()).isEqualTo(1);
        assertThat(unknown.out()).isEmpty();
        assertThat(unknown.err()).contains("not_found: agent 'ghost-bot'");

        Ctl.Run disabled = token("old-bot", priv, "--allow-unregistered");
        assertThat(disabled.exit()).as(disabled.toString()).isEqualTo(1);
        assertThat(disabled.out()).isEmpty();
        assertThat(disabled.err()).contains("disabled");

        String jwt = ok(token("ghost-bot", priv, "--allow-unregistered")).out().strip();
        JwtVerifier.Result r = new JwtVerifier(JwtKeySet.read(keySetFile), JwtSettings.DEFAULTS)
                .verify("Bearer " + jwt, Ctl.NOW);
        assertThat(((JwtVerifier.Verified) r).identity().agentId()).isEqualTo("ghost-bot");
    }

    @Test
    void tokenKeyProblemsAndUsage() throws Exception {
        Path priv = tmp.resolve("jwt.key.pem");
        Path keySetFile = tmp.resolve("jwt-keys.json");
        ok(generateKey(priv, keySetFile));

        Ctl.Run exists = generateKey(priv, tmp.resolve("other.json"));
        assertThat(exists.exit()).as(exists.toString()).isEqualTo(1);
        assertThat(exists.err()).contains(priv + ": exists");
        assertThat(tmp.resolve("other.json")).doesNotExist();
        String before = Files.readString(priv);
        ok(generateKey(priv, keySetFile, "--force"));
        assertThat(Files.readString(priv)).isNotEqualTo(before);

        Ctl.Run missing = token("research-bot", tmp.resolve("nope.pem"));
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no such file");

        Path ecKey = tmp.resolve("ec.pem"); // an agent certificate key is not an Ed25519 key
        key = ecKey;
        ok(cert("research-bot"));
        Ctl.Run wrongType = token("research-bot", ecKey, "--kid", "k");
        assertThat(wrongType.exit()).as(wrongType.toString()).isEqualTo(1);
        assertThat(wrongType.err()).contains("not an Ed25519 private key");

        Ctl.Run noKid = token("research-bot", ecKey);
        assertThat(noKid.exit()).isEqualTo(2);
        assertThat(noKid.err()).contains("--kid");

        assertThat(agent("token", "--issuer", "i", "--audience", "a", "--key", priv.toString()).exit())
                .isEqualTo(2); // no agent id
        assertThat(token("research-bot", priv, "--ttl", "400d").exit()).isEqualTo(2);
        assertThat(generateKey(tmp.resolve("a"), tmp.resolve("b"), "--ttl", "1h").exit()).isEqualTo(2);
        assertThat(token("bad id!", priv).exit()).isEqualTo(78);
        assertThat(new String(Files.readAllBytes(priv), StandardCharsets.US_ASCII)).startsWith("kid: local-2026\n");
    }
}
