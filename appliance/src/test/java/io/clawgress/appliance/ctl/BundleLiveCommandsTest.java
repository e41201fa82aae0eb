package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.admin.AdminRoutes;
import io.clawgress.appliance.admin.AdminServer;
import io.clawgress.appliance.admin.BundlesApi;
import io.clawgress.appliance.admin.PolicyApi;
import io.clawgress.enforcement.activation.Activator;
import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.KeyGen;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.SigningAlg;
import io.clawgress.enforcement.store.PolicyStore;
import io.clawgress.enforcement.store.StoreSettings;
import io.clawgress.testing.JsonSchemaValidator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bundle push|history|rollback} and live {@code policy explain}, in-process, against the real admin server on a
 * socket in a temp directory with a real activator and store behind it (the daemon's wiring without its data path;
 * BundleCtlE2EIT runs the real daemon). The caller is this process's uid and gid, so it may change things.
 */
class BundleLiveCommandsTest {

    private static final Path SCHEMAS = Path.of("..", "docs", "schemas");

    @TempDir
    Path dir;

    private KeyGen.GeneratedKey signer;
    private PolicyStore store;
    private Activator activator;
    private AdminServer server;
    private Path socket;

    @BeforeEach
    void start() throws Exception {
        signer = KeyGen.generate(SigningAlg.EDDSA, "ops-1");
        Path keys = dir.resolve("keys.json");
        Files.writeString(keys, KeyGen.keySetJson(List.of(signer)));
        store = PolicyStore.open(dir.resolve("policy.lmdb"), StoreSettings.DEFAULTS);
        activator = new Activator(store, keys, Limits.DEFAULTS, Clock.systemUTC());
        activator.restore();
        AdminRoutes routes = new AdminRoutes();
        BundlesApi.register(routes, activator::active, Optional.of(activator), 1024 * 1024, Clock.systemUTC());
        PolicyApi.register(routes, activator::active);
        int gid = (Integer) Files.getAttribute(dir, "unix:gid");
        socket = dir.resolve("admin.sock");
        server = AdminServer.start(socket, gid, gid, 1024 * 1024 + 65536, routes,
                (caller, method, path, action, target, status, outcome, detail) -> { });
    }

    @AfterEach
    void stop() {
        server.close();
        activator.close();
        store.close();
    }

    private Path bundle(long revision, int port) throws Exception {
        String yaml = """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: lab
                bindings:
                  - {subnet: 10.10.1.0/24, identity: {agent_id: research-bot}}
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p
                priority: 1
                subjects: {}
                rules:
                  - {id: web, action: allow, destinations: [{cidr: 192.0.2.0/24, ports: [%d]}]}
                """.formatted(port);
        Instant now = Instant.now();
        Path file = dir.resolve("r" + revision + "-" + port + ".tar.gz");
        Files.write(file, BundleBuilder.build(Map.of("policies/p.yaml", yaml.getBytes(StandardCharsets.UTF_8)),
                signer.signingKey(), revision, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1))));
        return file;
    }

    private Ctl.Run ctl(String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--socket";
        all[args.length + 1] = socket.toString();
        return Ctl.run(Clock.systemUTC(), all);
    }

    private static JsonNode valid(Ctl.Run r, String schema, int exit) throws Exception {
        assertThat(r.exit()).as(r.toString()).isEqualTo(exit);
        JsonNode json = Json.MAPPER.readTree(r.out());
        JsonSchemaValidator.load(SCHEMAS.resolve(schema + ".schema.json")).requireValid(json, schema);
        return json;
    }

    @Test
    void pushHistoryAndRollback() throws Exception {
        Path one = bundle(1, 80);
        Ctl.Run pushed = ctl("bundle", "push", one.toString());
        assertThat(pushed.exit()).as(pushed.toString()).isZero();
        assertThat(pushed.out()).startsWith("activated revision 1 (kid ops-1) from push:uid=");
        JsonNode two = valid(ctl("bundle", "push", bundle(2, 8080).toString(), "--json"), "bundle-push", 0);
        assertThat(two.get("revision").asLong()).isEqualTo(2);
        assertThat(activator.active().revision()).isEqualTo(2);

        Ctl.Run stale = ctl("bundle", "push", bundle(1, 443).toString());
        assertThat(stale.exit()).as(stale.toString()).isEqualTo(1);
        assertThat(stale.err()).contains("clawgressctl bundle push: ").contains("(revision_not_newer, HTTP 409)");
        JsonNode staleJson = valid(ctl("bundle", "push", bundle(1, 443).toString(), "--json"), "failure", 1);
        assertThat(staleJson.at("/errors/0/message").asText()).contains("revision_not_newer");
        assertThat(ctl("bundle", "push", dir.resolve("missing.tar.gz").toString()).exit()).isEqualTo(1);
        assertThat(activator.active().revision()).isEqualTo(2);

        Ctl.Run history = ctl("bundle", "history");
        assertThat(history.exit()).as(history.toString()).isZero();
        assertThat(history.out()).contains("active: revision 2 (kid ops-1) from push:uid=")
                .contains("last activation: rejected: revision_not_newer from push:uid=")
                .containsPattern("(?m)^REVISION +ACTIVE +ACTIVATED_AT +KID +SOURCE +SHA256 +SIZE$")
                .containsPattern("(?m)^2 +\\* +\\S+ +ops-1 +push:uid=")
                .containsPattern("(?m)^AT +RESULT +REVISION +SOURCE +REASON$");
        JsonNode h = valid(ctl("bundle", "history", "--json"), "bundle-history", 0);
        assertThat(h.get("generations")).extracting(g -> g.get("revision").asLong()).containsExactly(2L, 1L);

        Ctl.Run back = ctl("bundle", "rollback");
        assertThat(back.exit()).as(back.toString()).isZero();
        assertThat(back.out()).startsWith("rolled back to revision 1 (kid ops-1) from rollback:uid=");
        assertThat(activator.active().revision()).isEqualTo(1);
        Ctl.Run nothing = ctl("bundle", "rollback");
        assertThat(nothing.exit()).isEqualTo(1);
        assertThat(nothing.err()).contains("nothing to roll back to").contains("no_previous_generation, HTTP 409");
        JsonNode to2 = valid(ctl("bundle", "rollback", "--to", "2", "--json"), "bundle-rollback", 0);
        assertThat(to2.get("outcome").asText()).isEqualTo("activated");
        assertThat(ctl("bundle", "rollback", "--to", "7").err()).contains("revision 7 is not stored");
        assertThat(ctl("bundle", "rollback", "--to", "0").exit()).isEqualTo(2);
    }

    @Test
    void policyExplainWithoutAPolicyArgumentAsksTheDaemon() throws Exception {
        assertThat(ctl("bundle", "push", bundle(4, 80).toString()).exit()).isZero();

        Ctl.Run text = ctl("policy", "explain", "--source", "10.10.1.7", "--dest", "192.0.2.9:80", "--all");
        assertThat(text.exit()).as(text.toString()).isZero();
        assertThat(text.out()).startsWith("policy: revision 4 (kid ops-1, from push:uid=")
                .contains("decision: relay to 192.0.2.9:80");
        JsonNode json = valid(ctl("policy", "explain", "--live", "--source", "10.10.1.7", "--dest", "192.0.2.9:443",
                "--json"), "policy-explain", 0);
        assertThat(json.get("input").asText()).isEqualTo("live");
        assertThat(json.at("/active/revision").asLong()).isEqualTo(4);
        assertThat(json.at("/decision/verdict").asText()).isEqualTo("deny");

        assertThat(ctl("policy", "explain", "--source", "10.10.1.7", "--dest", "nope").exit())
                .as("checked before asking").isEqualTo(2);
        assertThat(ctl("policy", "explain", "--live", dir.toString(), "--source", "10.10.1.7", "--dest",
                "192.0.2.9:80").exit()).isEqualTo(2);
        assertThat(ctl("policy", "explain", dir.toString(), "--source", "10.10.1.7", "--dest", "192.0.2.9:80")
                .err()).contains("--socket asks the daemon");
    }

    @Test
    void anUnreachableDaemonExits69() {
        server.close();
        Ctl.Run r = ctl("bundle", "history");
        assertThat(r.exit()).as(r.toString()).isEqualTo(69);
        assertThat(r.err()).contains("cannot reach clawgressd at " + socket);
        assertThat(ctl("policy", "explain", "--source", "10.10.1.7", "--dest", "192.0.2.9:80").exit()).isEqualTo(69);
    }
}
