package io.clawgress.appliance.config;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.staticpolicy.StaticRule;
import io.clawgress.enforcement.staticpolicy.SubnetBinding;
import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.tproxy.ProxySettings;
import io.clawgress.tproxy.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
            static_policy:
              bindings:
                - subnet: 10.10.1.0/24
                  identity: {agent_id: research-bot, team_id: research, project_id: p1, environment: dev,
                             trust_tier: standard}
                - subnet: fd00:10::/64
                  identity:
                    agent_id: batch-bot
                    active: false
              rules:
                - id: no-metadata
                  action: deny
                  destinations: [169.254.169.254]
                - id: allow-upstream-web
                  action: allow
                  destinations:
                    - 198.18.2.0/24
                    - 2001:db8::/32
                  ports: [80, 443, "8000-8100"]
                  agents: [research-bot]
            """;

    @Test
    void fullConfigBuildsEveryRecord() throws Exception {
        ClawgressConfig c = ConfigLoader.parse(FULL, "/etc/clawgress/clawgress.yaml");

        assertThat(c.source()).isEqualTo(Path.of("/etc/clawgress/clawgress.yaml"));
        assertThat(c.proxy()).isEqualTo(new ProxySettings(
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 15002), Transport.IO_URING,
                128, 4, Duration.ofMillis(250), Duration.ofHours(2), 500));
        assertThat(c.flowLog()).isEqualTo(new FlowLogSettings("-", 1024));

        assertThat(c.staticPolicy().bindings()).containsExactly(
                new SubnetBinding(Cidr.parse("10.10.1.0/24"),
                        new Identity("research-bot", "research", "p1", "dev", "standard", AuthMethod.SUBNET, true)),
                new SubnetBinding(Cidr.parse("fd00:10::/64"),
                        new Identity("batch-bot", null, null, null, null, AuthMethod.SUBNET, false)));

        List<StaticRule> rules = c.staticPolicy().rules();
        assertThat(rules).extracting(StaticRule::id).containsExactly("no-metadata", "allow-upstream-web");
        StaticRule deny = rules.get(0);
        assertThat(deny.action()).isEqualTo(StaticRule.Action.DENY);
        assertThat(deny.destinations()).containsExactly(Cidr.parse("169.254.169.254/32"));
        assertThat(deny.ports().toString()).isEqualTo("any");
        assertThat(deny.agents()).isEmpty();
        StaticRule allow = rules.get(1);
        assertThat(allow.action()).isEqualTo(StaticRule.Action.ALLOW);
        assertThat(allow.destinations()).containsExactly(Cidr.parse("198.18.2.0/24"), Cidr.parse("2001:db8::/32"));
        assertThat(allow.ports().toString()).isEqualTo("80,443,8000-8100");
        assertThat(allow.ports().contains(8050)).isTrue();
        assertThat(allow.ports().contains(8101)).isFalse();
        assertThat(allow.agents()).containsExactly("research-bot");
    }

    @Test
    void omittedSectionsTakeTheRecordDefaultsAndThePolicyDeniesEverything() throws Exception {
        ClawgressConfig c = ConfigLoader.parse("listener: {}\n", "cfg.yaml");

        assertThat(c.proxy()).isEqualTo(new ProxySettings(
                new InetSocketAddress(InetAddress.getByAddress(new byte[4]), ProxySettings.DEFAULT_PORT),
                Transport.EPOLL, ProxySettings.DEFAULT_BACKLOG, 0, ProxySettings.DEFAULT_CONNECT_TIMEOUT,
                ProxySettings.DEFAULT_IDLE_TIMEOUT, ProxySettings.DEFAULT_CONNECTION_LIMIT));
        assertThat(c.flowLog()).isEqualTo(new FlowLogSettings("/var/log/clawgress/flows.jsonl",
                FlowLogSettings.DEFAULT_QUEUE_CAPACITY));
        assertThat(c.staticPolicy().bindings()).isEmpty();
        assertThat(c.staticPolicy().rules()).isEmpty();
    }

    @Test
    void eachSectionCanBeGivenAlone() throws Exception {
        assertThat(ConfigLoader.parse("connection_limit: 7\n", "c").proxy().connectionLimit()).isEqualTo(7);
        assertThat(ConfigLoader.parse("timeouts: {idle: 30s}\n", "c").proxy().idleTimeout())
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(ConfigLoader.parse("flow_log: {queue_capacity: 16}\n", "c").flowLog())
                .isEqualTo(new FlowLogSettings("/var/log/clawgress/flows.jsonl", 16));
        assertThat(ConfigLoader.parse("static_policy: {}\n", "c").staticPolicy().rules()).isEmpty();
        assertThat(ConfigLoader.parse("static_policy: {bindings: [], rules: []}\n", "c").staticPolicy().bindings())
                .isEmpty();
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

    /** Scalars that YAML 1.1 would turn into booleans, numbers or dates stay the text the operator wrote. */
    @Test
    void identityStringsAreTakenAsWritten() throws Exception {
        ClawgressConfig c = ConfigLoader.parse("""
                static_policy:
                  bindings:
                    - subnet: 10.0.0.0/8
                      identity: {agent_id: 007, team_id: no, project_id: 2024-01-01, environment: on, trust_tier: 1.0}
                """, "c");
        assertThat(c.staticPolicy().bindings().get(0).identity())
                .isEqualTo(new Identity("007", "no", "2024-01-01", "on", "1.0", AuthMethod.SUBNET, true));
    }

    @Test
    void aliasesWithinTheLimitWork() throws Exception {
        ClawgressConfig c = ConfigLoader.parse("""
                static_policy:
                  rules:
                    - {id: a, action: allow, destinations: &web [198.51.100.0/24, 203.0.113.0/24], ports: &p [443]}
                    - {id: b, action: deny, destinations: *web, ports: *p}
                """, "c");
        assertThat(c.staticPolicy().rules().get(1).destinations())
                .containsExactly(Cidr.parse("198.51.100.0/24"), Cidr.parse("203.0.113.0/24"));
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
                + " listener, connection_limit, timeouts, flow_log, peek, dns, static_policy; see docs/config.md)");
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
        assertThat(c.flowLog().path()).isEqualTo("/var/log/clawgress/flows.jsonl");
        assertThat(c.staticPolicy().bindings()).isNotEmpty();
        assertThat(c.staticPolicy().rules()).isNotEmpty();
        // Placeholders only: documentation prefixes (RFC 5737), so as shipped no real agent is bound and nothing
        // real is allowed.
        List<Cidr> documentation = List.of(Cidr.parse("192.0.2.0/24"), Cidr.parse("198.51.100.0/24"),
                Cidr.parse("203.0.113.0/24"));
        for (SubnetBinding b : c.staticPolicy().bindings()) {
            assertThat(documentation).as("binding subnet").contains(b.subnet());
        }
        for (StaticRule r : c.staticPolicy().rules()) {
            if (r.action() == StaticRule.Action.ALLOW) {
                assertThat(documentation).as("allowed destinations of " + r.id()).containsAll(r.destinations());
            }
        }
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
