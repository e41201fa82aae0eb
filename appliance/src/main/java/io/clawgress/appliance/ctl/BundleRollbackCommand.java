package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code clawgressctl bundle rollback}: makes a stored generation active again ({@code POST /v1/bundles/rollback}).
 * The stored bytes are verified again, with the trusted keys and the clock of now, like any other bundle.
 */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = {"Make a stored generation the active policy again: --to REVISION, or by default the previous"
                + " one (the highest stored revision below the active one). Its signature, the trusted keys and its"
                + " validity window are checked again: an expired or no longer trusted generation is refused. Needs"
                + " root or the admin group. bundle history lists the stored generations."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:rolled back (or that revision is active already)",
                "1:refused: nothing to roll back to, no such stored revision, or it no longer verifies (expired,"
                        + " unknown_kid ...)",
                "2:bad arguments", "69:the daemon cannot be reached",
                "77:not allowed (changes need root or the admin group)"})
final class BundleRollbackCommand extends ApiVerb {

    @Option(names = "--to", paramLabel = "REVISION", description = "The stored revision to activate (default: the"
            + " previous generation).")
    Long to;

    @Option(names = "--json", description = "Print the daemon's answer as JSON"
            + " (docs/schemas/bundle-rollback.schema.json).")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        ObjectNode body = null;
        if (to != null) {
            if (to < 1) {
                throw usage("--to " + to + " (expected: a revision >= 1)");
            }
            body = Json.object();
            body.put("revision", to.longValue());
        }
        JsonNode r = send("POST", "/v1/bundles/rollback", body);
        if (json) {
            printJson(r);
            return ExitCodes.OK;
        }
        out().println(BundlePushCommand.describe(r));
        return ExitCodes.OK;
    }
}
