package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.admin.BundlesApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code clawgressctl bundle history}: the active policy, the generations the daemon's store keeps (what
 * {@code bundle rollback} can return to), the last activation result and the recent activation history
 * ({@code GET /v1/bundles}).
 */
@Command(name = "history", mixinStandardHelpOptions = true,
        description = {"Show the active policy, the stored bundle generations (newest activation first; what bundle"
                + " rollback can return to), the last activation result and the recent activations, rejections"
                + " included."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:shown", "1:the daemon answered with an error (its policy store cannot be read)",
                "2:bad arguments", "69:the daemon cannot be reached",
                "77:not allowed (the socket's group is needed to read)"})
final class BundleHistoryCommand extends ApiVerb {

    private static final List<String> GENERATIONS = List.of("REVISION", "ACTIVE", "ACTIVATED_AT", "KID", "SOURCE",
            "SHA256", "SIZE");
    private static final List<String> ACTIVATIONS = List.of("AT", "RESULT", "REVISION", "SOURCE", "REASON");

    @Option(names = "--limit", paramLabel = "N", description = "At most N recent activations (default: "
            + BundlesApi.DEFAULT_LIMIT + ", at most " + BundlesApi.MAX_LIMIT + ").")
    int limit = BundlesApi.DEFAULT_LIMIT;

    @Option(names = "--json", description = "Print the daemon's answer as JSON"
            + " (docs/schemas/bundle-history.schema.json).")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        if (limit < 0 || limit > BundlesApi.MAX_LIMIT) {
            throw usage("--limit: " + limit + " (expected: 0.." + BundlesApi.MAX_LIMIT + ")");
        }
        JsonNode r = get("/v1/bundles?limit=" + limit);
        if (json) {
            printJson(r);
            return ExitCodes.OK;
        }
        JsonNode a = r.path("active");
        out().println("active: " + (a.path("signed").asBoolean()
                ? "revision " + a.path("revision").asLong() + " (kid " + TextOutput.orDash(a, "kid") + ") from "
                        + a.path("source").asText() + ", activated " + a.path("activated_at").asText() + ", expires "
                        + TextOutput.orDash(a, "expires")
                : a.path("source").asText() + " (policy revision " + a.path("policy_revision").asText() + ")"));
        if (!r.path("signed_bundles").asBoolean()) {
            out().println("this gateway activates no signed bundles (policy.trusted_keys is not set)");
            return ExitCodes.OK;
        }
        JsonNode last = r.path("last_result");
        out().println("last activation: " + (last.isNull() || last.isMissingNode() ? "none"
                : last.path("outcome").asText().equals("rejected") ? "rejected: " + last.path("reason_code").asText()
                        + " from " + last.path("source").asText() + firstLine(last.path("message"))
                        : BundlePushCommand.describe(last)));
        out().println();
        List<List<String>> rows = new ArrayList<>();
        rows.add(GENERATIONS);
        for (JsonNode g : r.path("generations")) {
            rows.add(List.of(g.path("revision").asText(), g.path("active").asBoolean() ? "*" : "",
                    g.path("activated_at").asText(), g.path("kid").asText(), g.path("source").asText(),
                    g.path("sha256").asText().substring(0, 12), TextOutput.bytes(g.path("bytes").asLong())));
        }
        if (rows.size() > 1) {
            TextOutput.printTable(out(), rows);
        } else {
            out().println("no stored generations");
        }
        if (r.path("activations").isEmpty()) {
            return ExitCodes.OK;
        }
        out().println();
        rows = new ArrayList<>();
        rows.add(ACTIVATIONS);
        for (JsonNode h : r.path("activations")) {
            long rev = h.path("revision").asLong();
            rows.add(List.of(h.path("at").asText(), h.path("result").asText(), rev > 0 ? Long.toString(rev) : "-",
                    h.path("source").asText(), TextOutput.orDash(h, "reason_code")));
        }
        TextOutput.printTable(out(), rows);
        return ExitCodes.OK;
    }

    private static String firstLine(JsonNode message) {
        if (message.isNull() || message.isMissingNode()) {
            return "";
        }
        String m = message.asText();
        int nl = m.indexOf('\n');
        return ": " + (nl < 0 ? m : m.substring(0, nl));
    }
}
