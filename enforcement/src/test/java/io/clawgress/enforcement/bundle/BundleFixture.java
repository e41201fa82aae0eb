package io.clawgress.enforcement.bundle;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Keys generated per test run, a small bundle and a fixed clock. */
final class BundleFixture {

    static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    static final Instant NOT_BEFORE = NOW.minus(Duration.ofHours(1));
    static final Instant EXPIRES = NOW.plus(Duration.ofDays(30));
    static final long REVISION = 7;
    static final long ACTIVE = 5;

    final KeyGen.GeneratedKey ed;
    final KeyGen.GeneratedKey ec;
    /** Same kid as {@link #ed}, different key: what an attacker without the real key would sign with. */
    final KeyGen.GeneratedKey impostor;
    final TrustedKeys trusted;

    BundleFixture() {
        try {
            ed = KeyGen.generate(SigningAlg.EDDSA, "ops-ed-2026");
            ec = KeyGen.generate(SigningAlg.ES256, "ops-ec-2026");
            impostor = KeyGen.generate(SigningAlg.EDDSA, "ops-ed-2026");
            trusted = TrustedKeys.parse(KeyGen.keySetJson(List.of(ed, ec)).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException | BundleException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, byte[]> files() {
        Map<String, byte[]> files = new TreeMap<>();
        files.put("policies/research.yaml", utf8("apiVersion: clawgress.io/v1\nkind: Policy\nid: research-llm\n"));
        files.put("policies/no-metadata.yaml", utf8("apiVersion: clawgress.io/v1\nkind: Policy\nid: no-metadata\n"));
        files.put("identity/subnets.yaml", utf8("bindings: []\n"));
        files.put("empty.txt", new byte[0]);
        return files;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    SigningKey key(KeyGen.GeneratedKey generated) {
        try {
            return generated.signingKey();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] build(SigningKey key, long revision) {
        try {
            return BundleBuilder.build(files(), key, revision, NOT_BEFORE, EXPIRES);
        } catch (BundleException e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] buildEd() {
        return build(key(ed), REVISION);
    }
}
