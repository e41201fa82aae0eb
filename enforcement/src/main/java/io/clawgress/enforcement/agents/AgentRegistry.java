package io.clawgress.enforcement.agents;

import static org.lmdbjava.ByteArrayProxy.PROXY_BA;

import io.clawgress.enforcement.agents.AgentRegistryException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent registry: every known agent and whether it is active, in its own LMDB environment at
 * {@code state_dir/agents.lmdb/} ({@link #directoryIn(Path)}).
 *
 * <p>Every write ({@link #add}, {@link #setStatus}) is one LMDB write transaction that also increments the stored
 * registry {@link #generation()}: it commits entirely or not at all, and LMDB's default sync makes a committed
 * transaction survive {@code kill -9} and power loss. After any {@link AgentRegistryException} the registry and its
 * generation are as they were.
 *
 * <p>Processes: {@code clawgressctl agent ...} writes the registry from another process while {@code clawgressd} has
 * it open. LMDB allows one writer at a time across processes (its lock file) and any number of readers; each read
 * transaction sees the latest committed state, so the daemon notices a change without reopening by polling
 * {@link #generation()} — see {@link AgentDirectoryWatcher} — and then takes a {@link #snapshot()}.
 *
 * <p>Threads: never call this class from an event loop — every method is disk I/O, and writes block on fsync. Reads
 * ({@link #generation()}, {@link #get}, {@link #list()}, {@link #snapshot()}, {@link #snapshotIfChanged}) may run
 * concurrently from any other thread; each is one short read transaction not tied to its thread
 * ({@code MDB_NOTLS}). Writes may come from any thread; LMDB serialises them. The data path reads the immutable
 * {@link AgentDirectory} instead. {@link #close()} waits for operations in flight; anything called after it fails
 * with {@link Reason#CLOSED}.
 *
 * <p>Only one {@code AgentRegistry} per directory per process: LMDB does not support opening one environment twice
 * in a process (closing one would drop the other's POSIX locks).
 */
public final class AgentRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentRegistry.class);

    /** The registry's directory under {@code state_dir}. */
    public static final String DIRECTORY_NAME = "agents.lmdb";
    /**
     * The LMDB map size: the most the data file may grow to (it is sparse; only what is used takes disk). A record
     * with a full note and reason is under 2.2 KiB, a typical one under 200 bytes: this holds well over 100k agents
     * with room for LMDB's copy-on-write. Every process opening the registry uses this size.
     */
    public static final long MAP_SIZE_BYTES = 64L * 1024 * 1024;

    /** Agent id ({@link AgentCodec#key}) to {@link AgentCodec#encode record}. */
    static final String DBI_AGENTS = "agents";
    /** {@link #KEY_FORMAT} and {@link #KEY_GENERATION}. */
    static final String DBI_STATE = "state";
    static final byte[] KEY_FORMAT = ascii("format");
    static final byte[] KEY_GENERATION = ascii("generation");
    private static final long FORMAT = 1;

    private final Path dir;
    private final Clock clock;
    private final long mapSizeBytes;
    private final Env<byte[]> env;
    private final Dbi<byte[]> agents;
    private final Dbi<byte[]> state;
    /** Read lock: any operation (LMDB itself orders transactions); write lock: {@link #close()} and map resizes. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed; // guarded by lock
    private int mapSizeAdoptions; // guarded by lock (write)

    private AgentRegistry(Path dir, Clock clock, long mapSizeBytes, Env<byte[]> env) {
        this.dir = dir;
        this.clock = clock;
        this.mapSizeBytes = mapSizeBytes;
        this.env = env;
        this.agents = env.openDbi(DBI_AGENTS, DbiFlags.MDB_CREATE);
        this.state = env.openDbi(DBI_STATE, DbiFlags.MDB_CREATE);
    }

    /** {@code stateDir/agents.lmdb}. */
    public static Path directoryIn(Path stateDir) {
        return stateDir.resolve(DIRECTORY_NAME);
    }

    /** {@link #open(Path, Clock)} with the system clock. */
    public static AgentRegistry open(Path dir) throws AgentRegistryException {
        return open(dir, Clock.systemUTC());
    }

    /**
     * Opens the registry in {@code dir}, creating it if needed: the directory with mode 0700 (its parent must exist)
     * and its files with mode 0600. A directory created here is given its parent's owner and group when they differ
     * (when root runs {@code clawgressctl agent add} before the daemon, which runs as its own user, first started),
     * so the daemon can open it. Blocks on disk; call it off the event loop.
     *
     * @param clock the time {@link #setStatus} records as {@link AgentRecord#updatedAt()}
     */
    public static AgentRegistry open(Path dir, Clock clock) throws AgentRegistryException {
        return open(dir, clock, MAP_SIZE_BYTES);
    }

    static AgentRegistry open(Path dir, Clock clock, long mapSizeBytes) throws AgentRegistryException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(clock, "clock");
        boolean created = createDirectory(dir);
        Env<byte[]> env;
        try {
            env = Env.create(PROXY_BA).setMapSize(mapSizeBytes).setMaxDbs(2)
                    .open(dir.toFile(), 0600, EnvFlags.MDB_NOTLS);
        } catch (LmdbException e) {
            throw translate("open " + dir, e, mapSizeBytes);
        } catch (LinkageError e) {
            // lmdbjava extracts liblmdb to java.io.tmpdir (or -Dlmdbjava.extract.dir) and loads it with jnr-ffi
            throw new AgentRegistryException(Reason.IO, "open " + dir + ": cannot load the LMDB native library: " + e,
                    e);
        }
        try {
            // Reader slots left by a process that died (kill -9) would otherwise pin old pages until reused.
            int stale = env.readerCheck();
            if (stale > 0) {
                log.info("agent registry {}: cleared {} stale reader slot(s)", dir, stale);
            }
            AgentRegistry registry = new AgentRegistry(dir, clock, mapSizeBytes, env);
            registry.checkFormat();
            if (created) {
                inheritOwner(dir);
            }
            return registry;
        } catch (LmdbException e) {
            env.close();
            throw translate("open " + dir, e, mapSizeBytes);
        } catch (AgentRegistryException e) {
            env.close();
            throw e;
        }
    }

    public Path directory() {
        return dir;
    }

    /**
     * The registry generation: 0 before the first write, then incremented by every committed write. One short read
     * transaction (no record is read), cheap enough to poll a few times a second; a change committed by another
     * process is visible as soon as that process's commit returns.
     */
    public long generation() throws AgentRegistryException {
        return read("read generation", this::generation);
    }

    /**
     * The agent, or empty when it is not registered.
     *
     * @throws IllegalArgumentException if {@code agentId} is not an id ({@link AgentIds}); for untrusted input use
     *                                  {@link AgentDirectory#lookup}, which never throws
     */
    public Optional<AgentRecord> get(String agentId) throws AgentRegistryException {
        AgentIds.require("agentId", agentId, false);
        return read("read agent " + agentId, txn -> Optional.ofNullable(readAgent(txn, agentId)));
    }

    /** Every agent, by id. */
    public List<AgentRecord> list() throws AgentRegistryException {
        return read("list agents", this::readAll);
    }

    /** Every agent and the generation they were read at, from one read transaction. */
    public AgentDirectory snapshot() throws AgentRegistryException {
        return read("snapshot", txn -> AgentDirectory.of(generation(txn), readAll(txn)));
    }

    /**
     * A {@link #snapshot()} if the generation is no longer {@code knownGeneration}, else empty without reading any
     * record. Any difference counts, a lower generation too (a registry restored from a backup).
     */
    public Optional<AgentDirectory> snapshotIfChanged(long knownGeneration) throws AgentRegistryException {
        return read("snapshot", txn -> {
            long generation = generation(txn);
            return generation == knownGeneration ? Optional.empty()
                    : Optional.of(AgentDirectory.of(generation, readAll(txn)));
        });
    }

    /**
     * One write transaction: registers a new agent and increments the generation.
     *
     * @return the generation this write committed
     * @throws AgentRegistryException {@link Reason#ALREADY_EXISTS} if the id is registered; nothing is written
     */
    public long add(AgentRecord agent) throws AgentRegistryException {
        Objects.requireNonNull(agent, "agent");
        byte[] key = AgentCodec.key(agent.agentId());
        byte[] value = AgentCodec.encode(agent);
        return write("add agent " + agent.agentId(), txn -> {
            if (!agents.put(txn, key, value, PutFlags.MDB_NOOVERWRITE)) {
                AgentRecord existing = readAgent(txn, agent.agentId());
                throw new AgentRegistryException(Reason.ALREADY_EXISTS, "agent '" + agent.agentId() + "' ("
                        + (existing == null ? "registered" : existing.status().code() + ", added "
                        + existing.createdAt()) + ")");
            }
            return bumpGeneration(txn);
        });
    }

    /**
     * Sets an agent's status and reason, stamped with the registry clock. If the agent already has {@code status},
     * nothing is written and the generation stays: the stored reason and time are those of the change that set it.
     * Otherwise one write transaction stores the change and increments the generation.
     *
     * @param reason why, for the record (e.g. why the agent is disabled), or null; {@link AgentRecord#requireText}
     * @throws AgentRegistryException   {@link Reason#NOT_FOUND} if the agent is not registered
     * @throws IllegalArgumentException if {@code agentId} is not an id or {@code reason} not one line of text
     */
    public StatusChange setStatus(String agentId, AgentStatus status, String reason) throws AgentRegistryException {
        AgentIds.require("agentId", agentId, false);
        Objects.requireNonNull(status, "status");
        Text.require("reason", reason, true);
        return write("set status of agent " + agentId, txn -> {
            AgentRecord before = readAgent(txn, agentId);
            if (before == null) {
                throw new AgentRegistryException(Reason.NOT_FOUND, "agent '" + agentId + "' ("
                        + agents.stat(txn).entries + " registered)");
            }
            if (before.status() == status) {
                return new StatusChange(before, before, generation(txn));
            }
            AgentRecord after = before.withStatus(status, reason, clock.instant());
            agents.put(txn, AgentCodec.key(agentId), AgentCodec.encode(after));
            return new StatusChange(before, after, bumpGeneration(txn));
        });
    }

    /** Waits for operations in flight, then closes the environment. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                env.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** How often this registry adopted a map size another process set (tests). */
    int mapSizeAdoptions() {
        lock.readLock().lock();
        try {
            return mapSizeAdoptions;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "AgentRegistry[" + dir + "]";
    }

    /**
     * The outcome of {@link #setStatus}.
     *
     * @param before     the agent before
     * @param after      the agent after; the same record as {@code before} when it already had the status
     * @param generation the generation this write committed, or the current one when nothing was written
     */
    public record StatusChange(AgentRecord before, AgentRecord after, long generation) {

        public StatusChange {
            Objects.requireNonNull(before, "before");
            Objects.requireNonNull(after, "after");
            if (!before.agentId().equals(after.agentId())) {
                throw new IllegalArgumentException("after.agentId: '" + after.agentId() + "' (expected: '"
                        + before.agentId() + "')");
            }
        }

        /** Whether anything was written. */
        public boolean changed() {
            return !before.equals(after);
        }
    }

    // --- transactions

    @FunctionalInterface
    private interface Body<T> {
        T apply(Txn<byte[]> txn) throws AgentRegistryException;
    }

    private <T> T read(String what, Body<T> body) throws AgentRegistryException {
        return run(what, false, body);
    }

    /** Commits if {@code body} returns; otherwise closing the transaction aborts it, leaving no trace. */
    private <T> T write(String what, Body<T> body) throws AgentRegistryException {
        return run(what, true, body);
    }

    private <T> T run(String what, boolean write, Body<T> body) throws AgentRegistryException {
        for (int attempt = 0; ; attempt++) {
            lock.readLock().lock();
            try {
                ensureOpen(what);
                try (Txn<byte[]> txn = write ? env.txnWrite() : env.txnRead()) {
                    T result = body.apply(txn);
                    if (write) {
                        txn.commit();
                    }
                    return result;
                }
            } catch (Dbi.MapResizedException e) {
                if (attempt > 0) {
                    throw translate(what, e, mapSizeBytes);
                }
                // Another process grew the map beyond ours (it was opened with a larger size): adopt its size, which
                // LMDB allows only with no transaction open in this process, then retry once.
            } catch (LmdbException e) {
                throw translate(what, e, mapSizeBytes);
            } finally {
                lock.readLock().unlock();
            }
            adoptMapSize(what);
        }
    }

    private void adoptMapSize(String what) throws AgentRegistryException {
        lock.writeLock().lock();
        try {
            ensureOpen(what);
            env.setMapSize(0);
            mapSizeAdoptions++;
            log.info("agent registry {}: adopted the map size another process set", dir);
        } catch (LmdbException e) {
            throw translate(what, e, mapSizeBytes);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void ensureOpen(String what) throws AgentRegistryException {
        if (closed) {
            throw new AgentRegistryException(Reason.CLOSED, what + ": " + this + " is closed");
        }
    }

    private void checkFormat() throws AgentRegistryException {
        byte[] stored = read("check format", txn -> state.get(txn, KEY_FORMAT));
        if (stored == null) {
            write("initialise", txn -> {
                if (state.get(txn, KEY_FORMAT) == null) { // another process may have initialised it meanwhile
                    state.put(txn, KEY_FORMAT, AgentCodec.longBytes(FORMAT));
                }
                return null;
            });
        } else if (AgentCodec.decodeLong(stored, "format") != FORMAT) {
            throw new AgentRegistryException(Reason.CORRUPT, "format: " + AgentCodec.decodeLong(stored, "format")
                    + " (expected: " + FORMAT + "; written by another version of Clawgress?)");
        }
    }

    // --- inside a transaction

    private long generation(Txn<byte[]> txn) throws AgentRegistryException {
        byte[] value = state.get(txn, KEY_GENERATION);
        if (value == null) {
            return 0;
        }
        long generation = AgentCodec.decodeLong(value, "generation");
        if (generation < 1) {
            throw AgentCodec.corrupt("generation", generation + " (expected: >= 1 once stored)");
        }
        return generation;
    }

    private long bumpGeneration(Txn<byte[]> txn) throws AgentRegistryException {
        long next = generation(txn) + 1;
        state.put(txn, KEY_GENERATION, AgentCodec.longBytes(next));
        return next;
    }

    private AgentRecord readAgent(Txn<byte[]> txn, String agentId) throws AgentRegistryException {
        byte[] value = agents.get(txn, AgentCodec.key(agentId));
        return value == null ? null : AgentCodec.decode(agentId, value);
    }

    private List<AgentRecord> readAll(Txn<byte[]> txn) throws AgentRegistryException {
        List<AgentRecord> out = new ArrayList<>();
        try (CursorIterable<byte[]> it = agents.iterate(txn)) {
            for (CursorIterable.KeyVal<byte[]> kv : it) {
                out.add(AgentCodec.decode(AgentCodec.decodeKey(kv.key()), kv.val()));
            }
        }
        return out;
    }

    // --- helpers

    /** Creates {@code dir} with mode 0700; returns whether it was created here. */
    private static boolean createDirectory(Path dir) throws AgentRegistryException {
        try {
            Files.createDirectory(dir,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return true;
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw new AgentRegistryException(Reason.IO, dir + ": exists and is not a directory", e);
            }
            return false;
        } catch (IOException | UnsupportedOperationException e) {
            throw new AgentRegistryException(Reason.IO, "create " + dir + ": " + e, e);
        }
    }

    /** Gives {@code dir} and its LMDB files the owner and group of {@code dir}'s parent, where they differ. */
    private static void inheritOwner(Path dir) {
        Path parent = dir.toAbsolutePath().getParent();
        try {
            Object uid = Files.getAttribute(parent, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            Object gid = Files.getAttribute(parent, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            for (Path p : List.of(dir, dir.resolve("data.mdb"), dir.resolve("lock.mdb"))) {
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (!uid.equals(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
                    Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                }
                if (!gid.equals(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS))) {
                    Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            log.warn("agent registry {}: created, but cannot give it the owner of {} ({}); the gateway may not be"
                    + " able to open it", dir, parent, e.toString());
        }
    }

    private static AgentRegistryException translate(String what, LmdbException e, long mapSizeBytes) {
        if (e instanceof Env.MapFullException) {
            return new AgentRegistryException(Reason.MAP_FULL, what + ": the LMDB map (" + mapSizeBytes
                    + " bytes) is full; nothing was written", e);
        }
        boolean corrupt = e instanceof LmdbNativeException.PageCorruptedException
                || e instanceof LmdbNativeException.PageNotFoundException
                || e instanceof LmdbNativeException.PanicException
                || e instanceof Env.FileInvalidException
                || e instanceof Env.VersionMismatchException
                || e instanceof Dbi.IncompatibleException;
        return new AgentRegistryException(corrupt ? Reason.CORRUPT : Reason.IO, what + ": " + e.getMessage(), e);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
