package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.policy.PolicyDiff;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code clawgressctl policy diff}: what changes in effect between two policies; exits like diff(1). */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Show what changes in effect from OLD to NEW (directories or bundles): policies, rules,"
                + " destinations and subnet bindings added (+), removed (-) or changed (~). Formatting, file layout"
                + " and order are no difference."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:no difference", "1:they differ", "2:bad arguments",
                "78:a policy is invalid, or a bundle or key set cannot be used"})
final class PolicyDiffCommand extends PolicyVerb {

    /** The inputs differ (diff(1)'s convention). */
    static final int DIFFERENT = 1;

    @Parameters(index = "0", paramLabel = "OLD", description = "The old policy: a directory or a signed bundle.")
    Path oldInput;

    @Parameters(index = "1", paramLabel = "NEW", description = "The new policy: a directory or a signed bundle.")
    Path newInput;

    @Option(names = "--json", description = "Print the differences as JSON.")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        requireKeysForBundles(List.of(oldInput, newInput));
        PolicyInput.Loaded before = load(oldInput);
        PolicyInput.Loaded after = load(newInput);
        PolicyDiff diff = PolicyDiff.between(before.set(), after.set());
        if (json) {
            ObjectNode o = Json.diff(diff);
            o.put("old", before.label());
            o.put("old_revision", before.revision());
            o.put("new", after.label());
            o.put("new_revision", after.revision());
            out().println(Json.write(o));
        } else {
            out().println("--- " + before.label() + " (revision " + before.revision() + ")");
            out().println("+++ " + after.label() + " (revision " + after.revision() + ")");
            for (String line : diff.lines()) {
                out().println(line);
            }
        }
        return diff.isEmpty() ? ExitCodes.OK : DIFFERENT;
    }
}
