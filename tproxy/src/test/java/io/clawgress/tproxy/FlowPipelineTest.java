package io.clawgress.tproxy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.flow.ConnectionGate;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.dns.DnsSettings;
import io.clawgress.tproxy.dns.NameResolution;
import io.clawgress.tproxy.flow.FlowIds;
import io.clawgress.tproxy.gate.GateSettings;
import io.clawgress.tproxy.origdst.LoopGuard;
import io.clawgress.tproxy.peek.PeekSettings;
import io.clawgress.tproxy.relay.RelayStage;
import io.clawgress.tproxy.testing.Dials;
import io.clawgress.tproxy.testing.DuplexEmbeddedChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ImmediateEventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static io.clawgress.tproxy.testing.DuplexEmbeddedChannel.parse;
import static io.clawgress.tproxy.testing.DuplexEmbeddedChannel.ascii;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One agent connection through the whole {@link FlowPipeline}: origdst, decide, relay and the tail handler, on
 * embedded channels. The accepted channel gets the pipeline before its registration, as the server's acceptor
 * gives it, so the initializer runs first and then the stages see {@code channelActive}.
 */
class FlowPipelineTest {

    private static final String LISTENER = "198.18.0.1:15001";
    private static final String AGENT = "198.18.1.2:40000";
    private static final String DESTINATION = "198.18.2.2:80";
    private static final Identity AGENT_7 =
            new Identity("agent-7", "team-a", null, "prod", null, AuthMethod.SUBNET, true);
    private static final Decision DENY = new Decision(Optional.of(AGENT_7), new Verdict.Deny(Termination.POLICY_DENIED,
            "block.unlisted", "198.18.2.2:80 is not on the allow list"), "rev-7");
    private static final Decision RELAY = new Decision(Optional.of(AGENT_7), new Verdict.Relay(parse(DESTINATION),
            "allow.web", "198.18.2.2:80 is on the allow list"), "rev-8");

    private final List<FlowRecord> records = new ArrayList<>();
    private final List<FlowFacts> asked = new ArrayList<>();
    private final ChannelGroup liveFlows = new DefaultChannelGroup("flows", ImmediateEventExecutor.INSTANCE);
    private final Dials dials = new Dials("198.18.2.1:50000", DESTINATION);
    private final List<DuplexEmbeddedChannel> accepted = new ArrayList<>();
    private ConnectionGate gate = new ConnectionGate(100);

    @AfterEach
    void releaseLeftovers() {
        accepted.forEach(DuplexEmbeddedChannel::finishAndReleaseAll);
        dials.channels().forEach(DuplexEmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void aPolicyDenyResetsTheAgentAndRecordsTheDecidersRuleAndReason() {
        DuplexEmbeddedChannel ch = accept(pipeline(denying()), DESTINATION, AGENT);

        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.linger()).as("SO_LINGER 0: the agent gets a reset, not a FIN").isZero();
        assertThat(asked).singleElement().satisfies(f -> {
            assertThat(f.source()).isEqualTo(ch.remoteAddress());
            assertThat(f.originalDestination()).isEqualTo(ch.localAddress());
        });
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.flowId()).isEqualTo(asked.getFirst().flowId());
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.ruleId()).isEqualTo("block.unlisted");
            assertThat(r.reason()).isEqualTo("198.18.2.2:80 is not on the allow list");
            assertThat(r.termination()).isEqualTo(Termination.POLICY_DENIED);
            assertThat(r.termination().code()).isEqualTo("policy_denied");
            assertThat(r.detail()).isNull();
            assertThat(r.identity()).contains(AGENT_7);
            assertThat(r.policyRevision()).isEqualTo("rev-7");
            assertThat(r.bytesUp()).isZero();
            assertThat(r.bytesDown()).isZero();
            assertThat(r.source()).isEqualTo(parse(AGENT));
            assertThat(r.originalDestination()).isEqualTo(parse(DESTINATION));
        });
        assertThat(dials.channels()).as("nothing dialled").isEmpty();
        assertThat(gate.open()).as("slot released with the record").isZero();
        assertThat(live()).isEmpty();
    }

    /** A refusal of any kind: how it was asked for, and what the record must say. */
    record Refusal(String name, FlowDecider decider, String destination, Termination termination, String rule,
                   String reason, int decisions, String detailPrefix) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Refusal> refusals() {
        return Stream.of(
                new Refusal("policy deny", denying(), DESTINATION, Termination.POLICY_DENIED, "block.unlisted",
                        "198.18.2.2:80 is not on the allow list", 1, null),
                new Refusal("destination is the listener", relaying(), LISTENER, Termination.LOOP, "loop_guard",
                        "original destination 198.18.0.1:15001 is this gateway's own listener", 0, null),
                new Refusal("destination is loopback on the listener port", relaying(), "127.0.0.1:15001",
                        Termination.LOOP, "loop_guard",
                        "original destination 127.0.0.1:15001 is this gateway's own listener", 0, null),
                new Refusal("decider throws", f -> {
                    throw new IllegalStateException("no snapshot");
                }, DESTINATION, Termination.INTERNAL_ERROR, "none",
                        "decider failed: java.lang.IllegalStateException: no snapshot", 1, null),
                new Refusal("decider throws an Error", f -> {
                    throw new AssertionError("bug");
                }, DESTINATION, Termination.INTERNAL_ERROR, "none", "closed before a decision", 1,
                        "java.lang.AssertionError: bug"),
                new Refusal("decider returns null", f -> null, DESTINATION, Termination.INTERNAL_ERROR, "none",
                        "closed before a decision", 1, "java.lang.NullPointerException"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void everyRefusalResetsTheAgentAndWritesOneRecord(Refusal refusal) {
        DuplexEmbeddedChannel ch = accept(pipeline(refusal.decider()), refusal.destination(), AGENT);

        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.linger()).isZero();
        assertThat(asked).hasSize(refusal.decisions());
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.termination()).isEqualTo(refusal.termination());
            assertThat(r.ruleId()).isEqualTo(refusal.rule());
            assertThat(r.reason()).isEqualTo(refusal.reason());
            if (refusal.detailPrefix() == null) {
                assertThat(r.detail()).isNull();
            } else {
                assertThat(r.detail()).startsWith(refusal.detailPrefix());
            }
            assertThat(r.bytesUp()).isZero();
            assertThat(r.bytesDown()).isZero();
            assertThat(r.source()).isEqualTo(ch.remoteAddress());
            assertThat(r.originalDestination()).isEqualTo(ch.localAddress());
        });
        assertThat(dials.channels()).as("a refused flow never dials").isEmpty();
        assertThat(gate.open()).isZero();
        assertThat(live()).isEmpty();
        assertThat(ch.isRegistered()).isFalse();
        assertThat(ch.pipeline().toMap()).as("closed: the pipeline is torn down, no stage lingers").isEmpty();
    }

    @Test
    void ipv6AddressesOfTheAcceptedSocketAreTheFlowsFacts() {
        DuplexEmbeddedChannel ch = accept(pipeline(denying()), "[2001:db8:2::2]:443", "[2001:db8:1::2]:50123");

        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.source()).isEqualTo(parse("[2001:db8:1::2]:50123"));
            assertThat(r.originalDestination()).isEqualTo(parse("[2001:db8:2::2]:443"));
        });
        assertThat(asked.getFirst().source()).isEqualTo(ch.remoteAddress());
    }

    @Test
    void eachStageRemovesItselfBeforeItPassesTheFlowOn() {
        // Added to a channel that is already registered, the initializer runs at once; channelActive is then ours
        // to fire, as the server's registration fires it after the initializer.
        DuplexEmbeddedChannel ch = DuplexEmbeddedChannel.of(DESTINATION, AGENT);
        accepted.add(ch);
        List<List<String>> stagesSeenByDecider = new ArrayList<>();
        FlowDecider decider = relaying();
        ch.pipeline().addLast(pipeline(f -> {
            stagesSeenByDecider.add(stages(ch));
            return decider.decide(f);
        }));
        assertThat(stages(ch)).as("the initializer replaced itself with the stages, in order")
                .containsExactly(FlowPipeline.ORIGDST, FlowPipeline.PEEK, FlowPipeline.DECIDE, FlowPipeline.RELAY,
                        FlowPipeline.INTERCEPT, FlowPipeline.ERRORS);

        ch.pipeline().fireChannelActive();
        assertThat(stagesSeenByDecider).containsExactly(List.of(FlowPipeline.RELAY, FlowPipeline.INTERCEPT,
                FlowPipeline.ERRORS));
        assertThat(stages(ch)).as("dialling").containsExactly(FlowPipeline.ERRORS);
        assertThat(ch.readRequests()).as("the agent is not read before the upstream is there").isZero();

        ch.runPendingTasks(); // the bootstrap's connect, queued on the event loop
        dials.completeOnly();
        assertThat(stages(ch)).containsExactly(RelayStage.IDLE, RelayStage.RELAY, FlowPipeline.ERRORS);
        assertThat(ch.readRequests()).isEqualTo(1);
        assertThat(dials.only().readRequests()).isEqualTo(1);
    }

    @Test
    void agentBytesAndFinThatArriveWhileDiallingReachTheUpstreamFirstAndInOrder() {
        DuplexEmbeddedChannel client = accept(pipeline(relaying()), DESTINATION, AGENT);
        Flow flow = client.attr(FlowPipeline.FLOW).get();
        assertThat(live()).containsExactly(client);
        assertThat(dials.onlyTarget()).isEqualTo(parse(DESTINATION));

        // epoll reads on EPOLLRDHUP even with autoRead off: bytes and the end of stream come in during the dial.
        client.pipeline().fireChannelRead(ascii("GET / HTTP/1.1\r\n"));
        client.pipeline().fireChannelRead(ascii("Host: a\r\n\r\n"));
        client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        DuplexEmbeddedChannel upstream = dials.only();
        assertThat((Object) upstream.readOutbound()).as("nothing sent before the handshake").isNull();

        dials.completeOnly();
        assertThat(upstream.readOutboundAscii()).isEqualTo("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(upstream.isOutputShutdown()).as("the agent's FIN follows its bytes").isTrue();
        assertThat(client.readRequests()).as("the agent already ended its input: no read").isZero();

        upstream.writeInbound(ascii("HTTP/1.1 204 No Content\r\n\r\n"));
        assertThat(client.readOutboundAscii()).isEqualTo("HTTP/1.1 204 No Content\r\n\r\n");
        upstream.receiveFin();

        assertThat(client.isOpen()).isFalse();
        assertThat(upstream.isOpen()).isFalse();
        assertThat(client.linger()).as("completed: FIN, not RST").isNull();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.flowId()).isEqualTo(flow.id());
            assertThat(r.verdict()).isEqualTo("relay");
            assertThat(r.ruleId()).isEqualTo("allow.web");
            assertThat(r.reason()).isEqualTo("198.18.2.2:80 is on the allow list");
            assertThat(r.identity()).contains(AGENT_7);
            assertThat(r.policyRevision()).isEqualTo("rev-8");
            assertThat(r.termination()).isEqualTo(Termination.COMPLETED);
            assertThat(r.bytesUp()).isEqualTo(27);
            assertThat(r.bytesDown()).isEqualTo(27);
        });
        assertThat(gate.open()).isZero();
        assertThat(live()).isEmpty();
    }

    /** A dial that fails, and how the record must name it. */
    record DialFailure(String name, Throwable cause, Termination termination, String detail) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<DialFailure> dialFailures() {
        return Stream.of(
                new DialFailure("timeout", new ConnectTimeoutException("connection timed out: /198.18.2.2:80"),
                        Termination.UPSTREAM_CONNECT_TIMEOUT,
                        "no answer from 198.18.2.2:80 within the connect timeout"),
                new DialFailure("refused", new ConnectException("Connection refused: /198.18.2.2:80"),
                        Termination.UPSTREAM_CONNECT_FAILED, "Connection refused: /198.18.2.2:80"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dialFailures")
    void aFailedDialResetsTheAgentAndDropsWhatItSent(DialFailure failure) {
        DuplexEmbeddedChannel client = accept(pipeline(relaying()), DESTINATION, AGENT);
        ByteBuf early = ascii("GET / HTTP/1.1\r\n");
        client.pipeline().fireChannelRead(early);

        dials.failOnly(failure.cause());

        assertThat(client.isOpen()).isFalse();
        assertThat(client.linger()).isZero();
        assertThat(dials.only().isOpen()).isFalse();
        assertThat(early.refCnt()).as("bytes kept for the relay are released with the flow").isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.verdict()).isEqualTo("relay");
            assertThat(r.termination()).isEqualTo(failure.termination());
            assertThat(r.detail()).isEqualTo(failure.detail());
            assertThat(r.bytesUp()).as("nothing reached the upstream, but the agent's bytes were read")
                    .isEqualTo("GET / HTTP/1.1\r\n".length());
        });
        assertThat(gate.open()).isZero();
    }

    @Test
    void theConnectionLimitRefusesBeforeAnyStageAndFreesTheSlotWhenTheFlowEnds() {
        gate = new ConnectionGate(1);
        FlowPipeline pipeline = pipeline(f -> f.source().getPort() == 40001 ? RELAY : DENY);

        DuplexEmbeddedChannel first = accept(pipeline, DESTINATION, "198.18.1.2:40001");
        assertThat(first.isOpen()).as("dialling, holding the only slot").isTrue();
        assertThat(gate.open()).isEqualTo(1);

        DuplexEmbeddedChannel second = accept(pipeline, DESTINATION, "198.18.1.2:40002");
        assertThat(second.isOpen()).isFalse();
        assertThat(second.linger()).isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.source()).isEqualTo(parse("198.18.1.2:40002"));
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.termination()).isEqualTo(Termination.CONNECTION_LIMIT);
            assertThat(r.termination().code()).isEqualTo("connection_limit");
            assertThat(r.ruleId()).isEqualTo("connection_limit");
            assertThat(r.reason()).isEqualTo("connection_limit of 1 concurrent connections reached");
            assertThat(r.policyRevision()).isEqualTo("none");
        });
        assertThat(asked).as("the refused flow never reached the decider")
                .extracting(FlowFacts::source).containsExactly(parse("198.18.1.2:40001"));
        assertThat(gate.open()).as("the refused flow took no slot and gave none back").isEqualTo(1);
        assertThat(live()).containsExactly(first);
        assertThat(second.attr(FlowPipeline.FLOW).get()).isNull();

        first.close(); // the agent goes away while the upstream is being dialled
        assertThat(records).hasSize(2);
        assertThat(records.get(1).termination()).isEqualTo(Termination.CLIENT_RESET);
        assertThat(dials.only().isOpen()).isFalse();
        assertThat(gate.open()).isZero();

        DuplexEmbeddedChannel third = accept(pipeline, DESTINATION, "198.18.1.2:40003");
        assertThat(third.isOpen()).isFalse();
        assertThat(records).hasSize(3);
        assertThat(records.get(2).termination()).as("passed the gate, denied by the policy")
                .isEqualTo(Termination.POLICY_DENIED);
        assertThat(asked).hasSize(2);
        assertThat(gate.open()).isZero();
    }

    private FlowPipeline pipeline(FlowDecider decider) {
        FlowDecider recording = facts -> {
            asked.add(facts);
            return decider.decide(facts);
        };
        // These cases are about origdst/decide/relay: the peek is skipped by declaring the ports they use
        // server-first (PeekStageTest covers the peek itself).
        PeekSettings noPeek = new PeekSettings(PeekSettings.DEFAULT_MAX_BYTES, PeekSettings.DEFAULT_TIMEOUT,
                Set.of(80, 443, 15001));
        return new FlowPipeline(new FlowIds(), gate, new LoopGuard(parse(LISTENER)), recording, records::add,
                dials.bootstrap(), Duration.ofMinutes(5), liveFlows, noPeek,
                new NameResolution(DnsSettings.defaults(), NioDatagramChannel.class),
                GateSettings.defaults(Runnable::run), null);
    }

    private DuplexEmbeddedChannel accept(FlowPipeline pipeline, String destination, String source) {
        DuplexEmbeddedChannel ch = DuplexEmbeddedChannel.of(destination, source, pipeline);
        accepted.add(ch);
        return ch;
    }

    private static FlowDecider denying() {
        return f -> DENY;
    }

    private static FlowDecider relaying() {
        return f -> RELAY;
    }

    /** The open flows the server would reset at shutdown. */
    private Set<Channel> live() {
        return liveFlows;
    }

    /** The pipeline's handler names, without the test channel's own read counter. */
    private static List<String> stages(DuplexEmbeddedChannel ch) {
        return ch.pipeline().toMap().keySet().stream().filter(n -> !n.equals("read-counter")).toList();
    }
}
