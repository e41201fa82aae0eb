package io.clawgress.appliance.ctl;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtKeySetException;
import io.clawgress.enforcement.identity.jwt.JwtMinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code clawgressctl agent token}: mints an EdDSA JWT for a registered, active agent with a local key
 * (docs/jwt-identity.md#minting-tokens-without-an-identity-provider), or with {@code --generate-key} makes that key:
 * the private half (mode 0600, where tokens are minted) and the key-set file for the bundle's
 * {@value JwtKeySet#BUNDLE_PATH}. A minted token is the only thing printed on stdout, so
 * {@code TOKEN=$(clawgressctl agent token ...)} works. The key stays with the operator: the daemon is only asked
 * whether the agent is registered and active ({@code GET /v1/agents/{id}}), or with {@code --state-dir} the
 * registry is read directly.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = {"Mint a JWT for an agent with a local Ed25519 key: the token alone is printed on stdout."
                + " The agent must be registered and active: the daemon is asked (GET /v1/agents/ID), or with"
                + " --state-dir the registry is read; the key never leaves this machine.",
                "With --generate-key: create that key (the private key, mode 0600) and the key-set file to put in"
                        + " the policy bundle at " + JwtKeySet.BUNDLE_PATH + "."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:minted (or the key was written)", "1:the agent is unknown or disabled, the key cannot be"
                + " read, an output exists (without --force), or the registry cannot be used", "2:bad arguments",
                "69:the daemon cannot be reached (to check the agent)", "77:not allowed (the socket's group reads"
                + " agents)", "78:an invalid agent id"})
final class AgentTokenCommand extends AgentVerb {

    /** The largest key file read. */
    static final int MAX_KEY_FILE_BYTES = 64 * 1024;
    /**
     * The explanatory line {@code --generate-key} writes before the PEM block, naming the key's id so that minting
     * needs no {@code --kid}. RFC 7468 §2 allows text before the encapsulation boundary; parsers skip it.
     */
    static final Pattern KID_LINE = Pattern.compile("(?m)^kid: (\\S+)$");

    @Parameters(index = "0", arity = "0..1", paramLabel = "AGENT_ID",
            description = "The agent's id (to mint; not with --generate-key).")
    String agentId;

    @Option(names = "--generate-key", description = "Generate a signing key and its key-set file instead of minting.")
    boolean generateKey;

    @Option(names = "--issuer", required = true, paramLabel = "ISS",
            description = "The token's iss: the issuer the key set lists the key under (printable ASCII).")
    String issuer;

    @Option(names = "--audience", required = true, paramLabel = "AUD",
            description = "The token's aud, one of the issuer's aud values in the key set.")
    String audience;

    @Option(names = "--kid", paramLabel = "KID",
            description = "Key id (--generate-key: required; minting: default the kid recorded in the key file).")
    String kid;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
            description = "How long the token is valid, e.g. 1h or 30d (default: 1h; at most 366d).")
    Duration ttl;

    @Option(names = "--key", paramLabel = "FILE", description = "The private key to sign with (minting).")
    Path key;

    @Option(names = "--allow-unregistered",
            description = "Mint even if the agent is not in the registry (a disabled agent is still refused).")
    boolean allowUnregistered;

    @Option(names = "--out-private", paramLabel = "FILE",
            description = "--generate-key: where to write the private key (PKCS #8 PEM, mode 0600).")
    Path outPrivate;

    @Option(names = "--out-keyset", paramLabel = "FILE",
            description = "--generate-key: where to write the key-set file (JSON, mode 0644).")
    Path outKeySet;

    @Option(names = "--force", description = "--generate-key: replace existing output files.")
    boolean force;

    @Override
    protected int run() throws Failure {
        return generateKey ? generate() : mint();
    }

    private int mint() throws Failure {
        if (agentId == null) {
            throw usage("Missing required parameter: 'AGENT_ID' (or --generate-key to make a key)");
        }
        if (key == null) {
            throw usage("Missing required option: '--key=FILE' (the private key; --generate-key makes one)");
        }
        if (outPrivate != null || outKeySet != null || force) {
            throw usage("--out-private, --out-keyset and --force go with --generate-key, not with minting");
        }
        requireId("agent id", agentId);
        String pem = readKey();
        String keyId = kid;
        if (keyId == null) {
            Matcher m = KID_LINE.matcher(pem.substring(0, Math.max(0, pem.indexOf("-----BEGIN "))));
            if (!m.find()) {
                throw usage("Missing required option: '--kid=KID' (" + key + " does not record one)");
            }
            keyId = m.group(1);
        }
        JwtMinter minter;
        try {
            minter = JwtMinter.fromPem(issuer, keyId, pem);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new Failure(ExitCodes.FAILURE, key + ": not an Ed25519 private key (expected: PKCS #8 PEM as"
                    + " --generate-key writes it): " + e.getMessage());
        }
        AgentRecord agent = AgentCertCommand.usableAgent(this, agentId, allowUnregistered);
        Identity identity = agent != null ? agent.identity(AuthMethod.JWT)
                : new Identity(agentId, null, null, null, null, AuthMethod.JWT, true);
        String token;
        try {
            token = minter.mint(identity, audience, clock().instant(), ttl == null ? Duration.ofHours(1) : ttl);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        out().println(token);
        return ExitCodes.OK;
    }

    private String readKey() throws Failure {
        try {
            if (Files.size(key) > MAX_KEY_FILE_BYTES) {
                throw new Failure(ExitCodes.FAILURE, key + ": larger than " + MAX_KEY_FILE_BYTES
                        + " bytes (expected: a PEM private key)");
            }
            return Files.readString(key, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, key + ": cannot read: " + OutputFiles.why(e));
        }
    }

    private int generate() throws Failure {
        if (agentId != null || key != null || ttl != null || allowUnregistered) {
            throw usage("--generate-key makes a key; AGENT_ID, --key, --ttl and --allow-unregistered are for minting");
        }
        if (kid == null || outPrivate == null || outKeySet == null) {
            throw usage("--generate-key needs --kid, --out-private and --out-keyset");
        }
        if (!BundleKeygenCommand.KID.matcher(kid).matches()) {
            throw usage("--kid '" + kid + "' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a"
                    + " letter or digit)");
        }
        if (outPrivate.toAbsolutePath().normalize().equals(outKeySet.toAbsolutePath().normalize())) {
            throw usage("--out-private and --out-keyset are the same file");
        }
        for (Path p : List.of(outPrivate, outKeySet)) {
            if (!force && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new Failure(ExitCodes.FAILURE, p + ": exists (expected: a new file; --force replaces it)");
            }
        }
        JwtMinter.GeneratedKey generated;
        try {
            generated = JwtMinter.generate(kid);
            generated.minter(issuer); // checks the issuer as minting will
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new Failure(ExitCodes.FAILURE, "cannot generate an Ed25519 key: " + e.getMessage());
        }
        byte[] keySet = JwtMinter.keySetJson(issuer, List.of(audience), List.of(generated))
                .getBytes(StandardCharsets.UTF_8);
        try {
            JwtKeySet.parse(keySet); // what gateways will read must read back
        } catch (JwtKeySetException e) {
            throw usage("--issuer/--audience: " + e.getMessage());
        }
        String privatePem = "kid: " + kid + "\n" + generated.privateKeyPem();
        try {
            OutputFiles.write(outPrivate, privatePem.getBytes(StandardCharsets.US_ASCII), OutputFiles.PRIVATE, force);
        } catch (FileAlreadyExistsException e) {
            throw new Failure(ExitCodes.FAILURE, outPrivate + ": exists (expected: a new file; --force replaces it)");
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, outPrivate + ": cannot write: " + OutputFiles.why(e));
        }
        try {
            OutputFiles.write(outKeySet, keySet, OutputFiles.PUBLIC, force);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(outPrivate); // a private key whose public half was not written is of no use
            } catch (IOException ignored) {
                // reported below
            }
            throw new Failure(ExitCodes.FAILURE, outKeySet + ": cannot write: " + OutputFiles.why(e)
                    + " (the private key " + outPrivate + " was removed again)");
        }
        out().println("generated EdDSA token signing key " + kid + " for issuer " + issuer);
        out().println("  private key: " + outPrivate + " (mode 0600; keep it where tokens are minted)");
        out().println("  key set:     " + outKeySet + " (put it in the policy bundle at " + JwtKeySet.BUNDLE_PATH
                + ")");
        return ExitCodes.OK;
    }
}
