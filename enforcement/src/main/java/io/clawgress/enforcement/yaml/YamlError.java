package io.clawgress.enforcement.yaml;

import java.util.Objects;

/**
 * One problem in a YAML file (the config file or a policy file), located precisely enough for an editor to jump to
 * it. {@link #toString()} is what the operator sees, in the compiler-style format
 * {@code FILE:LINE:COLUMN: KEY.PATH: MESSAGE}, for example
 * {@code policies/research.yaml:12:9: rules[0].action: 'alow' (expected: one of: allow, deny)}. Parts that are
 * unknown are left out: line and column are 0 for problems with the file as a whole, and the key path is empty
 * for problems at the top level.
 *
 * @param file    the file name as given to the reader
 * @param line    1-based line, or 0 when the problem has no position
 * @param column  1-based column, or 0 when unknown
 * @param keyPath dotted key path such as {@code rules[2].destinations[0].ports[0]}, or empty
 * @param message what was found and what was expected
 */
public record YamlError(String file, int line, int column, String keyPath, String message) {

    public YamlError {
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
