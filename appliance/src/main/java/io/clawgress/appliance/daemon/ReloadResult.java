package io.clawgress.appliance.daemon;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one reload (SIGHUP, {@code systemctl reload}, {@code POST /v1/reload}) did.
 *
 * @param time          when it finished
 * @param ok            whether the config was valid and everything reloadable was applied ({@code errors} empty)
 * @param configSha256  hex SHA-256 of the config text read, or {@code null} when it could not be read or parsed
 * @param applied       what took effect, one line each (e.g. {@code policy.bundle changed (/a -> /b)})
 * @param needsRestart  changes that only a restart applies, one line each, worded for the operator
 * @param errors        why something was not applied; with an invalid config, every problem in it (nothing applied)
 */
public record ReloadResult(Instant time, boolean ok, String configSha256, List<String> applied,
                           List<String> needsRestart, List<String> errors) {

    /** What operators are told to run for a change a reload cannot apply. */
    public static final String RESTART_HINT = "needs a restart (systemctl restart clawgress)";

    public ReloadResult {
        Objects.requireNonNull(time, "time");
        applied = List.copyOf(applied);
        needsRestart = List.copyOf(needsRestart);
        errors = List.copyOf(errors);
        if (ok != errors.isEmpty()) {
            throw new IllegalArgumentException("ok: " + ok + " with " + errors.size()
                    + " error(s) (expected: ok exactly when there is no error)");
        }
    }

    /** A config that could not be read or parsed: nothing changed. */
    static ReloadResult invalid(Instant time, List<String> errors) {
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors: [] (expected: why the config is invalid)");
        }
        return new ReloadResult(time, false, null, List.of(), List.of(), errors);
    }

    /** One line for logs and systemd's STATUS=. */
    public String summary() {
        if (configSha256 == null) {
            return "reload failed, config invalid (" + errors.size() + " error(s)); still running the previous config";
        }
        return (ok ? "reloaded" : "reloaded with " + errors.size() + " error(s)") + ": " + applied.size()
                + " applied, " + needsRestart.size() + " need(s) a restart";
    }
}
