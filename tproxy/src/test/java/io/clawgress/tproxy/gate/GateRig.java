package io.clawgress.tproxy.gate;

import io.clawgress.api.AuditSink;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.Decision;
import io.clawgress.api.DialMode;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.FlowPipeline;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.flow.FlowTailHandler;
import io.clawgress.tproxy.identity.IdentityCheck;
import io.clawgress.tproxy.identity.TokenIdentifier;
import io.clawgress.tproxy.testing.DuplexEmbeddedChannel;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;

import static io.clawgress.tproxy.testing.DuplexEmbeddedChannel.ascii;
import static io.clawgress.tproxy.testing.DuplexEmbeddedChannel.parse;

/**
 * One agent connection with the {@link HttpGate} between its two embedded channels, as the relay stage (plaintext)
 * or the intercept stage (after both TLS handshakes) leaves it: the agent channel with the flow's tail handler, the
 * upstream attached and connected, the connection-level decision made. Records what the audit sink and the decider
 * saw. Both channels run on embedded event loops: everything happens on the test thread.
 */
final class GateRig {

    static final String AGENT = "198.18.1.2:40000";
    static final String DESTINATION = "198.18.2.2:80";
    static final String HOST = "api.example.com";
    static final Identity AGENT_7 = new Identity("agent-7", "team-a", null, "prod", null, AuthMethod.JWT, true);
    static final Identity AGENT_8 = new Identity("agent-8", "team-b", null, "prod", null, AuthMethod.MTLS, true);
    static final Identity SUBNET_AGENT =
            new Identity("agent-3", "team-a", null, "dev", null, AuthMethod.SUBNET, true);

    /** What let the connection in (the peek's Host): the flow record reports it as the verdict. */
    static final Decision CONNECTION = new Decision(Optional.of(SUBNET_AGENT), new Verdict.Relay(parse(DESTINATION),
            HOST, DialMode.RESOLVED, "allow.api", "api.example.com is on the allow list"), "rev-1", "research-llm");

    final DuplexEmbeddedChannel client = DuplexEmbeddedChannel.of(DESTINATION, AGENT);
    final DuplexEmbeddedChannel upstream = DuplexEmbeddedChannel.of("198.18.2.1:50000", DESTINATION);
    final List<FlowRecord> flows = new ArrayList<>();
    final List<RequestRecord> requests = new ArrayList<>();
    final List<FlowFacts> asked = new ArrayList<>();
    final Flow flow;
    int slotsReleased;

    GateRig() {
        AuditSink sink = new AuditSink() {
            @Override
            public void record(FlowRecord record) {
                flows.add(record);
            }

            @Override
            public void request(RequestRecord record) {
                requests.add(record);
            }
        };
        flow = new Flow("f-1", client, sink, () -> slotsReleased++);
        client.pipeline().addLast(FlowPipeline.ERRORS, new FlowTailHandler(flow));
        flow.peeked(PeekFacts.http(HOST, "GET", "/"));
        flow.decided(CONNECTION);
        flow.attachUpstream(upstream);
        flow.upstreamConnected();
    }

    /** A plaintext flow allowed for {@link #HOST}, no client certificate. */
    GateRig start(FlowDecider decider, GateSettings settings) {
        return start(decider, settings, HOST, false, null);
    }

    GateRig start(FlowDecider decider, GateSettings settings, String expectedHost, boolean intercepted,
                  IdentityCheck clientCert) {
        FlowDecider recording = facts -> {
            asked.add(facts);
            return decider.decide(facts);
        };
        HttpGate.start(flow, upstream, recording, settings, expectedHost, intercepted, clientCert,
                Duration.ofMinutes(5));
        return this;
    }

    /** The agent writes these bytes (one read on the gateway's socket). */
    void agentSends(String s) {
        client.writeInbound(ascii(s));
    }

    void upstreamSends(String s) {
        upstream.writeInbound(ascii(s));
    }

    /** Everything the upstream received since the last call. */
    String upstreamGot() {
        return upstream.readOutboundAscii();
    }

    /** Everything the agent received since the last call (UTF-8: denial bodies are JSON). */
    String agentGot() {
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = client.readOutbound()) != null; ) {
            try {
                sb.append(b.toString(StandardCharsets.UTF_8));
            } finally {
                b.release();
            }
        }
        return sb.toString();
    }

    void release() {
        client.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }

    // ---- fixtures ----

    /** A decider that answers every request with the same decision. */
    static FlowDecider always(Decision d) {
        return facts -> d;
    }

    /** Allowed: relayed by rule {@code allow.api} of policy research-llm at revision rev-3, for {@code who}. */
    static Decision relay(Optional<Identity> who) {
        return new Decision(who, new Verdict.Relay(parse(DESTINATION), HOST, DialMode.RESOLVED, "allow.api",
                "api.example.com is on the allow list"), "rev-3", "research-llm");
    }

    /** The decision names whoever the facts present, or the subnet's agent. */
    static FlowDecider relayingAsPresented() {
        return facts -> relay(Optional.of(facts.presented().orElse(SUBNET_AGENT)));
    }

    /**
     * The whole answer the gateway writes itself: status line, the fixed fields, the JSON body (given literally here,
     * so a change of any byte shows).
     */
    static String answer(int status, String phrase, String json) {
        return "HTTP/1.1 " + status + " " + phrase + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + json.getBytes(StandardCharsets.UTF_8).length + "\r\n"
                + "Cache-Control: no-store\r\n"
                + (status == 407 ? "Proxy-Authenticate: Bearer realm=\"clawgress\"\r\n" : "")
                + "Connection: close\r\n\r\n"
                + json;
    }

    static final String IDENTITY_MESSAGE_TAIL = "; send a valid Proxy-Authorization: Bearer token for this agent, "
            + "or connect with its client certificate\"}";

    /** The 407 JSON of an identity check that failed with {@code code}. */
    static String identityJson(String code, String rule, String policy, String reason) {
        return "{\"error\":\"" + code + "\",\"status\":407,\"rule\":" + jsonOrNull(rule) + ",\"policy\":"
                + jsonOrNull(policy) + ",\"reason\":" + jsonOrNull(reason) + ",\"message\":\"the gateway could not "
                + "establish this agent's identity (" + code + ")" + IDENTITY_MESSAGE_TAIL;
    }

    private static String jsonOrNull(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    /** Runs what the gate handed to its worker pool, when the test says so. */
    static final class QueueExecutor implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            tasks.add(command);
        }

        void runAll() {
            for (Runnable r; (r = tasks.poll()) != null; ) {
                r.run();
            }
        }
    }

    /**
     * A token verifier by table: {@link #verify} answers from {@code verdicts} (and caches what it verified, as the
     * real one does), {@link #cached} only what was verified or put in the cache.
     */
    static final class StubTokens implements TokenIdentifier {
        final Map<String, IdentityCheck> cache = new HashMap<>();
        final List<String> verified = new ArrayList<>();
        private final Function<String, IdentityCheck> verdicts;

        StubTokens(Function<String, IdentityCheck> verdicts) {
            this.verdicts = verdicts;
        }

        @Override
        public String headerName() {
            return GateSettings.DEFAULT_IDENTITY_HEADER;
        }

        @Override
        public IdentityCheck cached(String headerValue) {
            return cache.get(headerValue);
        }

        @Override
        public IdentityCheck verify(String headerValue) {
            verified.add(headerValue);
            IdentityCheck check = verdicts.apply(headerValue);
            cache.put(headerValue, check);
            return check;
        }
    }
}
