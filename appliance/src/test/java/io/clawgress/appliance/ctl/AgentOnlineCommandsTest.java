package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.admin.AdminRoutes;
import io.clawgress.appliance.admin.AdminServer;
import io.clawgress.appliance.admin.AgentsApi;
import io.clawgress.appliance.admin.CaApi;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentStatus;
import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtSettings;
import io.clawgress.enforcement.identity.jwt.JwtVerifier;
import io.clawgress.intercept.ca.InterceptCa;
import io.clawgress.testing.JsonSchemaValidator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent verbs and {@code ca export} online, in-process against a real admin server on a unix socket (the
 * {@link AgentsApi} and {@link CaApi} routes on a registry of their own), compared with the same verbs offline on
 * another state dir: stdout and exit codes are the same, registry paths aside. Against a running daemon:
 * AgentCtlE2EIT.
 */
class AgentOnlineCommandsTest {

    private static final String TD = "agents.example.com";

    @TempDir
    Path tmp;

    private Path onlineState;
    private Path offlineState;
    private AgentRegistry registry;
    private AdminServer server;
    private Path socket;
    private final List<String> audited = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        onlineState = Files.createDirectory(tmp.resolve("online"));
        offlineState = Files.createDirectory(tmp.resolve("offline"));
        registry = AgentRegistry.open(AgentRegistry.directoryIn(onlineState), Ctl.CLOCK);
        AdminRoutes routes = new AdminRoutes();
        AgentsApi.register(routes, () -> registry, onlineState, TD, Ctl.CLOCK);
        CaApi.register(routes, onlineState);
        int gid = (Integer) Files.getAttribute(onlineState, "unix:gid");
        socket = tmp.resolve("admin.sock");
        server = AdminServer.start(socket, gid, gid, 1 << 20, routes,
                (caller, method, path, action, target, status, outcome, detail) -> audited.add(action + " "
                        + target + " " + status + " uid=" + caller.uid()));
    }

    @AfterEach
    void stop() {
        server.close();
        registry.close();
    }

    private Ctl.Run online(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--socket", socket.toString()));
        return Ctl.run(all.toArray(String[]::new));
    }

    private Ctl.Run offline(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--state-dir", offlineState.toString()));
        return Ctl.run(all.toArray(String[]::new));
    }

    /** Runs {@code args} both ways: the same exit code and stdout, each mode's registry path aside. */
    private Ctl.Run both(int exit, String... args) {
        Ctl.Run on = online(args);
        Ctl.Run off = offline(args);
        assertThat(on.exit()).as("online " + String.join(" ", args) + "\n" + on).isEqualTo(exit);
        assertThat(off.exit()).as("offline " + String.join(" ", args) + "\n" + off).isEqualTo(exit);
        assertThat(on.out().replace(onlineState.toString(), "STATE"))
                .as(String.join(" ", args) + ": online stdout as offline")
                .isEqualTo(off.out().replace(offlineState.toString(), "STATE"));
        return on;
    }

    @Test
    void everyAgentVerbPrintsTheSameOnlineAndOffline() throws Exception {
        both(0, "agent", "add", "research-bot", "--team", "research", "--project", "crawler", "--environment", "dev",
                "--trust-tier", "gold", "--note", "nightly — Zoë");
        both(0, "agent", "add", "billing-bot");
        Ctl.Run list = both(0, "agent", "list");
        assertThat(list.out()).contains("2 agents (2 active, 0 disabled), registry generation 2");
        Ctl.Run disable = both(0, "agent", "disable", "research-bot", "--reason", "leaked key");
        assertThat(disable.out()).isEqualTo("disabled agent research-bot (reason: leaked key), registry generation 3\n");
        assertThat(registry.get("research-bot").orElseThrow().status()).isEqualTo(AgentStatus.DISABLED);
        assertThat(both(0, "agent", "disable", "research-bot").out()).contains("nothing changed");
        Ctl.Run show = both(0, "agent", "show", "research-bot");
        assertThat(show.out()).contains("status_reason: leaked key")
                .contains("registry:      " + AgentRegistry.directoryIn(onlineState) + ", generation 3");

        JsonSchemaValidator listSchema = JsonSchemaValidator.load(JsonSchemasTest.SCHEMAS
                .resolve("agent-list.schema.json"));
        JsonSchemaValidator showSchema = JsonSchemaValidator.load(JsonSchemasTest.SCHEMAS
                .resolve("agent-show.schema.json"));
        JsonNode listJson = Json.MAPPER.readTree(both(0, "agent", "list", "--json").out());
        listSchema.requireValid(listJson, "agent list --json online");
        assertThat(listJson.get("registry").asText()).isEqualTo(AgentRegistry.directoryIn(onlineState).toString());
        showSchema.requireValid(Json.MAPPER.readTree(both(0, "agent", "show", "research-bot", "--json").out()),
                "agent show --json online");

        assertThat(both(0, "agent", "enable", "research-bot").out())
                .isEqualTo("enabled agent research-bot, registry generation 4\n");

        Ctl.Run missing = both(ExitCodes.FAILURE, "agent", "show", "ghost");
        assertThat(missing.err()).contains("not_found: agent 'ghost' (2 registered)");
        Ctl.Run missingJson = online("agent", "show", "ghost", "--json");
        assertThat(missingJson.exit()).isEqualTo(ExitCodes.FAILURE);
        JsonSchemaValidator.load(JsonSchemasTest.SCHEMAS.resolve("failure.schema.json"))
                .requireValid(Json.MAPPER.readTree(missingJson.out()), "agent show --json failure online");
        assertThat(both(ExitCodes.FAILURE, "agent", "add", "billing-bot").err()).contains("already_exists");
        assertThat(both(ExitCodes.FAILURE, "agent", "disable", "ghost").err()).contains("not_found: agent 'ghost'");
        assertThat(both(ExitCodes.CONFIG, "agent", "add", "bad/id").err()).contains("agent id 'bad/id' (expected: ");
        both(ExitCodes.CONFIG, "agent", "add", "x", "--note", "a\u001bb");
        assertThat(registry.generation()).as("nothing refused was written").isEqualTo(4);

        assertThat(audited).containsExactly(
                "agent.add research-bot 201 uid=" + uid(), "agent.add billing-bot 201 uid=" + uid(),
                "agent.disable research-bot 200 uid=" + uid(), "agent.disable research-bot 200 uid=" + uid(),
                "agent.enable research-bot 200 uid=" + uid(), "agent.add null 409 uid=" + uid(),
                "agent.disable ghost 404 uid=" + uid());
    }

    @Test
    void stateDirAndSocketExcludeEachOther() {
        for (String[] args : new String[][] {{"agent", "list"}, {"agent", "show", "bot"}, {"agent", "add", "bot"},
                {"ca", "export"}}) {
            List<String> all = new ArrayList<>(Arrays.asList(args));
            all.addAll(List.of("--socket", socket.toString(), "--state-dir", offlineState.toString()));
            Ctl.Run r = Ctl.run(all.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).contains("--state-dir (offline) and --socket (online) exclude each other");
        }
    }

    @Test
    void withoutADaemonTheVerbsSayTheyCannotReachIt() {
        String none = tmp.resolve("none.sock").toString();
        for (String[] args : new String[][] {{"agent", "list"}, {"agent", "list", "--json"},
                {"agent", "show", "bot"}, {"agent", "add", "bot"}, {"agent", "disable", "bot"},
                {"agent", "enable", "bot"}, {"ca", "export"}, {"ca", "export", "--agents"}}) {
            List<String> all = new ArrayList<>(Arrays.asList(args));
            all.addAll(List.of("--socket", none));
            Ctl.Run r = Ctl.run(all.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isEqualTo(ExitCodes.UNAVAILABLE);
            assertThat(r.err()).contains("cannot reach clawgressd at " + none);
        }
    }

    @Test
    void certOnlineWritesTheFilesAsOfflineDoesAndChainsToTheExportedCa() throws Exception {
        assertThat(online("agent", "add", "research-bot").exit()).isZero();
        Path key = tmp.resolve("bot.key");
        Path cert = tmp.resolve("bot.pem");
        Path p12 = tmp.resolve("bot.p12");
        Path password = tmp.resolve("password");
        Files.writeString(password, "s3cret\n");
        Ctl.Run run = online("agent", "cert", "research-bot", "--out-key", key.toString(), "--out-cert",
                cert.toString(), "--pkcs12", p12.toString(), "--password-file", password.toString(), "--valid-for",
                "12h");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).startsWith("created the agents' CA in " + InterceptCa.directoryIn(onlineState)
                        + "; gateways must trust it: clawgressctl ca export --agents\n")
                .contains("issued a client certificate for agent research-bot\n")
                .contains("  spiffe id:   spiffe://agents.example.com/agent/research-bot\n")
                .contains("  valid until: " + Ctl.NOW.plusSeconds(12 * 3600) + "\n")
                .contains("  pkcs12:      " + p12 + " (mode 0600)\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cert))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p12))).isEqualTo("rw-------");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----\n");

        Ctl.Run ca = online("ca", "export", "--agents");
        assertThat(ca.exit()).as(ca.toString()).isZero();
        X509Certificate caCert = parse(ca.out());
        X509Certificate leaf;
        try (InputStream in = Files.newInputStream(cert)) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        leaf.verify(caCert.getPublicKey());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, "s3cret".toCharArray());
        }
        Certificate[] chain = ks.getCertificateChain("research-bot");
        assertThat(chain).containsExactly(leaf, caCert);

        Ctl.Run exists = online("agent", "cert", "research-bot", "--out-key", key.toString(), "--out-cert",
                cert.toString());
        assertThat(exists.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(exists.err()).contains("exists (expected: a new file; --force replaces it)");
        Ctl.Run foreign = online("agent", "cert", "research-bot", "--trust-domain", "other.test", "--out-key",
                tmp.resolve("k2").toString(), "--out-cert", tmp.resolve("c2").toString());
        assertThat(foreign.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(foreign.err()).contains("not this gateway's (identity.trust_domain: agents.example.com)");
        Ctl.Run ghost = online("agent", "cert", "ghost", "--out-key", tmp.resolve("k3").toString(), "--out-cert",
                tmp.resolve("c3").toString());
        assertThat(ghost.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(ghost.err()).contains("not_found: agent 'ghost'");
        assertThat(tmp.resolve("k3")).doesNotExist();
        Ctl.Run offlineNeedsTd = offline("agent", "cert", "research-bot", "--out-key", tmp.resolve("k4").toString(),
                "--out-cert", tmp.resolve("c4").toString());
        assertThat(offlineNeedsTd.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(offlineNeedsTd.err()).contains("--trust-domain");
        assertThat(audited).filteredOn(a -> a.startsWith("agent.cert")).hasSize(3);
    }

    @Test
    void tokenChecksTheRegistrationOnline() throws Exception {
        Path priv = tmp.resolve("jwt.key");
        Path keySet = tmp.resolve("jwt-keys.json");
        Ctl.Run gen = Ctl.run("agent", "token", "--generate-key", "--kid", "k1", "--issuer", "idp", "--audience",
                "clawgress", "--out-private", priv.toString(), "--out-keyset", keySet.toString());
        assertThat(gen.exit()).as(gen.toString()).isZero();
        assertThat(online("agent", "add", "research-bot", "--team", "research").exit()).isZero();
        assertThat(online("agent", "add", "old-bot").exit()).isZero();
        assertThat(online("agent", "disable", "old-bot", "--reason", "retired").exit()).isZero();

        Ctl.Run minted = online("agent", "token", "research-bot", "--key", priv.toString(), "--issuer", "idp",
                "--audience", "clawgress");
        assertThat(minted.exit()).as(minted.toString()).isZero();
        JwtVerifier.Result r = new JwtVerifier(JwtKeySet.read(keySet), JwtSettings.DEFAULTS)
                .verify("Bearer " + minted.out().strip(), Ctl.NOW);
        assertThat(((JwtVerifier.Verified) r).identity().teamId()).as("the registered fields").isEqualTo("research");

        Ctl.Run disabled = online("agent", "token", "old-bot", "--key", priv.toString(), "--issuer", "idp",
                "--audience", "clawgress", "--allow-unregistered");
        assertThat(disabled.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(disabled.out()).isEmpty();
        assertThat(disabled.err()).contains("agent old-bot is disabled (reason: retired)");
        Ctl.Run unknown = online("agent", "token", "ghost", "--key", priv.toString(), "--issuer", "idp",
                "--audience", "clawgress");
        assertThat(unknown.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unknown.err()).contains("not_found: agent 'ghost'").contains("--allow-unregistered");
        Ctl.Run allowed = online("agent", "token", "ghost", "--key", priv.toString(), "--issuer", "idp",
                "--audience", "clawgress", "--allow-unregistered");
        assertThat(allowed.exit()).as(allowed.toString()).isZero();
        assertThat(audited).as("checking is a read: only the three changes are audited").hasSize(3);
    }

    @Test
    void caExportOnlineIsTheOfflineExport() throws Exception {
        Ctl.Run none = online("ca", "export");
        assertThat(none.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(none.err()).contains("clawgressd creates it at its first start");
        InterceptCa.openOrCreate(InterceptCa.directoryIn(onlineState), Ctl.CLOCK);
        Ctl.Run on = online("ca", "export");
        assertThat(on.exit()).as(on.toString()).isZero();
        Ctl.Run off = Ctl.run("ca", "export", "--state-dir", onlineState.toString());
        assertThat(on.out()).isEqualTo(off.out()).startsWith("-----BEGIN CERTIFICATE-----\n");
        Path out = tmp.resolve("ca.pem");
        Ctl.Run written = online("ca", "export", "--out", out.toString());
        assertThat(written.out()).isEqualTo("wrote the intercept root CA certificate to " + out + "\n");
        assertThat(Files.readString(out)).isEqualTo(off.out());
    }

    private static X509Certificate parse(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(
                        java.nio.charset.StandardCharsets.US_ASCII)));
    }

    private int uid() throws Exception {
        return (Integer) Files.getAttribute(onlineState, "unix:uid");
    }
}
