package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.daemon.ClawgressdCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every verb documents its exit codes ({@code --help}, the man page), with codes {@link ExitCodes} defines; verbs
 * that ask the daemon document 69 and 77; docs/clawgressctl.md's "Exit codes" table has every code a verb uses.
 */
class ExitCodeListsTest {

    private static final Pattern KEY = Pattern.compile("\\s*([0-9]{1,3})\\s*");

    @Test
    void everyVerbListsItsExitCodes() {
        List<String> problems = new ArrayList<>();
        for (CommandSpec c : JsonSchemasTest.commands(ClawgressctlCommand.commandLine(new ClawgressctlCommand()).getCommandSpec())) {
            String path = c.qualifiedName(" ");
            Set<Integer> codes = codes(c, problems);
            if (!c.subcommands().isEmpty()) {
                continue; // a group: prints its usage (exit 2) unless a verb is named
            }
            if (!"Exit codes:%n".equals(c.usageMessage().exitCodeListHeading())) {
                problems.add(path + ": exitCodeListHeading " + c.usageMessage().exitCodeListHeading()
                        + " (expected: \"Exit codes:%n\")");
            }
            if (!codes.contains(ExitCodes.OK) || !codes.contains(ExitCodes.USAGE)) {
                problems.add(path + ": exitCodeList " + codes + " (expected: at least 0 and 2)");
            }
            if (c.userObject() instanceof ApiVerb
                    && !(codes.contains(ExitCodes.UNAVAILABLE) && codes.contains(ExitCodes.NOPERM))) {
                problems.add(path + ": asks the daemon, but exitCodeList " + codes + " lacks 69 (cannot reach it) or"
                        + " 77 (not allowed)");
            }
        }
        PrintWriter none = new PrintWriter(Writer.nullWriter());
        CommandSpec daemon = new CommandLine(new ClawgressdCommand(none, none, new CountDownLatch(1)))
                .getCommandSpec();
        assertThat(codes(daemon, problems)).contains(ExitCodes.OK, ExitCodes.FAILURE, ExitCodes.USAGE,
                ExitCodes.CONFIG);
        assertThat(problems).isEmpty();
    }

    @Test
    void theDocumentedTableHasEveryCode() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "clawgressctl.md"), StandardCharsets.UTF_8);
        int start = doc.indexOf("\n## Exit codes\n");
        assertThat(start).as("docs/clawgressctl.md has a '## Exit codes' section").isNotNegative();
        int end = doc.indexOf("\n## ", start + 1);
        String section = doc.substring(start, end < 0 ? doc.length() : end);
        Set<Integer> documented = new TreeSet<>();
        Matcher row = Pattern.compile("(?m)^\\| ([0-9]{1,3}) \\|").matcher(section);
        while (row.find()) {
            documented.add(Integer.parseInt(row.group(1)));
        }
        Set<Integer> used = new TreeSet<>(List.of(ExitCodes.OK, ExitCodes.FAILURE, ExitCodes.USAGE,
                ExitCodes.UNAVAILABLE, ExitCodes.NOPERM, ExitCodes.CONFIG));
        List<String> problems = new ArrayList<>();
        for (CommandSpec c : JsonSchemasTest.commands(ClawgressctlCommand.commandLine(new ClawgressctlCommand()).getCommandSpec())) {
            used.addAll(codes(c, problems));
        }
        assertThat(problems).isEmpty();
        assertThat(documented).containsExactlyElementsOf(used);
        for (int code : used) {
            assertThat(ExitCodes.describe(code)).as("ExitCodes.describe(%d)", code).isNotBlank();
        }
    }

    /** The codes {@code c} lists; a key that is not a number ExitCodes defines is a problem. */
    private static Set<Integer> codes(CommandSpec c, List<String> problems) {
        Set<Integer> out = new TreeSet<>();
        for (String key : c.usageMessage().exitCodeList().keySet()) {
            Matcher m = KEY.matcher(key);
            if (!m.matches()) {
                problems.add(c.qualifiedName(" ") + ": exit code '" + key + "' is not a number");
                continue;
            }
            int code = Integer.parseInt(m.group(1));
            if (ExitCodes.describe(code) == null) {
                problems.add(c.qualifiedName(" ") + ": exit code " + code + " is not one of ExitCodes");
            }
            out.add(code);
        }
        return out;
    }
}
