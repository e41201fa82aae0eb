package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.agents.AgentIds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code clawgressctl quota}: the running daemon's rate-limit buckets (GET /v1/quotas). */
@Command(name = "quota", mixinStandardHelpOptions = true,
        description = {"The rate limits of the running daemon, as its buckets stand now."},
        subcommands = {QuotaCommand.ShowVerb.class})
final class QuotaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /** {@code clawgressctl quota show}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show the rate-limit buckets: per agent and rule (and destination, for per: destination"
                    + " limits) the limit, what is left now, what was admitted and over the limit, and when it was"
                    + " last used. An idle bucket is full again and dropped, so agents that were quiet for a while"
                    + " have none."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:shown (possibly no buckets)", "1:the daemon answered with an error", "2:bad arguments",
                    "69:the daemon cannot be reached (not running, or no admin socket)",
                    "77:not allowed (the socket's group is needed to read)"})
    static final class ShowVerb extends ApiVerb {

        private static final List<String> HEADER = List.of("AGENT", "POLICY", "RULE", "DESTINATION", "LIMIT", "MODE",
                "REMAINING", "ADMITTED", "OVER_LIMIT", "LAST_SEEN");

        @Option(names = "--agent", paramLabel = "AGENT_ID", description = "Only this agent's buckets.")
        String agent;

        @Option(names = "--json", description = "Print the daemon's answer as JSON"
                + " (docs/schemas/quota-show.schema.json).")
        boolean json;

        @Override
        protected boolean jsonOutput() {
            return json;
        }

        @Override
        protected int run() throws Failure {
            String path = "/v1/quotas";
            if (agent != null) {
                if (!AgentIds.isValid(agent)) {
                    throw usage("--agent: " + AgentVerb.quote(agent) + " (expected: " + AgentIds.EXPECTED + ")");
                }
                path += "?agent=" + TextOutput.encode(agent);
            }
            JsonNode r = get(path);
            if (json) {
                printJson(r);
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(HEADER);
            for (JsonNode b : r.path("buckets")) {
                rows.add(List.of(b.path("agent_id").asText(), b.path("policy").asText(), b.path("rule").asText(),
                        TextOutput.orDash(b, "destination"), limit(b), b.path("mode").asText(),
                        b.path("remaining").asInt() + "/" + b.path("burst").asInt(),
                        Long.toString(b.path("admitted").asLong()), Long.toString(b.path("over_limit").asLong()),
                        TextOutput.age(b.path("idle_ms").asLong()) + " ago"));
            }
            if (rows.size() > 1) {
                TextOutput.printTable(out(), rows);
            }
            JsonNode t = r.path("totals");
            long n = r.path("total").asLong();
            out().println(n + (n == 1 ? " bucket" : " buckets") + "; since start: " + t.path("admitted").asLong()
                    + " admitted, " + t.path("limited").asLong() + " limited, " + t.path("would_limit").asLong()
                    + " would_limit (alert_only), " + t.path("cap_rejected").asLong() + " at the bucket cap");
            return ExitCodes.OK;
        }

        /** {@code 5/s}, {@code 100/min} or {@code 5/s+100/min}. */
        private static String limit(JsonNode b) {
            String rps = b.path("rps").isNull() ? null : b.path("rps").asInt() + "/s";
            String rpm = b.path("rpm").isNull() ? null : b.path("rpm").asInt() + "/min";
            return rps == null ? rpm : rpm == null ? rps : rps + "+" + rpm;
        }
    }
}
