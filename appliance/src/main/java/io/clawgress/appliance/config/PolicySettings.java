package io.clawgress.appliance.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the enforced policy comes from (the {@code state_dir} and {@code policy} keys of clawgress.yaml).
 *
 * @param stateDir               the daemon's state: the policy store lives in {@code stateDir/policy.lmdb}
 * @param trustedKeys            the key set bundles must be signed with, or {@code null} when no signed source is
 *                               configured (then nothing is allowed, unless the unsafe directory is set)
 * @param bundleFile             a bundle activated at start when newer than the stored one, or {@code null}
 * @param dropDir                a directory watched for new bundles, or {@code null}
 * @param bundleUrl              an HTTPS URL polled for new bundles, or {@code null}
 * @param bundleUrlCa            PEM CA certificates for {@code bundleUrl}, or {@code null} for the system trust store
 * @param bundleUrlInterval      how often the URL is polled when healthy
 * @param generations            how many bundle revisions the store keeps (the active one included)
 * @param maxBundleBytes         the largest bundle accepted, compressed and uncompressed
 * @param unsafeUnsignedPolicyDir development only: a directory of policy YAML enforced without any signature, or
 *                               {@code null}; excludes every signed source
 */
public record PolicySettings(Path stateDir, Path trustedKeys, Path bundleFile, Path dropDir, URI bundleUrl,
                             Path bundleUrlCa, Duration bundleUrlInterval, int generations, long maxBundleBytes,
                             Path unsafeUnsignedPolicyDir) {

    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/clawgress");
    public static final Duration DEFAULT_URL_INTERVAL = Duration.ofSeconds(60);
    public static final int DEFAULT_GENERATIONS = 5;
    public static final long DEFAULT_MAX_BUNDLE_BYTES = 32L * 1024 * 1024;

    public PolicySettings {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(bundleUrlInterval, "bundleUrlInterval");
        if (generations < 1 || generations > 100) {
            throw new IllegalArgumentException("generations: " + generations + " (expected: 1..100)");
        }
        if (maxBundleBytes < 1024 || maxBundleBytes > 1024L * 1024 * 1024) {
            throw new IllegalArgumentException("maxBundleBytes: " + maxBundleBytes + " (expected: 1 KiB..1 GiB)");
        }
        boolean signedSource = bundleFile != null || dropDir != null || bundleUrl != null;
        if (signedSource && trustedKeys == null) {
            throw new IllegalArgumentException("trustedKeys: null with a bundle source (expected: a key set file)");
        }
        if (unsafeUnsignedPolicyDir != null && (signedSource || trustedKeys != null)) {
            throw new IllegalArgumentException("unsafeUnsignedPolicyDir: set together with signed sources"
                    + " (expected: either the unsafe directory or trusted keys and bundle sources)");
        }
        if (bundleUrl != null && !"https".equalsIgnoreCase(bundleUrl.getScheme())) {
            throw new IllegalArgumentException("bundleUrl: " + bundleUrl + " (expected: an https:// URL)");
        }
        if (bundleUrlCa != null && bundleUrl == null) {
            throw new IllegalArgumentException("bundleUrlCa: set without bundleUrl (expected: both or neither)");
        }
    }

    /** No policy section: nothing is enforced but deny-all. */
    public static PolicySettings none(Path stateDir) {
        return new PolicySettings(stateDir, null, null, null, null, null, DEFAULT_URL_INTERVAL, DEFAULT_GENERATIONS,
                DEFAULT_MAX_BUNDLE_BYTES, null);
    }

    /** The policy store's directory. */
    public Path storeDir() {
        return stateDir.resolve("policy.lmdb");
    }

    public Optional<Path> unsafeDir() {
        return Optional.ofNullable(unsafeUnsignedPolicyDir);
    }
}
