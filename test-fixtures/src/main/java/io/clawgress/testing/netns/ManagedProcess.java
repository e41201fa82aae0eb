package io.clawgress.testing.netns;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A long-running process started by the harness, with stdout and stderr redirected to files in a log directory (so
 * nothing ever blocks on a full pipe, and the logs survive for a post-mortem).
 *
 * <p>When started through {@link Netns#spawn}, the command runs as {@code ip netns exec NS cmd...}; {@code ip}
 * enters the namespace and then {@code execvp}s the command, so {@link #pid()} is the pid of the command itself
 * (after a brief moment in which the process is still {@code ip}).
 *
 * <p>Stdout lines that are JSON objects (the peers' event lines) can be read with {@link #jsonLines()},
 * {@link #events(String)} and {@link #awaitEvent(String, Duration)}.
 */
public final class ManagedProcess implements AutoCloseable {

    /** How long {@link #close()} waits after SIGTERM before SIGKILL. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final List<String> command;
    private final Process process;
    private final LogTail stdout;
    private final LogTail stderr;
    /** JSON stdout lines parsed so far, and how many complete stdout lines that covers. */
    private final List<JsonNode> json = new ArrayList<>();
    private int jsonLinesSeen;

    private ManagedProcess(String name, List<String> command, Process process, Path stdoutFile, Path stderrFile) {
        this.name = name;
        this.command = List.copyOf(command);
        this.process = process;
        this.stdout = new LogTail(stdoutFile);
        this.stderr = new LogTail(stderrFile);
    }

    /**
     * Starts {@code command} in the current network namespace with stdin from /dev/null and output in
     * {@code logDir/<name>.stdout.log} and {@code logDir/<name>.stderr.log} (a numeric suffix keeps names unique).
     * Outside a namespace the test may only talk to loopback; prefer {@link Netns#spawn}. A process the test does
     * not stop is stopped by a JVM shutdown hook.
     */
    public static ManagedProcess start(String name, List<String> command, Path logDir) {
        ManagedProcess p = launch(name, command, logDir);
        Cleanup.register(p);
        return p;
    }

    /** Starts without registering for the shutdown hook (the owning {@link Netns} stops it). */
    static ManagedProcess launch(String name, List<String> command, Path logDir) {
        try {
            Files.createDirectories(logDir);
            String base = uniqueBase(logDir, name);
            Path out = logDir.resolve(base + ".stdout.log");
            Path err = logDir.resolve(base + ".stderr.log");
            Process p = new ProcessBuilder(command)
                    .redirectInput(Path.of("/dev/null").toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            return new ManagedProcess(name, command, p, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name + ": " + String.join(" ", command), e);
        }
    }

    private static synchronized String uniqueBase(Path logDir, String name) throws IOException {
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        String base = safe;
        for (int i = 2; Files.exists(logDir.resolve(base + ".stdout.log")); i++) {
            base = safe + "-" + i;
        }
        // Claim the name now so a concurrent start picks another one.
        Files.createFile(logDir.resolve(base + ".stdout.log"));
        return base;
    }

    /** The name given at start (used for log file names and messages). */
    public String name() {
        return name;
    }

    /** The full command line, including any {@code ip netns exec NS} prefix. */
    public List<String> command() {
        return command;
    }

    /** The process id; see the class comment about {@code ip netns exec}. */
    public long pid() {
        return process.pid();
    }

    /** The process handle, e.g. to find its descendants. */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code once the process has exited; empty while it runs. */
    public OptionalInt exitCode() {
        return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    /**
     * Waits for the process to exit by itself.
     *
     * @return its exit code
     * @throws AssertionError with the process's stderr when it is still running after {@code timeout}
     */
    public int waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + name
                        + " to exit\n" + describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
        return process.exitValue();
    }

    /**
     * Waits until a line on stdout or stderr contains a match of {@code pattern} (any line since start counts).
     *
     * @return the first matching line
     * @throws AssertionError with the process's stderr when the process exits first or the timeout passes
     */
    public String waitForLine(Pattern pattern, Duration timeout) {
        return Await.until(timeout, "a line matching /" + pattern + "/ from " + name, () -> {
            boolean exited = !process.isAlive();
            Optional<String> line = findLine(pattern, exited);
            if (line.isEmpty() && exited) {
                throw new AssertionError(name + " exited before printing a line matching /" + pattern + "/\n"
                        + describe());
            }
            return line;
        }, this::describe);
    }

    private Optional<String> findLine(Pattern pattern, boolean includePartial) {
        for (LogTail tail : List.of(stdout, stderr)) {
            for (String line : tail.lines(includePartial)) {
                if (pattern.matcher(line).find()) {
                    return Optional.of(line);
                }
            }
        }
        return Optional.empty();
    }

    /** Complete stdout lines so far (plus an unterminated last line once the process has exited). */
    public List<String> stdoutLines() {
        return stdout.lines(!process.isAlive());
    }

    /** Complete stderr lines so far (plus an unterminated last line once the process has exited). */
    public List<String> stderrLines() {
        return stderr.lines(!process.isAlive());
    }

    /** Everything written to stdout so far. */
    public String stdoutText() {
        return readFile(stdout.file());
    }

    /** Everything written to stderr so far. */
    public String stderrText() {
        return readFile(stderr.file());
    }

    public Path stdoutFile() {
        return stdout.file();
    }

    public Path stderrFile() {
        return stderr.file();
    }

    /** Stdout lines that are JSON objects, parsed, in order. Other lines are skipped. */
    public synchronized List<JsonNode> jsonLines() {
        boolean exited = !process.isAlive();
        List<String> fresh = stdout.linesFrom(jsonLinesSeen, false);
        for (String line : fresh) {
            parseInto(json, line);
        }
        jsonLinesSeen += fresh.size();
        List<JsonNode> out = new ArrayList<>(json);
        if (exited) {
            // An unterminated last line is complete once the writer is gone.
            List<String> rest = stdout.linesFrom(jsonLinesSeen, true);
            rest.forEach(line -> parseInto(out, line));
        }
        return out;
    }

    private void parseInto(List<JsonNode> out, String line) {
        if (line.startsWith("{")) {
            try {
                out.add(JSON.readTree(line));
            } catch (JsonProcessingException e) {
                throw new AssertionError(name + " printed a malformed JSON line: " + line, e);
            }
        }
    }

    /** JSON stdout lines whose {@code "event"} field equals {@code event}. */
    public List<JsonNode> events(String event) {
        return jsonLines().stream().filter(n -> event.equals(n.path("event").asText())).toList();
    }

    /**
     * Waits for the first JSON stdout line with {@code "event": event}.
     *
     * @throws AssertionError with the process's stderr when the process exits first or the timeout passes
     */
    public JsonNode awaitEvent(String event, Duration timeout) {
        return awaitEvents(event, 1, timeout).get(0);
    }

    /** Waits until at least {@code count} JSON lines with {@code "event": event} were printed; returns them all. */
    public List<JsonNode> awaitEvents(String event, int count, Duration timeout) {
        return Await.until(timeout, count + " \"" + event + "\" event(s) from " + name, () -> {
            boolean exited = !process.isAlive();
            List<JsonNode> found = events(event);
            if (found.size() >= count) {
                return Optional.of(found);
            }
            if (exited) {
                throw new AssertionError(name + " exited after " + found.size() + " of " + count + " \"" + event
                        + "\" events\n" + describe());
            }
            return Optional.empty();
        }, this::describe);
    }

    /** Resident set size now, from {@code /proc/<pid>/status} (VmRSS), in KiB. */
    public long rssKib() {
        return ProcStatus.kib(pid(), "VmRSS");
    }

    /** Peak resident set size so far, from {@code /proc/<pid>/status} (VmHWM), in KiB. */
    public long peakRssKib() {
        return ProcStatus.kib(pid(), "VmHWM");
    }

    /**
     * Stops the process: SIGTERM to it and its descendants, SIGKILL to whatever is still alive after
     * {@code grace}.
     *
     * @return the exit code (143 after SIGTERM, 137 after SIGKILL, or what it exited with)
     */
    public int stop(Duration grace) {
        Cleanup.unregister(this);
        if (process.isAlive()) {
            Processes.killTree(process.toHandle(), grace);
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new AssertionError(name + " survived SIGKILL\n" + describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + name, e);
        }
        return process.exitValue();
    }

    /** Stops the process with {@link #DEFAULT_GRACE}. */
    @Override
    public void close() {
        stop(DEFAULT_GRACE);
    }

    /** A multi-line description for failure messages: name, pid, state, command and the tails of both logs. */
    public String describe() {
        String state = process.isAlive() ? "running" : "exited with " + process.exitValue();
        return "process " + name + " (pid " + pid() + ", " + state + "): " + String.join(" ", command) + "\n"
                + "--- stderr of " + name + " (" + stderr.file() + ") ---\n" + Text.tail(stderrText(), 6_000) + "\n"
                + "--- stdout of " + name + " (" + stdout.file() + ") ---\n" + Text.tail(stdoutText(), 3_000);
    }

    @Override
    public String toString() {
        return "ManagedProcess[" + name + ", pid " + pid() + "]";
    }

    private static String readFile(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + p, e);
        }
    }
}
