package io.clawgress.enforcement.activation.source;

import io.clawgress.enforcement.activation.source.BoundedFileReader.Read;
import io.clawgress.enforcement.activation.source.BoundedFileReader.Reason;
import io.clawgress.enforcement.activation.source.BoundedFileReader.Refused;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Watches a drop directory for bundles and offers each one once.
 *
 * <h2>Protocol for writers</h2>
 * Write the bundle elsewhere <em>on the same filesystem</em> (or in the drop directory under a name that is ignored:
 * a dotfile, {@code *.tmp}, {@code *.partial}), then {@code rename(2)} it to {@code <name>.tar.gz} or
 * {@code <name>.bundle} in the directory, e.g. {@code install -m 0640 b.tar.gz dir/.b.tmp && mv dir/.b.tmp
 * dir/b.tar.gz}. The rename is atomic, so the source never sees half a file. Only those two suffixes are considered;
 * every other name, and every subdirectory, is left alone. A symbolic link is followed (its target must be a regular
 * file) and the link itself is moved afterwards. A file written in place under a picked-up name breaks the
 * protocol: the source re-checks size and mtime after reading and retries a file that changed, but a half-written
 * bundle may still be offered; the activator then refuses it (truncated gzip, bad signature), so this fails closed.
 *
 * <h2>What happens to a picked-up file</h2>
 * Files are handled oldest mtime first (then by name). Each is read with the size cap and offered, then moved to
 * {@code <dir>/processed/<name>@<UTC timestamp>}, so operators can see what was consumed and when. A file that
 * cannot be used (too big, unreadable, not a regular file, a dangling link; a sink that threw) goes to
 * {@code <dir>/failed/} instead, with a warning saying why. Both subdirectories are created on demand and keep the
 * newest {@code keep} entries (by that timestamp); older ones are deleted. A file that cannot be moved away is
 * remembered and not offered again while it stays unchanged.
 *
 * <h2>Threads</h2>
 * One daemon thread, {@code clawgress-bundle-drop}, started by {@link #start()}: it scans at start, whenever the
 * {@link WatchService} reports a new entry, and every {@code rescanInterval} regardless (inotify misses events on
 * some filesystems, e.g. network mounts, and a watch is lost when the directory is replaced). A missing directory is
 * logged and polled for at that interval until it appears. Nothing thrown by a file or the sink stops the thread.
 */
public final class DropDirectorySource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DropDirectorySource.class);

    public static final String PROCESSED_DIR = "processed";
    public static final String FAILED_DIR = "failed";
    static final String THREAD_NAME = "clawgress-bundle-drop";
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    /** {@code <name>@<stamp>} or, when two moves of one name share a millisecond, {@code <name>@<stamp>-<n>}. */
    private static final Pattern ARCHIVED = Pattern.compile("^.+@(\\d{8}T\\d{6}\\.\\d{3}Z)(?:-(\\d+))?$");
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /**
     * @param dir            the drop directory; it is not created (a missing one is waited for)
     * @param maxBytes       largest file accepted; larger ones go to {@code failed/} after at most
     *                       {@code maxBytes + 1} bytes were read
     * @param rescanInterval periodic full scan, in addition to watch events, and the poll for a missing directory
     * @param keep           entries kept in each of {@code processed/} and {@code failed/}
     */
    public record Settings(Path dir, long maxBytes, Duration rescanInterval, int keep) {

        public static final Duration DEFAULT_RESCAN_INTERVAL = Duration.ofSeconds(5);
        public static final int DEFAULT_KEEP = 20;

        public Settings {
            Objects.requireNonNull(dir, "dir");
            SourceChecks.maxBytes(maxBytes);
            SourceChecks.positive("rescanInterval", rescanInterval, Duration.ofMillis(10));
            if (keep < 1 || keep > 10_000) {
                throw new IllegalArgumentException("keep: " + keep + " (expected: >= 1 and <= 10000)");
            }
        }

        /** 32 MiB cap, a rescan every 5 s, the last 20 kept. */
        public static Settings of(Path dir) {
            return new Settings(dir, BundleFileSource.DEFAULT_MAX_BYTES, DEFAULT_RESCAN_INTERVAL, DEFAULT_KEEP);
        }
    }

    /** What identifies one version of one file: a file replaced or rewritten under the same name is a new one. */
    private record FileId(String name, Object fileKey, long size, FileTime mtime) {
        static FileId of(String name, BasicFileAttributes a) {
            return new FileId(name, a.fileKey(), a.size(), a.lastModifiedTime());
        }
    }

    private record Entry(Path path, String name, BasicFileAttributes attrs) {
    }

    private final Settings settings;
    private final BundleSink sink;
    private final Clock clock;
    private final boolean useWatchService;
    private final LongAdder offered = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final AtomicLong scans = new AtomicLong();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile boolean directoryPresent;
    private Thread thread;

    /** Set by {@link #start()} before the thread starts; closed by {@link #close()}. */
    private WatchService watcher;
    // Confined to the source thread.
    private WatchKey key;
    private Object watchedDirKey;
    private Boolean presentLogged;
    private final Set<FileId> stuck = new HashSet<>();
    private final Set<FileId> changing = new HashSet<>();

    public DropDirectorySource(Settings settings, BundleSink sink, Clock clock) {
        this(settings, sink, clock, true);
    }

    /** {@code useWatchService = false}: rescans only, as on a filesystem where inotify never fires (tests). */
    DropDirectorySource(Settings settings, BundleSink sink, Clock clock, boolean useWatchService) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.useWatchService = useWatchService;
    }

    /** Starts the source thread; the first scan runs at once on it. */
    public synchronized void start() {
        if (thread != null || closed) {
            throw new IllegalStateException("start: already " + (closed ? "closed" : "started"));
        }
        if (useWatchService) {
            try {
                watcher = settings.dir().getFileSystem().newWatchService();
            } catch (IOException | UnsupportedOperationException e) {
                LOG.warn("drop directory {}: no watch service ({}); relying on the rescan every {}",
                        settings.dir(), e.toString(), settings.rescanInterval());
            }
        }
        thread = Thread.ofPlatform().name(THREAD_NAME).daemon(true).unstarted(this::run);
        thread.start();
    }

    public Settings settings() {
        return settings;
    }

    public long offeredCount() {
        return offered.sum();
    }

    /** Files refused (moved to {@code failed/}) and sink failures. */
    public long refusedCount() {
        return refused.sum();
    }

    /** Whether the last scan found the directory. */
    public boolean directoryPresent() {
        return directoryPresent;
    }

    /** Completed scans, for tests that must see the source go round again. */
    long scanCount() {
        return scans.get();
    }

    /**
     * Stops the thread, waiting up to 5 s for the file in hand to be finished (read, offered and moved). Call before
     * closing the sink's owner, so the last offer still has somewhere to go.
     */
    @Override
    public void close() {
        Thread t;
        WatchService w;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
            w = watcher;
        }
        closing.countDown();
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                LOG.debug("closing the watch service of {}", settings.dir(), e);
            }
        }
        if (t == null) {
            return;
        }
        try {
            if (!t.join(CLOSE_WAIT)) {
                // Stuck in I/O (e.g. opening a FIFO swapped in after the type check): interrupt as a last resort.
                LOG.warn("drop directory source did not stop within {}; interrupting it", CLOSE_WAIT);
                t.interrupt();
                t.join(CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- source thread ----

    private void run() {
        while (!closed) {
            try {
                scanOnce();
            } catch (RuntimeException e) {
                LOG.error("drop directory {}: scan failed; trying again in {}", settings.dir(),
                        settings.rescanInterval(), e);
            }
            scans.incrementAndGet();
            try {
                awaitWake();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
        }
    }

    /** Until a watch event, the rescan interval or {@link #close()}, whichever comes first. */
    private void awaitWake() throws InterruptedException {
        long nanos = settings.rescanInterval().toNanos();
        if (watcher == null || key == null) {
            closing.await(nanos, TimeUnit.NANOSECONDS);
            return;
        }
        WatchKey signalled = watcher.poll(nanos, TimeUnit.NANOSECONDS);
        while (signalled != null) {
            // The events only wake us: the scan that follows looks at the whole directory (OVERFLOW included).
            signalled.pollEvents();
            if (!signalled.reset() && signalled == key) {
                key = null;
            }
            signalled = watcher.poll();
        }
    }

    private void scanOnce() {
        Path dir = settings.dir();
        BasicFileAttributes dirAttrs;
        try {
            dirAttrs = Files.readAttributes(dir, BasicFileAttributes.class);
        } catch (IOException e) {
            dirAttrs = null;
        }
        if (dirAttrs == null || !dirAttrs.isDirectory()) {
            unwatch();
            directoryPresent = false;
            if (!Boolean.FALSE.equals(presentLogged)) {
                LOG.error("drop directory {} is missing or not a directory; looking again every {} until it appears",
                        dir, settings.rescanInterval());
                presentLogged = false;
            }
            return;
        }
        directoryPresent = true;
        if (!Boolean.TRUE.equals(presentLogged)) {
            if (Boolean.FALSE.equals(presentLogged)) {
                LOG.info("drop directory {} appeared", dir);
            }
            presentLogged = true;
        }
        // Watch before listing, so that a file renamed in after the listing still wakes us.
        watch(dir, dirAttrs.fileKey());
        List<Entry> entries = list(dir);
        Set<FileId> seen = new HashSet<>();
        for (Entry e : entries) {
            if (closed) {
                return;
            }
            FileId id = FileId.of(e.name(), e.attrs());
            seen.add(id);
            try {
                handle(e, id);
            } catch (RuntimeException ex) {
                refused.increment();
                LOG.error("drop directory: failed to handle {}", e.path(), ex);
            }
        }
        stuck.retainAll(seen);
        changing.retainAll(seen);
    }

    private void watch(Path dir, Object dirKey) {
        if (watcher == null) {
            return;
        }
        if (key != null && key.isValid() && Objects.equals(dirKey, watchedDirKey)) {
            return;
        }
        unwatch();
        try {
            key = dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
            watchedDirKey = dirKey;
        } catch (ClosedWatchServiceException e) {
            key = null; // closing
        } catch (IOException e) {
            LOG.warn("drop directory {}: cannot watch it ({}); relying on the rescan every {}", dir, e.toString(),
                    settings.rescanInterval());
        }
    }

    private void unwatch() {
        if (key != null) {
            key.cancel();
            key = null;
            watchedDirKey = null;
        }
    }

    /** Entries with a bundle name, oldest mtime first, then by name. */
    private List<Entry> list(Path dir) {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (!isBundleName(name)) {
                    continue;
                }
                BasicFileAttributes attrs = attributes(p);
                if (attrs != null) {
                    entries.add(new Entry(p, name, attrs));
                }
            }
        } catch (IOException e) {
            LOG.warn("drop directory {}: cannot list it: {}", dir, e.toString());
        }
        entries.sort(Comparator.comparing((Entry e) -> e.attrs().lastModifiedTime()).thenComparing(Entry::name));
        return entries;
    }

    /** The target's attributes, or the link's own for a dangling link; null when the entry has vanished. */
    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException e) {
            try {
                return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException gone) {
                return null;
            }
        }
    }

    /** {@code *.tar.gz} and {@code *.bundle}, except dotfiles (where writers may stage files). */
    static boolean isBundleName(String name) {
        return !name.startsWith(".") && (name.endsWith(".tar.gz") || name.endsWith(".bundle"));
    }

    private void handle(Entry e, FileId id) {
        if (stuck.contains(id)) {
            return;
        }
        String source = "drop:" + e.path();
        switch (BoundedFileReader.read(e.path(), settings.maxBytes())) {
            case Refused r when r.reason() == Reason.MISSING && Files.notExists(e.path(), LinkOption.NOFOLLOW_LINKS) ->
                    LOG.debug("drop directory: {} vanished before it was read", e.path());
            case Refused r -> {
                if (closed) {
                    return;
                }
                refused.increment();
                LOG.warn("bundle candidate refused: source={} reason={}; moving it to {}/", source, r, FAILED_DIR);
                moveAway(e, id, FAILED_DIR);
            }
            case Read read -> {
                BasicFileAttributes after = attributes(e.path());
                if (after == null || !FileId.of(e.name(), after).equals(FileId.of(e.name(), read.attrs()))) {
                    // Rewritten in place while we read: not the rename protocol. Try again when it has settled.
                    if (changing.add(id)) {
                        LOG.warn("drop directory: {} changed while being read (write elsewhere, then rename it in); "
                                + "retrying", e.path());
                    }
                    return;
                }
                if (closed) {
                    return;
                }
                BundleCandidate candidate = new BundleCandidate(read.bytes(), source, clock.instant());
                boolean ok = SourceChecks.offer(sink, candidate, LOG, offered);
                if (!ok) {
                    refused.increment();
                }
                moveAway(e, id, ok ? PROCESSED_DIR : FAILED_DIR);
            }
        }
    }

    private void moveAway(Entry e, FileId id, String subdir) {
        Path target = settings.dir().resolve(subdir);
        try {
            Files.createDirectories(target);
            String base = e.name() + "@" + STAMP.format(clock.instant());
            Path dest = target.resolve(base);
            for (int n = 1; Files.exists(dest, LinkOption.NOFOLLOW_LINKS); n++) {
                dest = target.resolve(base + "-" + n);
            }
            try {
                Files.move(e.path(), dest, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException notSameFs) {
                Files.move(e.path(), dest);
            }
            LOG.debug("drop directory: moved {} to {}", e.path(), dest);
        } catch (IOException ex) {
            stuck.add(id);
            LOG.error("drop directory: cannot move {} to {}/ ({}); it will not be offered again while unchanged",
                    e.path(), subdir, ex.toString());
            return;
        }
        prune(target);
    }

    /** Keeps the newest {@code keep} archived entries; names not of the form {@code <name>@<stamp>} are left alone. */
    private void prune(Path target) {
        record Archived(Path path, String stamp, long n) {
        }
        List<Archived> archived = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(target)) {
            for (Path p : stream) {
                Matcher m = ARCHIVED.matcher(p.getFileName().toString());
                if (m.matches() && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    archived.add(new Archived(p, m.group(1), m.group(2) == null ? 0 : Long.parseLong(m.group(2))));
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.warn("drop directory: cannot list {} to prune it: {}", target, e.toString());
            return;
        }
        if (archived.size() <= settings.keep()) {
            return;
        }
        archived.sort(Comparator.comparing(Archived::stamp).thenComparingLong(Archived::n).reversed());
        for (Archived a : archived.subList(settings.keep(), archived.size())) {
            try {
                Files.deleteIfExists(a.path());
            } catch (IOException e) {
                LOG.warn("drop directory: cannot delete {}: {}", a.path(), e.toString());
            }
        }
    }
}
