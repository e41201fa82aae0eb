package io.clawgress.enforcement.policy.scenario;

import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.enforcement.yaml.YamlException;

import java.util.List;

/** A scenarios file cannot be used. Carries every problem found, sorted by position, one per line in the message. */
public final class ScenarioException extends YamlException {

    private static final long serialVersionUID = 1L;

    public ScenarioException(List<YamlError> errors) {
        super(errors);
    }
}
