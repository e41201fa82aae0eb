package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An {@code agent} verb: works on the registry in {@code --state-dir} directly (offline: no daemon needed; the
 * daemon notices the change by polling the registry's generation). Exit codes: 0 done, 1 not found or already
 * exists (or the registry cannot be used), 2 bad arguments, 78 an invalid id or text.
 */
abstract class AgentVerb extends CtlCommand {

    static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/clawgress");

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "The gateway's state_dir, which holds agents.lmdb (default: ${DEFAULT-VALUE}).")
    Path stateDir = DEFAULT_STATE_DIR;

    protected Path registryDir() {
        return AgentRegistry.directoryIn(stateDir);
    }

    /**
     * Opens the registry. Without {@code create}, a state dir without a registry yet is answered with null (no
     * agents) rather than creating one as a side effect of a read.
     */
    protected AgentRegistry open(boolean create) throws Failure {
        if (!Files.isDirectory(stateDir)) {
            throw new Failure(ExitCodes.FAILURE, stateDir + ": no such directory (expected: the gateway's state_dir;"
                    + " --state-dir DIR names another)");
        }
        if (!create && !Files.exists(registryDir())) {
            return null;
        }
        try {
            return AgentRegistry.open(registryDir(), clock());
        } catch (AgentRegistryException e) {
            throw failure(e);
        }
    }

    /** A registry failure: not found and already exists are answers; anything else is trouble, with a hint. */
    protected Failure failure(AgentRegistryException e) {
        String hint = switch (e.reason()) {
            case NOT_FOUND, ALREADY_EXISTS, CLOSED -> "";
            case IO -> Files.isWritable(Files.exists(registryDir()) ? registryDir() : stateDir) ? ""
                    : " (run as root or as the gateway's user)";
            case MAP_FULL -> " (the registry is full)";
            case CORRUPT -> " (restore " + registryDir() + " from a backup)";
        };
        return new Failure(ExitCodes.FAILURE, registryDir() + ": " + e.getMessage() + hint);
    }

    /** Checks an agent id argument: an invalid one is invalid input (78), with what is allowed. */
    protected static String requireId(String what, String value) throws Failure {
        if (!AgentIds.isValid(value)) {
            throw new Failure(ExitCodes.CONFIG, what + " " + quote(value) + " (expected: " + AgentIds.EXPECTED + ")");
        }
        return value;
    }

    /** Checks a note or reason option: invalid text is invalid input (78), with what is allowed. */
    protected static void requireText(String option, String value) throws Failure {
        try {
            AgentRecord.requireText(option, value);
        } catch (IllegalArgumentException e) {
            throw new Failure(ExitCodes.CONFIG, e.getMessage());
        }
    }

    /** {@code 'value'} with control characters escaped, so an error message cannot drive the terminal. */
    static String quote(String value) {
        StringBuilder b = new StringBuilder("'");
        value.chars().limit(200).forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.append((char) c);
            }
        });
        return b.append(value.length() > 200 ? "'..." : "'").toString();
    }

    static String orDash(String value) {
        return value == null ? "-" : value;
    }
}
