package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import io.clawgress.intercept.ca.AgentCertIssuer;
import io.clawgress.intercept.ca.AgentCertificate;
import io.clawgress.intercept.ca.CaException;
import io.clawgress.intercept.ca.InterceptCa;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code clawgressctl agent cert}: a client certificate for a registered, active agent, issued by the agents' CA in
 * {@code state_dir/intercept-ca} (created on first use). The key goes to a file of mode 0600, the certificate to one
 * of mode 0644, and on request both (with the CA) into a PKCS #12 file whose password is read from a file, never
 * from the command line (argv is visible to every user through {@code /proc}).
 */
@Command(name = "cert", mixinStandardHelpOptions = true,
        description = {"Issue a client certificate for an agent (mTLS identity): an EC P-256 key and a certificate"
                + " with the URI SAN spiffe://TRUST_DOMAIN/agent/AGENT_ID, signed by the agents' CA in"
                + " STATE_DIR/intercept-ca (created by the first use). The agent must be registered and active."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:issued", "1:the agent is unknown or disabled, an output exists (without --force), the CA"
                + " or the registry cannot be used, or writing failed", "2:bad arguments",
                "78:an invalid agent id or trust domain"})
final class AgentCertCommand extends AgentVerb {

    /** The largest password file read: a password, not a document. */
    static final int MAX_PASSWORD_FILE_BYTES = 4096;

    @Parameters(index = "0", paramLabel = "AGENT_ID", description = "The agent's id, as registered ("
            + AgentIds.EXPECTED + "), without ':' (a SPIFFE ID cannot carry it).")
    String agentId;

    @Option(names = "--trust-domain", required = true, paramLabel = "TD",
            description = "SPIFFE trust domain, e.g. agents.example.com (lower-case a-z 0-9 . _ -); must be the one"
                    + " the gateway is configured with.")
    String trustDomain;

    @Option(names = "--valid-for", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
            description = "How long the certificate is valid, e.g. 90d or 12h (default: 90d; never past the CA).")
    Duration validFor = Duration.ofDays(90);

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
            AgentRecord agent = usableAgent(this, agentId, allowUnregistered);
            AgentCertificate cert = issue();
            write(cert, password);
            out().println("issued a client certificate for agent " + agentId
                    + (agent == null ? " (not registered: --allow-unregistered)" : ""));
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

    private AgentCertificate issue() throws Failure {
        Path caDir = InterceptCa.directoryIn(stateDir);
        AgentCertIssuer issuer;
        try {
            issuer = AgentCertIssuer.openOrCreate(caDir, trustDomain, clock());
        } catch (IllegalArgumentException e) {
            throw new Failure(ExitCodes.CONFIG, "--trust-domain " + quote(trustDomain) + ": " + e.getMessage());
        } catch (CaException e) {
            throw new Failure(ExitCodes.FAILURE, e.getMessage());
        }
        if (issuer.created()) {
            out().println("created the agents' CA in " + caDir + "; gateways must trust it: clawgressctl ca export"
                    + " --agents");
        }
        try {
            return issuer.issue(agentId, validFor);
        } catch (IllegalArgumentException e) {
            // A registry id may contain ':', which a SPIFFE ID path segment may not (SPIFFE ID spec §2.2).
            throw new Failure(ExitCodes.CONFIG, "agent id " + quote(agentId) + " cannot be put in a certificate: "
                    + e.getMessage());
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
     * The agent's record, checked read-only in the registry: a disabled agent is refused, and so is an unknown one
     * unless {@code allowUnregistered} (then null). Shared by {@code agent cert} and {@code agent token}.
     */
    static AgentRecord usableAgent(AgentVerb verb, String agentId, boolean allowUnregistered) throws Failure {
        AgentDirectory directory;
        try (AgentRegistry registry = verb.open(false)) {
            directory = registry == null ? AgentDirectory.EMPTY : registry.snapshot();
        } catch (AgentRegistryException e) {
            throw verb.failure(e);
        }
        AgentRecord agent = directory.lookup(agentId);
        if (agent == null) {
            if (allowUnregistered) {
                return null;
            }
            throw new Failure(ExitCodes.FAILURE, verb.registryDir() + ": not_found: agent '" + agentId + "' ("
                    + directory.size() + " registered; 'clawgressctl agent add " + agentId + "' registers it,"
                    + " --allow-unregistered skips this check)");
        }
        if (!agent.active()) {
            throw new Failure(ExitCodes.FAILURE, "agent " + agentId + " is disabled" + (agent.statusReason() == null
                    ? "" : " (reason: " + agent.statusReason() + ")") + " (expected: an active agent;"
                    + " 'clawgressctl agent enable " + agentId + "' enables it)");
        }
        return agent;
    }
}
