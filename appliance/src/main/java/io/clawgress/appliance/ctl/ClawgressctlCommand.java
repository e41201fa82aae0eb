package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * {@code clawgressctl}: the operator's CLI. The offline verbs ({@code bundle keygen|build|verify},
 * {@code policy validate|test|explain|diff}) need no daemon; see docs/clawgressctl.md.
 */
@Command(name = "clawgressctl", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Operate a Clawgress gateway.")
public final class ClawgressctlCommand implements Callable<Integer> {

    /**
     * The verbs, in the order help lists them. Not in {@code @Command(subcommands=...)}: picocli builds every
     * subcommand's model (reflection over ~50 classes and their options) before it parses anything, which was a third
     * of {@code clawgressctl status}'s start-up. {@link #commandLine} registers only the verb being run.
     */
    private static final Map<String, Class<?>> VERBS = verbs();

    private static Map<String, Class<?>> verbs() {
        Map<String, Class<?>> v = new LinkedHashMap<>();
        v.put("bundle", BundleCommand.class);
        v.put("policy", PolicyCommand.class);
        v.put("agent", AgentCommand.class);
        v.put("ca", CaCommand.class);
        v.put("audit", AuditCommand.class);
        v.put("status", StatusCommand.class);
        v.put("metrics", MetricsCommand.class);
        v.put("flows", FlowsCommand.class);
        v.put("quota", QuotaCommand.class);
        return Collections.unmodifiableMap(v);
    }

    /**
     * The command line for {@code args}: when the first argument names a verb, only that verb's subtree is built (it
     * is all picocli will look at); otherwise (no verb, an option such as {@code --help}, a mistyped verb) every verb,
     * so help lists them all and a mistake gets picocli's suggestions. The help, man page and completion generators
     * pass no arguments and get the whole tree.
     */
    public static CommandLine commandLine(ClawgressctlCommand top, String... args) {
        CommandLine cl = new CommandLine(top);
        Class<?> only = args.length == 0 ? null : VERBS.get(args[0]);
        if (only != null) {
            cl.addSubcommand(args[0], only);
        } else {
            VERBS.forEach(cl::addSubcommand);
        }
        return cl;
    }

    @Spec
    CommandSpec spec;

    private final Clock clock;

    public ClawgressctlCommand() {
        this(Clock.systemUTC());
    }

    /** @param clock what "now" is for bundle validity windows and build times (fixed in tests) */
    public ClawgressctlCommand(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    Clock clock() {
        return clock;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
