package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.admin.AdminException;
import io.clawgress.appliance.admin.FlowsApi;
import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.agents.AgentRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** {@code clawgressctl flows}: the running daemon's open flows (GET /v1/flows, POST /v1/flows/ID/kill). */
@Command(name = "flows", mixinStandardHelpOptions = true,
        description = {"The open agent connections of the running daemon: list them, or end one."},
        subcommands = {FlowsCommand.ListVerb.class, FlowsCommand.KillVerb.class})
final class FlowsCommand implements Callable<Integer> {

    /** What a flow id looks like ({@code 9f3a0c12-000000000000001b}); anything else cannot name an open flow. */
    static final Pattern FLOW_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /** {@code clawgressctl flows list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the open flows, newest first: who, from where to where, what the first bytes"
                    + " claimed, where each is in its pipeline, the deciding rule and revision, bytes so far."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:listed (possibly none)", "1:the daemon answered with an error", "2:bad arguments",
                    "69:the daemon cannot be reached (not running, or no admin socket)",
                    "77:not allowed (the socket's group is needed to read)"})
    static final class ListVerb extends ApiVerb {

        private static final List<String> HEADER = List.of("FLOW_ID", "AGE", "AGENT", "SOURCE", "DESTINATION",
                "NAME", "STATE", "VERDICT", "RULE", "REVISION", "UP", "DOWN");

        @Option(names = "--agent", paramLabel = "AGENT_ID", description = "Only this agent's flows.")
        String agent;

        @Option(names = "--dest", paramLabel = "IP[:PORT]",
                description = "Only flows to this original destination: an IP address, IP:PORT or [IPv6]:PORT.")
        String dest;

        @Option(names = "--limit", paramLabel = "N", description = "At most N flows, the newest (default: "
                + FlowsApi.DEFAULT_LIMIT + ", at most " + FlowsApi.MAX_LIMIT + ").")
        int limit = FlowsApi.DEFAULT_LIMIT;

        @Option(names = "--json", description = "Print the daemon's answer as JSON"
                + " (docs/schemas/flows-list.schema.json).")
        boolean json;

        @Override
        protected boolean jsonOutput() {
            return json;
        }

        @Override
        protected int run() throws Failure {
            StringBuilder path = new StringBuilder("/v1/flows?limit=").append(limit());
            if (agent != null) {
                if (!AgentIds.isValid(agent)) {
                    throw usage("--agent: " + AgentVerb.quote(agent) + " (expected: " + AgentIds.EXPECTED + ")");
                }
                path.append("&agent=").append(TextOutput.encode(agent));
            }
            if (dest != null) {
                try {
                    FlowsApi.Destination.parse(dest);
                } catch (AdminException e) {
                    throw usage("--" + e.getMessage());
                }
                path.append("&dest=").append(TextOutput.encode(dest));
            }
            JsonNode r = get(path.toString());
            if (json) {
                printJson(r);
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(HEADER);
            for (JsonNode f : r.path("flows")) {
                rows.add(List.of(f.path("flow_id").asText(), TextOutput.age(f.path("age_ms").asLong()), TextOutput.orDash(f, "agent_id"),
                        f.path("source").asText(), f.path("original_destination").asText(), name(f),
                        f.path("state").asText(), TextOutput.orDash(f, "verdict"), TextOutput.orDash(f, "rule"),
                        f.path("policy_revision").asText(), TextOutput.bytes(f.path("bytes_up").asLong()),
                        TextOutput.bytes(f.path("bytes_down").asLong())));
            }
            if (rows.size() > 1) {
                TextOutput.printTable(out(), rows);
            }
            long total = r.path("total").asLong();
            long open = r.path("open").asLong();
            out().println(r.path("returned").asLong() + " of " + total + (total == 1 ? " flow" : " flows")
                    + (agent != null || dest != null ? " matching (" + open + " open)" : " open")
                    + (r.path("truncated").asBoolean() ? "; truncated to the newest " + limit + " (--limit N)" : ""));
            return ExitCodes.OK;
        }

        private int limit() {
            if (limit < 1 || limit > FlowsApi.MAX_LIMIT) {
                throw usage("--limit: " + limit + " (expected: 1.." + FlowsApi.MAX_LIMIT + ")");
            }
            return limit;
        }

        private static String name(JsonNode f) {
            if (!f.path("sni").isNull() && !f.path("sni").isMissingNode()) {
                return f.path("sni").asText();
            }
            return TextOutput.orDash(f, "http_host");
        }
    }

    /** {@code clawgressctl flows kill}. */
    @Command(name = "kill", mixinStandardHelpOptions = true,
            description = {"End an open flow now: both sockets are reset and its record says admin_killed, with"
                    + " your uid and the reason in its detail. Needs root or the admin group."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:killed", "1:no such open flow (or it is already closing), or another API error",
                    "2:bad arguments", "69:the daemon cannot be reached (not running, or no admin socket)",
                    "77:not allowed (changes need root or the admin group)"})
    static final class KillVerb extends ApiVerb {

        @Parameters(index = "0", paramLabel = "FLOW_ID", description = "The flow, as flows list shows it.")
        String flowId;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the flow's record.")
        String reason;

        @Option(names = "--json", description = "Print the daemon's answer as JSON"
                + " (docs/schemas/flows-kill.schema.json).")
        boolean json;

        @Override
        protected boolean jsonOutput() {
            return json;
        }

        @Override
        protected int run() throws Failure {
            if (!FLOW_ID.matcher(flowId).matches()) {
                throw usage("FLOW_ID: " + AgentVerb.quote(flowId) + " (expected: a flow id as flows list shows it,"
                        + " e.g. 9f3a0c12-000000000000001b)");
            }
            ObjectNode body = Json.object();
            if (reason != null) {
                try {
                    AgentRecord.requireText("--reason", reason);
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage());
                }
                body.put("reason", reason);
            }
            JsonNode r = send("POST", "/v1/flows/" + flowId + "/kill", body);
            if (json) {
                printJson(r);
                return ExitCodes.OK;
            }
            JsonNode f = r.path("flow");
            out().println("killed flow " + f.path("flow_id").asText() + " (" + TextOutput.orDash(f, "agent_id") + ", "
                    + f.path("source").asText() + " -> " + f.path("original_destination").asText() + ", "
                    + f.path("state").asText() + ", " + TextOutput.bytes(f.path("bytes_up").asLong()) + " up, "
                    + TextOutput.bytes(f.path("bytes_down").asLong()) + " down): recorded as "
                    + r.path("termination").asText());
            return ExitCodes.OK;
        }
    }
}
