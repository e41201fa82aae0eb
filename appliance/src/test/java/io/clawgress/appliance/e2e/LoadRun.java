package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.enforcement.audit.AuditKey;
import io.clawgress.enforcement.audit.AuditVerifier;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An open-loop run of the {@code load-client} peer in the agent namespace: many short HTTP/1.1 connections at a
 * fixed rate per source address, each reported with what it sent and received; and the join of those connections
 * with the gateway's records, by the {@code n=} every request carries in its target.
 */
final class LoadRun {

    /** One connection as the client saw it. */
    record Conn(int i, String source, String local, String target, long sent, long received, Integer status,
                String ended, long startMs, long endMs) {
        static Conn of(JsonNode e) {
            return new Conn(e.get("i").asInt(), e.get("source").asText(), e.path("local").asText(null),
                    e.get("target").asText(), e.get("sent").asLong(), e.get("received").asLong(),
                    e.hasNonNull("status") ? e.get("status").asInt() : null, e.get("ended").asText(),
                    e.get("start_ms").asLong(), e.get("end_ms").asLong());
        }

        boolean answered() {
            return status != null && "eof".equals(ended);
        }
    }

    private static final Pattern N = Pattern.compile("[?&]n=(\\d+)");

    final ManagedProcess process;

    private LoadRun(ManagedProcess process) {
        this.process = process;
    }

    /**
     * Starts {@code load-client} in the agent namespace.
     *
     * @param args its options after the subcommand ({@code --target}, {@code --source}, {@code --rate}, ...)
     */
    static LoadRun start(Topology topology, String name, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "load-client";
        System.arraycopy(args, 0, all, 1, args.length);
        return new LoadRun(Peer.spawn(topology.agent(), name, topology.workDir(), all));
    }

    /** Waits for the run's summary; returns every connection, by index. */
    List<Conn> await(Duration timeout) {
        JsonNode summary = process.awaitEvent("summary", timeout);
        List<Conn> conns = process.events("conn").stream().map(Conn::of)
                .sorted(Comparator.comparingInt(Conn::i)).toList();
        assertThat(conns).as("one conn event per connection: %s", summary)
                .hasSize(summary.get("connections").asInt());
        System.out.printf("[e2e load] %s: %s%n", process.name(), summary);
        return conns;
    }

    /** The connection index a record's target names ({@code /load?n=17} -> 17), or -1. */
    static int index(JsonNode record) {
        String target = record.path("http_target").asText("");
        Matcher m = N.matcher(target);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Records by the connection index in their target; fails on two records for one connection. */
    static Map<Integer, JsonNode> byIndex(List<JsonNode> records) {
        return records.stream().collect(Collectors.toMap(LoadRun::index, Function.identity(), (a, b) -> {
            throw new AssertionError("two records for one connection:\n" + a + "\n" + b);
        }, LinkedHashMap::new));
    }

    /** Counts by a key, in first-seen order, for messages. */
    static <T> Map<String, Long> count(List<T> items, Function<T, Object> key) {
        return items.stream().collect(Collectors.groupingBy(t -> String.valueOf(key.apply(t)), LinkedHashMap::new,
                Collectors.counting()));
    }

    /** Verifies the audit log in {@code auditDir} with the node key the daemon created under {@code stateDir}. */
    static AuditVerifier.Result verifyAudit(Path stateDir, Path auditDir) throws Exception {
        PublicKey key = AuditKey.readPublicKeyPem(Files.readString(stateDir.resolve(AuditKey.DIRECTORY)
                .resolve(AuditKey.PUBLIC_FILE)));
        return new AuditVerifier(List.of(key)).verify(auditDir);
    }

    /** {@code --source} options for each address. */
    static List<String> sources(List<String> addresses) {
        List<String> out = new ArrayList<>();
        for (String a : addresses) {
            out.add("--source");
            out.add(a);
        }
        return out;
    }
}
