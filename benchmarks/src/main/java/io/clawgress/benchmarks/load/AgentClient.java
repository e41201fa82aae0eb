package io.clawgress.benchmarks.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.benchmarks.load.agent.LoadAgent;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The orchestrator's end of the {@link LoadAgent}: starts it in the agent namespace and sends it one command at a
 * time over its unix socket (a path, so it crosses network namespaces).
 */
final class AgentClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ManagedProcess process;
    private final SocketChannel channel;
    private final BufferedReader in;
    private final Writer out;

    private AgentClient(ManagedProcess process, SocketChannel channel) {
        this.process = process;
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8);
    }

    /** JVM options of the generator: a heap that never needs a full collection during a run. */
    static final List<String> JVM = List.of("-Xms1g", "-Xmx1g", "-XX:+UseParallelGC", "-XX:+AlwaysPreTouch",
            "--enable-native-access=ALL-UNNAMED");

    static AgentClient start(Netns agentNs, Path dir, Path trust, int threads) throws IOException {
        Path socket = dir.resolve("agent.sock");
        ManagedProcess p = agentNs.spawnJava("load-agent", jvm(), LoadAgent.class.getName(),
                List.of("--control", socket.toString(), "--trust", trust.toString(), "--threads",
                        Integer.toString(threads)), dir);
        p.awaitEvent("ready", Duration.ofSeconds(60));
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        return new AgentClient(p, c);
    }

    static List<String> jvm() {
        List<String> opts = new java.util.ArrayList<>(JVM);
        if (Runtime.version().feature() >= 24) {
            opts.add("--sun-misc-unsafe-memory-access=allow");
        }
        return opts;
    }

    long pid() {
        return process.pid();
    }

    /**
     * Sends {@code cmd} and waits for its result; {@code onMark} sees the {@code mark} lines ({@code start},
     * {@code end}) as they arrive, on this thread.
     *
     * @throws IllegalStateException when the agent reports a failure or dies
     */
    JsonNode run(ObjectNode cmd, Consumer<String> onMark) throws IOException {
        out.write(JSON.writeValueAsString(cmd));
        out.write('\n');
        out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            JsonNode n = JSON.readTree(line);
            if (n.has("mark")) {
                onMark.accept(n.get("mark").asText());
                continue;
            }
            if (n.has("result")) {
                return n;
            }
        }
        throw new IllegalStateException("the load agent closed its control socket\n" + process.describe());
    }

    @Override
    public void close() {
        try {
            out.write("{\"op\":\"quit\"}\n");
            out.flush();
            channel.close();
        } catch (IOException ignored) {
            // The agent is stopped below anyway.
        }
        process.stop(Duration.ofSeconds(5));
    }
}
