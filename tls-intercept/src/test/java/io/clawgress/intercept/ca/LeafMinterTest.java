package io.clawgress.intercept.ca;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeafMinterTest {

    private static final Executor SAME_THREAD = Runnable::run;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private InterceptCa ca;
    private Intermediate intermediate;
    private LeafMinter minter;

    @BeforeEach
    void setUp() throws Exception {
        ca = InterceptCa.openOrCreate(dir, clock);
        intermediate = ca.issueIntermediate(InterceptNames.of(List.of("api.example.com", "*.example.org")),
                Duration.ofDays(7));
        minter = new LeafMinter(intermediate, LeafMinter.Settings.DEFAULTS, clock);
    }

    @Test
    void leafIsAServerAuthCertificateForTheSniOnly() throws Exception {
        MintedLeaf leaf = minter.mint("API.example.com", SAME_THREAD).join();
        X509Certificate c = leaf.certificate();

        assertThat(leaf.name()).isEqualTo("api.example.com");
        assertThat(leaf.chain()).containsExactly(c, intermediate.certificate());
        assertThat(c.getSubjectAlternativeNames()).containsExactly(List.of(2, "api.example.com"));
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=api.example.com");
        assertThat(c.getIssuerX500Principal()).isEqualTo(intermediate.certificate().getSubjectX500Principal());
        assertThat(c.getBasicConstraints()).isEqualTo(-1);
        assertThat(c.getKeyUsage()[0]).isTrue(); // digitalSignature
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(c.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-03-01T11:55:00Z"));
        assertThat(c.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-03-02T11:55:00Z"));
        assertThat(leaf.refreshAt()).isEqualTo(Instant.parse("2026-03-02T10:55:00Z"));
        assertThat(c.getSerialNumber().signum()).isPositive();
        assertThat(c.getSerialNumber().bitLength()).isBetween(100, 128);
        assertThat(Certs.isP256(c.getPublicKey())).isTrue();
        assertThat(Certs.keyMatches(leaf.privateKey(), c)).isTrue();
        c.verify(intermediate.certificate().getPublicKey());
    }

    @Test
    void pemForms() throws Exception {
        MintedLeaf leaf = minter.mint("api.example.com", SAME_THREAD).join();

        assertThat(Pem.readCertificates(leaf.chainPem())).containsExactly(leaf.chain());
        assertThat(Pem.readEcPrivateKey(leaf.privateKeyPem())).isEqualTo(leaf.privateKey());
        assertThat(leaf.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(leaf.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void serialsDiffer() {
        MintedLeaf a = minter.mint("a.example.org", SAME_THREAD).join();
        MintedLeaf b = minter.mint("b.example.org", SAME_THREAD).join();

        assertThat(a.certificate().getSerialNumber()).isNotEqualTo(b.certificate().getSerialNumber());
        assertThat(a.privateKey()).isNotEqualTo(b.privateKey());
    }

    @Test
    void aNameLongerThanACnHoldsHasAnEmptySubjectAndACriticalSan() throws Exception {
        String longName = "a".repeat(60) + ".example.org";
        MintedLeaf leaf = minter.mint(longName, SAME_THREAD).join();

        assertThat(leaf.certificate().getSubjectX500Principal().getName()).isEmpty();
        assertThat(leaf.certificate().getCriticalExtensionOIDs()).contains("2.5.29.17");
        assertThat(leaf.certificate().getSubjectAlternativeNames()).containsExactly(List.of(2, longName));
        TestCerts.pkixValidate(ca.certificate(), clock.instant(), leaf.chain());
    }

    @Test
    void chainValidatesWithJdkPkixAgainstTheRoot() throws Exception {
        for (String sni : List.of("api.example.com", "x.example.org", "deep.x.example.org")) {
            MintedLeaf leaf = minter.mint(sni, SAME_THREAD).join();

            assertThat(TestCerts.pkixValidate(ca.certificate(), clock.instant(), leaf.chain()).getTrustAnchor()
                    .getTrustedCert()).isEqualTo(ca.certificate());
        }
    }

    @Test
    void jdkPkixRejectsALeafOutsideTheNameConstraintsEvenIfSignedByTheIntermediate() {
        for (String outside : List.of("evil.example.net", "x.api.example.com", "example.org")) {
            Certs.P256Key kp = Certs.newP256Key();
            X509Certificate forged = LeafMinter.buildLeaf(intermediate, outside, kp.publicKeyInfo(),
                    clock.instant().minusSeconds(60), clock.instant().plusSeconds(3600));

            assertThatThrownBy(() -> TestCerts.pkixValidate(ca.certificate(), clock.instant(), forged,
                    intermediate.certificate()))
                    .as(outside)
                    .isInstanceOf(CertPathValidatorException.class)
                    .hasMessageContaining("name constraints");
        }
    }

    @Test
    void refusesANameOutsideTheIntermediatesNames() {
        for (String outside : List.of("evil.example.net", "x.api.example.com", "example.org", "example.com")) {
            CompletableFuture<MintedLeaf> f = minter.mint(outside, SAME_THREAD);

            assertThatThrownBy(f::join)
                    .as(outside)
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOf(NameNotPermittedException.class)
                    .hasMessage("'" + outside + "' is not among the intercepted names [api.example.com, *.example.org]"
                            + " (expected: a name the intermediate's nameConstraints permit)");
            assertThat(minter.permits(outside)).isFalse();
        }
        assertThat(minter.stats()).isEqualTo(new LeafMinter.Stats(0, 0, 0, 0, 0));
    }

    @Test
    void refusesWhatIsNotAHostName() {
        for (String bad : List.of("10.0.0.1", "", "a..example.org", "[::1]")) {
            assertThatThrownBy(minter.mint(bad, SAME_THREAD)::join)
                    .as(bad)
                    .cause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("sni: ");
        }
        assertThat(minter.mint(null, SAME_THREAD)).isCompletedExceptionally();
    }

    @Test
    void secondRequestIsACacheHitWithTheSameLeaf() {
        MintedLeaf first = minter.mint("api.example.com", SAME_THREAD).join();

        CompletableFuture<MintedLeaf> second = minter.mint("api.example.com", r -> {
            throw new AssertionError("a hit must not mint");
        });

        assertThat(second).isCompleted();
        assertThat(second.join()).isSameAs(first);
        assertThat(minter.stats()).isEqualTo(new LeafMinter.Stats(1, 1, 0, 1, 1));
    }

    @Test
    void evictsTheLeastRecentlyUsedBeyondTheBound() {
        LeafMinter small = new LeafMinter(intermediate, new LeafMinter.Settings(2, Duration.ofHours(24),
                Duration.ofHours(1)), clock);
        MintedLeaf a = small.mint("a.example.org", SAME_THREAD).join();
        small.mint("b.example.org", SAME_THREAD).join();
        small.mint("a.example.org", SAME_THREAD).join(); // a is now the most recently used

        small.mint("c.example.org", SAME_THREAD).join(); // evicts b

        assertThat(small.stats()).isEqualTo(new LeafMinter.Stats(1, 3, 1, 3, 2));
        assertThat(small.mint("a.example.org", SAME_THREAD).join()).isSameAs(a);
        small.mint("b.example.org", SAME_THREAD).join();
        assertThat(small.stats()).isEqualTo(new LeafMinter.Stats(2, 4, 2, 4, 2));
    }

    @Test
    void aCachedLeafIsReplacedAtItsRefreshTime() {
        MintedLeaf first = minter.mint("api.example.com", SAME_THREAD).join();

        clock.set(first.refreshAt().minusSeconds(1));
        assertThat(minter.mint("api.example.com", SAME_THREAD).join()).isSameAs(first);

        clock.set(first.refreshAt());
        MintedLeaf second = minter.mint("api.example.com", SAME_THREAD).join();

        assertThat(second).isNotSameAs(first);
        assertThat(second.notAfter()).isAfter(first.notAfter());
        assertThat(minter.stats()).isEqualTo(new LeafMinter.Stats(1, 2, 0, 2, 1));
    }

    @Test
    void leavesNeverOutliveTheIntermediateAndStillServeHalfTheirLife() {
        clock.set(intermediate.notAfter().minus(Duration.ofHours(2)));

        MintedLeaf leaf = minter.mint("api.example.com", SAME_THREAD).join();

        assertThat(leaf.notAfter()).isEqualTo(intermediate.notAfter());
        assertThat(leaf.refreshAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    }

    @Test
    void anExpiredIntermediateMintsNothingAndCachesNoFailure() {
        clock.set(intermediate.notAfter());

        assertThatThrownBy(minter.mint("api.example.com", SAME_THREAD)::join)
                .cause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("intermediate expired at");
        assertThat(minter.stats().size()).isZero();
    }

    @Test
    void aRejectingExecutorFailsTheMintAndLeavesNothingBehind() {
        CompletableFuture<MintedLeaf> f = minter.mint("api.example.com", r -> {
            throw new RejectedExecutionException("shutting down");
        });

        assertThatThrownBy(f::join).cause().isInstanceOf(RejectedExecutionException.class);
        assertThat(minter.stats().size()).isZero();
        assertThat(minter.mint("api.example.com", SAME_THREAD).join().name()).isEqualTo("api.example.com");
    }

    @Test
    void keyGenerationRunsOnTheGivenExecutorNotTheCaller() {
        ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();

        CompletableFuture<MintedLeaf> f = minter.mint("api.example.com", queued::add);

        assertThat(f).isNotDone();
        assertThat(queued).hasSize(1);
        queued.poll().run();
        assertThat(f).isCompleted();
    }

    @Test
    void cancellingOneCallersFutureLeavesTheSharedMintAlone() {
        ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
        CompletableFuture<MintedLeaf> a = minter.mint("api.example.com", queued::add);
        CompletableFuture<MintedLeaf> b = minter.mint("api.example.com", queued::add);

        a.cancel(false);
        queued.poll().run();

        assertThat(queued).isEmpty();
        assertThat(b.join().name()).isEqualTo("api.example.com");
        assertThat(minter.mint("api.example.com", SAME_THREAD)).isCompleted();
    }

    @Test
    void requestsWhileAMintIsInFlightShareItOneKeyGenerated() throws Exception {
        int threads = 32;
        ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        try {
            List<Future<CompletableFuture<MintedLeaf>>> calls = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                calls.add(callers.submit(() -> {
                    start.await();
                    return minter.mint("x.example.org", queued::add);
                }));
            }
            start.countDown();
            List<CompletableFuture<MintedLeaf>> futures = new ArrayList<>();
            for (Future<CompletableFuture<MintedLeaf>> c : calls) {
                futures.add(c.get(30, TimeUnit.SECONDS));
            }
            // Every caller is in; only now does the one queued mint run.
            assertThat(queued).hasSize(1);
            queued.poll().run();

            MintedLeaf leaf = futures.getFirst().join();
            assertThat(futures).allSatisfy(f -> assertThat(f.join()).isSameAs(leaf));
            assertThat(minter.stats()).isEqualTo(new LeafMinter.Stats(threads - 1, 1, 0, 1, 1));
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void manyThreadsMintingManyNamesConcurrentlyGenerateOneKeyPerName() throws Exception {
        int threads = 16;
        int names = 8;
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        ExecutorService offLoop = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<MintedLeaf>>> calls = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                calls.add(callers.submit(() -> {
                    start.await();
                    List<CompletableFuture<MintedLeaf>> mine = new ArrayList<>();
                    for (int round = 0; round < 5; round++) {
                        for (int n = 0; n < names; n++) {
                            mine.add(minter.mint("n" + n + ".example.org", offLoop));
                        }
                    }
                    return mine.stream().map(CompletableFuture::join).toList();
                }));
            }
            start.countDown();
            for (Future<List<MintedLeaf>> c : calls) {
                for (MintedLeaf leaf : c.get(60, TimeUnit.SECONDS)) {
                    assertThat(leaf.name()).matches("n[0-7]\\.example\\.org");
                }
            }
            LeafMinter.Stats s = minter.stats();
            assertThat(s.minted()).isEqualTo(names);
            assertThat(s.misses()).isEqualTo(names);
            assertThat(s.hits()).isEqualTo((long) threads * 5 * names - names);
        } finally {
            callers.shutdownNow();
            offLoop.shutdownNow();
        }
    }

    @Test
    void settingsValidate() {
        assertThatThrownBy(() -> new LeafMinter.Settings(0, Duration.ofHours(24), Duration.ofHours(1)))
                .hasMessage("maxEntries: 0 (expected: > 0)");
        assertThatThrownBy(() -> new LeafMinter.Settings(10, Duration.ofMinutes(5), Duration.ZERO))
                .hasMessage("leafLifetime: PT5M (expected: >= PT10M)");
        assertThatThrownBy(() -> new LeafMinter.Settings(10, Duration.ofHours(24), Duration.ofHours(13)))
                .hasMessage("renewBefore: PT13H (expected: 0..PT12H, at most half the leaf lifetime)");
    }
}
