package io.clawgress.appliance.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The config file cannot be used. Carries every problem found, sorted by position; the message is those problems,
 * one per line, ready to print to the operator as is. It never wraps a parser exception: what the operator needs
 * from one (position and problem) has already been copied into a {@link ConfigError}.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<ConfigError> errors;

    public ConfigException(List<ConfigError> errors) {
        super(render(errors));
        this.errors = List.copyOf(errors);
    }

    /** Problems sorted by line then column; never empty. */
    public List<ConfigError> errors() {
        return errors;
    }

    private static String render(List<ConfigError> errors) {
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors: [] (expected: at least one error)");
        }
        return errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n"));
    }
}
