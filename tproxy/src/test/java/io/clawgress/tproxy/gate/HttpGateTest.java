package io.clawgress.tproxy.gate;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.identity.IdentityCheck;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.clawgress.tproxy.gate.GateRig.AGENT_7;
import static io.clawgress.tproxy.gate.GateRig.AGENT_8;
import static io.clawgress.tproxy.gate.GateRig.HOST;
import static io.clawgress.tproxy.gate.GateRig.SUBNET_AGENT;
import static io.clawgress.tproxy.gate.GateRig.always;
import static io.clawgress.tproxy.gate.GateRig.answer;
import static io.clawgress.tproxy.gate.GateRig.identityJson;
import static io.clawgress.tproxy.gate.GateRig.relayingAsPresented;
import static io.clawgress.tproxy.testing.DuplexEmbeddedChannel.parse;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The L7 gate between an agent channel and its upstream, byte for byte: what the upstream receives, what the agent
 * receives, the request records, and how the flow ends. Requests and responses are written as they go on the wire.
 */
class HttpGateTest {

    private static final String GET_ONE = "GET /one HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
    private static final String GET_TWO = "GET /two HTTP/1.1\r\nHost: api.example.com\r\nAccept: */*\r\n\r\n";
    private static final String OK_ONE = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
    private static final String OK_TWO = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo";

    private final GateRig rig = new GateRig();

    @AfterEach
    void releaseLeftovers() {
        rig.release();
    }

    private static GateSettings sync() {
        return GateSettings.defaults(Runnable::run);
    }

    // ---- 1. keep-alive, one request at a time ----

    @Test
    void pipelinedRequestsGoUpstreamOneAtATimeAndTheirResponsesReachTheAgentInOrder() {
        rig.start(relayingAsPresented(), sync());

        rig.agentSends(GET_ONE + GET_TWO);

        assertThat(rig.upstreamGot()).as("only the first: the second waits for the first response")
                .isEqualTo(GET_ONE);
        assertThat(rig.requests).as("a forwarded request is recorded once its exchange is over").isEmpty();

        rig.upstreamSends(OK_ONE);

        assertThat(rig.agentGot()).isEqualTo(OK_ONE);
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.upstreamStatus()).isEqualTo(200);
            assertThat(r.bytesUp()).isEqualTo(GET_ONE.length());
            assertThat(r.bytesDown()).isEqualTo(OK_ONE.length());
            assertThat(r.termination()).isEqualTo(Termination.COMPLETED);
            assertThat(r.status()).as("the gateway answered nothing itself").isZero();
        });
        assertThat(rig.upstreamGot()).as("the second, once the first response ended").isEqualTo(GET_TWO);

        rig.upstreamSends(OK_TWO);

        assertThat(rig.agentGot()).isEqualTo(OK_TWO);
        assertThat(rig.upstreamGot()).isEmpty();
        rig.client.resetReadRequests();
        rig.agentSends(""); // a read completes: the gate asks for the next one now that nothing is owed
        assertThat(rig.client.readRequests()).as("ready for the next request").isPositive();
        assertThat(rig.client.isOpen()).isTrue();
        assertThat(rig.asked).extracting(FlowFacts::peek).containsExactly(
                PeekFacts.http(HOST, "GET", "/one"), PeekFacts.http(HOST, "GET", "/two"));
        assertThat(rig.asked).allSatisfy(f -> {
            assertThat(f.flowId()).isEqualTo("f-1");
            assertThat(f.source()).isEqualTo(parse(GateRig.AGENT));
            assertThat(f.originalDestination()).isEqualTo(parse(GateRig.DESTINATION));
            assertThat(f.presented()).isEmpty();
        });
        assertThat(rig.requests).satisfiesExactly(
                r -> assertRelayed(r, 1, "GET", "/one", SUBNET_AGENT),
                r -> assertRelayed(r, 2, "GET", "/two", SUBNET_AGENT));

        rig.client.receiveFin(); // the agent is done, between requests

        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.upstream.isOpen()).isFalse();
        assertThat(rig.client.linger()).as("completed: FIN, not RST").isNull();
        assertThat(rig.upstream.linger()).isNull();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.COMPLETED);
            assertThat(f.verdict()).isEqualTo("relay");
            assertThat(f.ruleId()).isEqualTo("allow.api");
            assertThat(f.policyRevision()).as("the latest request's decision").isEqualTo("rev-3");
            assertThat(f.identity()).contains(SUBNET_AGENT);
            assertThat(f.detail()).isEqualTo("http requests: 2 allowed, 0 denied");
            assertThat(f.bytesUp()).isEqualTo(GET_ONE.length() + GET_TWO.length());
            assertThat(f.bytesDown()).isEqualTo(OK_ONE.length() + OK_TWO.length());
        });
        assertThat(rig.slotsReleased).isOne();
    }

    // ---- 2, 3. the policy denies ----

    @Test
    void aPolicyDenyIsAnswered403NamingTheRuleAndTheFlowEndsPolicyDeniedWhenTheAgentCloses() {
        Decision deny = new Decision(Optional.of(AGENT_7), new Verdict.Deny(Termination.POLICY_DENIED, "no-admin",
                "path /admin is not allowed"), "rev-3", "research-llm");
        rig.start(always(deny), sync());

        rig.agentSends("GET /admin HTTP/1.1\r\nHost: api.example.com\r\n\r\n");

        assertThat(rig.agentGot()).isEqualTo(answer(403, "Forbidden", "{\"error\":\"policy_denied\",\"status\":403,"
                + "\"rule\":\"no-admin\",\"policy\":\"research-llm\",\"reason\":\"path /admin is not allowed\","
                + "\"message\":\"blocked by policy research-llm (rule no-admin); do not retry through other "
                + "routes\"}"));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.upstream.isOpen()).as("the upstream is closed at once").isFalse();
        assertThat(rig.upstream.linger()).as("with FIN").isNull();
        assertThat(rig.client.isOpen()).as("lingering read: the agent reads the answer first").isTrue();
        assertThat(rig.client.isOutputShutdown()).isTrue();
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.sequence()).isOne();
            assertThat(r.method()).isEqualTo("GET");
            assertThat(r.host()).isEqualTo(HOST);
            assertThat(r.target()).isEqualTo("/admin");
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.ruleId()).isEqualTo("no-admin");
            assertThat(r.reason()).isEqualTo("path /admin is not allowed");
            assertThat(r.policyRevision()).isEqualTo("rev-3");
            assertThat(r.identity()).contains(AGENT_7);
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.code()).isEqualTo("policy_denied");
        });
        assertThat(rig.flows).as("not before the agent's channel closed").isEmpty();

        rig.agentSends("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"); // read and dropped while lingering
        assertThat(rig.agentGot()).isEmpty();
        assertThat(rig.requests).hasSize(1);

        rig.client.receiveFin();

        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.client.linger()).as("FIN, so the answer is not destroyed by a reset").isNull();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.POLICY_DENIED);
            assertThat(f.termination().code()).isEqualTo("policy_denied");
            assertThat(f.identity()).contains(AGENT_7);
            assertThat(f.policyRevision()).isEqualTo("rev-3");
            assertThat(f.detail()).isEqualTo("request 1 GET /admin: path /admin is not allowed; http requests: "
                    + "0 allowed, 1 denied");
        });
        assertThat(rig.slotsReleased).isOne();
    }

    @Test
    void aHardStopRateLimitIsAnswered429WithRetryAfterAndNeverForwarded() {
        Decision limited = new Decision(Optional.of(SUBNET_AGENT), new Verdict.Relay(parse(GateRig.DESTINATION),
                "api", "allowed"), "rev-6", "p1").rateLimited("api", "rate limit 10/s of policy p1 rule api exceeded"
                + " for agent " + SUBNET_AGENT.agentId(), 3);
        rig.start(always(limited), sync());

        rig.agentSends(GET_ONE);

        assertThat(rig.agentGot()).startsWith("HTTP/1.1 429 Too Many Requests\r\n").contains("Retry-After: 3\r\n")
                .contains("\"error\":\"rate_limited\"").contains("\"policy\":\"p1\"");
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.code()).isEqualTo("rate_limited");
        });
    }

    @Test
    void aSubnetIdentityDeniedWhereAProvenOneWouldBeAllowedIsAnswered407NotForbidden() {
        // A policy with min_auth: mtls: the subnet binding alone is denied, the same agent with its certificate is
        // allowed. The agent is missing an identity, so it is told to prove one (407), not that it is forbidden.
        Decision weak = new Decision(Optional.of(SUBNET_AGENT), new Verdict.Deny(Termination.POLICY_DENIED,
                "default", "no rule allows this request (default deny)"), "rev-5");
        rig.start(facts -> facts.presented().filter(i -> i.auth() == AuthMethod.MTLS).isPresent()
                ? GateRig.relay(facts.presented()) : weak, sync());

        rig.agentSends(GET_ONE);

        assertThat(rig.agentGot()).startsWith("HTTP/1.1 407 ").contains("\"error\":\"identity_required\"");
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(407));
    }

    @Test
    void aDenyWithoutAnIdentityIsAnswered407IdentityRequiredAndTheLingerEndsTheFlow() {
        Decision deny = new Decision(Optional.empty(), new Verdict.Deny(Termination.POLICY_DENIED, "default",
                "no rule allows this request (default deny)"), "rev-4");
        rig.client.freezeTime();
        rig.start(always(deny), sync());

        rig.agentSends(GET_ONE);

        assertThat(rig.agentGot()).isEqualTo(answer(407, "Proxy Authentication Required",
                identityJson("identity_required", "default", null, "no rule allows this request (default deny)")));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.ruleId()).isEqualTo("default");
            assertThat(r.policyRevision()).isEqualTo("rev-4");
            assertThat(r.identity()).isEmpty();
            assertThat(r.status()).isEqualTo(407);
            assertThat(r.code()).isEqualTo("identity_required");
        });

        rig.client.advanceTimeBy(GateSettings.DEFAULT_LINGER.toMillis() - 1, TimeUnit.MILLISECONDS);
        rig.client.runScheduledPendingTasks();
        assertThat(rig.client.isOpen()).as("still lingering").isTrue();
        rig.client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        rig.client.runScheduledPendingTasks();

        assertThat(rig.client.isOpen()).as("an agent that never closes is closed after the linger").isFalse();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.IDENTITY_INVALID);
            assertThat(f.detail()).isEqualTo("request 1 GET /one: no rule allows this request (default deny); "
                    + "http requests: 0 allowed, 1 denied");
        });
        assertThat(rig.client.linger()).isNull();
    }

    // ---- 4. identity ----

    @ParameterizedTest
    @ValueSource(strings = {"Proxy-Authorization", "proxy-authorization", "PROXY-AUTHORIZATION"})
    void theIdentityHeaderIsRemovedEvenWithoutATokenVerifier(String name) {
        rig.start(relayingAsPresented(), sync());

        rig.agentSends("POST /v1/chat HTTP/1.1\r\nHost: api.example.com\r\n" + name + ": Bearer abc.def.ghi\r\n"
                + "Content-Length: 2\r\n\r\nhi");

        assertThat(rig.upstreamGot()).isEqualTo("POST /v1/chat HTTP/1.1\r\nHost: api.example.com\r\n"
                + "Content-Length: 2\r\n\r\nhi");
        assertThat(rig.asked).singleElement().satisfies(f ->
                assertThat(f.presented()).as("a token nobody verified proves nothing").isEmpty());
        rig.upstreamSends(OK_ONE);
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertRelayed(r, 1, "POST", "/v1/chat", SUBNET_AGENT);
            assertThat(r.bytesUp()).as("the head as received, identity field included, and the body")
                    .isEqualTo(("POST /v1/chat HTTP/1.1\r\nHost: api.example.com\r\n" + name
                            + ": Bearer abc.def.ghi\r\nContent-Length: 2\r\n\r\nhi").length());
        });
    }

    @Test
    void aValidCachedTokenIsPresentedToTheDeciderAndNeverForwarded() {
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> {
            throw new AssertionError("a cached token is not verified again");
        });
        tokens.cache.put("Bearer good", new IdentityCheck.Proven(AGENT_7));
        rig.start(relayingAsPresented(), sync().withTokens(tokens));

        rig.agentSends("GET /one HTTP/1.1\r\nProxy-Authorization: Bearer good\r\nHost: api.example.com\r\n\r\n");

        assertThat(rig.upstreamGot()).isEqualTo(GET_ONE);
        assertThat(rig.asked).singleElement().satisfies(f -> {
            assertThat(f.presented()).contains(AGENT_7);
            assertThat(f.peek()).isEqualTo(PeekFacts.http(HOST, "GET", "/one"));
        });
        assertThat(rig.flow.facts().presented()).as("later decisions of the flow use it").contains(AGENT_7);

        rig.upstreamSends(OK_ONE);
        assertThat(rig.agentGot()).isEqualTo(OK_ONE);
        assertThat(rig.requests).singleElement().satisfies(r -> assertRelayed(r, 1, "GET", "/one", AGENT_7));
        rig.client.receiveFin();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.COMPLETED);
            assertThat(f.identity()).contains(AGENT_7);
        });
    }

    @Test
    void aRefusedTokenIsAnswered407WithTheRefusalsCodeWithoutAskingThePolicy() {
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> {
            throw new AssertionError("cached");
        });
        tokens.cache.put("Bearer old", new IdentityCheck.Refused("jwt_expired",
                "the token expired at 2025-01-01T00:00:00Z"));
        rig.start(relayingAsPresented(), sync().withTokens(tokens));

        rig.agentSends("GET /one HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer old\r\n\r\n"
                + GET_TWO);

        assertThat(rig.agentGot()).isEqualTo(answer(407, "Proxy Authentication Required",
                identityJson("jwt_expired", null, null, "the token expired at 2025-01-01T00:00:00Z")));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.asked).isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.sequence()).isOne();
            assertThat(r.target()).isEqualTo("/one");
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.ruleId()).isEqualTo("jwt_expired");
            assertThat(r.reason()).isEqualTo("jwt_expired: the token expired at 2025-01-01T00:00:00Z");
            assertThat(r.policyRevision()).as("no decision yet on this request: the connection's")
                    .isEqualTo("rev-1");
            assertThat(r.identity()).isEmpty();
            assertThat(r.status()).isEqualTo(407);
            assertThat(r.code()).isEqualTo("jwt_expired");
        });
        rig.client.receiveFin();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.IDENTITY_INVALID);
            assertThat(f.detail()).isEqualTo("request 1: jwt_expired: the token expired at 2025-01-01T00:00:00Z; "
                    + "http requests: 0 allowed, 1 denied");
        });
    }

    @ParameterizedTest(name = "token verifier configured: {0}")
    @ValueSource(booleans = {true, false})
    void twoIdentityHeadersAreAnswered407IdentityHeaderDuplicate(boolean verifier) {
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> new IdentityCheck.Proven(AGENT_7));
        rig.start(relayingAsPresented(), verifier ? sync().withTokens(tokens) : sync());

        rig.agentSends("GET /one HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer a\r\n"
                + "proxy-authorization: Bearer b\r\n\r\n");

        String why = "the request carries 2 Proxy-Authorization fields (expected: at most one)";
        assertThat(rig.agentGot()).isEqualTo(answer(407, "Proxy Authentication Required",
                identityJson("identity_header_duplicate", null, null, why)));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.asked).isEmpty();
        assertThat(tokens.verified).as("neither is checked").isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.ruleId()).isEqualTo("identity_header_duplicate");
            assertThat(r.reason()).isEqualTo("identity_header_duplicate: " + why);
            assertThat(r.status()).isEqualTo(407);
            assertThat(r.code()).isEqualTo("identity_header_duplicate");
        });
        rig.client.receiveFin();
        assertThat(rig.flows).singleElement().satisfies(f ->
                assertThat(f.termination()).isEqualTo(Termination.IDENTITY_INVALID));
    }

    @Test
    void aTokenCacheMissIsVerifiedOffTheLoopAndNothingIsForwardedBeforeTheAnswerIsBackOnTheLoop() {
        GateRig.QueueExecutor workers = new GateRig.QueueExecutor();
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> v.equals("Bearer fresh")
                ? new IdentityCheck.Proven(AGENT_7) : new IdentityCheck.Refused("jwt_bad_signature", "no"));
        rig.start(relayingAsPresented(), GateSettings.defaults(workers).withTokens(tokens));
        String withToken = "GET /one HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer fresh\r\n\r\n";
        String secondWithToken = "GET /two HTTP/1.1\r\nHost: api.example.com\r\nAccept: */*\r\n"
                + "Proxy-Authorization: Bearer fresh\r\n\r\n";
        rig.client.resetReadRequests();

        rig.agentSends(withToken + secondWithToken);

        assertThat(workers.tasks).as("the signature check went to a worker").hasSize(1);
        assertThat(tokens.verified).as("not on the event loop").isEmpty();
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.asked).isEmpty();
        assertThat(rig.client.readRequests()).as("the agent is not read meanwhile").isZero();

        workers.runAll();

        assertThat(tokens.verified).containsExactly("Bearer fresh");
        assertThat(rig.upstreamGot()).as("the result comes back through the flow's event loop").isEmpty();

        rig.client.runPendingTasks();

        assertThat(rig.upstreamGot()).isEqualTo(GET_ONE);
        assertThat(rig.asked).singleElement().satisfies(f -> assertThat(f.presented()).contains(AGENT_7));

        rig.upstreamSends(OK_ONE);

        assertThat(rig.agentGot()).isEqualTo(OK_ONE);
        assertThat(rig.upstreamGot()).as("the same token again: a cache hit, decided at once").isEqualTo(GET_TWO);
        assertThat(workers.tasks).isEmpty();
        assertThat(tokens.verified).hasSize(1);
        rig.upstreamSends(OK_TWO);
        assertThat(rig.requests).satisfiesExactly(
                r -> assertRelayed(r, 1, "GET", "/one", AGENT_7),
                r -> assertRelayed(r, 2, "GET", "/two", AGENT_7));
    }

    @Test
    void aTokenVerifierThatFailsOnABugIsAnswered407JwtInvalid() {
        GateRig.QueueExecutor workers = new GateRig.QueueExecutor();
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> {
            throw new IllegalStateException("bug");
        });
        rig.start(relayingAsPresented(), GateSettings.defaults(workers).withTokens(tokens));

        rig.agentSends("GET /one HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer x\r\n\r\n");
        workers.runAll();
        rig.client.runPendingTasks();

        assertThat(rig.agentGot()).isEqualTo(answer(407, "Proxy Authentication Required",
                identityJson("jwt_invalid", null, null, "the token could not be verified")));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.asked).isEmpty();
    }

    @Test
    void aClientCertificateAndATokenNamingDifferentAgentsAreAnswered407IdentityConflict() {
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> {
            throw new AssertionError("cached");
        });
        tokens.cache.put("Bearer seven", new IdentityCheck.Proven(AGENT_7));
        rig.start(relayingAsPresented(), sync().withTokens(tokens), HOST, true, new IdentityCheck.Proven(AGENT_8));

        rig.agentSends("GET /one HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer seven\r\n\r\n");

        String why = "the client certificate names agent agent-8 but the token names agent agent-7";
        assertThat(rig.agentGot()).isEqualTo(answer(407, "Proxy Authentication Required",
                identityJson("identity_conflict", null, null, why)));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.asked).isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> assertThat(r.code()).isEqualTo("identity_conflict"));
    }

    @Test
    void theClientCertificateNamesTheAgentWhenTheTokenNamesTheSameOne() {
        Identity sameAgentByToken = new Identity("agent-8", "team-b", null, "prod", null,
                AuthMethod.JWT, true);
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> {
            throw new AssertionError("cached");
        });
        tokens.cache.put("Bearer eight", new IdentityCheck.Proven(sameAgentByToken));
        rig.start(relayingAsPresented(), sync().withTokens(tokens), HOST, true, new IdentityCheck.Proven(AGENT_8));

        rig.agentSends("GET /one HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer eight\r\n\r\n");

        assertThat(rig.upstreamGot()).isEqualTo(GET_ONE);
        assertThat(rig.asked).singleElement().satisfies(f -> assertThat(f.presented()).contains(AGENT_8));
    }

    // ---- 5. Host ----

    @ParameterizedTest(name = "intercepted: {0}")
    @ValueSource(booleans = {false, true})
    void aHostOtherThanTheConnectionsNameIsAnswered403HostMismatch(boolean intercepted) {
        rig.start(relayingAsPresented(), sync(), HOST, intercepted, null);

        rig.agentSends("GET /x HTTP/1.1\r\nHost: other.example.com\r\n\r\n");

        String why = "the request names host other.example.com but this connection was "
                + (intercepted ? "opened with SNI " : "allowed for ") + HOST;
        assertThat(rig.agentGot()).isEqualTo(answer(403, "Forbidden", "{\"error\":\"host_mismatch\",\"status\":403,"
                + "\"rule\":null,\"policy\":null,\"reason\":\"" + why + "\",\"message\":\"send requests for "
                + "other.example.com on a connection of their own (TLS with SNI other.example.com); do not retry "
                + "through other routes\"}"));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.asked).as("decided before the policy").isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.host()).isEqualTo("other.example.com");
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.ruleId()).isEqualTo("host_mismatch");
            assertThat(r.reason()).isEqualTo(why);
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.code()).isEqualTo("host_mismatch");
        });
        rig.client.receiveFin();
        assertThat(rig.flows).singleElement().satisfies(f ->
                assertThat(f.termination()).isEqualTo(Termination.POLICY_DENIED));
    }

    @ParameterizedTest
    @ValueSource(strings = {"API.Example.COM", "api.example.com:80"})
    void theHostIsComparedByNameIgnoringCase(String host) {
        rig.start(relayingAsPresented(), sync());

        rig.agentSends("GET /one HTTP/1.1\r\nHost: " + host + "\r\n\r\n");

        assertThat(rig.upstreamGot()).as("forwarded as sent").isEqualTo("GET /one HTTP/1.1\r\nHost: " + host
                + "\r\n\r\n");
        assertThat(rig.asked).singleElement().satisfies(f -> assertThat(f.peek().name()).isEqualTo(HOST));
    }

    // ---- 6. smuggling and request bodies ----

    @Test
    void bothContentLengthAndTransferEncodingAreAnswered400AndNothingReachesTheUpstream() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends(GET_ONE);
        rig.upstreamSends(OK_ONE);
        assertThat(rig.agentGot()).isEqualTo(OK_ONE);
        assertThat(rig.upstreamGot()).isEqualTo(GET_ONE);

        rig.agentSends("POST /x HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: api.example.com\r\n\r\n");

        String reason = "both Transfer-Encoding and Content-Length (RFC 9112 §6.3 item 3: a request-smuggling "
                + "signal; refused rather than letting Transfer-Encoding win, since another hop might use "
                + "Content-Length)";
        assertThat(rig.agentGot()).isEqualTo(answer(400, "Bad Request", "{\"error\":\"te_cl_conflict\","
                + "\"status\":400,\"rule\":null,\"policy\":null,\"reason\":\"" + reason + "\",\"message\":\"the "
                + "gateway refused this request as ambiguous or malformed HTTP/1.1 (te_cl_conflict); fix how the "
                + "request is framed and do not retry it unchanged\"}"));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.upstream.isOpen()).isFalse();
        assertThat(rig.asked).hasSize(1);
        assertThat(rig.requests).hasSize(2);
        assertThat(rig.requests.get(1)).satisfies(r -> {
            assertThat(r.sequence()).isEqualTo(2);
            assertThat(r.method()).isNull();
            assertThat(r.target()).isNull();
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.ruleId()).isEqualTo("te_cl_conflict");
            assertThat(r.reason()).isEqualTo(reason);
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.code()).isEqualTo("te_cl_conflict");
        });
        rig.client.receiveFin();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.HTTP_MALFORMED);
            assertThat(f.detail()).startsWith("te_cl_conflict: both Transfer-Encoding and Content-Length");
        });
    }

    @Test
    void aChunkedRequestBodyIsReChunkedAsItArrivesAndIdentityTrailersAreStripped() {
        rig.start(relayingAsPresented(), sync());
        String head = "POST /upload HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n";

        rig.agentSends(head + "5;name=value\r\nhel");

        assertThat(rig.upstreamGot()).as("the head, then what arrived of the first chunk, in our framing")
                .isEqualTo(head + "3\r\nhel\r\n");

        rig.agentSends("lo\r\n0006\r\n world\r\n0\r\nProxy-Authorization: Bearer in-trailer\r\nX-Checksum: 42\r\n"
                + "\r\n");

        assertThat(rig.upstreamGot()).isEqualTo("2\r\nlo\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n");
        rig.upstreamSends("HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(rig.agentGot()).isEqualTo("HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(rig.requests).singleElement().satisfies(r -> assertRelayed(r, 1, "POST", "/upload",
                SUBNET_AGENT));
        assertThat(rig.client.isOpen()).isTrue();
    }

    @Test
    void aBrokenChunkAfterTheHeadWentUpstreamResetsBothSides() {
        rig.start(relayingAsPresented(), sync());
        String head = "POST /upload HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n";

        rig.agentSends(head + "5\r\nhello\r\n0x5\r\n");

        assertThat(rig.upstreamGot()).as("the head went at once; the body part not yet flushed is dropped with the "
                + "reset").isEqualTo(head);
        assertThat(rig.agentGot()).as("nothing can be answered in order").isEmpty();
        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.upstream.isOpen()).isFalse();
        assertThat(rig.client.linger()).as("reset").isZero();
        assertThat(rig.upstream.linger()).isZero();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.HTTP_MALFORMED);
            assertThat(f.detail()).startsWith("invalid_chunk_size: ");
        });
    }

    // ---- 7. responses ----

    @Test
    void aChunkedResponseIsReChunkedToTheAgentPartByPart() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends(GET_ONE);
        String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n";

        rig.upstreamSends(head + "00a;x=y\r\n01234");

        assertThat(rig.agentGot()).isEqualTo(head + "5\r\n01234\r\n");

        rig.upstreamSends("56789\r\n0\r\nX-Trace: t1\r\n\r\n");

        assertThat(rig.agentGot()).isEqualTo("5\r\n56789\r\n0\r\nX-Trace: t1\r\n\r\n");
        assertThat(rig.client.isOpen()).isTrue();
        rig.agentSends(GET_TWO);
        assertThat(rig.upstreamGot()).isEqualTo(GET_ONE + GET_TWO);
    }

    @Test
    void aContentLengthResponsePassesThroughAsItArrives() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends(GET_ONE);
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nETag: \"x\"\r\n\r\n";

        rig.upstreamSends(head + "hello");
        assertThat(rig.agentGot()).isEqualTo(head + "hello");
        rig.upstreamSends(" world");
        assertThat(rig.agentGot()).isEqualTo(" world");

        rig.agentSends(GET_TWO);
        assertThat(rig.upstreamGot()).isEqualTo(GET_ONE + GET_TWO);
    }

    @Test
    void aCloseDelimitedResponseEndsWithTheUpstreamsFinAndCompletesTheFlow() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends(GET_ONE);
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";

        rig.upstreamSends(head + "part one,");
        assertThat(rig.agentGot()).isEqualTo(head + "part one,");
        rig.upstreamSends(" part two");
        assertThat(rig.agentGot()).isEqualTo(" part two");
        assertThat(rig.client.isOpen()).isTrue();

        rig.upstream.receiveFin();

        assertThat(rig.agentGot()).isEmpty();
        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.upstream.isOpen()).isFalse();
        assertThat(rig.client.linger()).isNull();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.COMPLETED);
            assertThat(f.detail()).isEqualTo("http requests: 1 allowed, 0 denied");
        });
    }

    @Test
    void connectionCloseOnTheRequestEndsTheFlowCompletedAfterTheResponse() {
        rig.start(relayingAsPresented(), sync());
        String request = "GET /last HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n";

        rig.agentSends(request);
        assertThat(rig.upstreamGot()).isEqualTo(request);
        rig.upstreamSends(OK_ONE);

        assertThat(rig.agentGot()).isEqualTo(OK_ONE);
        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.upstream.isOpen()).isFalse();
        assertThat(rig.client.linger()).isNull();
        assertThat(rig.flows).singleElement().satisfies(f ->
                assertThat(f.termination()).isEqualTo(Termination.COMPLETED));
    }

    @Test
    void connectionCloseOnTheResponseEndsTheFlowCompleted() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends(GET_ONE);
        String response = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\none";

        rig.upstreamSends(response);

        assertThat(rig.agentGot()).isEqualTo(response);
        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.flows).singleElement().satisfies(f ->
                assertThat(f.termination()).isEqualTo(Termination.COMPLETED));
    }

    @Test
    void aMalformedResponseBeforeAnythingWasSentIsAnswered502() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends(GET_ONE);

        rig.upstreamSends("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n");

        String reason = "status line \\\"HTTP/1.1 2OO OK\\\" (expected: HTTP-version SP 3DIGIT SP reason-phrase, "
                + "RFC 9112 §4)";
        assertThat(rig.agentGot()).isEqualTo(answer(502, "Bad Gateway", "{\"error\":\"invalid_status_line\","
                + "\"status\":502,\"rule\":null,\"policy\":null,\"reason\":\"" + reason + "\",\"message\":\"the "
                + "upstream server sent a response the gateway could not relay safely (invalid_status_line); "
                + "retrying may not help\"}"));
        assertThat(rig.upstream.isOpen()).isFalse();
        assertThat(rig.requests).as("the request was relayed; the 502 is the flow's ending").singleElement()
                .satisfies(r -> {
                    assertThat(r.verdict()).isEqualTo("relay");
                    assertThat(r.termination()).isEqualTo(Termination.UPSTREAM_HTTP_MALFORMED);
                    assertThat(r.upstreamStatus()).isZero();
                    assertThat(r.bytesDown()).as("the gateway's 502").isPositive();
                });
        rig.client.receiveFin();
        assertThat(rig.client.linger()).isNull();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.UPSTREAM_HTTP_MALFORMED);
            assertThat(f.detail()).startsWith("invalid_status_line: status line \"HTTP/1.1 2OO OK\"");
        });
    }

    @Test
    void anUpstreamThatClosesBeforeAnsweringIsAnswered502TruncatedResponse() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends(GET_ONE);

        rig.upstream.receiveFin();

        assertThat(rig.agentGot()).isEqualTo(answer(502, "Bad Gateway", "{\"error\":\"truncated_response\","
                + "\"status\":502,\"rule\":null,\"policy\":null,\"reason\":\"the connection closed before a response "
                + "arrived\",\"message\":\"the upstream server sent a response the gateway could not relay safely "
                + "(truncated_response); retrying may not help\"}"));
        rig.client.receiveFin();
        assertThat(rig.flows).singleElement().satisfies(f ->
                assertThat(f.termination()).isEqualTo(Termination.UPSTREAM_HTTP_MALFORMED));
    }

    @Test
    void aMalformedResponseAfterItsHeadWentToTheAgentResetsBothSides() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends(GET_ONE);
        String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

        rig.upstreamSends(head + "3\r\nabc\r\nzz\r\n");

        assertThat(rig.agentGot()).as("what was not flushed yet is dropped with the reset").isEmpty();
        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.client.linger()).as("reset: the agent must not take a cut body for a whole one").isZero();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.UPSTREAM_HTTP_MALFORMED);
            assertThat(f.detail()).startsWith("invalid_chunk_size: ");
        });
    }

    // ---- 8. 100-continue ----

    @Test
    void expectContinueGoesUpstreamAtOnceAndTheInterimAnswerReachesTheAgentBeforeTheBody() {
        rig.start(relayingAsPresented(), sync());
        String head = "PUT /blob HTTP/1.1\r\nHost: api.example.com\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
                + "\r\n";

        rig.agentSends(head);
        assertThat(rig.upstreamGot()).isEqualTo(head);

        rig.upstreamSends("HTTP/1.1 100 Continue\r\n\r\n");
        assertThat(rig.agentGot()).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");

        rig.agentSends("hello");
        assertThat(rig.upstreamGot()).isEqualTo("hello");

        rig.upstreamSends("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        assertThat(rig.agentGot()).isEqualTo("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        assertThat(rig.requests).singleElement().satisfies(r -> assertRelayed(r, 1, "PUT", "/blob", SUBNET_AGENT));
        assertThat(rig.client.isOpen()).isTrue();
    }

    // ---- 9. a client certificate that proved nothing ----

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /one HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
            "GET /one HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer good\r\n\r\n",
            "POST /one HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 4\r\n\r\nbody",
            "GET /one HTTP/1.1\r\nHost: other.example.com\r\n\r\n"})
    void aRefusedClientCertificateAnswersEveryRequest407WithItsCode(String request) {
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> {
            throw new AssertionError("cached");
        });
        tokens.cache.put("Bearer good", new IdentityCheck.Proven(AGENT_7));
        rig.start(relayingAsPresented(), sync().withTokens(tokens), HOST, true,
                new IdentityCheck.Refused("client_cert_untrusted", "the certificate is not signed by the agents' CA"));

        rig.agentSends(request);

        assertThat(rig.agentGot()).isEqualTo(answer(407, "Proxy Authentication Required",
                identityJson("client_cert_untrusted", null, null, "the certificate is not signed by the agents' CA")));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.asked).isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.identity()).isEmpty();
            assertThat(r.status()).isEqualTo(407);
            assertThat(r.code()).isEqualTo("client_cert_untrusted");
        });
        rig.client.receiveFin();
        assertThat(rig.flows).singleElement().satisfies(f ->
                assertThat(f.termination()).isEqualTo(Termination.IDENTITY_INVALID));
    }

    // ---- more endings ----

    @Test
    void aHeadResponseHasNoBodyWhateverItsContentLengthSays() {
        rig.start(relayingAsPresented(), sync());
        String head = "HEAD /one HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
        rig.agentSends(head + GET_TWO);
        assertThat(rig.upstreamGot()).isEqualTo(head);

        rig.upstreamSends("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");

        assertThat(rig.agentGot()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
        assertThat(rig.upstreamGot()).isEqualTo(GET_TWO);
    }

    @Test
    void aDeciderThatThrowsResetsTheFlowAsAnInternalError() {
        rig.start(f -> {
            throw new IllegalStateException("no snapshot");
        }, sync());

        rig.agentSends(GET_ONE);

        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.agentGot()).isEmpty();
        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.client.linger()).isZero();
        assertThat(rig.requests).isEmpty();
        assertThat(rig.flows).singleElement().satisfies(f -> {
            assertThat(f.termination()).isEqualTo(Termination.INTERNAL_ERROR);
            assertThat(f.detail()).isEqualTo("decider failed: java.lang.IllegalStateException: no snapshot");
        });
    }

    @Test
    void aRequestCutByTheAgentsFinIsAnswered400TruncatedRequest() {
        rig.client.freezeTime();
        rig.start(relayingAsPresented(), sync());

        rig.agentSends("GET /one HTTP/1.1\r\nHost: api.exa");
        rig.client.receiveFin();

        assertThat(rig.agentGot()).isEqualTo(answer(400, "Bad Request", "{\"error\":\"truncated_request\","
                + "\"status\":400,\"rule\":null,\"policy\":null,\"reason\":\"the connection closed in the middle of "
                + "a request head\",\"message\":\"the gateway refused this request as ambiguous or malformed "
                + "HTTP/1.1 (truncated_request); fix how the request is framed and do not retry it unchanged\"}"));
        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.requests).singleElement().satisfies(r -> assertThat(r.code()).isEqualTo("truncated_request"));

        // The agent's FIN came before the answer, so only the linger timer closes the channel.
        rig.client.advanceTimeBy(GateSettings.DEFAULT_LINGER.toMillis(), TimeUnit.MILLISECONDS);
        rig.client.runScheduledPendingTasks();
        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.flows).singleElement().satisfies(f ->
                assertThat(f.termination()).isEqualTo(Termination.HTTP_MALFORMED));
    }

    // ---- bugs ----

    @Test
    void aResponseThatEndsBeforeItsRequestBodyDidStillLetsTheNextRequestThrough() {
        rig.start(relayingAsPresented(), sync());
        String head = "POST /upload HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 10\r\n\r\n";
        rig.agentSends(head + "01234");
        assertThat(rig.upstreamGot()).isEqualTo(head + "01234");

        // The upstream answers before the body ended and keeps the connection (Go's net/http does this).
        String early = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
        rig.upstreamSends(early);
        assertThat(rig.agentGot()).isEqualTo(early);

        rig.agentSends("56789" + GET_TWO);

        assertThat(rig.upstreamGot()).isEqualTo("56789" + GET_TWO);
    }

    @Test
    void aBodyThatWaitedForATokenCheckIsFlushedAndTheAgentIsReadOnForTheRest() {
        GateRig.QueueExecutor workers = new GateRig.QueueExecutor();
        GateRig.StubTokens tokens = new GateRig.StubTokens(v -> new IdentityCheck.Proven(AGENT_7));
        rig.start(relayingAsPresented(), GateSettings.defaults(workers).withTokens(tokens));
        String head = "POST /upload HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer fresh\r\n"
                + "Content-Length: 196608\r\n\r\n";
        byte[] part = new byte[96 * 1024]; // more than the upstream's write high-water mark (64 KiB)
        Arrays.fill(part, (byte) 'a');
        ByteBuf first = rig.client.alloc().directBuffer(head.length() + part.length)
                .writeBytes(head.getBytes(StandardCharsets.US_ASCII)).writeBytes(part);
        rig.client.writeInbound(first); // the head and half the body in one read: the token is not cached
        workers.runAll();
        rig.client.resetReadRequests();

        rig.client.runPendingTasks(); // the token verified: decide, forward

        assertThat(rig.upstreamGot()).as("the head and the body part the gate already had")
                .isEqualTo("POST /upload HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 196608\r\n\r\n"
                        + new String(part, StandardCharsets.US_ASCII));
        assertThat(rig.client.readRequests()).as("the agent is read for the rest of the body").isPositive();
    }

    @Test
    void pipelinedRequestsFollowedByTheAgentsFinAreAllAnswered() {
        rig.start(relayingAsPresented(), sync());

        rig.agentSends(GET_ONE + GET_TWO);
        rig.client.receiveFin(); // as printf '...' | nc -N does
        assertThat(rig.upstreamGot()).isEqualTo(GET_ONE);
        rig.upstreamSends(OK_ONE);

        assertThat(rig.agentGot()).isEqualTo(OK_ONE);
        assertThat(rig.upstreamGot()).as("the second request, framed and decided, is not dropped")
                .isEqualTo(GET_TWO);
    }

    @Test
    void aDeciderThatReturnsNullEndsTheFlowAsAnInternalErrorNotAClientReset() {
        rig.start(f -> null, sync());

        rig.agentSends(GET_ONE);

        assertThat(rig.upstreamGot()).isEmpty();
        assertThat(rig.client.isOpen()).isFalse();
        assertThat(rig.flows).singleElement().satisfies(f ->
                assertThat(f.termination()).as("a gateway bug, not the agent's doing")
                        .isEqualTo(Termination.INTERNAL_ERROR));
    }

    @Test
    void aRequestWhoseConnectionEndsMidResponseIsRecordedWithTheConnectionsEndingAndTheBytesSoFar() {
        rig.start(relayingAsPresented(), sync());
        rig.agentSends("POST /up HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 10\r\n\r\n01234");
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        rig.upstreamSends(head + "abc");
        assertThat(rig.requests).as("the response has not ended").isEmpty();

        rig.flow.abort(Termination.UPSTREAM_RESET, "upstream connection reset");

        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.UPSTREAM_RESET);
            assertThat(r.upstreamStatus()).isEqualTo(200);
            assertThat(r.bytesUp()).isEqualTo(("POST /up HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 10"
                    + "\r\n\r\n01234").length());
            assertThat(r.bytesDown()).isEqualTo(head.length() + 3);
        });
        assertThat(rig.flows).as("written after its request").singleElement()
                .satisfies(f -> assertThat(f.termination()).isEqualTo(Termination.UPSTREAM_RESET));
    }

    @Test
    void aRefusedRequestIsRecordedAtOnceWithTheGatewaysAnswerAsItsBytesDown() {
        rig.start(GateRig.always(new Decision(Optional.of(AGENT_7), new Verdict.Deny(Termination.POLICY_DENIED,
                "no-admin", "path /admin is not allowed"), "rev-3", "research-llm")), sync());
        String get = "GET /admin HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
        rig.agentSends(get);

        String answer = rig.agentGot();
        assertThat(rig.requests).singleElement().satisfies(r -> {
            assertThat(r.verdict()).isEqualTo("deny");
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.termination()).isEqualTo(Termination.POLICY_DENIED);
            assertThat(r.bytesUp()).isEqualTo(get.length());
            assertThat(r.bytesDown()).isEqualTo(answer.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            assertThat(r.duration()).isZero();
        });
    }

    private static void assertRelayed(RequestRecord r, int sequence, String method, String target, Identity who) {
        assertThat(r.flowId()).isEqualTo("f-1");
        assertThat(r.sequence()).isEqualTo(sequence);
        assertThat(r.method()).isEqualTo(method);
        assertThat(r.host()).isEqualTo(HOST);
        assertThat(r.target()).isEqualTo(target);
        assertThat(r.verdict()).isEqualTo("relay");
        assertThat(r.ruleId()).isEqualTo("allow.api");
        assertThat(r.reason()).isEqualTo("api.example.com is on the allow list");
        assertThat(r.policyRevision()).isEqualTo("rev-3");
        assertThat(r.identity()).contains(who);
        assertThat(r.status()).isZero();
        assertThat(r.code()).isNull();
    }
}
