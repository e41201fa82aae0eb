package io.clawgress.enforcement.activation;

import io.clawgress.api.FlowFacts;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.activation.source.BundleCandidate;
import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.KeyGen;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.SigningAlg;
import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtMinter;
import io.clawgress.enforcement.store.PolicyStore;
import io.clawgress.enforcement.store.StoreSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The activation pipeline on a real store: what is accepted, what is refused and why, what survives a restart. */
class ActivatorTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    private KeyGen.GeneratedKey signer;
    private Path keys;
    private PolicyStore store;
    private Activator activator;
    private final List<ActivePolicy> swapped = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        signer = KeyGen.generate(SigningAlg.EDDSA, "ops-1");
        keys = dir.resolve("keys.json");
        Files.writeString(keys, KeyGen.keySetJson(List.of(signer)));
        reopen(StoreSettings.DEFAULTS);
    }

    private void reopen(StoreSettings settings) throws Exception {
        close();
        store = PolicyStore.open(dir.resolve("policy.lmdb"), settings);
        activator = new Activator(store, keys, Limits.DEFAULTS, CLOCK);
        activator.onActivated(swapped::add);
    }

    @AfterEach
    void close() {
        if (activator != null) {
            activator.close();
            store.close();
        }
    }

    /** A bundle allowing 10.0.0.0/8 port {@code port} to agent a1 bound on 192.0.2.0/24. */
    private byte[] bundle(long revision, int port) throws Exception {
        return bundle(revision, policy(port), signer);
    }

    private static String policy(int port) {
        return """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: lab
                bindings:
                  - {subnet: 192.0.2.0/24, identity: {agent_id: a1}}
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p
                priority: 1
                subjects: {}
                rules:
                  - {id: web, action: allow, destinations: [{cidr: 10.0.0.0/8, ports: [%d]}]}
                """.formatted(port);
    }

    private static byte[] bundle(long revision, String yaml, KeyGen.GeneratedKey key) throws Exception {
        return BundleBuilder.build(Map.of("policies/p.yaml", yaml.getBytes(StandardCharsets.UTF_8)),
                key.signingKey(), revision, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1)));
    }

    private ActivationResult submit(byte[] bytes, boolean rollback) {
        return Activator.join(activator.submit(new BundleCandidate(bytes, "test:" + bytes.length, NOW), rollback));
    }

    private Verdict decide(int port) {
        FlowFacts facts = new FlowFacts("f", new InetSocketAddress("192.0.2.7", 40000),
                new InetSocketAddress("10.1.2.3", port));
        return activator.active().snapshot().decide(facts,
                activator.active().snapshot().identify(facts.source().getAddress())).verdict();
    }

    @Test
    void beforeAnyBundleEverythingIsDenied() {
        assertThat(activator.active().signed()).isFalse();
        assertThat(activator.restore().outcome()).isEqualTo(ActivationResult.Outcome.UNCHANGED);
        assertThat(decide(443)).isInstanceOf(Verdict.Deny.class);
        assertThat(activator.active().snapshot().revision()).isEqualTo(ActivePolicy.NO_POLICY_REVISION);
    }

    @Test
    void aValidBundleIsCommittedSwappedAndAnnounced() throws Exception {
        ActivationResult r = submit(bundle(1, 443), false);

        assertThat(r.outcome()).isEqualTo(ActivationResult.Outcome.ACTIVATED);
        assertThat(r.revision()).isEqualTo(1);
        assertThat(r.kid()).isEqualTo("ops-1");
        assertThat(decide(443)).isInstanceOf(Verdict.Relay.class);
        assertThat(decide(80)).isInstanceOf(Verdict.Deny.class);
        assertThat(store.active()).hasValueSatisfying(b -> assertThat(b.revision()).isEqualTo(1));
        assertThat(swapped).singleElement().satisfies(p -> assertThat(p.revision()).isEqualTo(1));
        assertThat(store.history(10)).first().satisfies(h -> assertThat(h.result()).isEqualTo("activated"));
    }

    @Test
    void theSameBytesAgainChangeNothing() throws Exception {
        byte[] b = bundle(1, 443);
        submit(b, false);
        ActivationResult again = submit(b, false);
        assertThat(again.outcome()).isEqualTo(ActivationResult.Outcome.UNCHANGED);
        assertThat(swapped).hasSize(1);
    }

    @Test
    void eachRefusalLeavesTheActiveSnapshotAndTheStoreUntouched() throws Exception {
        submit(bundle(2, 443), false);
        ActivePolicy before = activator.active();
        KeyGen.GeneratedKey stranger = KeyGen.generate(SigningAlg.EDDSA, "stranger");
        byte[] tampered = bundle(3, 8443);
        tampered[tampered.length / 2] ^= 0x01;

        record Case(String name, byte[] bytes, String code) {
        }
        List<Case> cases = List.of(
                new Case("older revision", bundle(1, 8443), "revision_not_newer"),
                new Case("equal revision", bundle(2, 8443), "revision_not_newer"),
                new Case("unknown kid", bundle(3, policy(8443), stranger), "unknown_kid"),
                new Case("broken gzip", tampered, "malformed_archive"),
                new Case("invalid policy", bundle(3, policy(8443) + "colour: blue\n", signer), "policy_invalid"),
                new Case("not a bundle", "hello".getBytes(StandardCharsets.UTF_8), "malformed_archive"));
        for (Case c : cases) {
            ActivationResult r = submit(c.bytes, false);
            assertThat(r.outcome()).as(c.name).isEqualTo(ActivationResult.Outcome.REJECTED);
            assertThat(r.reasonCode()).as(c.name + ": " + r).isEqualTo(c.code);
            assertThat(activator.active()).as(c.name).isSameAs(before);
            assertThat(store.active()).hasValueSatisfying(b -> assertThat(b.revision()).isEqualTo(2));
        }
        assertThat(activator.rejections()).isEqualTo(cases.size());
        assertThat(swapped).hasSize(1);
        assertThat(store.history(100)).filteredOn(h -> h.result().equals("rejected")).hasSize(cases.size());
        assertThat(decide(443)).isInstanceOf(Verdict.Relay.class);
    }

    @Test
    void theBundlesJwtKeySetIsActivatedWithItsPolicy() throws Exception {
        assertThat(activator.active().jwtKeys()).as("deny all").isSameAs(JwtKeySet.EMPTY);
        submit(bundle(1, 443), false);
        assertThat(activator.active().jwtKeys()).as("a bundle without a key set").isSameAs(JwtKeySet.EMPTY);

        JwtMinter.GeneratedKey key = JwtMinter.generate("local-1");
        String json = JwtMinter.keySetJson("https://idp.example.com/", List.of("clawgress"), List.of(key));
        ActivationResult r = submit(bundle(2, Map.of(JwtKeySet.BUNDLE_PATH, json)), false);

        assertThat(r.outcome()).as(r.toString()).isEqualTo(ActivationResult.Outcome.ACTIVATED);
        JwtKeySet keys = activator.active().jwtKeys();
        assertThat(keys.size()).isEqualTo(1);
        assertThat(keys.key("local-1")).contains(key.jwtKey());
        assertThat(keys.issuer("https://idp.example.com/")).isPresent();
        assertThat(swapped).last().satisfies(p -> assertThat(p.jwtKeys()).isSameAs(keys));

        reopen(StoreSettings.DEFAULTS);
        assertThat(activator.restore().outcome()).isEqualTo(ActivationResult.Outcome.ACTIVATED);
        assertThat(activator.active().jwtKeys().key("local-1")).as("restored from the store").isPresent();
    }

    @Test
    void aBrokenJwtKeySetRejectsTheBundleAndKeepsThePolicy() throws Exception {
        JwtMinter.GeneratedKey key = JwtMinter.generate("local-1");
        submit(bundle(1, Map.of(JwtKeySet.BUNDLE_PATH, JwtMinter.keySetJson("https://idp.example.com/",
                List.of("clawgress"), List.of(key)))), false);
        ActivePolicy before = activator.active();

        record Case(String name, String json, String message) {
        }
        List<Case> cases = List.of(
                new Case("not JSON", "{\"issuers\": [", "not valid JSON"),
                new Case("HMAC", """
                        {"issuers": [{"iss": "i", "aud": ["a"], "keys": [{"kid": "h", "alg": "HS256",
                          "jwk": {"kty": "oct", "k": "c2VjcmV0"}}]}]}""", "HS256"),
                new Case("unknown field", "{\"issuers\": [], \"colour\": \"blue\"}", "colour"));
        for (Case c : cases) {
            ActivationResult r = submit(bundle(2, Map.of(JwtKeySet.BUNDLE_PATH, c.json)), false);
            assertThat(r.outcome()).as(c.name).isEqualTo(ActivationResult.Outcome.REJECTED);
            assertThat(r.reasonCode()).as(c.name + ": " + r).isEqualTo(Activator.JWT_KEYS_INVALID);
            assertThat(r.revision()).as("known once the signature verified").isEqualTo(2);
            assertThat(r.message()).as(c.name).startsWith(JwtKeySet.BUNDLE_PATH + ": ").contains(c.message);
            assertThat(activator.active()).as(c.name).isSameAs(before);
            assertThat(activator.active().jwtKeys().key("local-1")).isPresent();
            assertThat(store.active()).hasValueSatisfying(b -> assertThat(b.revision()).isEqualTo(1));
        }
        assertThat(store.history(1)).first().satisfies(h -> assertThat(h.reasonCode()).isEqualTo("jwt_keys_invalid"));
        assertThat(decide(443)).isInstanceOf(Verdict.Relay.class);
    }

    /** A bundle with {@link #policy(int) policy(443)} and {@code extra} files. */
    private byte[] bundle(long revision, Map<String, String> extra) throws Exception {
        Map<String, byte[]> files = new java.util.TreeMap<>();
        files.put("policies/p.yaml", policy(443).getBytes(StandardCharsets.UTF_8));
        extra.forEach((path, text) -> files.put(path, text.getBytes(StandardCharsets.UTF_8)));
        return BundleBuilder.build(files, signer.signingKey(), revision, NOW.minus(Duration.ofHours(1)),
                NOW.plus(Duration.ofDays(1)));
    }

    @Test
    void aRollbackMustBeAskedFor() throws Exception {
        submit(bundle(5, 443), false);
        byte[] old = bundle(4, 8443);
        assertThat(submit(old, false).reasonCode()).isEqualTo("revision_not_newer");
        ActivationResult r = submit(old, true);
        assertThat(r.outcome()).isEqualTo(ActivationResult.Outcome.ROLLED_BACK);
        assertThat(decide(8443)).isInstanceOf(Verdict.Relay.class);
        assertThat(store.active()).hasValueSatisfying(b -> assertThat(b.revision()).isEqualTo(4));
    }

    @Test
    void aRotatedKeySetIsUsedWithoutARestart() throws Exception {
        KeyGen.GeneratedKey next = KeyGen.generate(SigningAlg.ES256, "ops-2");
        assertThat(submit(bundle(1, 443, next), false).reasonCode()).isEqualTo("unknown_kid");
        Files.writeString(keys, KeyGen.keySetJson(List.of(signer, next)));
        assertThat(submit(bundle(1, 443, next), false).outcome()).isEqualTo(ActivationResult.Outcome.ACTIVATED);
        Files.writeString(keys, "{not json");
        ActivationResult broken = submit(bundle(2, 443), false);
        assertThat(broken.reasonCode()).isEqualTo("malformed_key_set");
        assertThat(activator.active().revision()).isEqualTo(1);
    }

    private byte[] bundle(long revision, int port, KeyGen.GeneratedKey key) throws Exception {
        return bundle(revision, policy(port), key);
    }

    @Test
    void aRestartRestoresTheLastKnownGoodAndKeepsRefusingDowngrades() throws Exception {
        submit(bundle(3, 443), false);
        reopen(StoreSettings.DEFAULTS);
        assertThat(activator.active().signed()).isFalse();

        ActivationResult restored = activator.restore();

        assertThat(restored.outcome()).isEqualTo(ActivationResult.Outcome.ACTIVATED);
        assertThat(activator.active().revision()).isEqualTo(3);
        assertThat(activator.active().source()).startsWith("store (from test:");
        assertThat(decide(443)).isInstanceOf(Verdict.Relay.class);
        assertThat(submit(bundle(2, 8443), false).reasonCode()).isEqualTo("revision_not_newer");
        assertThat(store.history(1)).first().satisfies(h -> assertThat(h.result()).isEqualTo("rejected"));
    }

    @Test
    void aStoredBundleThatNoLongerVerifiesIsNotEnforcedAndNotUndercut() throws Exception {
        submit(bundle(3, 443), false);
        KeyGen.GeneratedKey other = KeyGen.generate(SigningAlg.EDDSA, "ops-9");
        Files.writeString(keys, KeyGen.keySetJson(List.of(other))); // ops-1 removed from the key set
        reopen(StoreSettings.DEFAULTS);

        ActivationResult r = activator.restore();

        assertThat(r.outcome()).isEqualTo(ActivationResult.Outcome.REJECTED);
        assertThat(r.reasonCode()).isEqualTo("unknown_kid");
        assertThat(activator.active().signed()).as("fail closed").isFalse();
        assertThat(decide(443)).isInstanceOf(Verdict.Deny.class);
        assertThat(submit(bundle(3, 443, other), false).reasonCode())
                .as("the stored revision stays the floor").isEqualTo("revision_not_newer");
        assertThat(submit(bundle(4, 443, other), false).outcome()).isEqualTo(ActivationResult.Outcome.ACTIVATED);
    }

    @Test
    void aFullStoreFailsTheActivationNotTheGateway() throws Exception {
        reopen(new StoreSettings(1024 * 1024, 5, 1000));
        submit(bundle(1, 443), false);
        byte[] noise = new byte[2 * 1024 * 1024];
        new java.util.Random(7).nextBytes(noise); // incompressible: the bundle is larger than the whole map
        byte[] big = BundleBuilder.build(Map.of("policies/p.yaml", policy(8443).getBytes(StandardCharsets.UTF_8),
                "data/noise.bin", noise), signer.signingKey(), 2, NOW.minus(Duration.ofHours(1)),
                NOW.plus(Duration.ofDays(1)));
        ActivationResult r = submit(big, false);
        assertThat(r.reasonCode()).as(r.toString()).isEqualTo("store_failed");
        assertThat(r.message()).contains("map_full").contains("is full; nothing was written");
        assertThat(activator.active().revision()).isEqualTo(1);
        assertThat(decide(443)).isInstanceOf(Verdict.Relay.class);
        assertThat(submit(bundle(2, 8443), false).outcome()).as("the store still works")
                .isEqualTo(ActivationResult.Outcome.ACTIVATED);
    }
}
