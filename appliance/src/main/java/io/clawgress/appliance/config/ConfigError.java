package io.clawgress.appliance.config;

import java.util.Objects;

/**
 * One problem in a config file, located precisely enough for an editor to jump to it.
 *
 * <p>{@link #toString()} is what the operator sees, in the compiler-style format
 * {@code FILE:LINE:COLUMN: KEY.PATH: MESSAGE}, for example
 * {@code /etc/clawgress/clawgress.yaml:12:9: listener.port: 'abc' (expected: an integer 1..65535)}. Parts that are
 * unknown are left out: line and column are 0 for problems with the file as a whole, and the key path is empty
 * for problems at the top level.
 *
 * @param file    the file name as given to the loader
 * @param line    1-based line, or 0 when the problem has no position
 * @param column  1-based column, or 0 when unknown
 * @param keyPath dotted key path such as {@code static_policy.rules[2].ports[0]}, or empty
 * @param message what was found and what was expected, e.g. {@code 'abc' (expected: an integer 1..65535)}
 */
public record ConfigError(String file, int line, int column, String keyPath, String message) {

    public ConfigError {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(keyPath, "keyPath");
        Objects.requireNonNull(message, "message");
        if (line < 0 || column < 0) {
            throw new IllegalArgumentException("line/column: " + line + ":" + column + " (expected: >= 0)");
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(file);
        if (line > 0) {
            b.append(':').append(line);
            if (column > 0) {
                b.append(':').append(column);
            }
        }
        b.append(": ");
        if (!keyPath.isEmpty()) {
            b.append(keyPath).append(": ");
        }
        return b.append(message).toString();
    }
}
