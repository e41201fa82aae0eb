package io.clawgress.testing.netns;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real {@code clawgressd} running in the gateway namespace of a {@link Topology}, started by
 * {@link Topology#startGateway(String, Path)} and ready (it printed {@code clawgressd ready}).
 *
 * <p>Decision records are read from the audit directory the config points at ({@code audit.dir}: segments
 * {@code audit-<seq>.jsonl} in chain order, checkpoint and retention records left out), or from a single JSON Lines
 * file (a {@code flow_log.path}) when given a path ending in {@code .jsonl}. They are written asynchronously after a
 * flow closes, so use {@link #awaitFlowRecords(int, Duration)} rather than {@link #flowRecords()} right after a
 * client finished.
 */
public final class GatewayProcess {

    /** The line the daemon writes to stderr once it listens. */
    public static final Pattern READY = Pattern.compile("clawgressd ready");
    /**
     * How long {@link #stop()} lets the daemon drain after SIGTERM before SIGKILL: more than the default
     * {@code timeouts.drain} (30 s) plus the audit log's flush, so a flow that never ends still gets its record.
     */
    public static final Duration STOP_GRACE = Duration.ofSeconds(45);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ManagedProcess process;
    private final Path config;
    private static final Pattern SEGMENT = Pattern.compile("audit-\\d{20}\\.jsonl");

    private final Path records;
    /** One tail per file read so far, in name (= chain) order. */
    private final Map<Path, LogTail> tails = new TreeMap<>();
    private volatile long daemonPid = -1;

    private final Path adminSocket;

    GatewayProcess(ManagedProcess process, Path config, Path records) {
        this(process, config, records, null);
    }

    GatewayProcess(ManagedProcess process, Path config, Path records, Path adminSocket) {
        this.process = process;
        this.config = config;
        this.records = records;
        this.adminSocket = adminSocket;
    }

    /** The daemon's admin socket ({@code <workDir>/admin.sock} unless the test's config names another), or null. */
    public Path adminSocket() {
        return adminSocket;
    }

    /** The underlying process (its logs, {@code waitForLine}, ...). */
    public ManagedProcess process() {
        return process;
    }

    /** The config file the daemon was started with ({@code <workDir>/clawgress.yaml}). */
    public Path configFile() {
        return config;
    }

    /** Where records are read from (the audit directory, or a flow log file), as given at start; empty if none. */
    public Optional<Path> recordsPath() {
        return Optional.ofNullable(records);
    }

    /**
     * The pid of the daemon's JVM: the spawned process itself when the launcher {@code exec}s java, otherwise its
     * first descendant whose executable is {@code java}.
     */
    public long pid() {
        long known = daemonPid;
        if (known > 0) {
            return known;
        }
        ProcessHandle root = process.handle();
        Optional<ProcessHandle> jvm = Stream.concat(Stream.of(root), root.descendants())
                .filter(GatewayProcess::java)
                .findFirst();
        jvm.ifPresent(h -> daemonPid = h.pid());
        return jvm.map(ProcessHandle::pid).orElse(root.pid());
    }

    private static boolean java(ProcessHandle h) {
        return h.info().command().map(c -> c.endsWith("/java")).orElse(false);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The daemon JVM's resident set size now (VmRSS), in KiB. */
    public long rssKib() {
        return ProcStatus.kib(pid(), "VmRSS");
    }

    /** The daemon JVM's peak resident set size so far (VmHWM), in KiB. */
    public long peakRssKib() {
        return ProcStatus.kib(pid(), "VmHWM");
    }

    /** Everything the daemon wrote to stderr so far. */
    public String stderrText() {
        return process.stderrText();
    }

    /**
     * Sends signal {@code name} ({@code HUP}, {@code TERM}, ...) to the daemon's JVM with {@code kill -s}, and returns
     * at once.
     */
    public void signal(String name) {
        if (!name.matches("[A-Z0-9]{1,10}")) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: a signal name such as HUP)");
        }
        Exec.run(List.of("kill", "-s", name, Long.toString(pid())), Duration.ofSeconds(10), null)
                .assertOk("kill -s " + name + " " + pid());
    }

    /** Waits for the daemon to exit by itself (after {@link #signal signal("TERM")}); returns its exit code. */
    public int waitForExit(Duration timeout) {
        return process.waitForExit(timeout);
    }

    /** Stops the daemon: SIGTERM, up to {@link #STOP_GRACE} to drain, then SIGKILL. Returns the exit code. */
    public int stop() {
        return process.stop(STOP_GRACE);
    }

    /**
     * The complete flow records written so far ({@code "type": "flow"}, one per connection), parsed, in file order.
     * Gap records too; request records (one per HTTP request behind the L7 gate) are in {@link #requestRecords()}.
     */
    public List<JsonNode> flowRecords() {
        return logLines().stream().filter(n -> !"request".equals(n.path("type").asText())
                && !"admin".equals(n.path("type").asText())).toList();
    }

    /** The records of admin API changes ({@code "type": "admin"}), in file order. */
    public List<JsonNode> adminRecords() {
        return logLines().stream().filter(n -> "admin".equals(n.path("type").asText())).toList();
    }

    /** The records of HTTP requests decided behind the L7 gate ({@code "type": "request"}), in file order. */
    public List<JsonNode> requestRecords() {
        return logLines().stream().filter(n -> "request".equals(n.path("type").asText())).toList();
    }

    private List<JsonNode> logLines() {
        List<JsonNode> out = new ArrayList<>();
        for (LogTail tail : tails()) {
            for (String line : tail.lines(false)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new AssertionError("malformed record in " + tail.file() + ": " + line, e);
                }
                String type = n.path("type").asText();
                if (!type.equals("checkpoint") && !type.equals("retention")) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    private synchronized List<LogTail> tails() {
        if (records == null) {
            throw new IllegalStateException("no audit directory or flow log was given to startGateway");
        }
        if (records.getFileName().toString().endsWith(".jsonl")) {
            return List.of(tails.computeIfAbsent(records, LogTail::new));
        }
        Set<Path> present = new HashSet<>();
        try (Stream<Path> files = Files.list(records)) {
            files.filter(f -> SEGMENT.matcher(f.getFileName().toString()).matches()).forEach(present::add);
        } catch (NoSuchFileException e) {
            // not created yet
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + records, e);
        }
        tails.keySet().retainAll(present);
        present.forEach(f -> tails.computeIfAbsent(f, LogTail::new));
        return List.copyOf(tails.values());
    }

    /**
     * Waits until at least {@code n} flow records were written.
     *
     * @return all records so far (at least {@code n})
     * @throws AssertionError with the records so far and the daemon's stderr on timeout or when the daemon exits
     */
    public List<JsonNode> awaitFlowRecords(int n, Duration timeout) {
        return Await.until(timeout, n + " flow record(s) in " + records, () -> {
            List<JsonNode> records = flowRecords();
            if (records.size() >= n) {
                return Optional.of(records);
            }
            if (!process.isAlive()) {
                throw new AssertionError("clawgressd exited with " + records.size() + " of " + n
                        + " flow records\n" + process.describe());
            }
            return Optional.empty();
        }, () -> "records so far: " + flowRecords() + "\n" + process.describe());
    }

    /** A multi-line description for failure messages (state, command, stderr tail). */
    public String describe() {
        return process.describe();
    }

    @Override
    public String toString() {
        return "GatewayProcess[pid " + process.pid() + ", " + config + "]";
    }
}
