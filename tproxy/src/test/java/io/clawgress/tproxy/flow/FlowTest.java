package io.clawgress.tproxy.flow;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.testing.DuplexEmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static io.clawgress.tproxy.testing.DuplexEmbeddedChannel.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** One flow's ending rules and its record, with the two channels closing in every order. */
class FlowTest {

    /** Which endings reset the sockets: every {@link Termination}, so a new one cannot be forgotten. */
    private static final Map<Termination, Boolean> ABORTIVE = new EnumMap<>(Map.ofEntries(
            Map.entry(Termination.COMPLETED, false),
            Map.entry(Termination.IDLE_TIMEOUT, false),
            Map.entry(Termination.POLICY_DENIED, true),
            Map.entry(Termination.LOOP, true),
            Map.entry(Termination.CONNECTION_LIMIT, true),
            Map.entry(Termination.UPSTREAM_CONNECT_TIMEOUT, true),
            Map.entry(Termination.UPSTREAM_CONNECT_FAILED, true),
            Map.entry(Termination.UPSTREAM_RESET, true),
            Map.entry(Termination.CLIENT_RESET, true),
            Map.entry(Termination.SHUTDOWN, true),
            Map.entry(Termination.INTERNAL_ERROR, true),
            Map.entry(Termination.PEEK_TIMEOUT, true),
            Map.entry(Termination.CLIENT_HELLO_TOO_LARGE, true),
            Map.entry(Termination.CLIENT_HELLO_MALFORMED, true),
            Map.entry(Termination.SNI_INVALID, true),
            Map.entry(Termination.SNI_MISSING, true),
            Map.entry(Termination.HTTP_HEAD_TOO_LARGE, true),
            Map.entry(Termination.HTTP_MALFORMED, true),
            Map.entry(Termination.NAME_ADDRESS_MISMATCH, true),
            Map.entry(Termination.NAME_RESOLUTION_FAILED, true),
            Map.entry(Termination.POLICY_REVOKED, true),
            Map.entry(Termination.UPSTREAM_TLS_INVALID, true),
            Map.entry(Termination.INTERCEPT_UNAVAILABLE, true),
            Map.entry(Termination.CLIENT_TLS_FAILED, true),
            Map.entry(Termination.IDENTITY_INVALID, true),
            Map.entry(Termination.UPSTREAM_HTTP_MALFORMED, true),
            Map.entry(Termination.RATE_LIMITED, true),
            Map.entry(Termination.AUDIT_UNAVAILABLE, true),
            Map.entry(Termination.ADMIN_KILLED, true)));

    private static final Identity AGENT_7 =
            new Identity("agent-7", "team-a", "proj-1", "prod", "tier-2", AuthMethod.SUBNET, true);

    private final List<FlowRecord> records = new ArrayList<>();
    private int slotsReleased;
    private DuplexEmbeddedChannel client;
    private DuplexEmbeddedChannel upstream;

    @BeforeEach
    void channels() {
        client = DuplexEmbeddedChannel.of("198.18.2.2:80", "198.18.1.2:40000");
        upstream = DuplexEmbeddedChannel.of("198.18.2.1:50000", "198.18.2.2:80");
    }

    @AfterEach
    void releaseLeftovers() {
        client.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }

    @Test
    void theRecordCarriesTheDecisionTheCountsAndTheTimes() {
        long t0 = System.nanoTime();
        Instant before = Instant.now();
        Flow flow = newFlow();
        Instant after = Instant.now();
        flow.decided(new Decision(Optional.of(AGENT_7),
                new Verdict.Relay(parse("198.18.2.2:80"), "allow.web", "on the allow list"), "rev-42"));
        connectUpstream(flow);
        flow.countRead(Flow.Side.CLIENT, 10);
        flow.countRead(Flow.Side.UPSTREAM, 20);
        flow.countRead(Flow.Side.CLIENT, 5);

        flow.outputShutdown(Flow.Side.UPSTREAM);
        assertThat(records).as("one direction still open").isEmpty();
        flow.outputShutdown(Flow.Side.CLIENT);
        long elapsed = System.nanoTime() - t0;

        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.flowId()).isEqualTo("f-1");
            assertThat(r.source()).isEqualTo(parse("198.18.1.2:40000"));
            assertThat(r.originalDestination()).isEqualTo(parse("198.18.2.2:80"));
            assertThat(r.identity()).contains(AGENT_7);
            assertThat(r.policyRevision()).isEqualTo("rev-42");
            assertThat(r.verdict()).isEqualTo("relay");
            assertThat(r.ruleId()).isEqualTo("allow.web");
            assertThat(r.reason()).isEqualTo("on the allow list");
            assertThat(r.bytesUp()).isEqualTo(15);
            assertThat(r.bytesDown()).isEqualTo(20);
            assertThat(r.termination()).isEqualTo(Termination.COMPLETED);
            assertThat(r.detail()).isNull();
            assertThat(r.start()).isBetween(before, after);
            assertThat(r.duration()).isPositive().isLessThanOrEqualTo(Duration.ofNanos(elapsed));
        });
        assertThat(client.linger()).isNull();
        assertThat(upstream.linger()).isNull();
        assertThat(slotsReleased).isOne();
    }

    @Test
    void aRelayedFlowThatTheNewPolicyDeniesIsResetAsPolicyRevoked() {
        Flow flow = newFlow();
        flow.decided(new Decision(Optional.of(AGENT_7),
                new Verdict.Relay(parse("198.18.2.2:80"), "allow.web", "on the allow list"), "7"));
        connectUpstream(flow);
        List<FlowFacts> asked = new ArrayList<>();
        boolean revoked = flow.reevaluate(facts -> {
            asked.add(facts);
            return new Decision(Optional.of(AGENT_7),
                    new Verdict.Deny(Termination.POLICY_DENIED, "default", "no rule allows it (default deny)"), "8");
        });

        assertThat(revoked).isTrue();
        assertThat(asked).singleElement().isEqualTo(flow.facts());
        assertThat(client.linger()).as("reset, not FIN").isZero();
        assertThat(upstream.linger()).isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.POLICY_REVOKED);
            assertThat(r.verdict()).as("the decision that let it in").isEqualTo("relay");
            assertThat(r.policyRevision()).isEqualTo("7");
            assertThat(r.detail()).isEqualTo("revoked by policy revision 8, rule default: no rule allows it (default"
                    + " deny)");
        });
    }

    @Test
    void reevaluationLeavesAllowedUndecidedAndEndedFlowsAlone() {
        Flow allowed = newFlow();
        allowed.decided(new Decision(Optional.of(AGENT_7),
                new Verdict.Relay(parse("198.18.2.2:80"), "allow.web", "on the allow list"), "7"));
        connectUpstream(allowed);
        assertThat(allowed.reevaluate(facts -> new Decision(Optional.of(AGENT_7),
                new Verdict.Relay(parse("198.18.2.2:80"), "allow.web.v2", "still allowed"), "8"))).isFalse();
        assertThat(client.isOpen()).isTrue();

        DuplexEmbeddedChannel other = DuplexEmbeddedChannel.of("198.18.2.2:80", "198.18.1.2:40001");
        try {
            Flow undecided = new Flow("f-2", other, records::add, () -> { });
            assertThat(undecided.reevaluate(facts -> {
                throw new AssertionError("an undecided flow reads the new snapshot at its own decision");
            })).isFalse();
            assertThat(other.isOpen()).isTrue();
            assertThat(records).isEmpty();
        } finally {
            other.finishAndReleaseAll();
        }
    }

    @Test
    void aFlowThatEndsBeforeItsDecisionSaysSo() {
        newFlow();
        client.close();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.reason()).isEqualTo("closed before a decision");
            assertThat(r.ruleId()).isEqualTo("none");
            assertThat(r.policyRevision()).isEqualTo("none");
            assertThat(r.identity()).isEmpty();
            assertThat(r.termination()).isEqualTo(Termination.CLIENT_RESET);
            assertThat(r.detail()).isEqualTo("agent connection closed");
        });
    }

    @Test
    void aDenyAfterTheDecisionKeepsTheDecidersVerdict() {
        Flow flow = newFlow();
        Verdict.Deny deny = new Verdict.Deny(Termination.POLICY_DENIED, "block.all", "nothing is allowed");
        flow.decided(new Decision(Optional.empty(), deny, "rev-1"));
        flow.deny(deny);
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.ruleId()).isEqualTo("block.all");
            assertThat(r.termination()).isEqualTo(Termination.POLICY_DENIED);
            assertThat(r.policyRevision()).isEqualTo("rev-1");
        });
    }

    /** A way both channels of a connected flow end up closed. */
    record Closing(String name, Close close, Termination termination) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Close {
        void run(Flow flow, DuplexEmbeddedChannel client, DuplexEmbeddedChannel upstream);
    }

    static Stream<Closing> closings() {
        return Stream.of(
                new Closing("agent socket closes, then the upstream's", (f, c, u) -> {
                    c.close();
                    u.close();
                }, Termination.CLIENT_RESET),
                new Closing("upstream socket closes, then the agent's", (f, c, u) -> {
                    u.close();
                    c.close();
                }, Termination.UPSTREAM_RESET),
                new Closing("abort, then both sockets close again", (f, c, u) -> {
                    f.abort(Termination.INTERNAL_ERROR, "bug");
                    c.close();
                    u.close();
                }, Termination.INTERNAL_ERROR),
                new Closing("graceful end, then an abort", (f, c, u) -> {
                    f.end(Termination.IDLE_TIMEOUT, "idle");
                    f.abort(Termination.SHUTDOWN, "stopping");
                }, Termination.IDLE_TIMEOUT),
                new Closing("both directions done, one of them twice", (f, c, u) -> {
                    f.outputShutdown(Flow.Side.CLIENT);
                    f.outputShutdown(Flow.Side.UPSTREAM);
                    f.outputShutdown(Flow.Side.CLIENT);
                }, Termination.COMPLETED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("closings")
    void theRecordIsEmittedExactlyOnceWhateverClosesFirst(Closing closing) {
        Flow flow = newFlow();
        connectUpstream(flow);

        closing.close().run(flow, client, upstream);

        assertThat(client.isOpen()).isFalse();
        assertThat(upstream.isOpen()).isFalse();
        assertThat(records).singleElement().extracting(FlowRecord::termination).isEqualTo(closing.termination());
        assertThat(slotsReleased).as("the connection slot is given back once").isOne();
    }

    @Test
    void aFailedDialsCloseWaitsForTheConnectListenerToNameTheEnding() {
        Flow flow = newFlow();
        flow.attachUpstream(upstream); // dialling: not connected

        upstream.close(); // a transport closes a channel whose connect failed before the listener runs
        assertThat(records).isEmpty();
        assertThat(client.isOpen()).isTrue();

        flow.abort(Termination.UPSTREAM_CONNECT_FAILED, "Connection refused");
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.UPSTREAM_CONNECT_FAILED);
            assertThat(r.detail()).isEqualTo("Connection refused");
        });
        assertThat(client.linger()).isZero();
        assertThat(slotsReleased).isOne();
    }

    @Test
    void aSecondUpstreamIsABug() {
        Flow flow = newFlow();
        flow.attachUpstream(upstream);
        DuplexEmbeddedChannel another = DuplexEmbeddedChannel.of("198.18.2.1:50001", "198.18.2.2:80");
        try {
            assertThatIllegalStateException()
                    .isThrownBy(() -> flow.attachUpstream(another))
                    .withMessage("flow f-1 already has an upstream");
        } finally {
            another.finishAndReleaseAll();
        }
    }

    @Test
    void theTableNamesEveryTermination() {
        assertThat(ABORTIVE.keySet()).containsExactlyInAnyOrder(Termination.values());
    }

    static Stream<Termination> terminations() {
        return Stream.of(Termination.values());
    }

    @ParameterizedTest
    @MethodSource("terminations")
    void onlyCompletedAndIdleEndingsCloseWithFin(Termination t) {
        assertThat(Flow.isAbortive(t)).isEqualTo(ABORTIVE.get(t));
    }

    @ParameterizedTest
    @MethodSource("terminations")
    void endingResetsBothSocketsExactlyWhenAbortive(Termination t) {
        Flow flow = newFlow();
        connectUpstream(flow);

        flow.end(t, "why");

        Integer expectedLinger = ABORTIVE.get(t) ? 0 : null;
        assertThat(client.linger()).as("agent SO_LINGER").isEqualTo(expectedLinger);
        assertThat(upstream.linger()).as("upstream SO_LINGER").isEqualTo(expectedLinger);
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(t);
            assertThat(r.detail()).isEqualTo("why");
        });
    }

    private Flow newFlow() {
        return new Flow("f-1", client, records::add, () -> slotsReleased++);
    }

    private void connectUpstream(Flow f) {
        f.attachUpstream(upstream);
        f.upstreamConnected();
    }
}
