package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.bundle.Pem;
import io.clawgress.intercept.ca.AgentCertIssuer;
import io.clawgress.intercept.ca.CaException;
import io.clawgress.intercept.ca.InterceptCa;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;

/**
 * {@code clawgressctl ca export}: a CA certificate as PEM, on stdout or into a file (mode 0644). Reads only the
 * certificate, never the key, and creates nothing: a state dir without a CA is an error, not a reason to make one.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Print the intercept root CA certificate (PEM) that agents must trust, or with --agents the"
                + " agents' CA certificate that agent client certificates chain to. Reads only the certificate:"
                + " needs no access to the CA's key."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:exported", "1:there is no CA yet, it is unusable, or the output cannot be written",
                "2:bad arguments"})
final class CaExportCommand extends CtlCommand {

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "The gateway's state_dir, which holds intercept-ca/ (default: ${DEFAULT-VALUE}).")
    Path stateDir = AgentVerb.DEFAULT_STATE_DIR;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Write the PEM to FILE (mode 0644, replaced atomically) instead of stdout.")
    Path out;

    @Option(names = "--agents", description = "Export the agents' CA (agents-root.pem) instead of the intercept root.")
    boolean agents;

    @Override
    protected int run() throws Failure {
        if (!Files.isDirectory(stateDir)) {
            throw new Failure(ExitCodes.FAILURE, stateDir + ": no such directory (expected: the gateway's state_dir;"
                    + " --state-dir DIR names another)");
        }
        Path caDir = InterceptCa.directoryIn(stateDir);
        String pem;
        try {
            pem = agents ? certificatePem(AgentCertIssuer.readCaCertificate(caDir)) : InterceptCa.exportPem(caDir);
        } catch (CaException e) {
            String hint = agents
                    ? " (there is no agents' CA yet: clawgressd creates it at its first start, or the first"
                            + " 'clawgressctl agent cert' does)"
                    : " (there is no intercept CA yet: clawgressd creates it at its first start)";
            Path certFile = caDir.resolve(agents ? AgentCertIssuer.CERT_FILE : InterceptCa.CERT_FILE);
            throw new Failure(ExitCodes.FAILURE, e.getMessage() + (Files.exists(certFile) ? "" : hint));
        }
        return printOrWrite(out, pem, (agents ? "the agents' CA" : "the intercept root CA") + " certificate");
    }

    /** PEM as the CA library writes it (RFC 7468 §5: 64-column base64 between the CERTIFICATE boundaries). */
    static String certificatePem(X509Certificate cert) {
        byte[] der;
        try {
            der = cert.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode a certificate just parsed", e);
        }
        return Pem.encode("CERTIFICATE", der);
    }
}
