package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.x509.NameConstraints;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IntermediateTest {

    private static final String ALL_IPV4 = "ip:" + "00".repeat(8);
    private static final String ALL_IPV6 = "ip:" + "00".repeat(32);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private InterceptCa ca;

    @BeforeEach
    void setUp() throws Exception {
        ca = InterceptCa.openOrCreate(dir, clock);
    }

    @Test
    void isAPathLenZeroCaForServerAuthSignedByTheRoot() throws Exception {
        Intermediate im = ca.issueIntermediate(InterceptNames.of(List.of("api.example.com")), Duration.ofDays(7));
        X509Certificate c = im.certificate();

        c.verify(ca.certificate().getPublicKey());
        assertThat(c.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
        assertThat(c.getSubjectX500Principal().getName())
                .matches("CN=Clawgress Intercept Intermediate [0-9a-f]{8},O=Clawgress");
        assertThat(c.getBasicConstraints()).isZero();
        assertThat(c.getKeyUsage()).containsExactly(false, false, false, false, false, true, true, false, false);
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(c.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15", "2.5.29.30");
        assertThat(c.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-03-01T11:55:00Z"));
        assertThat(c.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-03-08T12:00:00Z"));
        assertThat(im.halfLife()).isEqualTo(Instant.parse("2026-03-04T23:57:30Z"));
        assertThat(im.root()).isEqualTo(ca.certificate());
    }

    @Test
    void nameConstraintsPermitOnlyTheInterceptedNamesAndExcludeAllAddresses() {
        Intermediate im = ca.issueIntermediate(
                InterceptNames.of(List.of("api.openai.com", "*.anthropic.com", "api.example.com", "example.com")),
                Duration.ofDays(7));

        NameConstraints nc = TestCerts.nameConstraints(im.certificate());

        assertThat(TestCerts.describe(nc.getPermittedSubtrees())).containsExactly(
                "dns:.anthropic.com", "dns:api.example.com", "dns:api.openai.com", "dns:example.com");
        assertThat(TestCerts.describe(nc.getExcludedSubtrees())).containsExactly(
                "dns:.api.example.com", "dns:.api.openai.com", ALL_IPV4, ALL_IPV6);
    }

    @Test
    void wildcardOnlyBundleHasNoDnsExclusions() {
        Intermediate im = ca.issueIntermediate(InterceptNames.of(List.of("*.example.com")), Duration.ofDays(7));

        NameConstraints nc = TestCerts.nameConstraints(im.certificate());

        assertThat(TestCerts.describe(nc.getPermittedSubtrees())).containsExactly("dns:.example.com");
        assertThat(TestCerts.describe(nc.getExcludedSubtrees())).containsExactly(ALL_IPV4, ALL_IPV6);
    }

    @Test
    void refusesAnEmptyNameSetAndANonPositiveLifetime() {
        assertThatThrownBy(() -> ca.issueIntermediate(InterceptNames.NONE, Duration.ofDays(7)))
                .hasMessage("names: empty (expected: at least one intercepted name)");
        assertThatThrownBy(() -> ca.issueIntermediate(InterceptNames.of(List.of("a.example")), Duration.ZERO))
                .hasMessage("lifetime: PT0S (expected: > 0)");
    }

    @Test
    void lifetimeIsCutAtTheRootsExpiry() {
        Instant rootNotAfter = ca.certificate().getNotAfter().toInstant();
        clock.set(rootNotAfter.minus(Duration.ofDays(2)));

        Intermediate im = ca.issueIntermediate(InterceptNames.of(List.of("a.example")), Duration.ofDays(7));

        assertThat(im.notAfter()).isEqualTo(rootNotAfter);
    }

    @Test
    void needsReissueWhenNamesChangeOrAtHalfLife() {
        InterceptNames names = InterceptNames.of(List.of("a.example", "*.b.example"));
        Intermediate im = ca.issueIntermediate(names, Duration.ofDays(7));
        Instant now = clock.instant();

        assertThat(im.needsReissue(InterceptNames.of(List.of("*.b.example", "A.example")), now)).isFalse();
        assertThat(im.needsReissue(InterceptNames.of(List.of("a.example")), now)).isTrue();
        assertThat(im.needsReissue(names, im.halfLife().minusSeconds(1))).isFalse();
        assertThat(im.needsReissue(names, im.halfLife())).isTrue();
    }

    @Test
    void toStringDoesNotLeakTheKey() {
        Intermediate im = ca.issueIntermediate(InterceptNames.of(List.of("a.example")), Duration.ofDays(7));

        assertThat(im.toString()).contains("names=[a.example]").doesNotContain("PRIVATE");
    }
}
