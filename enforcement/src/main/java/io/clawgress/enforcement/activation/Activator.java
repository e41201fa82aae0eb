package io.clawgress.enforcement.activation;

import io.clawgress.enforcement.activation.source.BundleCandidate;
import io.clawgress.enforcement.activation.source.BundleSink;
import io.clawgress.enforcement.bundle.BundleException;
import io.clawgress.enforcement.bundle.BundleReader;
import io.clawgress.enforcement.bundle.BundleVerifier;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.TrustedKeys;
import io.clawgress.enforcement.bundle.VerifiedBundle;
import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtKeySetException;
import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicyException;
import io.clawgress.enforcement.policy.PolicyParser;
import io.clawgress.enforcement.policy.PolicySet;
import io.clawgress.enforcement.policy.PolicySnapshot;
import io.clawgress.enforcement.store.HistoryEntry;
import io.clawgress.enforcement.store.PolicyStore;
import io.clawgress.enforcement.store.StoreException;
import io.clawgress.enforcement.store.StoredBundle;
import io.clawgress.enforcement.store.StoredGeneration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Turns candidate bundles into the enforced policy (DESIGN.md §5), one at a time on its own thread (the store's one
 * writer):
 * <pre>
 *   receive → bound (BundleReader) → verify signature, validity, digests (BundleVerifier, trusted keys re-read)
 *   → refuse revision ≤ active unless rollback → parse + validate (PolicyParser) → compile (PolicyCompiler)
 *   → parse the JWT key set (JwtKeySet, {@value JwtKeySet#BUNDLE_PATH}, if present)
 *   → commit to LMDB in one transaction (bundle, active pointer, generations, history)
 *   → swap the in-memory snapshot atomically → listeners (re-evaluate live flows)
 * </pre>
 * Any failure leaves the active snapshot untouched and is recorded with its reason. The data path never waits for
 * any of this: it reads {@link #active()}, a volatile reference.
 */
public final class Activator implements BundleSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Activator.class);

    /** Reason codes of rejections that do not come from a {@link BundleException}. */
    public static final String POLICY_INVALID = "policy_invalid";
    /** The bundle's {@value JwtKeySet#BUNDLE_PATH} was refused by {@link JwtKeySet#parse}. */
    public static final String JWT_KEYS_INVALID = "jwt_keys_invalid";
    public static final String STORE_FAILED = "store_failed";
    public static final String TRUSTED_KEYS_UNREADABLE = "trusted_keys_unreadable";
    public static final String INTERNAL_ERROR = "internal_error";
    /** A rollback to "the previous generation" when the store holds no revision below the active one. */
    public static final String NO_PREVIOUS_GENERATION = "no_previous_generation";
    /** A rollback to a revision the store does not retain (never activated here, or pruned). */
    public static final String REVISION_NOT_STORED = "revision_not_stored";

    private final PolicyStore store;
    /** Re-read for every activation; a config reload may point it at another file ({@link #useTrustedKeys}). */
    private volatile Path trustedKeysFile;
    private final Limits limits;
    private final Clock clock;
    private final ExecutorService worker;
    private final AtomicReference<ActivePolicy> active;
    private final List<Consumer<ActivePolicy>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicLong rejections = new AtomicLong();
    private final List<Consumer<ActivationResult>> resultListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Lowest revision a new bundle must exceed: the active one, or the stored one that failed to restore. */
    private long revisionFloor;
    private volatile ActivationResult lastResult;

    /**
     * @param store           where accepted bundles are committed; this activator is its only writer
     * @param trustedKeysFile the key set, re-read for every activation so a rotated file needs no restart
     */
    public Activator(PolicyStore store, Path trustedKeysFile, Limits limits, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.trustedKeysFile = Objects.requireNonNull(trustedKeysFile, "trustedKeysFile");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.active = new AtomicReference<>(ActivePolicy.denyAll(clock.instant()));
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "clawgress-activation");
            t.setDaemon(true);
            return t;
        });
    }

    /** The policy enforced now; any thread, never blocks. */
    public ActivePolicy active() {
        return active.get();
    }

    /** The compiled snapshot enforced now, for {@code PolicyDecider}. */
    public Supplier<PolicySnapshot> snapshots() {
        return () -> active.get().snapshot();
    }

    /** The last activation's result, or {@code null} before any. */
    public ActivationResult lastResult() {
        return lastResult;
    }

    /** Candidates rejected since start. */
    public long rejections() {
        return rejections.get();
    }

    /**
     * Hears the result of every bundle tried (restored, activated, unchanged, rolled back or rejected), on the
     * activation thread, after the result is final; must not block (metrics count them).
     */
    public void onResult(Consumer<ActivationResult> listener) {
        resultListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** On the activation thread: tells the result listeners, then hands the result back. */
    private ActivationResult reported(ActivationResult result) {
        for (Consumer<ActivationResult> l : resultListeners) {
            try {
                l.accept(result);
            } catch (RuntimeException e) {
                log.error("activation result listener failed", e);
            }
        }
        return result;
    }

    /** Runs after each swap, on the activation thread; must not block for long. */
    public void onActivated(Consumer<ActivePolicy> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * At start, before the listener accepts: enforces the last-known-good bundle from the store, verified again
     * (a store file edited on disk is refused like any other tampered bundle). With none, or one that no longer
     * verifies (key removed, expired), everything stays denied. Blocks the caller.
     */
    public ActivationResult restore() {
        return join(CompletableFuture.supplyAsync(() -> reported(restoreOnWorker()), worker));
    }

    /** Queues a candidate; the returned future completes on the activation thread with its result. */
    public CompletableFuture<ActivationResult> submit(BundleCandidate candidate, boolean rollback) {
        Objects.requireNonNull(candidate, "candidate");
        try {
            return CompletableFuture.supplyAsync(() -> reported(activateOnWorker(candidate, rollback)), worker);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(ActivationResult.rejected(candidate.source(), 0, null,
                    INTERNAL_ERROR, "activation is shut down"));
        }
    }

    /**
     * Queues an operator's rollback to a retained generation: {@code revision}, or with none the previous
     * generation, the highest stored revision below the active one (below the stored one that failed to restore when
     * nothing valid is active). The stored bytes go through the whole pipeline again as a rollback candidate, so the
     * signature, the trusted keys of now, the validity window and the policy are checked again: an expired or no
     * longer trusted generation is refused like any other bundle.
     *
     * <p>A target that does not exist ({@value #REVISION_NOT_STORED}, {@value #NO_PREVIOUS_GENERATION}) or cannot
     * be read ({@value #STORE_FAILED}) is answered as a rejection without being recorded as an activation: no bundle
     * was tried.
     *
     * @param source who asks, for the logs, the history and the active policy's source ({@code rollback:uid=0})
     */
    public CompletableFuture<ActivationResult> rollback(OptionalLong revision, String source) {
        Objects.requireNonNull(revision, "revision");
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("source: '" + source + "' (expected: e.g. rollback:uid=0)");
        }
        if (revision.isPresent() && revision.getAsLong() < 1) {
            throw new IllegalArgumentException("revision: " + revision.getAsLong() + " (expected: >= 1)");
        }
        try {
            return CompletableFuture.supplyAsync(() -> rollbackOnWorker(revision, source), worker);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(ActivationResult.rejected(source, 0, null, INTERNAL_ERROR,
                    "activation is shut down"));
        }
    }

    /** The retained generations, newest activation first (a read; any thread). */
    public List<StoredGeneration> generations() throws StoreException {
        return store.generations();
    }

    /** Up to {@code max} entries of the activation history, newest first (a read; any thread). */
    public List<HistoryEntry> history(int max) throws StoreException {
        return store.history(max);
    }

    /**
     * Verifies later activations with the key set in {@code file} (a config reload changed {@code
     * policy.trusted_keys}); the active policy stays. Any thread; an activation already running uses the file it
     * started with.
     */
    public void useTrustedKeys(Path file) {
        trustedKeysFile = Objects.requireNonNull(file, "file");
    }

    /** {@link BundleSink}: a new candidate from a source (file, drop directory, URL); never a rollback. */
    @Override
    public void offer(BundleCandidate candidate) {
        submit(candidate, false);
    }

    /** Waits for a result without letting an activation failure escape as an exception. */
    public static ActivationResult join(CompletableFuture<ActivationResult> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an activation", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("activation failed unexpectedly", e.getCause());
        }
    }

    // ---- on the activation thread ------------------------------------------------------------------------------

    private ActivationResult restoreOnWorker() {
        Optional<StoredBundle> stored;
        try {
            stored = store.active();
        } catch (StoreException e) {
            log.error("policy store unreadable ({}): denying everything until a valid bundle is activated",
                    e.getMessage());
            return finish(ActivationResult.rejected("store", 0, null, STORE_FAILED, e.getMessage()));
        }
        if (stored.isEmpty()) {
            log.warn("no policy bundle in the store yet: denying everything until a valid bundle is activated");
            return lastResult = new ActivationResult(ActivationResult.Outcome.UNCHANGED, 0, null, "store",
                    null, "no stored bundle");
        }
        StoredBundle sb = stored.get();
        revisionFloor = sb.revision();
        String source = "store (from " + sb.source() + ")";
        try {
            Compiled c = compile(sb.bytes(), 0, true);
            ActivePolicy next = new ActivePolicy(c.snapshot, c.jwtKeys, c.bundle.revision(), c.bundle.kid(), source,
                    sb.sha256(), clock.instant(), c.bundle.expires());
            swap(next);
            record(new HistoryEntry(clock.instant(), source, c.bundle.kid(), c.bundle.revision(), "restored", null,
                    null));
            log.info("policy restored from the store: revision {} (kid {}), {} (expires {})", next.revision(),
                    next.kid(), describe(c), next.expires());
            return lastResult = new ActivationResult(ActivationResult.Outcome.ACTIVATED, next.revision(), next.kid(),
                    source, null, "restored last-known-good");
        } catch (RuntimeException e) {
            log.error("restoring stored policy revision {} failed on a bug: denying everything", sb.revision(), e);
            return finish(ActivationResult.rejected(source, sb.revision(), sb.kid(), INTERNAL_ERROR, String.valueOf(e)));
        } catch (Rejection r) {
            log.error("stored policy revision {} no longer verifies ({}: {}): denying everything until a valid bundle"
                    + " is activated", sb.revision(), r.code, r.getMessage());
            return finish(ActivationResult.rejected(source, sb.revision(), sb.kid(), r.code, r.getMessage()));
        }
    }

    private ActivationResult activateOnWorker(BundleCandidate candidate, boolean rollback) {
        String source = candidate.source();
        try {
            String sha256 = sha256(candidate.bytes());
            ActivePolicy current = active.get();
            if (sha256.equals(current.sha256())) {
                log.info("policy bundle from {} is the active revision {} already", source, current.revision());
                return lastResult = new ActivationResult(ActivationResult.Outcome.UNCHANGED, current.revision(),
                        current.kid(), source, null, "already active");
            }
            Compiled c;
            try {
                c = compile(candidate.bytes(), Math.max(current.revision(), revisionFloor), rollback);
            } catch (Rejection r) {
                return finish(ActivationResult.rejected(source, r.revision, r.kid, r.code, r.getMessage()));
            }
            VerifiedBundle b = c.bundle;
            // Below what is enforced, or below the stored revision that failed to restore: only a rollback gets here.
            boolean rolledBack = b.revision() <= Math.max(current.revision(), revisionFloor);
            Instant now = clock.instant();
            String outcome = rolledBack ? ActivationResult.Outcome.ROLLED_BACK.code()
                    : ActivationResult.Outcome.ACTIVATED.code();
            try {
                store.commitActivation(new StoredBundle(b.revision(), candidate.bytes(), sha256, b.kid(), source, now),
                        new HistoryEntry(now, source, b.kid(), b.revision(), outcome, null, null));
            } catch (StoreException e) {
                return finish(ActivationResult.rejected(source, b.revision(), b.kid(), STORE_FAILED,
                        "cannot commit to the policy store: " + e.getMessage()));
            }
            ActivePolicy next = new ActivePolicy(c.snapshot, c.jwtKeys, b.revision(), b.kid(), source, sha256, now,
                    b.expires());
            swap(next);
            revisionFloor = b.revision();
            log.info("policy {}: revision {} (kid {}) from {}, {} (was revision {}; expires {})",
                    rolledBack ? "rolled back" : "activated", b.revision(), b.kid(), source, describe(c),
                    current.revision(), b.expires());
            return lastResult = new ActivationResult(rolledBack ? ActivationResult.Outcome.ROLLED_BACK
                    : ActivationResult.Outcome.ACTIVATED, b.revision(), b.kid(), source, null, null);
        } catch (RuntimeException e) {
            log.error("policy activation from {} failed on a bug; the active policy is unchanged", source, e);
            return finish(ActivationResult.rejected(source, 0, null, INTERNAL_ERROR, String.valueOf(e)));
        }
    }

    private ActivationResult rollbackOnWorker(OptionalLong revision, String source) {
        ActivePolicy current = active.get();
        long target;
        StoredBundle stored;
        try {
            List<StoredGeneration> generations = store.generations();
            List<Long> revisions = generations.stream().map(StoredGeneration::revision).sorted().toList();
            if (revision.isPresent()) {
                target = revision.getAsLong();
                if (!revisions.contains(target)) {
                    return ActivationResult.rejected(source, target, null, REVISION_NOT_STORED, "revision " + target
                            + " is not stored (stored: " + revisions + ")");
                }
            } else {
                long below = current.signed() ? current.revision() : revisionFloor;
                OptionalLong previous = revisions.stream().mapToLong(Long::longValue).filter(r -> r < below).max();
                if (previous.isEmpty()) {
                    return ActivationResult.rejected(source, 0, null, NO_PREVIOUS_GENERATION,
                            "nothing to roll back to: no stored revision below " + (below > 0 ? "revision " + below
                                    : "the active policy (none)") + " (stored: " + revisions + ")");
                }
                target = previous.getAsLong();
            }
            stored = store.bundle(target).orElse(null);
        } catch (StoreException e) {
            log.error("rollback from {}: cannot read the policy store: {}", source, e.getMessage());
            return ActivationResult.rejected(source, revision.orElse(0), null, STORE_FAILED,
                    "cannot read the policy store: " + e.getMessage());
        }
        if (stored == null) { // pruned between the two reads: only this thread writes, so this is a bug
            return ActivationResult.rejected(source, target, null, INTERNAL_ERROR, "revision " + target
                    + " vanished from the store");
        }
        log.info("rollback to revision {} asked by {} (active: revision {})", target, source, current.revision());
        return reported(activateOnWorker(new BundleCandidate(stored.bytes(), source, clock.instant()), true));
    }

    private Compiled compile(byte[] bytes, long activeRevision, boolean rollback) throws Rejection {
        TrustedKeys keys;
        Path keysFile = trustedKeysFile;
        try {
            keys = TrustedKeys.read(keysFile);
        } catch (BundleException e) {
            throw new Rejection(e.reason().code(), e.detail(), 0, null);
        } catch (IOException e) {
            throw new Rejection(TRUSTED_KEYS_UNREADABLE, "cannot read trusted keys " + keysFile + ": "
                    + e.getMessage(), 0, null);
        }
        VerifiedBundle bundle;
        try {
            bundle = BundleVerifier.verify(BundleReader.read(bytes, limits), keys, clock.instant(), activeRevision,
                    rollback);
        } catch (BundleException e) {
            throw new Rejection(e.reason().code(), e.detail(), 0, null);
        }
        PolicySet set;
        try {
            set = PolicyParser.parseBundleFiles(bundle.files());
        } catch (PolicyException e) {
            throw new Rejection(POLICY_INVALID, e.getMessage(), bundle.revision(), bundle.kid());
        }
        byte[] jwt = bundle.files().get(JwtKeySet.BUNDLE_PATH);
        JwtKeySet jwtKeys;
        try {
            jwtKeys = jwt == null ? JwtKeySet.EMPTY : JwtKeySet.parse(jwt);
        } catch (JwtKeySetException e) {
            throw new Rejection(JWT_KEYS_INVALID, JwtKeySet.BUNDLE_PATH + ": " + e.getMessage(), bundle.revision(),
                    bundle.kid());
        }
        return new Compiled(bundle, set, PolicyCompiler.compile(set, Long.toString(bundle.revision())), jwtKeys);
    }

    private void swap(ActivePolicy next) {
        active.set(next);
        for (Consumer<ActivePolicy> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                log.error("policy activation listener failed", e);
            }
        }
    }

    private ActivationResult finish(ActivationResult rejected) {
        rejections.incrementAndGet();
        ActivePolicy current = active.get();
        log.warn("policy bundle rejected: {}; still enforcing {}", rejected,
                current.signed() ? "revision " + current.revision() : "deny-all (no valid bundle)");
        record(new HistoryEntry(clock.instant(), rejected.source(), rejected.kid(), rejected.revision(),
                ActivationResult.Outcome.REJECTED.code(), rejected.reasonCode(), rejected.message()));
        lastResult = rejected;
        return rejected;
    }

    private void record(HistoryEntry entry) {
        try {
            store.recordHistory(entry);
        } catch (StoreException e) {
            log.error("cannot record activation history ({}): {}", e.getMessage(), entry);
        }
    }

    private static String describe(Compiled c) {
        PolicySet set = c.set;
        int rules = set.policies().stream().mapToInt(p -> p.rules().size()).sum();
        return set.policies().size() + " policies, " + rules + " rules, " + set.bindings().size() + " bindings, "
                + c.jwtKeys.size() + " JWT keys";
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }

    /** Finishes queued activations (up to 10 s) and stops the thread. The store is the caller's to close after. */
    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private record Compiled(VerifiedBundle bundle, PolicySet set, PolicySnapshot snapshot, JwtKeySet jwtKeys) {
    }

    /** A candidate refused at some step; carries what was known of it by then. */
    private static final class Rejection extends Exception {
        private static final long serialVersionUID = 1L;
        final String code;
        final long revision;
        final String kid;

        Rejection(String code, String message, long revision, String kid) {
            super(message, null, false, false);
            this.code = code;
            this.revision = revision;
            this.kid = kid;
        }
    }
}
