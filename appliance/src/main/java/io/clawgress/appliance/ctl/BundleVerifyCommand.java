package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.bundle.TrustedKey;
import io.clawgress.enforcement.bundle.TrustedKeys;
import io.clawgress.enforcement.bundle.VerifiedBundle;
import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicySet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtKeySetException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * {@code clawgressctl bundle verify}: every check a gateway makes before activating a bundle (limits, signature,
 * validity, revision, file digests, then parse and compile), with the stable reason code of the first that fails.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify a bundle as a gateway would: limits, signature by a trusted key, validity window,"
                + " revision, every file's SHA-256; then parse and compile its policy."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:a gateway would accept the bundle",
                "1:it would be refused (the reason code says why: bad_signature, expired, digest_mismatch, ...)",
                "2:bad arguments", "78:the bundle verifies but its policy is invalid"})
final class BundleVerifyCommand extends CtlCommand {

    @Parameters(index = "0", paramLabel = "FILE", description = "The bundle (.tar.gz).")
    Path file;

    @Option(names = "--trusted-keys", required = true, paramLabel = "KEYSET",
            description = "The key-set file gateways use (docs/bundles.md#trusted-keys).")
    Path trustedKeys;

    @Option(names = "--active-revision", paramLabel = "N",
            description = "The revision a gateway enforces now: the bundle must be newer (default: 0, none).")
    long activeRevision;

    @Option(names = "--rollback", description = "Accept a revision not above --active-revision, as a gateway told"
            + " to roll back would.")
    boolean rollback;

    @Option(names = "--at", paramLabel = "TIME", converter = Converters.InstantConverter.class,
            description = "Check the validity window at this instant instead of now.")
    Instant at;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    protected int run() throws Failure {
        if (activeRevision < 0) {
            throw usage("--active-revision " + activeRevision + " (expected: >= 0)");
        }
        try {
            return verify();
        } catch (Failure f) {
            if (!json) {
                throw f;
            }
            ObjectNode o = Json.object();
            o.put("valid", false);
            o.put("file", file.toString());
            o.put("reason", f instanceof PolicyInput.Refused r ? r.reason().code()
                    : f instanceof JwtKeysInvalid ? "jwt_keys_invalid"
                    : f.exitCode() == ExitCodes.CONFIG && !f.errors().isEmpty() ? "policy_invalid" : "unreadable");
            o.put("message", f.getMessage());
            o.set("errors", Json.errors(f));
            out().println(Json.write(o));
            return f.exitCode();
        }
    }

    private int verify() throws Failure {
        TrustedKeys keys = PolicyInput.keys(trustedKeys, ExitCodes.FAILURE);
        VerifiedBundle bundle = PolicyInput.verify(file, keys, at != null ? at : clock().instant(), activeRevision,
                rollback, ExitCodes.FAILURE);
        PolicySet set = PolicyInput.parse(bundle.files());
        PolicyCompiler.compile(set, Long.toString(bundle.revision()));
        byte[] jwtKeys = bundle.files().get(JwtKeySet.BUNDLE_PATH);
        if (jwtKeys != null) {
            try {
                JwtKeySet.parse(jwtKeys); // what a gateway's activation checks too (jwt_keys_invalid)
            } catch (JwtKeySetException e) {
                throw new JwtKeysInvalid(JwtKeySet.BUNDLE_PATH + ": " + e.getMessage());
            }
        }
        PolicyInput.Counts counts = PolicyInput.Counts.of(set);
        String alg = keys.find(bundle.kid()).map(TrustedKey::alg).map(a -> a.jwsName()).orElse("?");
        if (json) {
            ObjectNode o = Json.object();
            o.put("valid", true);
            o.put("file", file.toString());
            o.put("revision", bundle.revision());
            o.put("kid", bundle.kid());
            o.put("alg", alg);
            o.put("not_before", bundle.notBefore().toString());
            o.put("expires", bundle.expires().toString());
            ArrayNode files = o.putArray("files");
            for (Map.Entry<String, byte[]> f : bundle.files().entrySet()) {
                ObjectNode x = files.addObject();
                x.put("path", f.getKey());
                x.put("sha256", PolicyInput.sha256Hex(f.getValue()));
                x.put("bytes", f.getValue().length);
                x.put("policy", PolicyInput.isPolicyFile(f.getKey()));
            }
            o.set("policy", counts.json());
            out().println(Json.write(o));
            return ExitCodes.OK;
        }
        out().println("bundle OK: " + file);
        out().println("  revision:   " + bundle.revision());
        out().println("  kid:        " + bundle.kid() + " (" + alg + ")");
        out().println("  not_before: " + bundle.notBefore());
        out().println("  expires:    " + bundle.expires());
        out().println("  files:");
        for (Map.Entry<String, byte[]> f : bundle.files().entrySet()) {
            out().println("    " + PolicyInput.sha256Hex(f.getValue()) + "  " + f.getKey());
        }
        out().println("  policy:     " + counts);
        return ExitCodes.OK;
    }

    /** The bundle's JWT key set does not parse: a gateway would reject the bundle as {@code jwt_keys_invalid}. */
    static final class JwtKeysInvalid extends Failure {
        private static final long serialVersionUID = 1L;

        JwtKeysInvalid(String message) {
            super(ExitCodes.FAILURE, message);
        }
    }
}
