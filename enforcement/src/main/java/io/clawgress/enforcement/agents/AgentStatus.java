package io.clawgress.enforcement.agents;

import java.util.Locale;
import java.util.Optional;

/** Whether an agent may send traffic. A disabled agent is denied everywhere, live connections included. */
public enum AgentStatus {
    ACTIVE,
    DISABLED;

    /** Lower-case code for the CLI, JSON and audit records: {@code active}, {@code disabled}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The status whose {@link #code()} is {@code code}, or empty. */
    public static Optional<AgentStatus> ofCode(String code) {
        for (AgentStatus s : values()) {
            if (s.code().equals(code)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
