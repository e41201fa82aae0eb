package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code clawgressctl bundle push}: hands a signed bundle to the running daemon ({@code POST /v1/bundles}), which
 * activates it exactly as a bundle from its file, drop directory or URL: verified with its trusted keys, newer than
 * the active revision, compiled, committed, swapped.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = {"Activate a signed bundle on the running daemon now. It is checked as any bundle source's"
                + " would be (signature by a trusted key, validity window, a revision newer than the active one,"
                + " the policy compiles); a refusal leaves the active policy as it was and says why. Needs root or"
                + " the admin group."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:activated, or these bytes are active already",
                "1:refused (the reason code says why: revision_not_newer, bad_signature, expired, policy_invalid,"
                        + " too_large ...), or FILE cannot be read",
                "2:bad arguments", "69:the daemon cannot be reached",
                "77:not allowed (changes need root or the admin group)"})
final class BundlePushCommand extends ApiVerb {

    /** Larger than any {@code policy.max_bundle_size} a gateway accepts (1 GiB): refused before reading it. */
    static final long MAX_FILE_BYTES = 1024L * 1024 * 1024;

    @Parameters(index = "0", paramLabel = "FILE", description = "The signed bundle (.tar.gz), as bundle build wrote"
            + " it.")
    Path file;

    @Option(names = "--json", description = "Print the daemon's answer as JSON"
            + " (docs/schemas/bundle-push.schema.json).")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        byte[] bytes = read(file);
        JsonNode r = json(request("POST", "/v1/bundles", "application/gzip", bytes));
        if (json) {
            printJson(r);
            return ExitCodes.OK;
        }
        out().println(describe(r) + " (sha256 " + r.path("sha256").asText() + ")");
        return ExitCodes.OK;
    }

    static byte[] read(Path file) throws Failure {
        try {
            if (!Files.isRegularFile(file)) {
                throw new Failure(ExitCodes.FAILURE, file + ": no such bundle file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new Failure(ExitCodes.FAILURE, file + ": " + size + " bytes (expected: at most "
                        + MAX_FILE_BYTES + "; a gateway refuses more than its policy.max_bundle_size)");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, file + ": cannot read: " + OutputFiles.why(e));
        }
    }

    /** One line for an activation result: {@code activated revision 2 (kid ops-1) from push:uid=0}. */
    static String describe(JsonNode r) {
        String outcome = r.path("outcome").asText();
        long revision = r.path("revision").asLong();
        String kid = TextOutput.orDash(r, "kid");
        String what = switch (outcome) {
            case "unchanged" -> "unchanged: revision " + revision + " is active already";
            case "rolled_back" -> "rolled back to revision " + revision;
            default -> outcome + " revision " + revision;
        };
        return what + " (kid " + kid + ") from " + r.path("source").asText();
    }
}
