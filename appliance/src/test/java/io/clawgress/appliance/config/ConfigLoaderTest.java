package io.clawgress.appliance.config;

import io.clawgress.enforcement.audit.AuditSettings;
import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.tproxy.ProxySettings;
import io.clawgress.tproxy.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class ConfigLoaderTest {

    @TempDir
    Path tmp;

    private static final String FULL = """
            listener:
              address: 127.0.0.1
              port: 15002
              transport: io_uring
              backlog: 128
              event_loop_threads: 4
            connection_limit: 500
            timeouts:
              upstream_connect: 250ms
              idle: 2h
            flow_log:
              path: "-"
              queue_capacity: 1024
            state_dir: /srv/clawgress
            policy:
              trusted_keys: /etc/clawgress/trusted-keys.json
              bundle: /etc/clawgress/bundle.tar.gz
              drop_dir: /var/lib/clawgress/drop
              bundle_url: https://policy.example.com:8443/gw/bundle.tar.gz?gateway=eu-1
              bundle_url_ca: /etc/clawgress/policy-ca.pem
              bundle_url_interval: 5m
              generations: 10
              max_bundle_size: 1048576
            """;

    @Test
    void fullConfigBuildsEveryRecord() throws Exception {
        ClawgressConfig c = ConfigLoader.parse(FULL, "/etc/clawgress/clawgress.yaml");

        assertThat(c.source()).isEqualTo(Path.of("/etc/clawgress/clawgress.yaml"));
        assertThat(c.proxy()).isEqualTo(new ProxySettings(
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 15002), Transport.IO_URING,
                128, 4, Duration.ofMillis(250), Duration.ofHours(2), 500));
        assertThat(c.flowLog()).isEqualTo(new FlowLogSettings("-", 1024));

        assertThat(c.policy()).isEqualTo(new PolicySettings(Path.of("/srv/clawgress"),
                Path.of("/etc/clawgress/trusted-keys.json"), Path.of("/etc/clawgress/bundle.tar.gz"),
                Path.of("/var/lib/clawgress/drop"), URI.create("https://policy.example.com:8443/gw/bundle.tar.gz"
                        + "?gateway=eu-1"), Path.of("/etc/clawgress/policy-ca.pem"), Duration.ofMinutes(5), 10,
                1048576, null));
        assertThat(c.policy().storeDir()).isEqualTo(Path.of("/srv/clawgress/policy.lmdb"));
        assertThat(c.policy().unsafeDir()).isEmpty();
    }

    @Test
    void omittedSectionsTakeTheRecordDefaultsAndThePolicyDeniesEverything() throws Exception {
        ClawgressConfig c = ConfigLoader.parse("listener: {}\n", "cfg.yaml");

        assertThat(c.proxy()).isEqualTo(new ProxySettings(
                new InetSocketAddress(InetAddress.getByAddress(new byte[4]), ProxySettings.DEFAULT_PORT),
                Transport.EPOLL, ProxySettings.DEFAULT_BACKLOG, 0, ProxySettings.DEFAULT_CONNECT_TIMEOUT,
                ProxySettings.DEFAULT_IDLE_TIMEOUT, ProxySettings.DEFAULT_CONNECTION_LIMIT));
        assertThat(c.flowLog()).as("no flow_log section: no flow log").isNull();
        assertThat(c.audit()).as("the audit log is on by default")
                .isEqualTo(AuditSettings.defaults(AuditSettings.DEFAULT_DIR));
        assertThat(c.policy()).isEqualTo(PolicySettings.none(Path.of("/var/lib/clawgress")));
        assertThat(c.policy().trustedKeys()).isNull();
        assertThat(c.policy().unsafeDir()).isEmpty();
    }

    @Test
    void eachSectionCanBeGivenAlone() throws Exception {
        assertThat(ConfigLoader.parse("connection_limit: 7\n", "c").proxy().connectionLimit()).isEqualTo(7);
        assertThat(ConfigLoader.parse("timeouts: {idle: 30s}\n", "c").proxy().idleTimeout())
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(ConfigLoader.parse("flow_log: {queue_capacity: 16}\n", "c").flowLog())
                .isEqualTo(new FlowLogSettings("/var/log/clawgress/flows.jsonl", 16));
        assertThat(ConfigLoader.parse("audit: {enabled: false}\n", "c").audit()).as("explicitly off").isNull();
        assertThat(ConfigLoader.parse("audit: {enabled: true, dir: /srv/audit}\n", "c").audit())
                .isEqualTo(AuditSettings.defaults(Path.of("/srv/audit")));
        assertThat(ConfigLoader.parse("state_dir: /srv/clawgress\n", "c").policy())
                .isEqualTo(PolicySettings.none(Path.of("/srv/clawgress")));
        assertThat(ConfigLoader.parse("policy: {}\n", "c").policy())
                .isEqualTo(PolicySettings.none(PolicySettings.DEFAULT_STATE_DIR));
    }

    /** Only trusted_keys: valid (the store may hold a bundle from an earlier run); every other key at its default. */
    @Test
    void policyWithOnlyTrustedKeysTakesTheDefaults() throws Exception {
        PolicySettings p = ConfigLoader.parse("policy:\n  trusted_keys: /etc/clawgress/trusted-keys.json\n", "c")
                .policy();
        assertThat(p).isEqualTo(new PolicySettings(Path.of("/var/lib/clawgress"),
                Path.of("/etc/clawgress/trusted-keys.json"), null, null, null, null, Duration.ofSeconds(60), 5,
                33_554_432, null));
        assertThat(p.bundleUrlInterval()).isEqualTo(PolicySettings.DEFAULT_URL_INTERVAL);
        assertThat(p.generations()).isEqualTo(PolicySettings.DEFAULT_GENERATIONS);
        assertThat(p.maxBundleBytes()).isEqualTo(PolicySettings.DEFAULT_MAX_BUNDLE_BYTES);
    }

    @Test
    void eachSignedSourceAlone() throws Exception {
        String keys = "  trusted_keys: /etc/clawgress/trusted-keys.json\n";
        assertThat(policy(keys + "  bundle: /etc/clawgress/bundle.tar.gz\n").bundleFile())
                .isEqualTo(Path.of("/etc/clawgress/bundle.tar.gz"));
        assertThat(policy(keys + "  drop_dir: /var/lib/clawgress/drop\n").dropDir())
                .isEqualTo(Path.of("/var/lib/clawgress/drop"));
        PolicySettings url = policy(keys + "  bundle_url: https://policy.example.com/bundle.tar.gz\n");
        assertThat(url.bundleUrl()).isEqualTo(URI.create("https://policy.example.com/bundle.tar.gz"));
        assertThat(url.bundleUrlCa()).as("the system's CA certificates").isNull();
        assertThat(url.bundleUrlInterval()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void pathForms() throws Exception {
        assertThat(ConfigLoader.parse("state_dir: /var/lib/clawgress/\n", "c").policy().stateDir())
                .isEqualTo(Path.of("/var/lib/clawgress"));
        assertThat(ConfigLoader.parse("state_dir: '/srv/claw gress/état'\n", "c").policy().stateDir())
                .isEqualTo(Path.of("/srv/claw gress/état"));
        assertThat(policy("  trusted_keys: /k.json\n  drop_dir: /var/lib/clawgress/drop/\n").dropDir())
                .isEqualTo(Path.of("/var/lib/clawgress/drop"));
        // Paths are only checked for syntax here; clawgressd checks that they exist when it starts.
        assertThat(policy("  trusted_keys: " + tmp.resolve("no-such-file.json") + "\n").trustedKeys())
                .isEqualTo(tmp.resolve("no-such-file.json"));
    }

    @Test
    void bundleUrlForms() throws Exception {
        for (String url : List.of("https://policy.example.com/b.tar.gz", "https://policy.example.com",
                "https://policy.example.com:8443/gw/b.tar.gz?gateway=eu-1&x=%2F", "https://192.0.2.10/b.tar.gz",
                "https://[2001:db8::10]:8443/b.tar.gz", "HTTPS://policy.example.com/b.tar.gz")) {
            assertThat(policy("  trusted_keys: /k.json\n  bundle_url: '" + url + "'\n").bundleUrl())
                    .as(url).isEqualTo(URI.create(url));
        }
    }

    @Test
    void unsafeUnsignedPolicyDirAlone() throws Exception {
        PolicySettings p = policy("  unsafe_unsigned_policy_dir: /home/dev/policies\n");
        assertThat(p.unsafeDir()).contains(Path.of("/home/dev/policies"));
        assertThat(p.trustedKeys()).isNull();
        assertThat(p.bundleFile()).isNull();
        assertThat(p.dropDir()).isNull();
        assertThat(p.bundleUrl()).isNull();
    }

    @Test
    void policyNumbersAtBothEnds() throws Exception {
        PolicySettings low = policy("  trusted_keys: /k.json\n  bundle_url: https://p.example/b\n"
                + "  bundle_url_interval: 5s\n  generations: 1\n  max_bundle_size: 1024\n");
        assertThat(low.bundleUrlInterval()).isEqualTo(ConfigLoader.MIN_URL_INTERVAL).isEqualTo(Duration.ofSeconds(5));
        assertThat(low.generations()).isEqualTo(ConfigLoader.MIN_GENERATIONS).isEqualTo(1);
        assertThat(low.maxBundleBytes()).isEqualTo(ConfigLoader.MIN_BUNDLE_BYTES).isEqualTo(1024);
        PolicySettings high = policy("  trusted_keys: /k.json\n  bundle_url: https://p.example/b\n"
                + "  bundle_url_interval: 24h\n  generations: 100\n  max_bundle_size: 1073741824\n");
        assertThat(high.bundleUrlInterval()).isEqualTo(ConfigLoader.MAX_URL_INTERVAL).isEqualTo(Duration.ofHours(24));
        assertThat(high.generations()).isEqualTo(ConfigLoader.MAX_GENERATIONS).isEqualTo(100);
        assertThat(high.maxBundleBytes()).isEqualTo(ConfigLoader.MAX_BUNDLE_BYTES).isEqualTo(1L << 30);
        // Every duration unit works.
        assertThat(policy("  bundle_url_interval: 5000ms\n").bundleUrlInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(policy("  bundle_url_interval: 2m\n").bundleUrlInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(policy("  bundle_url_interval: 1h\n").bundleUrlInterval()).isEqualTo(Duration.ofHours(1));
    }

    private static PolicySettings policy(String body) throws ConfigException {
        return ConfigLoader.parse("policy:\n" + body, "c").policy();
    }

    @Test
    void ipv6ListenerAddresses() throws Exception {
        assertThat(ConfigLoader.parse("listener: {address: '::'}\n", "c").proxy().listen().getAddress())
                .isEqualTo(InetAddress.getByName("::"));
        assertThat(ConfigLoader.parse("listener:\n  address: \"::1\"\n", "c").proxy().listen().getAddress())
                .isEqualTo(InetAddress.getByName("::1"));
        assertThat(ConfigLoader.parse("listener: {address: 'fd00::1'}\n", "c").proxy().listen().getAddress())
                .isEqualTo(InetAddress.getByName("fd00::1"));
    }

    @Test
    void durationUnits() throws Exception {
        assertThat(idle("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(idle("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(idle("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(idle("1h")).isEqualTo(Duration.ofHours(1));
    }

    private static Duration idle(String text) throws ConfigException {
        return ConfigLoader.parse("timeouts: {idle: " + text + "}\n", "c").proxy().idleTimeout();
    }

    @Test
    void aliasesWithinTheLimitWork() throws Exception {
        ClawgressConfig c = ConfigLoader.parse("""
                state_dir: &state /srv/clawgress
                policy: {trusted_keys: &keys /etc/clawgress/trusted-keys.json, drop_dir: *state}
                peek: {server_first_ports: &ports [22, 25]}
                """, "c");
        assertThat(c.policy().dropDir()).isEqualTo(c.policy().stateDir()).isEqualTo(Path.of("/srv/clawgress"));
    }

    /**
     * The loader words ranges in the file's vocabulary; they must be exactly the records' ranges, both ends, so an
     * operator is never told a value is fine that the record then refuses (or the other way round).
     */
    @Test
    void loaderRangesAreTheRecordsRanges() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 1);
        Duration connect = ProxySettings.DEFAULT_CONNECT_TIMEOUT;
        Duration idle = ProxySettings.DEFAULT_IDLE_TIMEOUT;
        Transport t = Transport.EPOLL;

        new ProxySettings(any, t, 1, ConfigLoader.MAX_EVENT_LOOP_THREADS, ConfigLoader.MIN_CONNECT_TIMEOUT,
                ConfigLoader.MIN_IDLE_TIMEOUT, 1);
        new ProxySettings(new InetSocketAddress(any.getAddress(), 65535), t, Integer.MAX_VALUE, 0,
                ConfigLoader.MAX_CONNECT_TIMEOUT, ConfigLoader.MAX_IDLE_TIMEOUT, Integer.MAX_VALUE);
        assertThatThrownBy(() -> new ProxySettings(any, t, 0, 0, connect, idle, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxySettings(any, t, 1, ConfigLoader.MAX_EVENT_LOOP_THREADS + 1, connect, idle,
                1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxySettings(any, t, 1, -1, connect, idle, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxySettings(any, t, 1, 0,
                ConfigLoader.MIN_CONNECT_TIMEOUT.minusMillis(1), idle, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxySettings(any, t, 1, 0,
                ConfigLoader.MAX_CONNECT_TIMEOUT.plusMillis(1), idle, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxySettings(any, t, 1, 0, connect,
                ConfigLoader.MIN_IDLE_TIMEOUT.minusMillis(1), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxySettings(any, t, 1, 0, connect,
                ConfigLoader.MAX_IDLE_TIMEOUT.plusMillis(1), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxySettings(any, t, 1, 0, connect, idle, 0))
                .isInstanceOf(IllegalArgumentException.class);

        new FlowLogSettings("-", ConfigLoader.MIN_QUEUE_CAPACITY);
        new FlowLogSettings("-", ConfigLoader.MAX_QUEUE_CAPACITY);
        assertThatThrownBy(() -> new FlowLogSettings("-", ConfigLoader.MIN_QUEUE_CAPACITY - 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FlowLogSettings("-", ConfigLoader.MAX_QUEUE_CAPACITY + 1))
                .isInstanceOf(IllegalArgumentException.class);

        // And the file accepts both ends, written the way docs/config.md writes them.
        ClawgressConfig low = ConfigLoader.parse("""
                listener: {port: 1, backlog: 1, event_loop_threads: 0}
                connection_limit: 1
                timeouts: {upstream_connect: 10ms, idle: 100ms}
                flow_log: {queue_capacity: 16}
                """, "c");
        assertThat(low.proxy().connectTimeout()).isEqualTo(ConfigLoader.MIN_CONNECT_TIMEOUT);
        assertThat(low.proxy().idleTimeout()).isEqualTo(ConfigLoader.MIN_IDLE_TIMEOUT);
        ClawgressConfig high = ConfigLoader.parse("""
                listener: {port: 65535, backlog: 2147483647, event_loop_threads: 1024}
                connection_limit: 2147483647
                timeouts: {upstream_connect: 5m, idle: 168h}
                flow_log: {queue_capacity: 16777216}
                """, "c");
        assertThat(high.proxy().connectTimeout()).isEqualTo(ConfigLoader.MAX_CONNECT_TIMEOUT);
        assertThat(high.proxy().idleTimeout()).isEqualTo(ConfigLoader.MAX_IDLE_TIMEOUT);
        assertThat(high.flowLog().queueCapacity()).isEqualTo(ConfigLoader.MAX_QUEUE_CAPACITY);

        Path state = PolicySettings.DEFAULT_STATE_DIR;
        Duration interval = PolicySettings.DEFAULT_URL_INTERVAL;
        long size = PolicySettings.DEFAULT_MAX_BUNDLE_BYTES;
        new PolicySettings(state, null, null, null, null, null, interval, ConfigLoader.MIN_GENERATIONS,
                ConfigLoader.MIN_BUNDLE_BYTES, null);
        new PolicySettings(state, null, null, null, null, null, interval, ConfigLoader.MAX_GENERATIONS,
                ConfigLoader.MAX_BUNDLE_BYTES, null);
        assertThatThrownBy(() -> new PolicySettings(state, null, null, null, null, null, interval,
                ConfigLoader.MIN_GENERATIONS - 1, size, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PolicySettings(state, null, null, null, null, null, interval,
                ConfigLoader.MAX_GENERATIONS + 1, size, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PolicySettings(state, null, null, null, null, null, interval, 5,
                ConfigLoader.MIN_BUNDLE_BYTES - 1, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PolicySettings(state, null, null, null, null, null, interval, 5,
                ConfigLoader.MAX_BUNDLE_BYTES + 1L, null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ConfigLoader.parse("listener: {}\n", "c").policy().maxBundleBytes())
                .isEqualTo(PolicySettings.DEFAULT_MAX_BUNDLE_BYTES).isEqualTo(32L * 1024 * 1024);
    }

    // ---- files ------------------------------------------------------------------------------------------------

    @Test
    void loadsAFileAndRecordsItsPath() throws Exception {
        Path file = write("clawgress.yaml", FULL);
        ClawgressConfig c = ConfigLoader.load(file);
        assertThat(c.source()).isEqualTo(file);
        assertThat(c.proxy().listen().getPort()).isEqualTo(15002);
    }

    @Test
    void errorsInAFileNameTheFile() throws Exception {
        Path file = write("clawgress.yaml", "listener:\n  port: abc\n");
        assertThat(loadErrors(file)).containsExactly(
                file + ":2:9: listener.port: 'abc' (expected: an integer 1..65535)");
    }

    @Test
    void missingFile() {
        Path file = tmp.resolve("nope.yaml");
        assertThat(loadErrors(file)).containsExactly(
                file + ": no such file (expected: a readable YAML config file)");
    }

    @Test
    void directoryInsteadOfAFile() {
        assertThat(loadErrors(tmp)).containsExactly(tmp + ": a directory (expected: a YAML file)");
    }

    @Test
    void emptyFile() throws Exception {
        Path file = write("empty.yaml", "");
        assertThat(loadErrors(file)).containsExactly(file + ": empty file (expected: a YAML mapping with any of:"
                + " listener, connection_limit, timeouts, flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics; see docs/config.md)");
    }

    @Test
    void fileTooLargeIsRefusedBeforeReading() throws Exception {
        Path file = write("big.yaml", "#" + "x".repeat(ConfigLoader.MAX_FILE_BYTES) + "\n");
        assertThat(loadErrors(file)).containsExactly(file + ": 1048578 bytes (expected: at most 1048576 bytes)");
    }

    @Test
    void textTooLargeIsRefused() {
        String yaml = "#" + "\u00e9".repeat(ConfigLoader.MAX_FILE_BYTES / 2) + "\n";
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "big.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("big.yaml: 1048578 bytes (expected: at most 1048576 bytes)");
    }

    @Test
    void fileOfExactlyTheLimitIsRead() throws Exception {
        String head = "listener: {port: 15003}\n#";
        Path file = write("max.yaml", head + "x".repeat(ConfigLoader.MAX_FILE_BYTES - head.length() - 1) + "\n");
        assertThat(Files.size(file)).isEqualTo(ConfigLoader.MAX_FILE_BYTES);
        assertThat(ConfigLoader.load(file).proxy().listen().getPort()).isEqualTo(15003);
    }

    @Test
    void invalidUtf8IsReportedWhereItIs() throws Exception {
        Path file = tmp.resolve("latin1.yaml");
        byte[] head = "listener: {}\nflow_log:\n  path: /var/log/caf".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 2];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xE9; // é in Latin-1
        bytes[head.length + 1] = '\n';
        Files.write(file, bytes);
        assertThat(loadErrors(file)).containsExactly(
                file + ":3:21: invalid UTF-8: byte 0xE9 (expected: a UTF-8 text file)");
    }

    @Test
    void byteOrderMarkAndCrlfLineEndings() throws Exception {
        Path file = tmp.resolve("windows.yaml");
        Files.write(file, "\uFEFFlistener:\r\n  port: 15004\r\n".getBytes(StandardCharsets.UTF_8));
        assertThat(ConfigLoader.load(file).proxy().listen().getPort()).isEqualTo(15004);
        Files.write(file, "\uFEFFlistener:\r\n  port: x\r\n".getBytes(StandardCharsets.UTF_8));
        assertThat(loadErrors(file)).containsExactly(
                file + ":2:9: listener.port: 'x' (expected: an integer 1..65535)");
    }

    @Test
    void configErrorFormat() {
        assertThat(new YamlError("/etc/c.yaml", 12, 9, "listener.port", "'abc' (expected: an integer 1..65535)"))
                .hasToString("/etc/c.yaml:12:9: listener.port: 'abc' (expected: an integer 1..65535)");
        assertThat(new YamlError("/etc/c.yaml", 3, 0, "", "m")).hasToString("/etc/c.yaml:3: m");
        assertThat(new YamlError("/etc/c.yaml", 0, 0, "", "no such file")).hasToString("/etc/c.yaml: no such file");
        assertThatThrownBy(() -> new ConfigException(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- shipped files ----------------------------------------------------------------------------------------

    @Test
    void shippedDefaultConfigLoads() throws Exception {
        ClawgressConfig c = ConfigLoader.load(repoFile("config/clawgress.yaml"));
        assertThat(c.proxy().listen()).isEqualTo(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 15001));
        assertThat(c.proxy().transport()).isEqualTo(Transport.EPOLL);
        assertThat(c.flowLog()).as("the packaged config keeps records in the audit log only").isNull();
        assertThat(c.audit()).isEqualTo(AuditSettings.defaults(Path.of("/var/log/clawgress/audit")));
        // Signed bundles from the standard places; nothing unsigned, and no URL to a server that is not ours.
        assertThat(c.policy()).isEqualTo(new PolicySettings(Path.of("/var/lib/clawgress"),
                Path.of("/etc/clawgress/trust/trusted-keys.json"), Path.of("/etc/clawgress/bundle.tar.gz"),
                Path.of("/var/lib/clawgress/drop"), null, null, PolicySettings.DEFAULT_URL_INTERVAL,
                PolicySettings.DEFAULT_GENERATIONS, PolicySettings.DEFAULT_MAX_BUNDLE_BYTES, null));
    }

    /** Every ```yaml block in the reference is a valid config, so the docs cannot drift from the loader. */
    @Test
    void everyYamlExampleInTheReferenceIsValid() throws Exception {
        String doc = Files.readString(repoFile("docs/config.md"));
        Matcher m = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertThat(blocks).hasSizeGreaterThan(2);
        for (int i = 0; i < blocks.size(); i++) {
            ConfigLoader.parse(blocks.get(i), "docs/config.md block " + (i + 1));
        }
    }

    private static Path repoFile(String relative) {
        // Surefire runs in the module directory; the repository root is its parent.
        Path root = Path.of("").toAbsolutePath().getParent();
        Path file = root.resolve(relative);
        assertThat(file).as("repository file").exists();
        return file;
    }

    private Path write(String name, String content) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    private static List<String> loadErrors(Path file) {
        try {
            ConfigLoader.load(file);
        } catch (ConfigException e) {
            return e.errors().stream().map(YamlError::toString).toList();
        }
        return fail("expected a ConfigException for " + file);
    }
}
