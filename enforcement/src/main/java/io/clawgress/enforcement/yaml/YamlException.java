package io.clawgress.enforcement.yaml;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A YAML input cannot be used. Carries every problem found, in the order the reader sorted them; the message is
 * those problems, one per line, ready to print as is. It never wraps a parser exception: what the operator needs
 * from one (position and problem) has already been copied into a {@link YamlError}. Subclassed by the config and
 * policy loaders so callers can tell which input failed.
 */
public class YamlException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<YamlError> errors;

    public YamlException(List<YamlError> errors) {
        super(render(errors));
        this.errors = List.copyOf(errors);
    }

    /** Problems as sorted by the reader; never empty. */
    public List<YamlError> errors() {
        return errors;
    }

    private static String render(List<YamlError> errors) {
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors: [] (expected: at least one error)");
        }
        return errors.stream().map(YamlError::toString).collect(Collectors.joining("\n"));
    }
}
