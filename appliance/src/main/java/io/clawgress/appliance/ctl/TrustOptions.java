package io.clawgress.appliance.ctl;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;

/** How the {@code policy} verbs verify a bundle given instead of a directory (a bundle is never read unverified). */
final class TrustOptions {

    @Option(names = "--trusted-keys", paramLabel = "KEYSET",
            description = "Key-set file to verify a BUNDLE argument with (required for bundles).")
    Path trustedKeys;

    @Option(names = "--at", paramLabel = "TIME", converter = Converters.InstantConverter.class,
            description = "Check a bundle's validity window at this instant instead of now.")
    Instant at;
}
