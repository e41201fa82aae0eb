package io.clawgress.enforcement.staticpolicy;

import io.clawgress.api.Identity;
import io.clawgress.enforcement.net.Cidr;

import java.util.Objects;

/** Sources in {@code subnet} are the agent {@code identity} (auth {@code subnet}). */
public record SubnetBinding(Cidr subnet, Identity identity) {
    public SubnetBinding {
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(identity, "identity");
    }
}
