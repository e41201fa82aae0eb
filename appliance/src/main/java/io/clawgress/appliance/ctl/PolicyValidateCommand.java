package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code clawgressctl policy validate}: parse and compile, and print every error as FILE:LINE:COLUMN. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Parse and compile the policy in a directory or a bundle; print every error as"
                + " FILE:LINE:COLUMN: KEY: what was found (expected: what is allowed)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the policy is valid", "2:bad arguments",
                "78:the policy is invalid, or the bundle or key set cannot be used"})
final class PolicyValidateCommand extends PolicyVerb {

    @Parameters(index = "0", paramLabel = "DIR|BUNDLE", description = "A policy directory or a signed bundle.")
    Path input;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    protected int run() throws Failure {
        PolicyInput.Loaded loaded;
        try {
            loaded = load(input);
        } catch (Failure f) {
            if (!json) {
                throw f;
            }
            ObjectNode o = Json.object();
            o.put("valid", false);
            o.put("input", input.toString());
            o.set("errors", Json.errors(f));
            out().println(Json.write(o));
            return f.exitCode();
        }
        PolicyInput.Counts counts = PolicyInput.Counts.of(loaded.set());
        if (json) {
            ObjectNode o = Json.object();
            o.put("valid", true);
            o.put("input", loaded.label());
            o.put("revision", loaded.revision());
            o.set("policy", counts.json());
            out().println(Json.write(o));
        } else {
            out().println("policy OK: " + loaded.label() + " (revision " + loaded.revision() + "): " + counts);
        }
        return ExitCodes.OK;
    }
}
