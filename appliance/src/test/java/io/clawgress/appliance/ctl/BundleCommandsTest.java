package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.enforcement.bundle.TrustedKeys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static io.clawgress.appliance.ctl.Ctl.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code clawgressctl bundle keygen|build|verify}, in-process, in a temp directory, at a fixed time. */
class BundleCommandsTest {

    @TempDir
    Path tmp;

    Path dir;
    Path key;
    Path keys;
    Path bundle;

    @BeforeEach
    void setUp() {
        dir = Ctl.policyDir(tmp, "bundle-content");
        key = tmp.resolve("ops.pem");
        keys = tmp.resolve("keys.json");
        bundle = tmp.resolve("bundle.tar.gz");
    }

    private Ctl.Run keygen(String... extra) {
        String[] base = {"bundle", "keygen", "--kid", "ops-ed-2026", "--out-private", key.toString(),
                "--out-public-keyset", keys.toString()};
        return run(concat(base, extra));
    }

    private Ctl.Run build(Path signingKey, String kid, String... extra) {
        String[] base = {"bundle", "build", "--dir", dir.toString(), "--key", signingKey.toString(), "--kid", kid,
                "--revision", "7", "--out", bundle.toString()};
        return run(concat(base, extra));
    }

    private Ctl.Run verify(Path keySet, String... extra) {
        String[] base = {"bundle", "verify", bundle.toString(), "--trusted-keys", keySet.toString()};
        return run(concat(base, extra));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void keygenBuildVerifyRoundTrip() throws Exception {
        Ctl.Run g = keygen();
        assertThat(g.exit()).as(g.toString()).isZero();
        assertThat(g.out()).contains("generated EdDSA key ops-ed-2026", "(mode 0600; keep it off the gateways)",
                "(1 key)");
        assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(TrustedKeys.read(keys).find("ops-ed-2026")).isPresent();

        Ctl.Run b = build(key, "ops-ed-2026", "--not-before", "2026-11-21", "--valid-for", "10d");
        assertThat(b.exit()).as(b.toString()).isZero();
        assertThat(b.err()).isEmpty();
        assertThat(b.out()).contains("built " + bundle + ": revision 7, signed by ops-ed-2026 (EdDSA)",
                "valid:  2026-11-21T00:00:00Z .. 2026-12-01T00:00:00Z", "files:  3 (2 policy)",
                "policy: 2 policies, 3 rules, 4 destinations, 2 bindings",
                "sha256: " + sha256(Files.readAllBytes(bundle)));

        Ctl.Run v = verify(keys);
        assertThat(v.exit()).as(v.toString()).isZero();
        assertThat(v.out()).isEqualTo("""
                bundle OK: %s
                  revision:   7
                  kid:        ops-ed-2026 (EdDSA)
                  not_before: 2026-11-21T00:00:00Z
                  expires:    2026-12-01T00:00:00Z
                  files:
                    %s  README.txt
                    %s  identity/subnets.yaml
                    %s  policies/research.yaml
                  policy:     2 policies, 3 rules, 4 destinations, 2 bindings
                """.formatted(bundle, sha256("not policy\n"), sha256(Ctl.BINDINGS), sha256(Ctl.POLICIES)));

        Ctl.Run j = verify(keys, "--json");
        assertThat(j.exit()).isZero();
        JsonNode json = Json.MAPPER.readTree(j.out());
        assertThat(json.get("valid").asBoolean()).isTrue();
        assertThat(json.get("revision").asLong()).isEqualTo(7);
        assertThat(json.get("alg").asText()).isEqualTo("EdDSA");
        assertThat(json.get("files").get(2).get("path").asText()).isEqualTo("policies/research.yaml");
        assertThat(json.get("files").get(2).get("sha256").asText()).isEqualTo(sha256(Ctl.POLICIES));
        assertThat(json.get("policy").get("rules").asInt()).isEqualTo(3);
    }

    @Test
    void buildIsReproducibleWithEdDsa() throws Exception {
        assertThat(keygen().exit()).isZero();
        assertThat(build(key, "ops-ed-2026", "--not-before", "2026-11-21T00:00:00Z", "--expires",
                "2026-12-21T00:00:00Z").exit()).isZero();
        byte[] first = Files.readAllBytes(bundle);
        assertThat(build(key, "ops-ed-2026", "--not-before", "2026-11-21T00:00:00Z", "--expires",
                "2026-12-21T00:00:00Z").exit()).isZero();
        assertThat(Files.readAllBytes(bundle)).isEqualTo(first);
    }

    @Test
    void es256KeyAppendedToAnExistingKeySet() throws Exception {
        assertThat(keygen().exit()).isZero();
        Path ecKey = tmp.resolve("ec.pem");
        Ctl.Run g = run("bundle", "keygen", "--alg", "es256", "--kid", "ops-ec-2026", "--out-private",
                ecKey.toString(), "--out-public-keyset", keys.toString(), "--append");
        assertThat(g.exit()).as(g.toString()).isZero();
        assertThat(g.out()).contains("generated ES256 key ops-ec-2026", "(2 keys, appended)");
        assertThat(TrustedKeys.read(keys).size()).isEqualTo(2);

        Ctl.Run b = build(ecKey, "ops-ec-2026");
        assertThat(b.exit()).as(b.toString()).isZero();
        assertThat(b.out()).contains("signed by ops-ec-2026 (ES256)",
                "valid:  2026-11-21T12:00:00Z .. 2026-12-21T12:00:00Z");
        Ctl.Run v = verify(keys);
        assertThat(v.exit()).as(v.toString()).isZero();
        assertThat(v.out()).contains("kid:        ops-ec-2026 (ES256)");
    }

    @Test
    void keygenNeverOverwritesUnlessForced() throws Exception {
        assertThat(keygen().exit()).isZero();
        String pem = Files.readString(key);
        Ctl.Run again = keygen();
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains(key + ": exists (expected: a new file; --force replaces it)");
        assertThat(Files.readString(key)).isEqualTo(pem);

        Files.delete(key);
        Ctl.Run keySetExists = keygen();
        assertThat(keySetExists.exit()).isEqualTo(1);
        assertThat(keySetExists.err()).contains(keys + ": exists (expected: a new file; --append adds the key to it,"
                + " --force replaces it)");
        assertThat(key).doesNotExist();

        Ctl.Run dup = keygen("--append");
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.err()).contains("already has kid ops-ed-2026");

        Ctl.Run forced = keygen("--force");
        assertThat(forced.exit()).as(forced.toString()).isZero();
        assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(TrustedKeys.read(keys).size()).isEqualTo(1);

        Ctl.Run badKid = run("bundle", "keygen", "--kid", "bad kid", "--out-private", tmp.resolve("x").toString(),
                "--out-public-keyset", tmp.resolve("y").toString());
        assertThat(badKid.exit()).isEqualTo(2);
        assertThat(badKid.err()).contains("--kid 'bad kid' (expected: 1-128 characters");
    }

    @Test
    void tamperedBundleIsRefusedWithItsReason() throws Exception {
        assertThat(keygen().exit()).isZero();
        assertThat(build(key, "ops-ed-2026").exit()).isZero();
        byte[] good = Files.readAllBytes(bundle);

        // Change one byte of a signed file's content (inside the tar, re-gzipped): the signature still verifies.
        byte[] tar = gunzip(good);
        String text = new String(tar, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("api.openai.com");
        tar[at] = 'A';
        Files.write(bundle, gzip(tar));
        Ctl.Run v = verify(keys);
        assertThat(v.exit()).isEqualTo(1);
        assertThat(v.err()).contains(bundle + ": bundle refused: digest_mismatch: ")
                .contains("policies/research.yaml");
        JsonNode json = Json.MAPPER.readTree(verify(keys, "--json").out());
        assertThat(json.get("valid").asBoolean()).isFalse();
        assertThat(json.get("reason").asText()).isEqualTo("digest_mismatch");

        // Flip a byte of the compressed stream: the gzip CRC or the inflater notices first.
        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x01;
        Files.write(bundle, flipped);
        Ctl.Run f = verify(keys);
        assertThat(f.exit()).isEqualTo(1);
        assertThat(f.err()).containsPattern("bundle refused: (malformed_archive|digest_mismatch|bad_signature|"
                + "malformed_signatures): ");
    }

    @Test
    void untrustedKeysAreRefused() {
        assertThat(keygen().exit()).isZero();
        assertThat(build(key, "ops-ed-2026").exit()).isZero();

        Path otherKeys = tmp.resolve("other.json");
        assertThat(run("bundle", "keygen", "--kid", "someone-else", "--out-private", tmp.resolve("o.pem").toString(),
                "--out-public-keyset", otherKeys.toString()).exit()).isZero();
        Ctl.Run unknown = verify(otherKeys);
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("bundle refused: unknown_kid: ");

        Path impostorKeys = tmp.resolve("impostor.json");
        assertThat(run("bundle", "keygen", "--kid", "ops-ed-2026", "--out-private", tmp.resolve("i.pem").toString(),
                "--out-public-keyset", impostorKeys.toString()).exit()).isZero();
        Ctl.Run bad = verify(impostorKeys);
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("bundle refused: bad_signature: ");

        Ctl.Run malformed = verify(key); // a private key is no key set
        assertThat(malformed.exit()).isEqualTo(1);
        assertThat(malformed.err()).contains(key + ": malformed_key_set: ");
    }

    @Test
    void validityAndRevisionAreChecked() {
        assertThat(keygen().exit()).isZero();
        assertThat(build(key, "ops-ed-2026", "--valid-for", "1d").exit()).isZero();
        Ctl.Run expired = verify(keys, "--at", "2026-11-23T00:00:00Z");
        assertThat(expired.exit()).isEqualTo(1);
        assertThat(expired.err()).contains("bundle refused: expired: ");
        Ctl.Run early = verify(keys, "--at", "2026-11-20");
        assertThat(early.err()).contains("bundle refused: not_yet_valid: ");

        Ctl.Run old = verify(keys, "--active-revision", "7");
        assertThat(old.exit()).isEqualTo(1);
        assertThat(old.err()).contains("bundle refused: revision_not_newer: ");
        assertThat(verify(keys, "--active-revision", "7", "--rollback").exit()).isZero();
        assertThat(verify(keys, "--active-revision", "6").exit()).isZero();
    }

    @Test
    void buildRefusesToSignInvalidPolicy() throws Exception {
        assertThat(keygen().exit()).isZero();
        Ctl.write(dir.resolve("policies/bad.yaml"), """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: bad
                priority: 10
                subjects: {}
                rules:
                  - id: r1
                    acton: allow
                    destinations: [{host: "*.com"}]
                """);
        Ctl.Run b = build(key, "ops-ed-2026");
        assertThat(b.exit()).as(b.toString()).isEqualTo(78);
        Path bad = dir.resolve("policies/bad.yaml");
        assertThat(b.err()).contains(
                bad + ":7:5: rules[0].action: missing (expected: one of: allow, deny)",
                bad + ":8:5: rules[0]: unknown key 'acton' (expected one of: id, action, destinations, http,"
                        + " intercept, rate_limit; did you mean 'action'?)",
                bad + ":9:27: rules[0].destinations[0].host: '*.com' covers a public suffix",
                "refusing to sign: the policy in " + dir + " is invalid (3 errors)");
        assertThat(bundle).doesNotExist();
    }

    @Test
    void buildRefusesBadKeysAndArguments() throws Exception {
        assertThat(keygen().exit()).isZero();
        Ctl.Run notAKey = build(keys, "ops-ed-2026");
        assertThat(notAKey.exit()).isEqualTo(1);
        assertThat(notAKey.err()).contains(keys + ": not an Ed25519 or P-256 private key");

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Ctl.Run readable = build(key, "ops-ed-2026");
        assertThat(readable.exit()).isZero();
        assertThat(readable.err()).contains("warning: " + key + " is readable by group or others");

        assertThat(build(key, "ops-ed-2026", "--not-before", "2026-12-01", "--expires", "2026-11-01").err())
                .contains("not_before 2026-12-01T00:00:00Z is not before expires 2026-11-01T00:00:00Z");
        Ctl.Run both = build(key, "ops-ed-2026", "--expires", "2026-12-01", "--valid-for", "3d");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        Ctl.Run badDuration = build(key, "ops-ed-2026", "--valid-for", "3 weeks");
        assertThat(badDuration.exit()).isEqualTo(2);
        assertThat(badDuration.err()).contains("'3 weeks' (expected: a duration such as 30d");
        assertThat(run("bundle", "build", "--dir", dir.toString()).exit()).isEqualTo(2);
        Ctl.Run zero = build(key, "ops-ed-2026", "--revision", "0");
        assertThat(zero.exit()).isEqualTo(2);

        Ctl.Run inside = run("bundle", "build", "--dir", dir.toString(), "--key", key.toString(), "--kid",
                "ops-ed-2026", "--revision", "7", "--out", dir.resolve("b.tar.gz").toString());
        assertThat(inside.exit()).isEqualTo(2);
        assertThat(inside.err()).contains("is inside --dir");
    }

    @Test
    void buildNeverSignsAPrivateKeyIntoABundle() throws Exception {
        assertThat(keygen().exit()).isZero();
        Files.copy(key, dir.resolve("ops.pem"));
        Ctl.Run b = build(key, "ops-ed-2026");
        assertThat(b.exit()).isEqualTo(1);
        assertThat(b.err()).contains(dir.resolve("ops.pem") + ": holds a private key");
        assertThat(bundle).doesNotExist();
    }

    @Test
    void groupsWithoutAVerbPrintUsage() {
        Ctl.Run r = run("bundle");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("keygen", "build", "verify");
        assertThat(run().exit()).isEqualTo(2);
        assertThat(run("--version").out()).startsWith("clawgress ");
    }

    private static String sha256(String text) throws Exception {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
