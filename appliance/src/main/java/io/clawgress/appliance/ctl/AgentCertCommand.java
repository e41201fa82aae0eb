package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.agents.AgentCerts;
import io.clawgress.appliance.agents.AgentJson;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import io.clawgress.intercept.ca.AgentCertificate;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code clawgressctl agent cert}: a client certificate for a registered, active agent, issued by the agents' CA in
 * {@code state_dir/intercept-ca} (created on first use): by the daemon ({@code POST /v1/agents/{id}/cert}, audited),
 * or offline with {@code --state-dir} (both through {@link AgentCerts}). The key goes to a file of mode 0600, the
 * certificate to one of mode 0644, and on request both (with the CA) into a PKCS #12 file, made here, whose password
 * is read from a file, never from the command line (argv is visible to every user through {@code /proc}) and never
 * sent to the daemon.
 */
@Command(name = "cert", mixinStandardHelpOptions = true,
        description = {"Issue a client certificate for an agent (mTLS identity): an EC P-256 key and a certificate"
                + " with the URI SAN spiffe://TRUST_DOMAIN/agent/AGENT_ID, signed by the agents' CA in"
                + " STATE_DIR/intercept-ca (created by the first use). The agent must be registered and active."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:issued", "1:the agent is unknown or disabled, an output exists (without --force), the CA"
                + " or the registry cannot be used, writing failed, or the daemon refused", "2:bad arguments",
                "69:the daemon cannot be reached", "77:not allowed (root or the admin group issue certificates)",
                "78:an invalid agent id or trust domain"})
final class AgentCertCommand extends AgentVerb {

    /** The largest password file read: a password, not a document. */
    static final int MAX_PASSWORD_FILE_BYTES = 4096;

    @Parameters(index = "0", paramLabel = "AGENT_ID", description = "The agent's id, as registered ("
            + AgentIds.EXPECTED + "), without ':' (a SPIFFE ID cannot carry it).")
    String agentId;

    @Option(names = "--trust-domain", paramLabel = "TD",
            description = "SPIFFE trust domain, e.g. agents.example.com (lower-case a-z 0-9 . _ -); must be the one"
                    + " the gateway is configured with. Online it defaults to the daemon's identity.trust_domain"
                    + " (another is refused); offline (--state-dir) it is required.")
    String trustDomain;

    @Option(names = "--valid-for", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
            description = "How long the certificate is valid, e.g. 90d or 12h (default: 90d; never past the CA).")
    Duration validFor = AgentCerts.DEFAULT_VALIDITY;

    @Option(names = "--out-key", required = true, paramLabel = "FILE",
            description = "Where to write the private key (PKCS #8 PEM, mode 0600).")
    Path outKey;

    @Option(names = "--out-cert", required = true, paramLabel = "FILE",
            description = "Where to write the certificate (PEM, mode 0644).")
    Path outCert;

    @ArgGroup(exclusive = false)
    Pkcs12Options pkcs12;

    @Option(names = "--force", description = "Replace existing output files.")
    boolean force;

    @Option(names = "--allow-unregistered",
            description = "Issue even if the agent is not in the registry (a disabled agent is still refused).")
    boolean allowUnregistered;

    /** {@code --pkcs12} and {@code --password-file}: both or neither. */
    static final class Pkcs12Options {
        @Option(names = "--pkcs12", required = true, paramLabel = "FILE",
                description = "Also write key, certificate and CA as PKCS #12 (mode 0600).")
        Path file;

        @Option(names = "--password-file", required = true, paramLabel = "FILE",
                description = "The PKCS #12 password: the file's first line (never given on the command line).")
        Path passwordFile;
    }

    @Override
    protected int run() throws Failure {
        boolean offline = offline();
        if (offline && trustDomain == null) {
            throw usage("Missing required option: '--trust-domain=TD' (offline, with --state-dir; online the"
                    + " daemon's identity.trust_domain is the default)");
        }
        requireId("agent id", agentId);
        List<Path> outputs = new ArrayList<>(List.of(outKey, outCert));
        if (pkcs12 != null) {
            outputs.add(pkcs12.file);
        }
        Set<Path> distinct = new HashSet<>();
        for (Path p : outputs) {
            if (!distinct.add(p.toAbsolutePath().normalize())) {
                throw usage("output file " + p + " is given twice (expected: distinct --out-key, --out-cert and"
                        + " --pkcs12 files)");
            }
        }
        if (!force) {
            for (Path p : outputs) {
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new Failure(ExitCodes.FAILURE, p + ": exists (expected: a new file; --force replaces it)");
                }
            }
        }
        char[] password = pkcs12 == null ? null : readPassword(pkcs12.passwordFile);
        try {
            Issued issued = offline ? issueOffline() : issueOnline();
            if (issued.caCreated()) {
                out().println("created the agents' CA in " + issued.caDir() + "; gateways must trust it:"
                        + " clawgressctl ca export --agents");
            }
            AgentCertificate cert = issued.cert();
            write(cert, password);
            out().println("issued a client certificate for agent " + agentId
                    + (issued.registered() ? "" : " (not registered: --allow-unregistered)"));
            out().println("  spiffe id:   " + cert.spiffeId());
            out().println("  serial:      " + cert.certificate().getSerialNumber().toString(16));
            out().println("  valid until: " + cert.certificate().getNotAfter().toInstant());
            out().println("  key:         " + outKey + " (mode 0600; give it to the agent alone)");
            out().println("  certificate: " + outCert);
            if (pkcs12 != null) {
                out().println("  pkcs12:      " + pkcs12.file + " (mode 0600)");
            }
            return ExitCodes.OK;
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    /** A certificate issued by either path, and what the output mentions. */
    private record Issued(AgentCertificate cert, boolean registered, boolean caCreated, String caDir) {
    }

    private Issued issueOffline() throws Failure {
        AgentRecord agent = usableAgent(this, agentId, allowUnregistered);
        AgentCerts.Issued issued;
        try {
            issued = AgentCerts.issue(stateDir, trustDomain, agentId, validFor, clock());
        } catch (AgentCerts.IssueException e) {
            throw switch (e.kind()) {
                case TRUST_DOMAIN -> new Failure(ExitCodes.CONFIG, "--trust-domain " + e.getMessage());
                case REQUEST -> new Failure(ExitCodes.CONFIG, e.getMessage());
                case CA -> new Failure(ExitCodes.FAILURE, e.getMessage());
            };
        }
        return new Issued(issued.certificate(), agent != null, issued.caCreated(), issued.caDir().toString());
    }

    /** {@code POST /v1/agents/{id}/cert}: the daemon checks the agent and issues; the files are written here. */
    private Issued issueOnline() throws Failure {
        ObjectNode body = Json.object();
        if (trustDomain != null) {
            body.put("trust_domain", trustDomain);
        }
        body.put("valid_for_seconds", validFor.toSeconds());
        if (allowUnregistered) {
            body.put("allow_unregistered", true);
        }
        JsonNode a = send("POST", agentPath(agentId, "/cert"), body);
        try {
            PrivateKey key = privateKey(text(a, "private_key_pem"));
            X509Certificate cert = certificate(text(a, "certificate_pem"));
            X509Certificate ca = certificate(text(a, "ca_certificate_pem"));
            AgentCertificate c = new AgentCertificate(agentId, text(a, "spiffe_id"), key, cert, ca);
            JsonNode registered = a.get("registered");
            JsonNode created = a.get("ca_created");
            if (registered == null || !registered.isBoolean() || created == null || !created.isBoolean()) {
                throw new IllegalArgumentException("registered, ca_created: " + registered + ", " + created
                        + " (expected: true or false)");
            }
            return new Issued(c, registered.booleanValue(), created.booleanValue(), text(a, "ca_directory"));
        } catch (IllegalArgumentException e) {
            throw unexpected(e);
        }
    }

    /** A PKCS #8 EC private key PEM (as {@link AgentCertificate#privateKeyPem()} writes it). */
    static PrivateKey privateKey(String pem) {
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            throw new IllegalArgumentException("private_key_pem: no PRIVATE KEY block (expected: PKCS #8 PEM)");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException x) {
            throw new IllegalArgumentException("private_key_pem: not an EC private key: " + x.getMessage());
        }
    }

    /** One X.509 certificate PEM. */
    static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("not an X.509 certificate PEM: " + e.getMessage());
        }
    }

    private void write(AgentCertificate cert, char[] password) throws Failure {
        List<Path> written = new ArrayList<>();
        try {
            writeOne(outKey, cert.privateKeyPem().getBytes(StandardCharsets.US_ASCII), OutputFiles.PRIVATE, written);
            writeOne(outCert, cert.certificatePem().getBytes(StandardCharsets.US_ASCII), OutputFiles.PUBLIC, written);
            if (pkcs12 != null) {
                writeOne(pkcs12.file, cert.pkcs12(password), OutputFiles.PRIVATE, written);
            }
        } catch (Failure f) {
            for (Path p : written) {
                try {
                    Files.deleteIfExists(p); // a key without its certificate (or the reverse) is of no use
                } catch (IOException ignored) {
                    // the operator sees the paths in the message
                }
            }
            throw written.isEmpty() ? f : new Failure(f.exitCode(), f.getMessage() + " (removed again: "
                    + String.join(", ", written.stream().map(Path::toString).toList()) + ")");
        }
    }

    private void writeOne(Path file, byte[] bytes, Set<PosixFilePermission> mode, List<Path> written)
            throws Failure {
        try {
            OutputFiles.write(file, bytes, mode, force);
            written.add(file);
        } catch (FileAlreadyExistsException e) {
            throw new Failure(ExitCodes.FAILURE, file + ": exists (expected: a new file; --force replaces it)");
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, file + ": cannot write: " + OutputFiles.why(e));
        }
    }

    /** The password: the file's first line, UTF-8, without its line end; an empty one is refused. */
    static char[] readPassword(Path file) throws Failure {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_PASSWORD_FILE_BYTES) {
                throw new Failure(ExitCodes.FAILURE, file + ": larger than " + MAX_PASSWORD_FILE_BYTES
                        + " bytes (expected: a password file)");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, file + ": cannot read: " + OutputFiles.why(e));
        }
        CharBuffer chars;
        try {
            chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new Failure(ExitCodes.FAILURE, file + ": not UTF-8 (expected: a password file)");
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        int end = 0;
        while (end < chars.length() && chars.charAt(end) != '\n' && chars.charAt(end) != '\r') {
            end++;
        }
        char[] password = new char[end];
        chars.get(password, 0, end);
        Arrays.fill(chars.array(), '\0');
        if (password.length == 0) {
            throw new Failure(ExitCodes.FAILURE, file + ": empty first line (expected: the PKCS#12 password)");
        }
        return password;
    }

    /**
     * The agent's record, checked in the registry (offline) or with {@code GET /v1/agents/{id}} (online): a disabled
     * agent is refused, and so is an unknown one unless {@code allowUnregistered} (then null). Shared by
     * {@code agent cert} (offline; online the daemon checks) and {@code agent token}.
     */
    static AgentRecord usableAgent(AgentVerb verb, String agentId, boolean allowUnregistered) throws Failure {
        if (verb.offline()) {
            AgentDirectory directory;
            try (AgentRegistry registry = verb.open(false)) {
                directory = registry == null ? AgentDirectory.EMPTY : registry.snapshot();
            } catch (AgentRegistryException e) {
                throw verb.failure(e);
            }
            try {
                return AgentCerts.usable(directory, verb.registryDir(), agentId, allowUnregistered,
                        "--allow-unregistered");
            } catch (AgentCerts.Unusable e) {
                throw new Failure(ExitCodes.FAILURE, e.getMessage());
            }
        }
        AdminClient.Response r = verb.request("GET", AgentVerb.agentPath(agentId, ""), null, null);
        if (r.status() == 404) {
            if (allowUnregistered) {
                return null;
            }
            Failure f = verb.apiFailure(r);
            throw new Failure(f.exitCode(), f.getMessage() + "; 'clawgressctl agent add " + agentId + "' registers"
                    + " it, --allow-unregistered skips this check");
        }
        AgentRecord agent;
        try {
            agent = AgentJson.record(verb.json(r).get("agent"));
        } catch (IllegalArgumentException e) {
            throw verb.unexpected(e);
        }
        if (!agent.active()) {
            throw new Failure(ExitCodes.FAILURE, AgentCerts.disabled(agent));
        }
        return agent;
    }
}
