package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.bundle.BundleException;
import io.clawgress.enforcement.bundle.KeyGen;
import io.clawgress.enforcement.bundle.SigningAlg;
import io.clawgress.enforcement.bundle.TrustedKey;
import io.clawgress.enforcement.bundle.TrustedKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.regex.Pattern;

/** {@code clawgressctl bundle keygen}: a signing key pair, the private half 0600, the public half in a key set. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = {"Generate a bundle signing key: the private key as PKCS #8 PEM (mode 0600; keep it off the"
                + " gateways) and a key-set file gateways trust (docs/bundles.md#trusted-keys)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the key was written", "1:an output exists (without --force/--append), or writing failed",
                "2:bad arguments"})
final class BundleKeygenCommand extends CtlCommand {

    /** Key ids clawgressctl writes: plain enough for file names, logs and audit records. */
    static final Pattern KID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    @Option(names = "--alg", paramLabel = "ALG", converter = Converters.AlgConverter.class,
            description = "eddsa (Ed25519, the default) or es256 (P-256).")
    SigningAlg alg = SigningAlg.EDDSA;

    @Option(names = "--kid", required = true, paramLabel = "ID",
            description = "Key id gateways will know the key by, e.g. ops-ed-2026 (1-128 of A-Z a-z 0-9 . _ : -).")
    String kid;

    @Option(names = "--out-private", required = true, paramLabel = "FILE",
            description = "Where to write the private key (PEM, mode 0600).")
    Path outPrivate;

    @Option(names = "--out-public-keyset", required = true, paramLabel = "FILE",
            description = "Where to write the key-set file (JSON) with the public key.")
    Path outKeySet;

    @Option(names = "--append", description = "Add the key to an existing key-set file (rotation: trust old and new).")
    boolean append;

    @Option(names = "--force", description = "Replace existing output files.")
    boolean force;

    @Override
    protected int run() throws Failure {
        if (!KID.matcher(kid).matches()) {
            throw usage("--kid '" + kid + "' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a"
                    + " letter or digit)");
        }
        if (outPrivate.toAbsolutePath().normalize().equals(outKeySet.toAbsolutePath().normalize())) {
            throw usage("--out-private and --out-public-keyset are the same file");
        }
        if (Files.exists(outPrivate, LinkOption.NOFOLLOW_LINKS) && !force) {
            throw new Failure(ExitCodes.FAILURE, outPrivate + ": exists (expected: a new file; --force replaces it)");
        }
        boolean keySetExists = Files.exists(outKeySet, LinkOption.NOFOLLOW_LINKS);
        ObjectNode keySet = null;
        if (keySetExists && append) {
            keySet = existingKeySet();
        } else if (keySetExists && !force) {
            throw new Failure(ExitCodes.FAILURE, outKeySet + ": exists (expected: a new file; --append adds the key"
                    + " to it, --force replaces it)");
        }

        KeyGen.GeneratedKey key;
        try {
            key = KeyGen.generate(alg, kid);
        } catch (GeneralSecurityException e) {
            throw new Failure(ExitCodes.FAILURE, "cannot generate a " + alg.jwsName() + " key: " + e.getMessage());
        }
        byte[] keySetBytes = keySetBytes(keySet, key);
        int keys;
        try {
            keys = TrustedKeys.parse(keySetBytes).size(); // what gateways will read must read back
        } catch (BundleException e) {
            throw new IllegalStateException("generated key set does not parse: " + e.getMessage(), e);
        }

        try {
            OutputFiles.write(outPrivate, key.privateKeyPem().getBytes(StandardCharsets.US_ASCII),
                    OutputFiles.PRIVATE, force);
        } catch (FileAlreadyExistsException e) {
            throw new Failure(ExitCodes.FAILURE, outPrivate + ": exists (expected: a new file; --force replaces it)");
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, outPrivate + ": cannot write: " + OutputFiles.why(e));
        }
        try {
            OutputFiles.write(outKeySet, keySetBytes, OutputFiles.PUBLIC, keySetExists);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(outPrivate); // a private key whose public half was not written is of no use
            } catch (IOException ignored) {
                // reported below; the operator sees both paths
            }
            throw new Failure(ExitCodes.FAILURE, outKeySet + ": cannot write: " + OutputFiles.why(e) + " (the private key "
                    + outPrivate + " was removed again)");
        }
        out().println("generated " + alg.jwsName() + " key " + kid);
        out().println("  private key: " + outPrivate + " (mode 0600; keep it off the gateways)");
        out().println("  key set:     " + outKeySet + " (" + keys + (keys == 1 ? " key" : " keys")
                + (keySet != null ? ", appended" : "") + ")");
        return ExitCodes.OK;
    }

    /** The existing key set, checked as a gateway reads it, with the new kid not yet in it. */
    private ObjectNode existingKeySet() throws Failure {
        byte[] bytes;
        try {
            if (Files.size(outKeySet) > TrustedKeys.MAX_FILE_BYTES) {
                throw new Failure(ExitCodes.FAILURE, outKeySet + ": larger than " + TrustedKeys.MAX_FILE_BYTES
                        + " bytes (expected: a key-set file)");
            }
            bytes = Files.readAllBytes(outKeySet);
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, outKeySet + ": cannot read: " + OutputFiles.why(e));
        }
        TrustedKeys existing;
        try {
            existing = TrustedKeys.parse(bytes);
        } catch (BundleException e) {
            throw new Failure(ExitCodes.FAILURE, outKeySet + ": " + e.getMessage() + " (expected: a valid key set to"
                    + " append to)");
        }
        if (existing.find(kid).isPresent()) {
            throw new Failure(ExitCodes.FAILURE, outKeySet + ": already has kid " + kid + " (expected: a new kid;"
                    + " existing: " + String.join(", ", existing.keys().stream().map(TrustedKey::kid).toList()) + ")");
        }
        try {
            return (ObjectNode) Json.MAPPER.readTree(bytes); // TrustedKeys.parse accepted it: an object with keys[]
        } catch (IOException e) {
            throw new IllegalStateException("a key set TrustedKeys accepted does not parse as JSON", e);
        }
    }

    private static byte[] keySetBytes(ObjectNode existing, KeyGen.GeneratedKey key) {
        if (existing == null) {
            return KeyGen.keySetJson(List.of(key)).getBytes(StandardCharsets.UTF_8);
        }
        JsonNode keys = existing.get("keys");
        ((ArrayNode) keys).add(key.trustedKeyEntry());
        return (Json.write(existing) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
