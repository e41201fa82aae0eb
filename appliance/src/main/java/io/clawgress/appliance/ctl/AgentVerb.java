package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.agents.AgentInput;
import io.clawgress.appliance.agents.AgentJson;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An {@code agent} verb. By default it asks the running daemon through its admin socket (docs/admin-api.md#agents),
 * which audits every change with the caller's uid. With {@code --state-dir DIR} it works on the registry in DIR
 * directly instead (offline: for maintenance while the daemon is stopped; such changes are not in the audit log; a
 * running daemon still notices them by polling the registry's generation). Human and {@code --json} output are the
 * same either way. Exit codes: 0 done, 1 not found or already exists (or the registry cannot be used), 2 bad
 * arguments, 69 the daemon cannot be reached, 77 not allowed, 78 an invalid id or text.
 */
abstract class AgentVerb extends ApiVerb {

    /** The packaged state_dir (other verbs' default; the agent verbs need it named: it selects offline mode). */
    static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/clawgress");

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Offline: work on the registry in DIR/agents.lmdb directly instead of asking the daemon,"
                    + " for maintenance while the daemon is stopped; such changes are not in the audit log. Run it"
                    + " as root or the gateway's user.")
    Path stateDir;

    /**
     * Whether {@code --state-dir} selects offline mode; giving it together with {@code --socket} is a usage error
     * (the two name different places to work on).
     */
    protected boolean offline() {
        if (stateDir != null && socket != null) {
            throw usage("--state-dir (offline) and --socket (online) exclude each other");
        }
        return stateDir != null;
    }

    protected Path registryDir() {
        return AgentRegistry.directoryIn(stateDir);
    }

    /**
     * Opens the registry (offline). Without {@code create}, a state dir without a registry yet is answered with null
     * (no agents) rather than creating one as a side effect of a read.
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

    /** The path of an agent's API resource: ids are URL-safe path segments (RFC 3986 §3.3 pchar). */
    protected static String agentPath(String agentId, String suffix) {
        return "/v1/agents/" + agentId + suffix;
    }

    /** An agent of the daemon's answer (online); an answer that is not one is a failure, not a stack trace. */
    protected AgentRecord agentOf(JsonNode answer) throws Failure {
        try {
            return AgentJson.record(answer.get("agent"));
        } catch (IllegalArgumentException e) {
            throw unexpected(e);
        }
    }

    /** The daemon answered something that is not the documented shape. */
    protected Failure unexpected(IllegalArgumentException e) {
        return new Failure(ExitCodes.FAILURE, spec.qualifiedName(" ") + ": unexpected answer from the daemon: "
                + e.getMessage());
    }

    /** An answer that must be a JSON object ({@link Json#write} prints objects). */
    protected ObjectNode object(JsonNode answer) throws Failure {
        if (answer instanceof ObjectNode o) {
            return o;
        }
        throw unexpected(new IllegalArgumentException(answer.getNodeType() + " (expected: a JSON object)"));
    }

    /** A long from the daemon's answer. */
    protected long number(JsonNode answer, String key) throws Failure {
        JsonNode v = answer.get(key);
        if (v == null || !v.canConvertToLong()) {
            throw unexpected(new IllegalArgumentException(key + ": " + v + " (expected: an integer)"));
        }
        return v.longValue();
    }

    /** A string from the daemon's answer. */
    protected String text(JsonNode answer, String key) throws Failure {
        JsonNode v = answer.get(key);
        if (v == null || !v.isTextual()) {
            throw unexpected(new IllegalArgumentException(key + ": " + v + " (expected: a string)"));
        }
        return v.textValue();
    }

    /** Checks an agent id argument: an invalid one is invalid input (78), with what is allowed. */
    protected static String requireId(String what, String value) throws Failure {
        try {
            return AgentInput.requireId(what, value);
        } catch (IllegalArgumentException e) {
            throw new Failure(ExitCodes.CONFIG, e.getMessage());
        }
    }

    /** Checks a note or reason option: invalid text is invalid input (78), with what is allowed. */
    protected static void requireText(String option, String value) throws Failure {
        try {
            AgentInput.requireText(option, value);
        } catch (IllegalArgumentException e) {
            throw new Failure(ExitCodes.CONFIG, e.getMessage());
        }
    }

    /** {@code 'value'} with control characters escaped, so an error message cannot drive the terminal. */
    static String quote(String value) {
        return AgentInput.quote(value);
    }

    static String orDash(String value) {
        return value == null ? "-" : value;
    }
}
