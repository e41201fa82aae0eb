package io.clawgress.appliance.config;

import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.enforcement.yaml.YamlException;

import java.util.List;

/**
 * The config file cannot be used. Carries every problem found, sorted by position; the message is those problems,
 * one per line, ready to print to the operator as is.
 */
public final class ConfigException extends YamlException {

    private static final long serialVersionUID = 1L;

    public ConfigException(List<YamlError> errors) {
        super(errors);
    }
}
