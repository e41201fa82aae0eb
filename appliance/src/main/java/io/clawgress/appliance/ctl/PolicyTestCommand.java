package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.policy.Explanation;
import io.clawgress.enforcement.policy.scenario.Mismatch;
import io.clawgress.enforcement.policy.scenario.Scenario;
import io.clawgress.enforcement.policy.scenario.ScenarioException;
import io.clawgress.enforcement.policy.scenario.ScenarioParser;
import io.clawgress.enforcement.policy.scenario.ScenarioResult;
import io.clawgress.enforcement.policy.scenario.ScenarioRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code clawgressctl policy test}: run named scenarios against a policy; one line per scenario, then a summary. */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = {"Run the scenarios in a scenarios file against the policy in a directory or a bundle"
                + " (docs/clawgressctl.md#scenarios). A failure shows what differs and the decision ladder."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:every scenario passed", "1:a scenario failed", "2:bad arguments",
                "78:the scenarios file or the policy is invalid, or the bundle or key set cannot be used"})
final class PolicyTestCommand extends PolicyVerb {

    /** A failed scenario (like a failed test run). */
    static final int FAILED = ExitCodes.FAILURE;

    @Parameters(index = "0", paramLabel = "DIR|BUNDLE", description = "A policy directory or a signed bundle.")
    Path input;

    @Option(names = "--scenarios", required = true, paramLabel = "FILE", description = "The scenarios file (YAML).")
    Path scenariosFile;

    @Option(names = {"-v", "--verbose"}, description = "Print the decision ladder of passing scenarios too.")
    boolean verbose;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        requireKeysForBundles(List.of(input));
        List<Scenario> scenarios;
        try {
            scenarios = ScenarioParser.parseFile(scenariosFile);
        } catch (ScenarioException e) {
            throw new Failure(ExitCodes.CONFIG, e.getMessage(), e.errors());
        }
        PolicyInput.Loaded loaded = load(input);
        List<ScenarioResult> results = ScenarioRunner.run(loaded.snapshot(), scenarios);
        long failed = results.stream().filter(r -> !r.passed()).count();
        if (json) {
            printJson(loaded, results, failed);
        } else {
            printText(results, failed);
        }
        return failed == 0 ? ExitCodes.OK : FAILED;
    }

    private void printText(List<ScenarioResult> results, long failed) {
        for (ScenarioResult r : results) {
            Scenario s = r.scenario();
            if (r.passed()) {
                out().println("PASS  " + s.name());
                if (verbose) {
                    ladder(r.explanation());
                }
                continue;
            }
            out().println("FAIL  " + s.name() + "  (" + s.where() + ")");
            for (Mismatch m : r.mismatches()) {
                out().println("        " + m);
            }
            out().println("      ladder:");
            ladder(r.explanation());
        }
        out().println(results.size() + (results.size() == 1 ? " scenario: " : " scenarios: ")
                + (results.size() - failed) + " passed, " + failed + " failed");
    }

    private void ladder(Explanation e) {
        for (String line : e.lines(false)) {
            out().println("        " + line);
        }
    }

    private void printJson(PolicyInput.Loaded loaded, List<ScenarioResult> results, long failed) {
        ObjectNode o = Json.object();
        o.put("input", loaded.label());
        o.put("revision", loaded.revision());
        o.put("scenarios_file", scenariosFile.toString());
        o.put("passed", results.size() - failed);
        o.put("failed", failed);
        ArrayNode list = o.putArray("scenarios");
        for (ScenarioResult r : results) {
            ObjectNode x = list.addObject();
            x.put("name", r.scenario().name());
            x.put("file", r.scenario().file());
            x.put("line", r.scenario().line());
            x.put("passed", r.passed());
            ArrayNode mismatches = x.putArray("mismatches");
            for (Mismatch m : r.mismatches()) {
                ObjectNode y = mismatches.addObject();
                y.put("field", m.field());
                y.put("expected", m.expected());
                y.put("actual", m.actual());
                y.put("note", m.note());
            }
            x.set("decision", Json.decision(r.explanation().decision()));
            x.set("explanation", r.passed() && !verbose ? null : Json.explanation(r.explanation()));
        }
        out().println(Json.write(o));
    }
}
