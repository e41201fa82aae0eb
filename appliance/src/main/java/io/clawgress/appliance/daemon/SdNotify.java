package io.clawgress.appliance.daemon;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Transient;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The systemd notification protocol (sd_notify(3)) for {@code Type=notify}: newline-separated {@code KEY=VALUE}
 * assignments in one datagram to the unix socket named by {@code NOTIFY_SOCKET}, a path or {@code @name} for the
 * abstract namespace. The JDK has no unix datagram sockets, so jnr-unixsocket sends them.
 *
 * <p>Without {@code NOTIFY_SOCKET} (not started by systemd) every call is a no-op. Notification is best effort and
 * never throws into its callers: the first failure is logged, later ones only counted at debug level. Sends never
 * block (a full receive queue drops the message), so any thread may call, though none should be an event loop.
 *
 * <p>The watchdog ({@code WATCHDOG_USEC}) applies only when {@code WATCHDOG_PID} is unset or names this process, as
 * sd_watchdog_enabled(3) says; {@link Watchdog} pings.
 */
public final class SdNotify implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SdNotify.class);

    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
    public static final String WATCHDOG_USEC = "WATCHDOG_USEC";
    public static final String WATCHDOG_PID = "WATCHDOG_PID";
    /** sun_path is 108 bytes; a path needs its terminating NUL, an abstract name its leading one. */
    static final int MAX_ADDRESS_BYTES = 107;
    /** STATUS= is free text for {@code systemctl status}; kept to one line of reasonable length. */
    static final int MAX_STATUS_CHARS = 400;

    private static final SdNotify DISABLED = new SdNotify(null, null, null);

    private final UnixSocketAddress target;
    private final String description;
    private final Duration watchdog;
    private final AtomicBoolean failureLogged = new AtomicBoolean();
    private UnixDatagramChannel channel; // guarded by this; opened at the first send
    private boolean closed; // guarded by this

    private SdNotify(UnixSocketAddress target, String description, Duration watchdog) {
        this.target = target;
        this.description = description;
        this.watchdog = watchdog;
    }

    /** What this process's environment says (systemd sets the variables for a {@code Type=notify} service). */
    public static SdNotify fromEnvironment() {
        return fromEnvironment(System.getenv(), ProcessHandle.current().pid());
    }

    /**
     * Reads {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} from {@code env}. Values that do not
     * parse are logged and ignored (notification off, or no watchdog): the daemon runs without them rather than not
     * at all.
     *
     * @param pid this process's id, compared with {@code WATCHDOG_PID}
     */
    public static SdNotify fromEnvironment(Map<String, String> env, long pid) {
        Objects.requireNonNull(env, "env");
        String socket = env.get(NOTIFY_SOCKET);
        if (socket == null || socket.isEmpty()) {
            return DISABLED;
        }
        UnixSocketAddress target;
        try {
            target = address(socket);
        } catch (IllegalArgumentException e) {
            log.warn("{}: {}; systemd will not hear about readiness, reloads or stops", NOTIFY_SOCKET, e.getMessage());
            return DISABLED;
        }
        return new SdNotify(target, socket, watchdog(env, pid));
    }

    /** Notification off: every call is a no-op. */
    public static SdNotify disabled() {
        return DISABLED;
    }

    /**
     * {@code /path} or {@code @abstract-name} (sd_notify(3)); other forms (such as systemd's {@code vsock:}) are not
     * supported here.
     */
    static UnixSocketAddress address(String socket) {
        if (socket.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("a value with control characters (expected: /path or @name)");
        }
        int bytes = socket.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ADDRESS_BYTES || bytes != socket.length()) {
            // jnr-unixsocket sizes the address in chars: only ASCII is sized right, which systemd's paths are.
            throw new IllegalArgumentException("'" + socket + "' (expected: an ASCII /path or @name of at most "
                    + MAX_ADDRESS_BYTES + " bytes)");
        }
        if (socket.startsWith("@") && socket.length() > 1) {
            return new UnixSocketAddress("\0" + socket.substring(1)); // Linux abstract namespace: a leading NUL
        }
        if (socket.startsWith("/")) {
            return new UnixSocketAddress(socket);
        }
        throw new IllegalArgumentException("'" + socket + "' (expected: an absolute /path or @name)");
    }

    private static Duration watchdog(Map<String, String> env, long pid) {
        String usec = env.get(WATCHDOG_USEC);
        if (usec == null || usec.isEmpty()) {
            return null;
        }
        String owner = env.get(WATCHDOG_PID);
        if (owner != null && !owner.isEmpty()) {
            try {
                if (Long.parseLong(owner) != pid) {
                    log.info("{}={} is not this process ({}): no watchdog pings from here", WATCHDOG_PID, owner, pid);
                    return null;
                }
            } catch (NumberFormatException e) {
                log.warn("{}: '{}' (expected: a process id); no watchdog pings", WATCHDOG_PID, owner);
                return null;
            }
        }
        long micros;
        try {
            micros = Long.parseLong(usec);
        } catch (NumberFormatException e) {
            micros = -1;
        }
        if (micros <= 0) {
            log.warn("{}: '{}' (expected: a positive number of microseconds); no watchdog pings", WATCHDOG_USEC,
                    usec);
            return null;
        }
        return Duration.of(micros, java.time.temporal.ChronoUnit.MICROS);
    }

    /** Whether {@code NOTIFY_SOCKET} named a socket. */
    public boolean enabled() {
        return target != null;
    }

    /** The socket as the environment named it, for logs. */
    public Optional<String> socket() {
        return Optional.ofNullable(description);
    }

    /** {@code WATCHDOG_USEC}, when the watchdog applies to this process; ping at least twice per interval. */
    public Optional<Duration> watchdogInterval() {
        return Optional.ofNullable(watchdog);
    }

    /** {@code READY=1}: started, or done reloading. */
    public boolean ready(String status) {
        return send("READY=1\nSTATUS=" + oneLine(status));
    }

    /**
     * {@code RELOADING=1} with {@code MONOTONIC_USEC} (systemd 253 and later pair the two to tell this reload from an
     * earlier one); {@link #ready} ends it.
     */
    public boolean reloading(String status) {
        return send("RELOADING=1\nMONOTONIC_USEC=" + Monotonic.micros() + "\nSTATUS=" + oneLine(status));
    }

    /** {@code STOPPING=1}: the stop began (draining). */
    public boolean stopping(String status) {
        return send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    /** {@code STATUS=} alone. */
    public boolean status(String status) {
        return send("STATUS=" + oneLine(status));
    }

    /** {@code WATCHDOG=1}: the service is alive. */
    public boolean watchdog() {
        return send("WATCHDOG=1");
    }

    /** One line, bounded: a newline would start a new assignment. */
    static String oneLine(String s) {
        String one = s == null ? "" : s.replaceAll("[\\r\\n\\x00]+", " ").strip();
        return one.length() > MAX_STATUS_CHARS ? one.substring(0, MAX_STATUS_CHARS - 3) + "..." : one;
    }

    /**
     * Sends {@code state} as one datagram. Never throws and never blocks.
     *
     * @return whether the whole datagram was sent ({@code false} when disabled)
     */
    public synchronized boolean send(String state) {
        if (target == null || closed) {
            return false;
        }
        byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
        try {
            if (channel == null) {
                UnixDatagramChannel ch = UnixDatagramChannel.open();
                ch.configureBlocking(false);
                channel = ch;
            }
            int sent = channel.send(ByteBuffer.wrap(bytes), target);
            if (sent != bytes.length) {
                failed("the receive queue of " + description + " is full; dropped " + firstLine(state), null);
                return false;
            }
            log.debug("sd_notify {}: {}", description, state.replace('\n', ' '));
            return true;
        } catch (IOException | RuntimeException | LinkageError e) {
            failed("cannot send " + firstLine(state) + " to " + description + ": " + e, e);
            closeChannel();
            return false;
        }
    }

    private static String firstLine(String state) {
        int nl = state.indexOf('\n');
        return nl < 0 ? state : state.substring(0, nl);
    }

    private void failed(String message, Throwable cause) {
        if (failureLogged.compareAndSet(false, true)) {
            log.warn("sd_notify: {} (logged once; later failures at debug level)", message);
        } else {
            log.debug("sd_notify: {}", message, cause);
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("sd_notify: closing the socket: {}", e.toString());
            }
            channel = null;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeChannel();
    }

    @Override
    public String toString() {
        return target == null ? "SdNotify[off]" : "SdNotify[" + description
                + (watchdog == null ? "" : ", watchdog " + watchdog.toMillis() + " ms") + "]";
    }

    /**
     * CLOCK_MONOTONIC in microseconds, as {@code MONOTONIC_USEC} wants it: clock_gettime(2) through jnr-ffi. Should
     * the native call be unavailable, {@link System#nanoTime()}, which HotSpot on Linux reads from the same clock.
     */
    static final class Monotonic {
        private static final int CLOCK_MONOTONIC = 1;
        private static final LibC LIBC = load();

        private Monotonic() {
        }

        public interface LibC {
            int clock_gettime(int clockId, @Out @Transient Timespec ts);
        }

        public static final class Timespec extends Struct {
            public final SignedLong tvSec = new SignedLong();
            public final SignedLong tvNsec = new SignedLong();

            public Timespec(Runtime runtime) {
                super(runtime);
            }
        }

        private static LibC load() {
            try {
                return LibraryLoader.create(LibC.class).load("c");
            } catch (RuntimeException | LinkageError e) {
                log.warn("clock_gettime unavailable ({}); MONOTONIC_USEC comes from System.nanoTime", e.toString());
                return null;
            }
        }

        static long micros() {
            if (LIBC != null) {
                try {
                    Timespec ts = new Timespec(Runtime.getRuntime(LIBC));
                    if (LIBC.clock_gettime(CLOCK_MONOTONIC, ts) == 0) {
                        return ts.tvSec.get() * 1_000_000L + ts.tvNsec.get() / 1_000L;
                    }
                } catch (RuntimeException | LinkageError e) {
                    log.debug("clock_gettime failed: {}", e.toString());
                }
            }
            return TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
        }
    }
}
