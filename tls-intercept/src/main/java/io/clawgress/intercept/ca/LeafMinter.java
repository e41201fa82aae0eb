package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mints one leaf per SNI, signed by an {@link Intermediate}, and keeps them in a bounded LRU cache.
 *
 * <p>A leaf: a fresh EC P-256 key; subjectAltName dNSName = the SNI; subject {@code CN=<sni>} when the name fits
 * the 64-character CN bound (RFC 5280 Appendix A), else an empty subject with the subjectAltName critical
 * (RFC 5280 §4.2.1.6); basicConstraints cA=false; keyUsage digitalSignature; extendedKeyUsage serverAuth; a random
 * 128-bit serial; valid from five minutes ago for {@link Settings#leafLifetime()} (24 h by default), never past the
 * intermediate. Names the intermediate does not cover are refused with {@link NameNotPermittedException}.
 *
 * <p>The cache is keyed by name, holds at most {@link Settings#maxEntries()} leaves (least recently used evicted
 * first) and stops handing a leaf out at its {@link MintedLeaf#refreshAt()}, so a served leaf always has at least
 * {@link Settings#renewBefore()} to live. Concurrent requests for one name share one mint: one key is generated.
 *
 * <p>Threads: {@link #mint} may be called from any thread, including an event loop: it never blocks and never
 * generates a key itself. A cached leaf comes back as an already completed future; otherwise the key generation
 * and signing run on the {@code offLoop} executor and the future completes there, so an event-loop caller must hop
 * back with {@code ctx.executor().execute(...)} (and keep reads paused meanwhile). Thread-safe; one lock guards the
 * cache and is held only for map operations.
 */
public final class LeafMinter {

    /**
     * @param maxEntries   cache bound, in leaves (one leaf is about 1 KiB)
     * @param leafLifetime how long a minted leaf is valid, counted from its backdated notBefore
     * @param renewBefore  a cached leaf is replaced this long before it expires
     */
    public record Settings(int maxEntries, Duration leafLifetime, Duration renewBefore) {

        public static final Settings DEFAULTS = new Settings(10_000, Duration.ofHours(24), Duration.ofHours(1));

        public Settings {
            if (maxEntries <= 0) {
                throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: > 0)");
            }
            Objects.requireNonNull(leafLifetime, "leafLifetime");
            Objects.requireNonNull(renewBefore, "renewBefore");
            if (leafLifetime.compareTo(Duration.ofMinutes(10)) < 0) {
                throw new IllegalArgumentException("leafLifetime: " + leafLifetime + " (expected: >= PT10M)");
            }
            if (renewBefore.isNegative() || renewBefore.compareTo(leafLifetime.dividedBy(2)) > 0) {
                throw new IllegalArgumentException("renewBefore: " + renewBefore + " (expected: 0.."
                        + leafLifetime.dividedBy(2) + ", at most half the leaf lifetime)");
            }
        }
    }

    /**
     * Cache counters since this minter was made.
     *
     * @param hits      requests answered from the cache, including those that joined a mint already in flight
     * @param misses    requests that started a mint
     * @param evictions leaves dropped to stay within {@link Settings#maxEntries()}
     * @param minted    leaves actually minted (a key generated and signed)
     * @param size      leaves (and mints in flight) in the cache now
     */
    public record Stats(long hits, long misses, long evictions, long minted, int size) {
    }

    /** The CN bound ub-common-name (RFC 5280 Appendix A.1). */
    private static final int MAX_CN = 64;

    private final Intermediate intermediate;
    private final Settings settings;
    private final Clock clock;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. Access order: the eldest entry is the least recently used. */
    private final LinkedHashMap<String, CompletableFuture<MintedLeaf>> cache;
    private long hits;
    private long misses;
    private long evictions;
    private final AtomicLong minted = new AtomicLong();

    public LeafMinter(Intermediate intermediate, Settings settings, Clock clock) {
        this.intermediate = Objects.requireNonNull(intermediate, "intermediate");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.cache = new LinkedHashMap<>(Math.min(settings.maxEntries(), 1024) * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<MintedLeaf>> eldest) {
                if (size() > LeafMinter.this.settings.maxEntries()) {
                    evictions++; // under lock: only put() calls this
                    return true;
                }
                return false;
            }
        };
    }

    public Intermediate intermediate() {
        return intermediate;
    }

    /** Whether a leaf may be minted for {@code host} (lower-case A-labels, as the peek stage yields it). */
    public boolean permits(String host) {
        return intermediate.permits(host);
    }

    /**
     * The leaf for {@code sni}: from the cache when one is fresh or being minted, else minted on {@code offLoop}.
     * Never blocks. The returned future is the caller's own: cancelling it affects nobody else.
     *
     * @return a future that fails with {@link NameNotPermittedException} when the intermediate does not cover the
     *         name, {@link IllegalArgumentException} when {@code sni} is not a host name, or
     *         {@link RejectedExecutionException} when {@code offLoop} refuses the work
     */
    public CompletableFuture<MintedLeaf> mint(String sni, Executor offLoop) {
        Objects.requireNonNull(offLoop, "offLoop");
        String name;
        try {
            name = DnsNames.normalize("sni", sni);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!intermediate.permits(name)) {
            return CompletableFuture.failedFuture(new NameNotPermittedException(name, intermediate.names()));
        }
        Instant now = clock.instant();
        CompletableFuture<MintedLeaf> entry;
        synchronized (lock) {
            entry = cache.get(name);
            if (entry != null && usable(entry, now)) {
                hits++;
                return entry.copy();
            }
            if (entry != null) {
                cache.remove(name);
            }
            entry = new CompletableFuture<>();
            cache.put(name, entry);
            misses++;
        }
        CompletableFuture<MintedLeaf> mine = entry;
        try {
            offLoop.execute(() -> mintInto(name, mine));
        } catch (RejectedExecutionException e) {
            forget(name, mine);
            mine.completeExceptionally(e);
        }
        return mine.copy();
    }

    public Stats stats() {
        synchronized (lock) {
            return new Stats(hits, misses, evictions, minted.get(), cache.size());
        }
    }

    /** A mint in flight is always usable (join it); a minted leaf until its refresh time; a failed one never. */
    private static boolean usable(CompletableFuture<MintedLeaf> f, Instant now) {
        if (!f.isDone()) {
            return true;
        }
        MintedLeaf leaf = f.isCompletedExceptionally() ? null : f.getNow(null);
        return leaf != null && now.isBefore(leaf.refreshAt());
    }

    /** Runs on the {@code offLoop} executor. */
    private void mintInto(String name, CompletableFuture<MintedLeaf> f) {
        try {
            MintedLeaf leaf = mintNow(name);
            minted.incrementAndGet();
            f.complete(leaf);
        } catch (Throwable t) {
            // Whatever went wrong, waiting callers must hear of it, and the next request must try afresh.
            forget(name, f);
            f.completeExceptionally(t);
            if (t instanceof Error e) {
                throw e;
            }
        }
    }

    private void forget(String name, CompletableFuture<MintedLeaf> f) {
        synchronized (lock) {
            cache.remove(name, f);
        }
    }

    /** Generates the key and signs the leaf. Slow: on the {@code offLoop} executor only. */
    MintedLeaf mintNow(String name) {
        Instant now = clock.instant();
        Instant caNotAfter = intermediate.notAfter();
        if (!now.isBefore(caNotAfter)) {
            throw new IllegalStateException("intermediate expired at " + caNotAfter + " (expected: re-issued at half"
                    + " life by InterceptIssuer.refresh)");
        }
        Certs.P256Key key = Certs.newP256Key();
        Instant notBefore = now.minus(Certs.BACKDATE);
        Instant notAfter = notBefore.plus(settings.leafLifetime());
        if (notAfter.isAfter(caNotAfter)) {
            notAfter = caNotAfter;
        }
        X509Certificate leaf = buildLeaf(intermediate, name, key.publicKeyInfo(), notBefore, notAfter);
        Instant refreshAt = notAfter.minus(settings.renewBefore());
        Instant halfway = now.plus(Duration.between(now, notAfter).dividedBy(2));
        if (refreshAt.isBefore(halfway)) {
            refreshAt = halfway; // a leaf cut short by the intermediate's expiry still serves half its life
        }
        return new MintedLeaf(name, key.privateKey(), leaf, intermediate.certificate(), refreshAt);
    }

    /**
     * The leaf certificate for {@code name} signed by {@code ca}. Does not check the name against the intermediate:
     * tests use that to craft a leaf its nameConstraints must reject.
     */
    static X509Certificate buildLeaf(Intermediate ca, String name, SubjectPublicKeyInfo key, Instant notBefore,
                                     Instant notAfter) {
        X500Name issuer = X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
        boolean cnFits = name.length() <= MAX_CN;
        X500Name subject = cnFits ? Certs.name(name, null) : Certs.name(null, null);
        X509v3CertificateBuilder b = Certs.builder(issuer, subject, key, notBefore, notAfter);
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectAlternativeName, !cnFits,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, name)));
            b.addExtension(Extension.subjectKeyIdentifier, false, Certs.subjectKeyId(key));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    Certs.authorityKeyId(ca.certificate().getPublicKey()));
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode a leaf extension", e);
        }
        return Certs.sign(b, ca.signingKey());
    }
}
