package io.clawgress.appliance.ctl;

import picocli.CommandLine.Mixin;

import java.nio.file.Path;
import java.util.List;

/** A {@code policy} verb: its inputs are policy directories or bundles, loaded by {@link PolicyInput}. */
abstract class PolicyVerb extends CtlCommand {

    @Mixin
    TrustOptions trust;

    /** Refuses, as a usage error, a bundle among {@code inputs} when no key set was given. */
    protected void requireKeysForBundles(List<Path> inputs) {
        for (Path p : inputs) {
            if (PolicyInput.isBundle(p) && trust.trustedKeys == null) {
                throw usage(p + " " + PolicyInput.NEEDS_KEYS);
            }
        }
    }

    protected PolicyInput.Loaded load(Path input) throws Failure {
        requireKeysForBundles(List.of(input));
        return PolicyInput.load(input, trust.trustedKeys, trust.at != null ? trust.at : clock().instant());
    }
}
