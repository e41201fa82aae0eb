package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.tproxy.TransparentProxy;
import io.clawgress.tproxy.flow.OpenFlow;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The open flows (docs/admin-api.md): {@code GET /v1/flows} (filters {@code agent}, {@code dest}, {@code limit};
 * newest first), {@code GET /v1/flows/{id}} and {@code POST /v1/flows/{id}/kill} (action {@code flows.kill}: the flow
 * is reset and its record says {@code admin_killed}, with who killed it and why in {@code detail}). The flows are
 * read on their event loops; the handlers wait for that on the admin worker thread, bounded by {@link #WAIT}.
 */
public final class FlowsApi {

    public static final int DEFAULT_LIMIT = 1000;
    public static final int MAX_LIMIT = 100_000;
    static final Duration WAIT = Duration.ofSeconds(10);

    /** What the API needs of the data plane: {@link TransparentProxy} in the daemon, a fake in tests. */
    public interface Flows {

        /** The open flows, newest first. */
        CompletableFuture<List<OpenFlow>> list();

        /** See {@link TransparentProxy#kill}. */
        CompletableFuture<Optional<OpenFlow>> kill(String flowId, String detail);

        static Flows of(TransparentProxy proxy) {
            Objects.requireNonNull(proxy, "proxy");
            return new Flows() {
                @Override
                public CompletableFuture<List<OpenFlow>> list() {
                    return proxy.openFlows();
                }

                @Override
                public CompletableFuture<Optional<OpenFlow>> kill(String flowId, String detail) {
                    return proxy.kill(flowId, detail);
                }
            };
        }
    }

    private FlowsApi() {
    }

    /** Registers the routes for the running proxy. */
    public static void register(AdminRoutes routes, TransparentProxy proxy, Clock clock) {
        register(routes, Flows.of(proxy), clock);
    }

    public static void register(AdminRoutes routes, Flows flows, Clock clock) {
        Objects.requireNonNull(flows, "flows");
        Objects.requireNonNull(clock, "clock");
        routes.read("GET", "/v1/flows", r -> list(flows, clock, r));
        routes.read("GET", "/v1/flows/{id}", r -> {
            String id = r.pathParam("id");
            for (OpenFlow f : await(flows.list())) {
                if (f.flowId().equals(id)) {
                    return AdminResponse.ok(json(f, clock.instant()));
                }
            }
            throw notFound(id);
        });
        routes.change("POST", "/v1/flows/{id}/kill", "flows.kill", r -> kill(flows, clock, r));
    }

    private static AdminResponse list(Flows flows, Clock clock, AdminRequest r) throws AdminException {
        String agent = r.query("agent");
        if (agent != null && !AgentIds.isValid(agent)) {
            throw AdminException.badRequest("agent: " + quote(agent) + " (expected: an agent id, " + AgentIds.EXPECTED
                    + ")");
        }
        Destination dest = r.query("dest") == null ? null : Destination.parse(r.query("dest"));
        int limit = limit(r.query("limit"));
        List<OpenFlow> all = await(flows.list());
        Instant now = clock.instant();
        ObjectNode o = AdminJson.object();
        ArrayNode items = AdminJson.array();
        int total = 0;
        for (OpenFlow f : all) {
            if ((agent == null || agent.equals(f.agentId())) && (dest == null || dest.matches(f))) {
                total++;
                if (items.size() < limit) {
                    items.add(json(f, now));
                }
            }
        }
        o.put("open", all.size());
        o.put("total", total);
        o.put("returned", items.size());
        o.put("limit", limit);
        o.put("truncated", total > items.size());
        o.set("flows", items);
        return AdminResponse.ok(o);
    }

    private static AdminResponse kill(Flows flows, Clock clock, AdminRequest r) throws AdminException {
        String id = r.pathParam("id");
        ObjectNode body = r.json();
        String reason = null;
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("reason")) {
                throw AdminException.badRequest("request body: unknown member " + quote(name)
                        + " (expected: only \"reason\")");
            }
        }
        JsonNode given = body.get("reason");
        if (given != null && !given.isNull()) {
            if (!given.isTextual()) {
                throw AdminException.badRequest("reason: " + given.getNodeType() + " (expected: a string)");
            }
            reason = given.asText();
            try {
                AgentRecord.requireText("reason", reason);
            } catch (IllegalArgumentException e) {
                throw AdminException.badRequest(e.getMessage());
            }
        }
        Caller c = r.caller();
        String detail = "killed through the admin API by uid " + c.uid() + (c.pid() > 0 ? " (pid " + c.pid() + ")" : "")
                + (reason == null ? "" : ": " + reason);
        OpenFlow before = await(flows.kill(id, detail)).orElseThrow(() -> notFound(id));
        if (before.state() == OpenFlow.State.CLOSING) {
            throw AdminException.conflict("flow " + quote(id) + " is already closing; it keeps its own ending");
        }
        ObjectNode o = AdminJson.object();
        o.put("termination", Termination.ADMIN_KILLED.code());
        o.put("detail", detail);
        o.set("flow", json(before, clock.instant()));
        return AdminResponse.ok(o);
    }

    /** One open flow, as the API answers it (docs/schemas/flows-list.schema.json, {@code $defs/flow}). */
    static ObjectNode json(OpenFlow f, Instant now) {
        ObjectNode o = AdminJson.object();
        o.put("flow_id", f.flowId());
        o.put("start", f.start().toString());
        o.put("age_ms", Math.max(0, Duration.between(f.start(), now).toMillis()));
        o.put("source", Addresses.hostPort(f.source()));
        o.put("original_destination", Addresses.hostPort(f.originalDestination()));
        PeekFacts p = f.peek();
        o.put("peek", p.kind().code());
        o.put("sni", p.kind() == PeekFacts.Kind.TLS ? p.name() : null);
        o.put("http_host", p.kind() == PeekFacts.Kind.HTTP ? p.name() : null);
        Optional<Identity> id = f.identity();
        o.put("agent_id", id.map(Identity::agentId).orElse(null));
        o.put("auth", id.map(i -> i.auth().code()).orElse(null));
        o.put("state", f.state().code());
        o.put("verdict", f.verdict());
        o.put("rule", f.rule());
        o.put("policy_revision", f.policyRevision());
        o.put("dialled", f.dialled() == null ? null : Addresses.hostPort(f.dialled()));
        o.put("bytes_up", f.bytesUp());
        o.put("bytes_down", f.bytesDown());
        o.put("requests", f.requests());
        return o;
    }

    private static int limit(String text) throws AdminException {
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw AdminException.badRequest("limit: " + quote(text) + " (expected: an integer 1.." + MAX_LIMIT + ")");
    }

    /** Waits on an admin worker thread for what the event loops answer. */
    private static <T> T await(CompletableFuture<T> f) throws AdminException {
        try {
            return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw AdminException.unavailable("the data plane's event loops did not answer within " + WAIT.toSeconds()
                    + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AdminException.unavailable("interrupted while waiting for the data plane");
        } catch (ExecutionException e) {
            throw new AdminException(500, "internal_error", "reading the open flows failed: " + e.getCause());
        }
    }

    private static AdminException notFound(String id) {
        return AdminException.notFound("no open flow " + quote(id) + " (clawgressctl flows list shows the open ones)");
    }

    /** {@code 'value'} with control characters escaped and long values cut, for error messages. */
    static String quote(String value) {
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(value.length(), 80);
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            b.append(Character.isISOControl(c) || Character.isSurrogate(c) ? String.format("\\u%04x", (int) c) : c);
        }
        return b.append(value.length() > n ? "'..." : "'").toString();
    }

    /**
     * The {@code dest} filter: an IP address literal, with or without a port ({@code 198.18.2.2},
     * {@code 198.18.2.2:443}, {@code 2001:db8::1}, {@code [2001:db8::1]:443}). Never a name: nothing is resolved.
     */
    public record Destination(InetAddress ip, int port) {

        public static final String EXPECTED = "an IP address, IP:PORT or [IPv6]:PORT";

        public Destination {
            Objects.requireNonNull(ip, "ip");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected: 1..65535, or 0 for any)");
            }
        }

        /** Matches the original destination; {@code port} 0 matches any port. */
        public boolean matches(OpenFlow f) {
            return ip.equals(f.originalDestination().getAddress())
                    && (port == 0 || port == f.originalDestination().getPort());
        }

        /** Parses the filter; a 400 saying what is expected when it is not one. */
        public static Destination parse(String text) throws AdminException {
            String host = text;
            String port = null;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0) {
                    throw bad(text);
                }
                host = text.substring(1, close);
                String rest = text.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        throw bad(text);
                    }
                    port = rest.substring(1);
                }
                if (!NetUtil.isValidIpV6Address(host)) {
                    throw bad(text);
                }
            } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
                host = text.substring(0, text.indexOf(':'));
                port = text.substring(text.indexOf(':') + 1);
                if (!NetUtil.isValidIpV4Address(host)) {
                    throw bad(text);
                }
            } else if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
                throw bad(text);
            }
            int p = 0;
            if (port != null) {
                try {
                    p = Integer.parseInt(port);
                } catch (NumberFormatException e) {
                    throw bad(text);
                }
                if (p < 1 || p > 65535 || !port.matches("[0-9]{1,5}")) {
                    throw bad(text);
                }
            }
            try {
                // A validated literal: getByAddress never resolves anything.
                return new Destination(InetAddress.getByAddress(NetUtil.createByteArrayFromIpAddressString(host)), p);
            } catch (UnknownHostException e) {
                throw bad(text);
            }
        }

        private static AdminException bad(String text) {
            return AdminException.badRequest("dest: " + quote(text) + " (expected: " + EXPECTED + ")");
        }
    }
}
