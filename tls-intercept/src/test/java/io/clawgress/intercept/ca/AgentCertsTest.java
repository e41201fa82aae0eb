package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link AgentCertIssuer} and {@link AgentIdentities}: issue, then identify or reject with a stable reason. */
class AgentCertsTest {

    private static final String TD = "agents.example.com";

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private AgentCertIssuer issuer;
    private AgentIdentities identities;

    @BeforeEach
    void setUp() throws Exception {
        issuer = AgentCertIssuer.openOrCreate(dir, TD, clock);
        identities = new AgentIdentities(issuer.caCertificate(), TD, clock);
    }

    @Test
    void agentsCaIsItsOwnRootBesideTheInterceptCa() throws Exception {
        InterceptCa intercept = InterceptCa.openOrCreate(dir, clock);
        X509Certificate agentsCa = issuer.caCertificate();

        assertThat(issuer.created()).isTrue();
        assertThat(agentsCa.getSubjectX500Principal().getName())
                .matches("CN=Clawgress Agents Root [0-9a-f]{8},O=Clawgress");
        assertThat(agentsCa.getPublicKey()).isNotEqualTo(intercept.certificate().getPublicKey());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(AgentCertIssuer.KEY_FILE))))
                .isEqualTo("rw-------");
        assertThat(AgentCertIssuer.readCaCertificate(dir)).isEqualTo(agentsCa);
        AgentCertIssuer again = AgentCertIssuer.openOrCreate(dir, TD, clock);
        assertThat(again.created()).isFalse();
        assertThat(again.caCertificate()).isEqualTo(agentsCa);
    }

    @Test
    void issuesAClientCertificateWithASpiffeId() throws Exception {
        AgentCertificate ac = issuer.issue("research-bot-7", Duration.ofDays(30));
        X509Certificate c = ac.certificate();

        assertThat(ac.spiffeId()).isEqualTo("spiffe://agents.example.com/agent/research-bot-7");
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=research-bot-7,O=Clawgress");
        assertThat(c.getSubjectAlternativeNames()).containsExactly(List.of(6, ac.spiffeId()));
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(c.getBasicConstraints()).isEqualTo(-1);
        assertThat(c.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-03-01T11:55:00Z"));
        assertThat(c.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-03-31T12:00:00Z"));
        assertThat(Certs.keyMatches(ac.privateKey(), c)).isTrue();
        c.verify(issuer.caCertificate().getPublicKey());
        assertThat(Pem.readCertificates(ac.certificatePem())).containsExactly(c);
        assertThat(Pem.readEcPrivateKey(ac.privateKeyPem())).isEqualTo(ac.privateKey());
        assertThat(ac.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void pkcs12HoldsTheKeyAndTheChain() throws Exception {
        AgentCertificate ac = issuer.issue("bot", Duration.ofDays(1));
        char[] password = "s3cret".toCharArray();

        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(ac.pkcs12(password)), password);

        assertThat(ks.getKey("bot", password)).isEqualTo(ac.privateKey());
        assertThat(ks.getCertificateChain("bot")).containsExactly(ac.certificate(), ac.caCertificate());
        assertThatThrownBy(() -> ac.pkcs12(new char[0])).hasMessage("password: empty (expected: a PKCS#12 password)");
    }

    @Test
    void identifiesTheAgentFromItsSpiffeId() {
        AgentCertificate ac = issuer.issue("research-bot-7", Duration.ofDays(30));

        assertThat(identities.identify(new Certificate[] {ac.certificate()}))
                .isEqualTo(new AgentIdentityResult.Identified("research-bot-7", AgentIdentityResult.Source.SPIFFE_ID));
        // the CA sent along is the anchor, not a problem
        assertThat(identities.identify(new Certificate[] {ac.certificate(), ac.caCertificate()}))
                .isEqualTo(new AgentIdentityResult.Identified("research-bot-7", AgentIdentityResult.Source.SPIFFE_ID));
    }

    @Test
    void identifiesTheAgentFromItsCnWhenThereIsNoSpiffeId() throws Exception {
        X509Certificate c = craft("CN=legacy-agent,O=Clawgress", null, KeyPurposeId.id_kp_clientAuth);

        assertThat(identities.identify(new Certificate[] {c}))
                .isEqualTo(new AgentIdentityResult.Identified("legacy-agent", AgentIdentityResult.Source.COMMON_NAME));
    }

    @Test
    void anIdTooLongForACnIsInTheSpiffeIdOnly() {
        String id = "a".repeat(100);
        AgentCertificate ac = issuer.issue(id, Duration.ofDays(1));

        assertThat(ac.certificate().getSubjectX500Principal().getName()).isEqualTo("O=Clawgress");
        assertThat(identities.identify(new Certificate[] {ac.certificate()}))
                .isEqualTo(new AgentIdentityResult.Identified(id, AgentIdentityResult.Source.SPIFFE_ID));
    }

    @Test
    void wrongTrustDomain() throws Exception {
        AgentCertificate ac = AgentCertIssuer.openOrCreate(dir, "other.example.com", clock).issue("bot",
                Duration.ofDays(1));

        assertRejected(identities.identify(new Certificate[] {ac.certificate()}), ClientCertFailure.WRONG_TRUST_DOMAIN,
                "client_cert_wrong_trust_domain", "trust domain 'other.example.com' (expected: 'agents.example.com')");
    }

    @Test
    void aSpiffeIdThatIsNotAnAgentNeverFallsBackToTheCn() throws Exception {
        X509Certificate workload = craft("CN=bot,O=Clawgress", "spiffe://agents.example.com/workload/bot",
                KeyPurposeId.id_kp_clientAuth);
        X509Certificate twoIds = craft("CN=bot,O=Clawgress", "spiffe://agents.example.com/agent/a",
                KeyPurposeId.id_kp_clientAuth, "spiffe://agents.example.com/agent/b");

        assertRejected(identities.identify(new Certificate[] {workload}), ClientCertFailure.NO_IDENTITY,
                "client_cert_no_identity", "(expected: spiffe://agents.example.com/agent/<id>)");
        assertRejected(identities.identify(new Certificate[] {twoIds}), ClientCertFailure.NO_IDENTITY,
                "client_cert_no_identity", "2 SPIFFE IDs");
    }

    @Test
    void noIdentityWithoutSpiffeIdOrAgentCn() throws Exception {
        X509Certificate noCn = craft("O=Clawgress", null, KeyPurposeId.id_kp_clientAuth);
        X509Certificate badCn = craft("CN=not an id,O=Clawgress", null, KeyPurposeId.id_kp_clientAuth);

        assertRejected(identities.identify(new Certificate[] {noCn}), ClientCertFailure.NO_IDENTITY,
                "client_cert_no_identity", "0 CN attributes");
        assertRejected(identities.identify(new Certificate[] {badCn}), ClientCertFailure.NO_IDENTITY,
                "client_cert_no_identity", "CN 'not an id' is not an agent id");
    }

    @Test
    void expiredAndNotYetValid() {
        AgentCertificate ac = issuer.issue("bot", Duration.ofHours(1));
        Certificate[] chain = {ac.certificate()};

        clock.advance(Duration.ofHours(2));
        assertRejected(identities.identify(chain), ClientCertFailure.EXPIRED, "client_cert_expired", "");

        clock.set(Instant.parse("2026-03-01T11:00:00Z"));
        assertRejected(identities.identify(chain), ClientCertFailure.NOT_YET_VALID, "client_cert_not_yet_valid", "");
    }

    @Test
    void untrustedWhenIssuedByAnotherCa() throws Exception {
        AgentCertificate foreign = AgentCertIssuer.openOrCreate(dir.resolve("elsewhere"), TD, clock)
                .issue("bot", Duration.ofDays(1));

        assertRejected(identities.identify(new Certificate[] {foreign.certificate()}), ClientCertFailure.UNTRUSTED,
                "client_cert_untrusted", "does not chain to the agents' CA");
        assertRejected(identities.identify(new Certificate[] {foreign.certificate(), foreign.caCertificate()}),
                ClientCertFailure.UNTRUSTED, "client_cert_untrusted", "does not chain to the agents' CA");
    }

    @Test
    void untrustedWhenSelfSignedWithTheSameSubjectAsTheCa() throws Exception {
        Certs.P256Key kp = Certs.newP256Key();
        X500Name caName = X500Name.getInstance(issuer.caCertificate().getSubjectX500Principal().getEncoded());
        X509v3CertificateBuilder b = Certs.builder(caName, Certs.name("bot", "Clawgress"), kp.publicKeyInfo(),
                clock.instant().minusSeconds(60), clock.instant().plusSeconds(3600));
        X509Certificate forged = Certs.sign(b, kp.signingKey()); // right issuer name, wrong key

        assertRejected(identities.identify(new Certificate[] {forged}), ClientCertFailure.UNTRUSTED,
                "client_cert_untrusted", "");
    }

    @Test
    void untrustedWhenTheCaItselfOrNothingIsPresented() {
        assertRejected(identities.identify(new Certificate[] {issuer.caCertificate()}), ClientCertFailure.UNTRUSTED,
                "client_cert_untrusted", "the first certificate is a CA");
        assertRejected(identities.identify(new Certificate[0]), ClientCertFailure.UNTRUSTED, "client_cert_untrusted",
                "no client certificate presented");
        assertRejected(identities.identify(null), ClientCertFailure.UNTRUSTED, "client_cert_untrusted", "");
        AgentCertificate ac = issuer.issue("bot", Duration.ofDays(1));
        Certificate[] tooLong = {ac.certificate(), ac.caCertificate(), ac.caCertificate(), ac.caCertificate(),
                ac.caCertificate()};
        assertRejected(identities.identify(tooLong), ClientCertFailure.UNTRUSTED, "client_cert_untrusted",
                "chain of 5 certificates (expected: <= 4)");
    }

    @Test
    void untrustedWhenNotForClientAuth() throws Exception {
        X509Certificate serverOnly = craft("CN=bot,O=Clawgress", "spiffe://agents.example.com/agent/bot",
                KeyPurposeId.id_kp_serverAuth);

        assertRejected(identities.identify(new Certificate[] {serverOnly}), ClientCertFailure.UNTRUSTED,
                "client_cert_untrusted", "does not allow clientAuth");
    }

    @Test
    void refusesIdsThatCannotBeASpiffePathSegmentAndBadTrustDomains() {
        assertThatThrownBy(() -> issuer.issue("team:bot", Duration.ofDays(1)))
                .hasMessageStartingWith("agentId: 'team:bot' (expected: 1-128 of A-Z a-z 0-9 . _ -");
        assertThatThrownBy(() -> issuer.issue("../x", Duration.ofDays(1))).hasMessageStartingWith("agentId: '../x'");
        assertThatThrownBy(() -> issuer.issue("bot", Duration.ZERO)).hasMessage("validity: PT0S (expected: > 0)");
        assertThatThrownBy(() -> AgentCertIssuer.openOrCreate(dir, "Agents.Example", clock))
                .hasMessageStartingWith("trustDomain: 'Agents.Example' (expected: 1-255 of a-z 0-9 . _ -");
        assertThatThrownBy(() -> new AgentIdentities(issuer.caCertificate(), "", clock))
                .hasMessageStartingWith("trustDomain: ''");
    }

    @Test
    void reasonCodesAreStable() {
        assertThat(java.util.Arrays.stream(ClientCertFailure.values()).map(ClientCertFailure::code)).containsExactly(
                "client_cert_untrusted", "client_cert_expired", "client_cert_not_yet_valid", "client_cert_no_identity",
                "client_cert_wrong_trust_domain");
    }

    /** A certificate signed by the agents' CA key (read from its file), with the given subject, URIs and EKU. */
    private X509Certificate craft(String subject, String uri, KeyPurposeId eku, String... moreUris) throws Exception {
        PrivateKey caKey = Pem.readEcPrivateKey(Files.readString(dir.resolve(AgentCertIssuer.KEY_FILE)));
        Certs.P256Key kp = Certs.newP256Key();
        X500Name caName = X500Name.getInstance(issuer.caCertificate().getSubjectX500Principal().getEncoded());
        X509v3CertificateBuilder b = Certs.builder(caName, new X500Name(reverse(subject)), kp.publicKeyInfo(),
                clock.instant().minusSeconds(60), clock.instant().plusSeconds(3600));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
        if (uri != null) {
            GeneralName[] names = new GeneralName[1 + moreUris.length];
            names[0] = new GeneralName(GeneralName.uniformResourceIdentifier, uri);
            for (int i = 0; i < moreUris.length; i++) {
                names[i + 1] = new GeneralName(GeneralName.uniformResourceIdentifier, moreUris[i]);
            }
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        }
        return Certs.sign(b, caKey);
    }

    /** RFC 4514 order (CN first) to BC's DER order (O first). */
    private static String reverse(String rfc4514) {
        List<String> parts = new java.util.ArrayList<>(List.of(rfc4514.split(",")));
        java.util.Collections.reverse(parts);
        return String.join(",", parts);
    }

    private static void assertRejected(AgentIdentityResult result, ClientCertFailure failure, String code,
                                       String detail) {
        assertThat(result).isInstanceOfSatisfying(AgentIdentityResult.Rejected.class, r -> {
            assertThat(r.failure()).isEqualTo(failure);
            assertThat(r.reason()).isEqualTo(code);
            assertThat(r.detail()).contains(detail);
        });
    }
}
