package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.audit.AuditKey;
import io.clawgress.enforcement.bundle.Pem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;

/**
 * {@code clawgressctl audit key}: the node's audit public key as PEM, for verifiers elsewhere. Reads only
 * {@code audit-key.pub.pem}, never the private key, and creates nothing: clawgressd creates the key pair at its first
 * start.
 */
@Command(name = "key", mixinStandardHelpOptions = true,
        description = {"Print the node's audit public key (PEM), which 'audit verify --key' needs. Keep a copy off the"
                + " gateway: a verifier that takes the key from the machine it verifies trusts whoever could rewrite"
                + " that machine."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:printed or written", "1:--out cannot be written", "2:bad arguments",
                "78:there is no audit key yet, or the key file is not an Ed25519 public key"})
final class AuditKeyCommand extends CtlCommand {

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "The gateway's state_dir, which holds audit-key/ (default: ${DEFAULT-VALUE}).")
    Path stateDir = AgentVerb.DEFAULT_STATE_DIR;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Write the PEM to FILE (mode 0644, replaced atomically) instead of stdout.")
    Path out;

    @Override
    protected int run() throws Failure {
        if (!Files.isDirectory(stateDir)) {
            throw new Failure(ExitCodes.CONFIG, stateDir + ": no such directory (expected: the gateway's state_dir;"
                    + " --state-dir DIR names another)");
        }
        Path file = stateDir.resolve(AuditKey.DIRECTORY).resolve(AuditKey.PUBLIC_FILE);
        PublicKey key = AuditVerifyCommand.readKey(file, " (there is no audit key yet: clawgressd creates it at its"
                + " first start)");
        return printOrWrite(out, pem(key), "the audit public key (key id " + AuditKey.keyId(key) + ")");
    }

    /** SubjectPublicKeyInfo PEM (RFC 7468 §13), as clawgressd writes audit-key.pub.pem: 64-column base64. */
    static String pem(PublicKey key) {
        return Pem.encode("PUBLIC KEY", key.getEncoded());
    }
}
