package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The top-level command line: only the verb being run is built, and nothing is lost by that. */
class ClawgressctlCommandTest {

    private static final String[] VERBS = {"bundle", "policy", "agent", "ca", "audit", "status", "metrics", "flows",
            "quota"};

    @Test
    void withoutArgumentsEveryVerbIsThereInHelpOrder() {
        CommandLine cl = ClawgressctlCommand.commandLine(new ClawgressctlCommand());
        assertThat(cl.getSubcommands().keySet()).containsExactly(VERBS);
    }

    @Test
    void aVerbBuildsOnlyItsOwnSubtreeWithAllOfItsSubcommands() {
        CommandLine full = ClawgressctlCommand.commandLine(new ClawgressctlCommand());
        for (String verb : VERBS) {
            CommandLine cl = ClawgressctlCommand.commandLine(new ClawgressctlCommand(), verb, "--help");
            assertThat(cl.getSubcommands().keySet()).as(verb).containsExactly(verb);
            assertThat(cl.getSubcommands().get(verb).getSubcommands().keySet()).as(verb + "'s subcommands")
                    .containsExactlyElementsOf(full.getSubcommands().get(verb).getSubcommands().keySet());
        }
    }

    @Test
    void optionsAndMistypedVerbsGetTheWholeTreeSoHelpAndSuggestionsStayComplete() {
        assertThat(ClawgressctlCommand.commandLine(new ClawgressctlCommand(), "--help").getSubcommands())
                .hasSize(VERBS.length);
        CommandLine cl = ClawgressctlCommand.commandLine(new ClawgressctlCommand(), "stauts");
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertThat(cl.execute("stauts")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("Did you mean: clawgressctl status");
    }
}
