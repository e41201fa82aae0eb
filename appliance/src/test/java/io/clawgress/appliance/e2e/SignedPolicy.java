package io.clawgress.appliance.e2e;

import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.BundleException;
import io.clawgress.enforcement.bundle.KeyGen;
import io.clawgress.enforcement.bundle.SigningAlg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Signed policy bundles for end-to-end tests, made the way an operator makes them: a key pair whose public half is
 * the gateway's trusted key set, and bundles built and signed from policy YAML. Files live under {@code dir}.
 */
final class SignedPolicy {

    static final String KID = "e2e-signer";

    private final Path dir;
    private final KeyGen.GeneratedKey key;
    private final Path trustedKeys;

    SignedPolicy(Path dir) {
        this(dir, KID);
    }

    /** Keys under another key id (a signer the gateway does not know, when its key set is not configured). */
    SignedPolicy(Path dir, String kid) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            this.key = KeyGen.generate(SigningAlg.EDDSA, kid);
            this.trustedKeys = dir.resolve("trusted-keys.json");
            Files.writeString(trustedKeys, KeyGen.keySetJson(List.of(key)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    Path trustedKeys() {
        return trustedKeys;
    }

    KeyGen.GeneratedKey key() {
        return key;
    }

    /**
     * Policy YAML binding the topology's agent subnet to {@code e2e-agent} with one policy {@code e2e} whose rules
     * are {@code rulesYaml} (a YAML list, indented for the {@code rules:} key, e.g. {@code "  - {id: ...}"}).
     */
    static String agentPolicy(String rulesYaml) {
        return """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: e2e-agents
                bindings:
                  - {subnet: 198.18.1.0/24, identity: {agent_id: e2e-agent}}
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: e2e
                priority: 100
                subjects: {}
                rules:
                """ + rulesYaml;
    }

    /** The bytes of a bundle of one policy file, valid from an hour ago for a day. */
    byte[] bundle(long revision, String policyYaml) {
        return bundle(revision, Map.of("policies/e2e.yaml", policyYaml.getBytes(StandardCharsets.UTF_8)));
    }

    byte[] bundle(long revision, Map<String, byte[]> files) {
        Instant now = Instant.now();
        return bundle(revision, files, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
    }

    byte[] bundle(long revision, Map<String, byte[]> files, Instant notBefore, Instant expires) {
        try {
            return BundleBuilder.build(files, key.signingKey(), revision, notBefore, expires);
        } catch (BundleException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes a bundle to {@code dir/name} and returns its path. */
    Path write(String name, byte[] bundle) {
        Path p = dir.resolve(name);
        try {
            Files.write(p, bundle);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /**
     * Drops a bundle into a watched directory the documented way: written beside it, then renamed in (atomic on
     * one filesystem), so the gateway never reads half a file.
     */
    static void drop(Path dropDir, String name, byte[] bundle) {
        try {
            Path tmp = dropDir.resolveSibling(name + ".tmp");
            Files.write(tmp, bundle);
            Files.move(tmp, dropDir.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The policy section of clawgress.yaml for these keys, with an optional bundle file and drop directory. */
    String configSection(Path stateDir, Path bundle, Path dropDir) {
        StringBuilder b = new StringBuilder()
                .append("state_dir: ").append(stateDir).append('\n')
                .append("policy:\n")
                .append("  trusted_keys: ").append(trustedKeys).append('\n');
        if (bundle != null) {
            b.append("  bundle: ").append(bundle).append('\n');
        }
        if (dropDir != null) {
            b.append("  drop_dir: ").append(dropDir).append('\n');
        }
        return b.toString();
    }
}
