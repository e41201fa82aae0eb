package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.BundleException;
import io.clawgress.enforcement.bundle.BundleReader;
import io.clawgress.enforcement.bundle.BundleVerifier;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.TrustedKeys;
import io.clawgress.enforcement.bundle.VerifiedBundle;
import io.clawgress.enforcement.policy.Policy;
import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicyException;
import io.clawgress.enforcement.policy.PolicyParser;
import io.clawgress.enforcement.policy.PolicySet;
import io.clawgress.enforcement.policy.PolicySnapshot;
import io.clawgress.enforcement.policy.Rule;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The policy a {@code policy} verb works on: a directory, read exactly as {@code bundle build --dir} packs it (every
 * regular file below it; the {@code .yaml}/{@code .yml} ones at any depth are the policy, as on a gateway), or a
 * bundle, read within the gateway's limits and verified against a trusted key set before anything in it is parsed.
 */
final class PolicyInput {

    /** A bundle's key set was not given. */
    static final String NEEDS_KEYS = "is a bundle: give --trusted-keys KEYSET to check its signature (a bundle is"
            + " never read unverified)";

    /**
     * @param label    the path as given
     * @param revision the snapshot revision: the bundle's revision, or {@code dir:} and a digest of the directory
     * @param bundle   the verified bundle, or {@code null} for a directory
     */
    record Loaded(String label, String revision, PolicySet set, PolicySnapshot snapshot, VerifiedBundle bundle) {
    }

    private PolicyInput() {
    }

    static boolean isBundle(Path path) {
        return Files.isRegularFile(path);
    }

    /**
     * Loads, parses and compiles {@code path}. Every problem is a {@link CtlCommand.Failure} with exit code
     * {@value ExitCodes#CONFIG}: the input cannot be used.
     *
     * @param trustedKeys the key set for a bundle; required when {@code path} is a bundle (checked by the caller)
     * @param now         the instant the bundle's validity window is checked at
     */
    static Loaded load(Path path, Path trustedKeys, Instant now) throws CtlCommand.Failure {
        if (Files.isDirectory(path)) {
            return directory(path);
        }
        if (!Files.isRegularFile(path)) {
            throw new CtlCommand.Failure(ExitCodes.CONFIG, path + ": no such directory or bundle file");
        }
        if (trustedKeys == null) {
            throw new IllegalStateException("trustedKeys: null for bundle " + path);
        }
        VerifiedBundle bundle = verify(path, keys(trustedKeys, ExitCodes.CONFIG), now, 0, false, ExitCodes.CONFIG);
        String revision = Long.toString(bundle.revision());
        PolicySet set = parse(bundle.files());
        return new Loaded(path.toString(), revision, set, PolicyCompiler.compile(set, revision), bundle);
    }

    private static Loaded directory(Path dir) throws CtlCommand.Failure {
        Map<String, byte[]> files;
        try {
            files = BundleBuilder.readDirectory(dir.toRealPath()); // the directory may be a link; nothing below it
        } catch (IOException e) {
            throw new CtlCommand.Failure(ExitCodes.CONFIG, dir + ": cannot read: " + OutputFiles.why(e));
        }
        Map<String, byte[]> named = new TreeMap<>();
        files.forEach((rel, bytes) -> named.put(dir.resolve(rel).toString(), bytes));
        PolicySet set = parse(named);
        String revision = "dir:" + digest(files).substring(0, 12);
        return new Loaded(dir.toString(), revision, set, PolicyCompiler.compile(set, revision), null);
    }

    /** {@link PolicyParser#parseBundleFiles}: the gateway's own selection and parser. */
    static PolicySet parse(Map<String, byte[]> files) throws CtlCommand.Failure {
        try {
            return PolicyParser.parseBundleFiles(files);
        } catch (PolicyException e) {
            throw new CtlCommand.Failure(ExitCodes.CONFIG, e.getMessage(), e.errors());
        }
    }

    /** @param exitCode the exit code when the key set cannot be used */
    static TrustedKeys keys(Path file, int exitCode) throws CtlCommand.Failure {
        try {
            return TrustedKeys.read(file);
        } catch (BundleException e) {
            throw new Refused(exitCode, file + ": " + e.getMessage(), e.reason());
        } catch (IOException e) {
            throw new CtlCommand.Failure(exitCode, file + ": cannot read the key set: " + OutputFiles.why(e));
        }
    }

    /**
     * Reads {@code file} within {@link Limits#DEFAULTS} and verifies it, as a gateway would.
     *
     * @param exitCode the exit code of a refusal
     */
    static VerifiedBundle verify(Path file, TrustedKeys keys, Instant now, long activeRevision, boolean rollback,
                                 int exitCode) throws CtlCommand.Failure {
        try (InputStream in = Files.newInputStream(file)) {
            return BundleVerifier.verify(BundleReader.read(in, Limits.DEFAULTS), keys, now, activeRevision, rollback);
        } catch (BundleException e) {
            throw new Refused(exitCode, file + ": bundle refused: " + e.getMessage(), e.reason());
        } catch (IOException e) {
            throw new CtlCommand.Failure(exitCode, file + ": cannot read: " + OutputFiles.why(e));
        }
    }

    /** A bundle or key set a gateway would refuse, with the stable reason code. */
    static final class Refused extends CtlCommand.Failure {

        private static final long serialVersionUID = 1L;

        private final BundleException.Reason reason;

        Refused(int exitCode, String message, BundleException.Reason reason) {
            super(exitCode, message);
            this.reason = reason;
        }

        BundleException.Reason reason() {
            return reason;
        }
    }

    /** Whether a file is policy, as {@link PolicyParser#parseBundleFiles} selects it. */
    static boolean isPolicyFile(String path) {
        return path.endsWith(".yaml") || path.endsWith(".yml");
    }

    /** Totals of a policy set, as the verbs report them. */
    record Counts(int policies, int rules, int destinations, int bindings) {

        static Counts of(PolicySet set) {
            int rules = 0;
            int destinations = 0;
            for (Policy p : set.policies()) {
                rules += p.rules().size();
                for (Rule r : p.rules()) {
                    destinations += r.destinations().size();
                }
            }
            return new Counts(set.policies().size(), rules, destinations, set.bindings().size());
        }

        ObjectNode json() {
            ObjectNode o = Json.object();
            o.put("policies", policies);
            o.put("rules", rules);
            o.put("destinations", destinations);
            o.put("bindings", bindings);
            return o;
        }

        @Override
        public String toString() {
            return plural(policies, "policy", "policies") + ", " + plural(rules, "rule", "rules") + ", "
                    + plural(destinations, "destination", "destinations") + ", "
                    + plural(bindings, "binding", "bindings");
        }

        private static String plural(int n, String one, String many) {
            return n + " " + (n == 1 ? one : many);
        }
    }

    /** SHA-256 over the sorted paths and their contents' SHA-256: a short, stable name for a directory's state. */
    static String digest(Map<String, byte[]> files) {
        MessageDigest md = sha256();
        new TreeMap<>(files).forEach((path, bytes) -> {
            md.update(path.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(sha256().digest(bytes));
        });
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
