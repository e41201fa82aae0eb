package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A {@code clawgressctl} verb that asks the running daemon through its admin socket (docs/admin-api.md). Exit codes:
 * 69 the daemon cannot be reached, 77 not allowed (socket permissions or the API's 403), 1 the API refused the call
 * (its message is printed), 0 done.
 */
abstract class ApiVerb extends CtlCommand {

    static final Path DEFAULT_SOCKET = io.clawgress.appliance.config.AdminSettings.DEFAULT_SOCKET;
    static final String SOCKET_ENV = "CLAWGRESS_ADMIN_SOCKET";
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Option(names = "--socket", paramLabel = "PATH", description = "The daemon's admin socket (default: $"
            + SOCKET_ENV + ", else /run/clawgress/admin.sock).")
    Path socket;

    protected Path socketPath() {
        if (socket != null) {
            return socket;
        }
        String env = System.getenv(SOCKET_ENV);
        return env != null && !env.isBlank() ? Path.of(env) : DEFAULT_SOCKET;
    }

    /** GET a JSON document; any non-2xx answer is a {@link Failure}. */
    protected JsonNode get(String path) throws Failure {
        return json(request("GET", path, null, null));
    }

    /** Sends a JSON body (or none when {@code body} is null); any non-2xx answer is a {@link Failure}. */
    protected JsonNode send(String method, String path, com.fasterxml.jackson.databind.node.ObjectNode body) throws Failure {
        byte[] bytes = body == null ? null : Json.write(body).getBytes(StandardCharsets.UTF_8);
        return json(request(method, path, "application/json", bytes));
    }

    /** The raw exchange: connection problems become failures with exit 69/77; the status is left to the caller. */
    protected AdminClient.Response request(String method, String path, String contentType, byte[] body)
            throws Failure {
        Path s = socketPath();
        try {
            return new AdminClient(s, TIMEOUT).send(method, path, contentType, body);
        } catch (NoSuchFileException e) {
            throw unreachable(s, "no such socket");
        } catch (AccessDeniedException e) {
            throw denied(s);
        } catch (ConnectException e) {
            throw unreachable(s, "nothing is listening (" + e.getMessage() + ")");
        } catch (SocketException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("Permission denied")) {
                throw denied(s);
            }
            if (m.contains("No such file")) {
                throw unreachable(s, "no such socket");
            }
            throw unreachable(s, m);
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, spec.qualifiedName(" ") + ": " + s + ": " + e.getMessage());
        }
    }

    /** Prints a JSON answer as it came, indented (for {@code --json}). */
    protected void printJson(JsonNode node) {
        try {
            out().println(Json.MAPPER.writeValueAsString(node));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("serialising a JSON tree", e);
        }
    }

    /** The body of a 2xx JSON answer; an error answer becomes a failure with the API's message. */
    protected JsonNode json(AdminClient.Response r) throws Failure {
        if (r.status() >= 200 && r.status() < 300) {
            try {
                return Json.MAPPER.readTree(r.body());
            } catch (IOException e) {
                throw new Failure(ExitCodes.FAILURE, "the daemon answered " + r.status() + " with invalid JSON: "
                        + e.getMessage());
            }
        }
        throw apiFailure(r);
    }

    /** An error answer as a failure: 403 exits 77, anything else 1, with the API's own message. */
    protected Failure apiFailure(AdminClient.Response r) {
        String message = r.text().strip();
        String code = null;
        try {
            JsonNode error = Json.MAPPER.readTree(r.body()).path("error");
            if (error.hasNonNull("message")) {
                message = error.get("message").asText();
                code = error.path("code").asText(null);
            }
        } catch (IOException e) {
            // not JSON (a proxy or an aggregator limit): print the text as it is
        }
        String prefix = spec.qualifiedName(" ") + ": ";
        if (r.status() == 403) {
            return new Failure(ExitCodes.NOPERM, prefix + "not allowed: " + message);
        }
        return new Failure(ExitCodes.FAILURE, prefix + message + (code == null ? "" : " (" + code + ", HTTP "
                + r.status() + ")"));
    }

    private Failure unreachable(Path s, String why) {
        return new Failure(ExitCodes.UNAVAILABLE, spec.qualifiedName(" ") + ": cannot reach clawgressd at " + s
                + ": " + why + " (is it running? systemctl status clawgress; --socket names another socket)");
    }

    private Failure denied(Path s) {
        String group = "";
        try {
            group = " (group " + Files.getAttribute(s, "posix:group") + ")";
        } catch (IOException | UnsupportedOperationException e) {
            // the group is only a hint
        }
        return new Failure(ExitCodes.NOPERM, spec.qualifiedName(" ") + ": permission denied on " + s + group
                + ": readers need the socket's group, changes need root or the clawgress-admin group");
    }
}
