package io.clawgress.testing.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * A named network namespace ({@code ip netns add}) that a test created, with helpers to run commands and
 * long-running processes inside it. Closing it stops every process it spawned, kills anything else still running in
 * it, and deletes it.
 *
 * <p>Commands run as {@code ip netns exec NAME cmd...}: {@code ip} enters the namespace and then execs the command,
 * so a spawned process's pid is the command's own pid. {@code ip netns exec} also bind-mounts every file in
 * {@code /etc/netns/NAME/} over its namesake in {@code /etc} (in a private mount namespace of the command), which
 * {@link #overrideEtcFile(String, String)} uses to give the namespace its own {@code resolv.conf}.
 */
public final class Netns implements AutoCloseable {

    private static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern ETC_FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    /** Where {@code ip netns exec} looks for per-namespace files to bind-mount over {@code /etc}. */
    static final Path ETC_NETNS = Path.of("/etc/netns");
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final List<ManagedProcess> processes = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private Netns(String name) {
        this.name = name;
    }

    /**
     * Creates a new, empty network namespace (only {@code lo}, down) and registers it for the shutdown-hook
     * backstop.
     *
     * @throws AssertionError with {@code ip}'s stderr when it cannot be created (e.g. the name exists)
     */
    public static Netns create(String name) {
        if (!VALID_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("namespace name: " + name + " (expected: " + VALID_NAME + ")");
        }
        Exec.runOk(List.of("ip", "netns", "add", name), IP_TIMEOUT);
        Netns ns = new Netns(name);
        Cleanup.register(ns);
        return ns;
    }

    /** Takes charge of an existing namespace (a stale one) so it can be closed; not registered for the hook. */
    static Netns adopt(String name) {
        return new Netns(name);
    }

    /** The namespace name, as in {@code ip netns list}. */
    public String name() {
        return name;
    }

    /** Whether the namespace still exists ({@code /run/netns/NAME}). */
    public boolean exists() {
        return exists(name);
    }

    static boolean exists(String name) {
        return Files.exists(Path.of("/run/netns", name));
    }

    /** {@code /etc/netns/NAME}: the files {@code ip netns exec} puts over {@code /etc} for this namespace. */
    public Path etcDir() {
        return ETC_NETNS.resolve(name);
    }

    /**
     * Writes {@code /etc/netns/NAME/<fileName>}, so that commands started in this namespace from now on see
     * {@code content} as {@code /etc/<fileName>} (processes already running keep what they saw). The directory is
     * removed when the namespace closes.
     *
     * @param fileName a plain file name such as {@code resolv.conf}; {@code /etc/<fileName>} must exist on the
     *                 host, since it is the mount point
     * @return the file written
     */
    public Path overrideEtcFile(String fileName, String content) {
        checkOpen();
        if (!ETC_FILE.matcher(fileName).matches()) {
            throw new IllegalArgumentException("file name: " + fileName + " (expected: a plain name like resolv.conf)");
        }
        if (!Files.exists(Path.of("/etc", fileName))) {
            throw new IllegalArgumentException("/etc/" + fileName + " does not exist on this host: ip netns exec"
                    + " needs it as the mount point for the namespace's own copy");
        }
        Path file = etcDir().resolve(fileName);
        try {
            Files.createDirectories(etcDir());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
        return file;
    }

    /** Deletes {@code /etc/netns/<name>} and the files in it, if it exists. */
    static void removeEtcDir(String name) {
        Path dir = ETC_NETNS.resolve(name);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Files.delete(f);
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("emptying " + dir, e);
        }
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("deleting " + dir, e);
        }
    }

    /** The {@code ip netns exec NAME} prefix followed by {@code cmd}. */
    public List<String> wrap(List<String> cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(cmd);
        return full;
    }

    /**
     * Runs {@code cmd} inside the namespace to completion, stdin from /dev/null. A command still running after
     * {@code timeout} is killed (with its children) and reported with {@link ExecResult#TIMED_OUT}.
     */
    public ExecResult exec(Duration timeout, String... cmd) {
        return Exec.run(wrap(List.of(cmd)), timeout, null);
    }

    /** Like {@link #exec(Duration, String...)} with {@code stdin} fed to the command. */
    public ExecResult execWithStdin(Duration timeout, byte[] stdin, String... cmd) {
        return Exec.run(wrap(List.of(cmd)), timeout, stdin);
    }

    /**
     * Like {@link #exec(Duration, String...)} but throws an {@link AssertionError} with the command's output unless
     * it exits 0.
     */
    public ExecResult execOk(Duration timeout, String... cmd) {
        return exec(timeout, cmd).assertOk(String.join(" ", wrap(List.of(cmd))));
    }

    /**
     * Starts {@code cmd} inside the namespace with stdout/stderr in {@code logDir/<name>.std{out,err}.log}. The
     * process is stopped when this namespace (or its topology) closes.
     */
    public ManagedProcess spawn(String name, List<String> cmd, Path logDir) {
        checkOpen();
        ManagedProcess p = ManagedProcess.launch(name, wrap(cmd), logDir);
        processes.add(p);
        return p;
    }

    /**
     * Starts {@code mainClass} from this JVM's class path in a new JVM (this JVM's java binary,
     * {@link JavaCommand#DEFAULT_JVM_OPTIONS}) inside the namespace; see {@link JavaCommand}.
     */
    public ManagedProcess spawnJava(String name, String mainClass, List<String> args, Path logDir) {
        return spawn(name, JavaCommand.of(mainClass, args), logDir);
    }

    /** Like {@link #spawnJava(String, String, List, Path)} with explicit JVM options. */
    public ManagedProcess spawnJava(String name, List<String> jvmOptions, String mainClass, List<String> args,
                                    Path logDir) {
        return spawn(name, JavaCommand.of(jvmOptions, mainClass, args), logDir);
    }

    /** The processes spawned here so far (running or not). */
    public List<ManagedProcess> processes() {
        return List.copyOf(processes);
    }

    /** Pids of every process whose network namespace is this one ({@code ip netns pids}). */
    public List<Long> pids() {
        ExecResult r = Exec.run(List.of("ip", "netns", "pids", name), IP_TIMEOUT, null);
        if (!r.ok()) {
            return List.of();
        }
        return r.stdout().lines().map(String::trim).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
    }

    /**
     * Stops every process spawned here (SIGTERM, then SIGKILL after {@code grace}, all at once) and then SIGKILLs
     * anything else still running in the namespace.
     *
     * @return whether every process is gone
     */
    public boolean stopAll(Duration grace) {
        List<ProcessHandle> handles = new ArrayList<>();
        for (ManagedProcess p : processes) {
            if (p.isAlive()) {
                handles.add(p.handle());
                p.handle().descendants().forEach(handles::add);
            }
        }
        boolean ok = handles.isEmpty() || Processes.killAll(handles, grace);
        List<ProcessHandle> leftovers = pids().stream()
                .flatMap(pid -> ProcessHandle.of(pid).stream())
                .toList();
        if (!leftovers.isEmpty()) {
            ok &= Processes.killAll(leftovers, Duration.ZERO);
        }
        return ok;
    }

    /**
     * Stops all processes (5 s grace), deletes the namespace and its {@code /etc/netns/NAME} directory. Idempotent.
     *
     * @throws AssertionError when the namespace could not be deleted or a process survived SIGKILL
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Cleanup.unregister(this);
        boolean stopped = stopAll(ManagedProcess.DEFAULT_GRACE);
        ExecResult del = Exec.run(List.of("ip", "netns", "del", name), IP_TIMEOUT, null);
        UncheckedIOException etc = null;
        try {
            removeEtcDir(name);
        } catch (UncheckedIOException e) {
            etc = e;
        }
        if (exists()) {
            throw new AssertionError("could not delete namespace " + name + "\n" + del.describe(), etc);
        }
        if (etc != null) {
            throw new AssertionError("namespace " + name + " deleted, but not " + etcDir() + ": " + etc.getMessage(),
                    etc);
        }
        if (!stopped) {
            throw new AssertionError("namespace " + name + " deleted, but a process in it survived SIGKILL");
        }
    }

    @Override
    public String toString() {
        return "Netns[" + name + "]";
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("namespace " + name + " is closed");
        }
    }
}
