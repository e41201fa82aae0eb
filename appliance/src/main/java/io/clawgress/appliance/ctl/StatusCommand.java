package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code clawgressctl status}: the running daemon at a glance (GET /v1/status). */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the running daemon: version, uptime, transport, listeners, the active policy revision"
                + " and its source, the last activation, the bundle URL's health, the audit queue and drops, open"
                + " connections and the last reload."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:shown", "1:the daemon answered with an error", "2:bad arguments",
                "69:the daemon cannot be reached (not running, or no admin socket)",
                "77:not allowed (the socket's group is needed to read)"})
final class StatusCommand extends ApiVerb {

    @Option(names = "--json", description = "Print the daemon's answer as JSON (docs/schemas/status.schema.json).")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        JsonNode s = get("/v1/status");
        if (json) {
            printJson(s);
            return ExitCodes.OK;
        }
        out().printf("clawgressd %s (pid %d), up %s, transport %s%n", s.path("version").asText(),
                s.path("pid").asLong(), uptime(s.path("uptime_seconds").asLong()), s.path("transport").asText());
        JsonNode l = s.path("listeners");
        out().printf("listeners:   proxy %s, admin %s, metrics %s%n", l.path("proxy").asText(),
                l.path("admin").asText(), l.path("metrics").isNull() ? "off" : l.path("metrics").asText());
        JsonNode p = s.path("policy");
        out().printf("policy:      revision %s%s, from %s%s%n", p.path("revision").asText(),
                p.path("kid").isNull() ? "" : " (kid " + p.path("kid").asText() + ")", TextOutput.orDash(p, "source"),
                p.path("expires").isNull() ? "" : ", expires " + p.path("expires").asText());
        JsonNode a = s.path("last_activation");
        if (!a.isNull() && !a.isMissingNode()) {
            out().printf("activation:  %s%s from %s%s%n", a.path("outcome").asText(),
                    a.path("revision").asLong() > 0 ? " revision " + a.path("revision").asLong() : "",
                    a.path("source").asText(), a.path("reason_code").isNull() ? ""
                            : ": " + a.path("reason_code").asText());
        }
        JsonNode u = s.path("bundle_url");
        if (u.isNull() || u.isMissingNode()) {
            out().println("bundle url:  none configured");
        } else {
            out().printf("bundle url:  %s %s, last success %s, %d consecutive failure(s)%s%n", u.path("url").asText(),
                    u.path("healthy").asBoolean() ? "healthy" : "UNHEALTHY", TextOutput.orDash(u, "last_success"),
                    u.path("consecutive_failures").asInt(),
                    u.path("last_error").isNull() ? "" : " (" + u.path("last_error").asText() + ")");
        }
        JsonNode au = s.path("audit");
        if (!au.path("enabled").asBoolean()) {
            out().println("audit:       DISABLED (no tamper-evident record of decisions)");
        } else {
            out().printf("audit:       %s, queue %d/%d, written %d, dropped %d, write errors %d%s%n",
                    au.path("dir").asText(), au.path("queue_depth").asLong(), au.path("queue_capacity").asLong(),
                    au.path("written").asLong(), au.path("dropped").asLong(), au.path("write_errors").asLong(),
                    au.path("failing").asBoolean() ? " (FAILING: records are held in memory)" : "");
        }
        JsonNode c = s.path("connections");
        out().printf("connections: %d open (limit %d)%n", c.path("open").asLong(), c.path("limit").asLong());
        JsonNode r = s.path("last_reload");
        if (r.isNull() || r.isMissingNode()) {
            out().println("last reload: none since start");
        } else {
            out().printf("last reload: %s at %s%s%n", r.path("ok").asBoolean() ? "ok" : "FAILED", TextOutput.orDash(r, "time"),
                    r.path("needs_restart").isEmpty() ? "" : ", needs a restart for: " + join(r.path("needs_restart")));
        }
        return ExitCodes.OK;
    }

    private static String join(JsonNode items) {
        StringBuilder b = new StringBuilder();
        items.forEach(i -> b.append(b.isEmpty() ? "" : "; ").append(i.isTextual() ? i.asText() : i.path("key").asText(
                i.toString())));
        return b.toString();
    }

    static String uptime(long seconds) {
        long d = seconds / 86_400;
        long h = seconds % 86_400 / 3600;
        long m = seconds % 3600 / 60;
        long s = seconds % 60;
        if (d > 0) {
            return d + "d " + h + "h " + m + "m";
        }
        if (h > 0) {
            return h + "h " + m + "m";
        }
        return m > 0 ? m + "m " + s + "s" : s + "s";
    }
}
