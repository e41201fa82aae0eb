package io.clawgress.enforcement.policy;

import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.enforcement.yaml.YamlException;

import java.util.List;

/**
 * A policy set cannot be used. Carries every problem found, sorted by file then position; the message is those
 * problems, one per line, ready to print as is.
 */
public final class PolicyException extends YamlException {

    private static final long serialVersionUID = 1L;

    public PolicyException(List<YamlError> errors) {
        super(errors);
    }
}
