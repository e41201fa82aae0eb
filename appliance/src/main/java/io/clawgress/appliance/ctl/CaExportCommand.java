package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.agents.CaExport;
import io.clawgress.intercept.ca.CaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;

/**
 * {@code clawgressctl ca export}: a CA certificate as PEM, on stdout or into a file (mode 0644), from the daemon
 * ({@code GET /v1/ca/intercept}, {@code GET /v1/ca/agents}) or with {@code --state-dir} from the files. Reads only the
 * certificate, never the key, and creates nothing: a state dir without a CA is an error, not a reason to make one.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Print the intercept root CA certificate (PEM) that agents must trust, or with --agents the"
                + " agents' CA certificate that agent client certificates chain to. Reads only the certificate:"
                + " needs no access to the CA's key."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:exported", "1:there is no CA yet, it is unusable, or the output cannot be written",
                "2:bad arguments", "69:the daemon cannot be reached", "77:not allowed (the socket's group reads"
                + " CAs)"})
final class CaExportCommand extends ApiVerb {

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Offline: read DIR/intercept-ca/ directly instead of asking the daemon (no daemon needed;"
                    + " the certificates are world-readable).")
    Path stateDir;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Write the PEM to FILE (mode 0644, replaced atomically) instead of stdout.")
    Path out;

    @Option(names = "--agents", description = "Export the agents' CA (agents-root.pem) instead of the intercept root.")
    boolean agents;

    @Override
    protected int run() throws Failure {
        if (stateDir != null && socket != null) {
            throw usage("--state-dir (offline) and --socket (online) exclude each other");
        }
        String pem;
        if (stateDir != null) {
            if (!Files.isDirectory(stateDir)) {
                throw new Failure(ExitCodes.FAILURE, stateDir + ": no such directory (expected: the gateway's"
                        + " state_dir; --state-dir DIR names another)");
            }
            try {
                pem = CaExport.pem(stateDir, agents);
            } catch (CaException e) {
                throw new Failure(ExitCodes.FAILURE, e.getMessage());
            }
        } else {
            AdminClient.Response r = request("GET", agents ? "/v1/ca/agents" : "/v1/ca/intercept", null, null);
            if (r.status() != 200) {
                throw apiFailure(r);
            }
            pem = new String(r.body(), StandardCharsets.US_ASCII);
            if (!pem.startsWith("-----BEGIN CERTIFICATE-----")) {
                throw new Failure(ExitCodes.FAILURE, spec.qualifiedName(" ") + ": unexpected answer from the daemon"
                        + " (expected: a PEM certificate)");
            }
        }
        return printOrWrite(out, pem, (agents ? "the agents' CA" : "the intercept root CA") + " certificate");
    }

    /** PEM as the CA library writes it (RFC 7468 §5). */
    static String certificatePem(X509Certificate cert) {
        return CaExport.certificatePem(cert);
    }
}
