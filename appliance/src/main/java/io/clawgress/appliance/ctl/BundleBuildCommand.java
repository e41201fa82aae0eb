package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.BundleException;
import io.clawgress.enforcement.bundle.BundleReader;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.SigningAlg;
import io.clawgress.enforcement.bundle.SigningKey;
import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicySet;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code clawgressctl bundle build}: validates the policy in a directory exactly as gateways will parse it, and only
 * then signs it into a reproducible bundle.
 */
@Command(name = "build", mixinStandardHelpOptions = true,
        description = {"Validate the policy in DIR and sign every file below DIR into a bundle (docs/bundles.md).",
                "Invalid policy is never signed: its errors are printed as FILE:LINE:COLUMN."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the bundle was written", "1:the key, the directory or the output could not be used",
                "2:bad arguments", "78:the policy is invalid (nothing was signed)"})
final class BundleBuildCommand extends CtlCommand {

    static final Duration DEFAULT_VALIDITY = Duration.ofDays(30);
    private static final int MAX_KEY_BYTES = 64 * 1024;

    @Option(names = "--dir", required = true, paramLabel = "DIR",
            description = "The bundle's content: every regular file below it is signed; its .yaml/.yml files (at"
                    + " any depth) are the policy.")
    Path dir;

    @Option(names = "--key", required = true, paramLabel = "PRIVATE_PEM",
            description = "The signing key (PKCS #8 PEM, as written by bundle keygen); EdDSA or ES256 is read from"
                    + " it.")
    Path key;

    @Option(names = "--kid", required = true, paramLabel = "ID", description = "The key's id in the gateways' key"
            + " set.")
    String kid;

    @Option(names = "--revision", required = true, paramLabel = "N",
            description = "The bundle revision, >= 1; gateways refuse one not above the active revision.")
    long revision;

    @Option(names = "--not-before", paramLabel = "TIME", converter = Converters.InstantConverter.class,
            description = "Start of validity (ISO-8601, e.g. 2026-11-21T00:00:00Z; default: now).")
    Instant notBefore;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Validity validity;

    static final class Validity {
        @Option(names = "--expires", paramLabel = "TIME", converter = Converters.InstantConverter.class,
                description = "End of validity (ISO-8601).")
        Instant expires;

        @Option(names = "--valid-for", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
                description = "Validity from --not-before, e.g. 30d, 12h (default: 30d).")
        Duration validFor;
    }

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the bundle"
            + " (.tar.gz); replaced atomically if it exists.")
    Path out;

    @Override
    protected int run() throws Failure {
        if (revision < 1) {
            throw usage("--revision " + revision + " (expected: >= 1)");
        }
        Instant now = clock().instant();
        Instant nb = (notBefore != null ? notBefore : now).truncatedTo(ChronoUnit.SECONDS);
        Instant exp = (validity != null && validity.expires != null ? validity.expires
                : nb.plus(validity != null && validity.validFor != null ? validity.validFor : DEFAULT_VALIDITY))
                .truncatedTo(ChronoUnit.SECONDS);
        if (!nb.isBefore(exp)) {
            throw usage("validity: not_before " + nb + " is not before expires " + exp
                    + " (expected: --expires after --not-before)");
        }
        if (!Files.isDirectory(dir)) {
            throw new Failure(ExitCodes.FAILURE, dir + ": not a directory (expected: the directory to bundle)");
        }
        try {
            if (out.toAbsolutePath().normalize().startsWith(dir.toRealPath())
                    || out.toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize())) {
                throw usage("--out " + out + " is inside --dir " + dir + " (expected: a path outside the bundle's"
                        + " content, or the next build would sign this bundle into itself)");
            }
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, dir + ": cannot read: " + OutputFiles.why(e));
        }
        SigningKey signingKey = signingKey();

        Map<String, byte[]> files;
        try {
            files = BundleBuilder.readDirectory(dir.toRealPath()); // the directory may be a link; nothing below it
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, dir + ": cannot read: " + OutputFiles.why(e));
        }
        refuseSecrets(files);
        Map<String, byte[]> named = new TreeMap<>();
        files.forEach((rel, bytes) -> named.put(dir.resolve(rel).toString(), bytes));
        PolicySet set;
        try {
            set = PolicyInput.parse(named);
        } catch (Failure f) {
            throw new Failure(ExitCodes.CONFIG, f.getMessage() + "\nrefusing to sign: the policy in " + dir
                    + " is invalid (" + f.errors().size() + (f.errors().size() == 1 ? " error)" : " errors)"),
                    f.errors());
        }
        PolicyCompiler.compile(set, Long.toString(revision));

        byte[] bundle;
        try {
            bundle = BundleBuilder.build(files, signingKey, revision, nb, exp);
            BundleReader.read(bundle, Limits.DEFAULTS); // what every gateway checks before anything else
        } catch (IllegalArgumentException | BundleException e) {
            throw new Failure(ExitCodes.FAILURE, dir + ": cannot be bundled: " + e.getMessage());
        }
        try {
            OutputFiles.write(out, bundle, OutputFiles.PUBLIC, true);
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, out + ": cannot write: " + OutputFiles.why(e));
        }

        if (set.policies().isEmpty()) {
            err().println("warning: " + dir + " holds no Policy document: gateways enforcing this bundle deny every"
                    + " flow");
        }
        if (exp.isBefore(now)) {
            err().println("warning: the bundle expired at " + exp + ": gateways will refuse it");
        }
        long policyFiles = files.keySet().stream().filter(PolicyInput::isPolicyFile).count();
        out().println("built " + out + ": revision " + revision + ", signed by " + kid + " ("
                + signingKey.alg().jwsName() + ")");
        out().println("  valid:  " + nb + " .. " + exp);
        out().println("  files:  " + files.size() + " (" + policyFiles + " policy)");
        out().println("  policy: " + PolicyInput.Counts.of(set));
        out().println("  sha256: " + PolicyInput.sha256Hex(bundle));
        return ExitCodes.OK;
    }

    /**
     * Refuses to sign private key material into a bundle: bundles are copied to every gateway, and the signing key
     * must stay off them (docs/bundles.md).
     */
    private void refuseSecrets(Map<String, byte[]> files) throws Failure {
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            String text = new String(f.getValue(), StandardCharsets.ISO_8859_1);
            if (text.contains("PRIVATE KEY-----")) {
                throw new Failure(ExitCodes.FAILURE, dir.resolve(f.getKey()) + ": holds a private key (expected: no"
                        + " private key in a bundle: bundles are copied to every gateway)");
            }
        }
    }

    /** The private key, with its algorithm read from the key itself. */
    private SigningKey signingKey() throws Failure {
        String pem;
        try {
            if (Files.size(key) > MAX_KEY_BYTES) {
                throw new Failure(ExitCodes.FAILURE, key + ": larger than " + MAX_KEY_BYTES + " bytes (expected: a"
                        + " PEM private key)");
            }
            try (InputStream in = Files.newInputStream(key)) {
                pem = new String(in.readNBytes(MAX_KEY_BYTES), StandardCharsets.US_ASCII);
            }
            warnIfReadableByOthers();
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, key + ": cannot read: " + OutputFiles.why(e));
        }
        if (!BundleKeygenCommand.KID.matcher(kid).matches()) {
            throw usage("--kid '" + kid + "' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a"
                    + " letter or digit)");
        }
        for (SigningAlg alg : SigningAlg.values()) {
            try {
                return SigningKey.fromPem(kid, alg, pem);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // try the other algorithm
            }
        }
        throw new Failure(ExitCodes.FAILURE, key + ": not an Ed25519 or P-256 private key (expected: PKCS #8 PEM,"
                + " as written by clawgressctl bundle keygen)");
    }

    private void warnIfReadableByOthers() throws IOException {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(key);
            if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
                err().println("warning: " + key + " is readable by group or others (expected: mode 0600)");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
