package io.clawgress.enforcement.store;

import static org.lmdbjava.ByteArrayProxy.PROXY_BA;

import io.clawgress.enforcement.store.Codec.Meta;
import io.clawgress.enforcement.store.StoreException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.lmdbjava.Cursor;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last-known-good store: signed policy bundles by revision, the active pointer, the last N generations and an
 * activation history, in one LMDB environment (conventionally {@code state_dir/policy.lmdb/}).
 *
 * <p>Each write method is one LMDB write transaction: it commits entirely or not at all, and LMDB's default sync
 * (no {@code MDB_NOSYNC}) makes a committed transaction survive {@code kill -9} and power loss. A failed write is
 * aborted, so after any {@link StoreException} — {@link Reason#MAP_FULL} included — the previous state, and the
 * previously active revision, is intact and the store stays usable.
 *
 * <p>Threads: reads ({@link #active()}, {@link #bundle(long)}, {@link #revisions()}, {@link #generations()},
 * {@link #history(int)}) may run
 * concurrently from any thread; each is one read transaction, not tied to its thread ({@code MDB_NOTLS}). Writes
 * ({@link #commitActivation}, {@link #activateStored}, {@link #recordHistory}) block on disk sync and must be
 * serialised by the caller on one thread — the activation executor, never an event loop. (LMDB would serialise
 * concurrent writers on its write lock anyway; the rule keeps activation order equal to call order.) {@link #close()}
 * waits for operations in flight; anything called after it fails with {@link Reason#CLOSED}.
 *
 * <p>Generations are ordered by activation: committing a revision, or re-activating a stored one (a rollback), makes
 * it the newest. A commit deletes, in its own transaction, every generation beyond the newest
 * {@link StoreSettings#generations()}, never the active one.
 */
public final class PolicyStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PolicyStore.class);

    /** Revision key to {@link Codec#encodeMeta meta}. */
    static final String DBI_META = "meta";
    /** Revision key to the bundle's bytes, as received. */
    static final String DBI_BYTES = "bytes";
    /** {@link #KEY_ACTIVE} and friends. */
    static final String DBI_STATE = "state";
    /** Sequence key (from 1, increasing) to {@link Codec#encodeHistory history entry}. */
    static final String DBI_HISTORY = "history";

    static final byte[] KEY_FORMAT = ascii("format");
    static final byte[] KEY_ACTIVE = ascii("active");
    static final byte[] KEY_ACTIVATION_SEQ = ascii("activation_seq");
    private static final long FORMAT = 1;

    private final Path dir;
    private final StoreSettings settings;
    private final Env<byte[]> env;
    private final Dbi<byte[]> meta;
    private final Dbi<byte[]> bytes;
    private final Dbi<byte[]> state;
    private final Dbi<byte[]> history;
    /** Read lock: any operation (LMDB itself orders transactions); write lock: {@link #close()} alone. */
    private final ReentrantReadWriteLock closeLock = new ReentrantReadWriteLock();
    private boolean closed; // guarded by closeLock

    private PolicyStore(Path dir, StoreSettings settings, Env<byte[]> env) {
        this.dir = dir;
        this.settings = settings;
        this.env = env;
        this.meta = env.openDbi(DBI_META, DbiFlags.MDB_CREATE);
        this.bytes = env.openDbi(DBI_BYTES, DbiFlags.MDB_CREATE);
        this.state = env.openDbi(DBI_STATE, DbiFlags.MDB_CREATE);
        this.history = env.openDbi(DBI_HISTORY, DbiFlags.MDB_CREATE);
    }

    /**
     * Opens (creating if needed, with mode 0700 for {@code dir} and 0600 for its files) the store in {@code dir}.
     * Blocks on disk; call it off the event loop. Only one {@code PolicyStore} per directory per process: LMDB does
     * not support opening one environment twice in a process.
     */
    public static PolicyStore open(Path dir, StoreSettings settings) throws StoreException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(settings, "settings");
        createDirectory(dir);
        Env<byte[]> env;
        try {
            env = Env.create(PROXY_BA).setMapSize(settings.mapSizeBytes()).setMaxDbs(4)
                    .open(dir.toFile(), 0600, EnvFlags.MDB_NOTLS);
        } catch (LmdbException e) {
            throw translate("open " + dir, e, settings);
        } catch (LinkageError e) {
            // lmdbjava extracts liblmdb to java.io.tmpdir (or -Dlmdbjava.extract.dir) and loads it with jnr-ffi
            throw new StoreException(Reason.IO, "open " + dir + ": cannot load the LMDB native library: " + e, e);
        }
        try {
            // Reader slots left by a process that died (kill -9) would otherwise pin old pages until reused.
            int stale = env.readerCheck();
            if (stale > 0) {
                log.info("policy store {}: cleared {} stale reader slot(s)", dir, stale);
            }
            PolicyStore store = new PolicyStore(dir, settings, env);
            store.checkFormat();
            return store;
        } catch (LmdbException e) {
            env.close();
            throw translate("open " + dir, e, settings);
        } catch (StoreException e) {
            env.close();
            throw e;
        }
    }

    public Path directory() {
        return dir;
    }

    public StoreSettings settings() {
        return settings;
    }

    /** The active bundle, verified against its SHA-256; empty before the first activation. */
    public Optional<StoredBundle> active() throws StoreException {
        return read("read active bundle", txn -> {
            OptionalLong revision = activeRevision(txn);
            if (revision.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(readBundle(txn, revision.getAsLong()).orElseThrow(() -> Codec.corrupt("active pointer",
                    "names revision " + revision.getAsLong() + " (expected: a stored revision)")));
        });
    }

    /** The active revision without reading its bytes; empty before the first activation. */
    public OptionalLong activeRevision() throws StoreException {
        return read("read active revision", this::activeRevision);
    }

    /** A retained generation, verified against its SHA-256. */
    public Optional<StoredBundle> bundle(long revision) throws StoreException {
        return read("read revision " + revision, txn -> readBundle(txn, revision));
    }

    /** The retained generations, newest activation first. */
    public List<Long> revisions() throws StoreException {
        return read("list revisions", txn -> generations(txn, false).stream().map(Generation::revision).toList());
    }

    /**
     * The retained generations with what is known about each, newest activation first, without reading their bytes.
     * One read transaction, so the list and its {@link StoredGeneration#active()} flags are consistent.
     *
     * @throws StoreException {@link Reason#CORRUPT} if a generation's metadata does not decode
     */
    public List<StoredGeneration> generations() throws StoreException {
        record Ordered(long seq, StoredGeneration generation) {
        }
        return read("list generations", txn -> {
            OptionalLong active = activeRevision(txn);
            List<Ordered> out = new ArrayList<>();
            try (CursorIterable<byte[]> it = meta.iterate(txn)) {
                for (CursorIterable.KeyVal<byte[]> kv : it) {
                    long revision = Codec.decodeLong(kv.key(), "metadata key");
                    String what = "revision " + revision + " metadata";
                    Meta m = Codec.decodeMeta(what, kv.val());
                    try {
                        out.add(new Ordered(m.seq(), new StoredGeneration(revision, m.activatedAt(), m.byteCount(),
                                m.sha256(), m.kid(), m.source(), active.isPresent() && active.getAsLong() == revision)));
                    } catch (IllegalArgumentException | NullPointerException e) {
                        throw Codec.corrupt(what, e.getMessage());
                    }
                }
            }
            out.sort(Comparator.comparingLong(Ordered::seq).reversed());
            return out.stream().map(Ordered::generation).toList();
        });
    }

    /** Up to {@code max} history entries, newest first. */
    public List<HistoryEntry> history(int max) throws StoreException {
        if (max < 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 0)");
        }
        return read("read history", txn -> {
            List<HistoryEntry> out = new ArrayList<>(Math.min(max, settings.maxHistory()));
            try (Cursor<byte[]> c = history.openCursor(txn)) {
                for (boolean more = c.last(); more && out.size() < max; more = c.prev()) {
                    long seq = Codec.decodeLong(c.key(), "history key");
                    out.add(Codec.decodeHistory("history entry " + seq, c.val()));
                }
            }
            return out;
        });
    }

    /**
     * One write transaction: stores {@code bundle} (replacing a stored one of the same revision), makes it active and
     * the newest generation, deletes generations beyond {@link StoreSettings#generations()} and appends {@code entry}.
     * Activation executor only (see the class comment); blocks on disk sync.
     *
     * @throws IllegalArgumentException if {@code entry} names another revision
     */
    public void commitActivation(StoredBundle bundle, HistoryEntry entry) throws StoreException {
        Objects.requireNonNull(bundle, "bundle");
        requireRevision(entry, bundle.revision());
        byte[] key = Codec.longBytes(bundle.revision());
        write("commit revision " + bundle.revision(), txn -> {
            long seq = nextActivationSeq(txn);
            bytes.put(txn, key, bundle.bytes());
            meta.put(txn, key, Codec.encodeMeta(new Meta(seq, bundle.activatedAt(), bundle.bytes().length,
                    bundle.sha256(), bundle.kid(), bundle.source())));
            state.put(txn, KEY_ACTIVE, key);
            prune(txn, bundle.revision());
            appendHistory(txn, entry);
        });
    }

    /**
     * One write transaction: makes an already stored revision active again (a rollback) and the newest generation,
     * with {@code entry.at()} as its activation time, and appends {@code entry}. The stored bytes are verified first.
     * Activation executor only; blocks on disk sync.
     *
     * @throws StoreException {@link Reason#NOT_FOUND} if the revision is not retained, {@link Reason#CORRUPT} if it
     *                        fails verification; the active revision is then unchanged
     */
    public void activateStored(long revision, HistoryEntry entry) throws StoreException {
        requireRevision(entry, revision);
        byte[] key = Codec.longBytes(revision);
        write("activate stored revision " + revision, txn -> {
            StoredBundle stored = readBundle(txn, revision).orElse(null);
            if (stored == null) {
                throw new StoreException(Reason.NOT_FOUND, "revision " + revision + " (stored: "
                        + generations(txn, true).stream().map(Generation::revision).toList() + ")");
            }
            meta.put(txn, key, Codec.encodeMeta(new Meta(nextActivationSeq(txn), entry.at(), stored.bytes().length,
                    stored.sha256(), stored.kid(), stored.source())));
            state.put(txn, KEY_ACTIVE, key);
            appendHistory(txn, entry);
        });
    }

    /** Appends a history entry alone, e.g. a rejected bundle. Activation executor only; blocks on disk sync. */
    public void recordHistory(HistoryEntry entry) throws StoreException {
        Objects.requireNonNull(entry, "entry");
        write("record history", txn -> appendHistory(txn, entry));
    }

    /** Waits for operations in flight, then closes the environment. Idempotent. */
    @Override
    public void close() {
        closeLock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                env.close();
            }
        } finally {
            closeLock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "PolicyStore[" + dir + "]";
    }

    // --- transactions

    @FunctionalInterface
    private interface ReadBody<T> {
        T apply(Txn<byte[]> txn) throws StoreException;
    }

    @FunctionalInterface
    private interface WriteBody {
        void accept(Txn<byte[]> txn) throws StoreException;
    }

    private <T> T read(String what, ReadBody<T> body) throws StoreException {
        closeLock.readLock().lock();
        try {
            ensureOpen(what);
            try (Txn<byte[]> txn = env.txnRead()) {
                return body.apply(txn);
            }
        } catch (LmdbException e) {
            throw translate(what, e, settings);
        } finally {
            closeLock.readLock().unlock();
        }
    }

    /** Commits if {@code body} returns; otherwise closing the transaction aborts it, leaving no trace. */
    private void write(String what, WriteBody body) throws StoreException {
        closeLock.readLock().lock();
        try {
            ensureOpen(what);
            try (Txn<byte[]> txn = env.txnWrite()) {
                body.accept(txn);
                txn.commit();
            }
        } catch (LmdbException e) {
            throw translate(what, e, settings);
        } finally {
            closeLock.readLock().unlock();
        }
    }

    private void ensureOpen(String what) throws StoreException {
        if (closed) {
            throw new StoreException(Reason.CLOSED, what + ": " + this + " is closed");
        }
    }

    private void checkFormat() throws StoreException {
        write("check format", txn -> {
            byte[] format = state.get(txn, KEY_FORMAT);
            if (format == null) {
                state.put(txn, KEY_FORMAT, Codec.longBytes(FORMAT));
            } else if (Codec.decodeLong(format, "format") != FORMAT) {
                throw new StoreException(Reason.CORRUPT, "format: " + Codec.decodeLong(format, "format")
                        + " (expected: " + FORMAT + "; written by another version of Clawgress?)");
            }
        });
    }

    // --- inside a transaction

    private OptionalLong activeRevision(Txn<byte[]> txn) throws StoreException {
        byte[] value = state.get(txn, KEY_ACTIVE);
        return value == null ? OptionalLong.empty() : OptionalLong.of(Codec.decodeLong(value, "active pointer"));
    }

    private Optional<StoredBundle> readBundle(Txn<byte[]> txn, long revision) throws StoreException {
        byte[] key = Codec.longBytes(revision);
        byte[] metaValue = meta.get(txn, key);
        byte[] content = bytes.get(txn, key);
        String what = "revision " + revision;
        if (metaValue == null && content == null) {
            return Optional.empty();
        }
        if (metaValue == null || content == null) {
            throw Codec.corrupt(what, (metaValue == null ? "bytes without metadata" : "metadata without bytes")
                    + " (expected: both)");
        }
        Meta m = Codec.decodeMeta(what + " metadata", metaValue);
        if (content.length != m.byteCount()) {
            throw Codec.corrupt(what, content.length + " bytes stored (expected: " + m.byteCount() + ")");
        }
        try {
            return Optional.of(new StoredBundle(revision, content, m.sha256(), m.kid(), m.source(), m.activatedAt()));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw Codec.corrupt(what, e.getMessage());
        }
    }

    private long nextActivationSeq(Txn<byte[]> txn) throws StoreException {
        byte[] value = state.get(txn, KEY_ACTIVATION_SEQ);
        long next = (value == null ? 0 : Codec.decodeLong(value, "activation_seq")) + 1;
        state.put(txn, KEY_ACTIVATION_SEQ, Codec.longBytes(next));
        return next;
    }

    private record Generation(long revision, long seq) {
    }

    /**
     * Stored generations, newest activation first. With {@code lenient}, one whose metadata does not decode sorts as
     * oldest instead of failing, so a corrupted old generation is pruned rather than blocking every later activation.
     */
    private List<Generation> generations(Txn<byte[]> txn, boolean lenient) throws StoreException {
        List<Generation> out = new ArrayList<>();
        try (CursorIterable<byte[]> it = meta.iterate(txn)) {
            for (CursorIterable.KeyVal<byte[]> kv : it) {
                long revision = Codec.decodeLong(kv.key(), "metadata key");
                long seq;
                try {
                    seq = Codec.decodeMeta("revision " + revision + " metadata", kv.val()).seq();
                } catch (StoreException e) {
                    if (!lenient) {
                        throw e;
                    }
                    log.warn("policy store {}: {}; pruning it as the oldest generation", dir, e.getMessage());
                    seq = Long.MIN_VALUE;
                }
                out.add(new Generation(revision, seq));
            }
        }
        out.sort(Comparator.comparingLong(Generation::seq).reversed());
        return out;
    }

    private void prune(Txn<byte[]> txn, long activeRevision) throws StoreException {
        List<Generation> all = generations(txn, true);
        for (int i = settings.generations(); i < all.size(); i++) {
            long revision = all.get(i).revision();
            if (revision != activeRevision) {
                byte[] key = Codec.longBytes(revision);
                meta.delete(txn, key);
                bytes.delete(txn, key);
            }
        }
    }

    private void appendHistory(Txn<byte[]> txn, HistoryEntry entry) throws StoreException {
        long next = 1;
        try (Cursor<byte[]> c = history.openCursor(txn)) {
            if (c.last()) {
                next = Codec.decodeLong(c.key(), "history key") + 1;
            }
        }
        history.put(txn, Codec.longBytes(next), Codec.encodeHistory(entry));
        long excess = history.stat(txn).entries - settings.maxHistory();
        if (excess > 0) {
            try (Cursor<byte[]> c = history.openCursor(txn)) {
                for (; excess > 0 && c.first(); excess--) {
                    c.delete();
                }
            }
        }
    }

    // --- helpers

    private static void requireRevision(HistoryEntry entry, long revision) {
        Objects.requireNonNull(entry, "entry");
        if (entry.revision() != revision) {
            throw new IllegalArgumentException(
                    "entry.revision: " + entry.revision() + " (expected: " + revision + ", the revision activated)");
        }
    }

    private static void createDirectory(Path dir) throws StoreException {
        try {
            Files.createDirectory(dir,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw new StoreException(Reason.IO, dir + ": exists and is not a directory", e);
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new StoreException(Reason.IO, "create " + dir + ": " + e, e);
        }
    }

    private static StoreException translate(String what, LmdbException e, StoreSettings settings) {
        if (e instanceof Env.MapFullException) {
            return new StoreException(Reason.MAP_FULL, what + ": the LMDB map (" + settings.mapSizeBytes()
                    + " bytes) is full; nothing was written (raise mapSizeBytes or lower generations)", e);
        }
        boolean corrupt = e instanceof LmdbNativeException.PageCorruptedException
                || e instanceof LmdbNativeException.PageNotFoundException
                || e instanceof LmdbNativeException.PanicException
                || e instanceof Env.FileInvalidException
                || e instanceof Env.VersionMismatchException
                || e instanceof Dbi.IncompatibleException;
        return new StoreException(corrupt ? Reason.CORRUPT : Reason.IO, what + ": " + e.getMessage(), e);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
