package io.clawgress.appliance.config;

import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.enforcement.yaml.YamlException;
import io.clawgress.enforcement.yaml.YamlNodeReader;
import io.clawgress.enforcement.yaml.YamlNodeReader.Fields;
import io.clawgress.enforcement.yaml.YamlSource;
import io.clawgress.enforcement.audit.AuditSettings;
import io.clawgress.enforcement.audit.OverflowMode;
import io.clawgress.tproxy.ProxySettings;
import io.clawgress.tproxy.Transport;
import io.clawgress.tproxy.dns.DnsSettings;
import io.clawgress.tproxy.peek.PeekSettings;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code clawgress.yaml} (docs/config.md) into a validated {@link ClawgressConfig}, or reports every problem
 * in it at once as a {@link ConfigException}.
 *
 * <p>The file is untrusted input until validated, so it is read defensively: size bounded before reading, strict
 * UTF-8, SnakeYAML's safe constructor with duplicate keys, aliases, nesting and code points bounded, and only
 * {@code compose} is used (a node tree with positions, never arbitrary objects). Non-standard tags are refused.
 * Unknown keys are errors: a misspelt key must never be silently ignored. Scalars are typed strictly by their
 * YAML tag: a quoted number is not an integer, and {@code yes}/{@code on} are not booleans.
 *
 * <p>Blocking file I/O: call it from {@code main}, the admin thread or a reload thread, never an event loop.
 */
public final class ConfigLoader {

    /** Where {@code clawgressd} looks when {@code --config} is not given. */
    public static final Path DEFAULT_PATH = Path.of("/etc/clawgress/clawgress.yaml");

    /** Larger files are refused before they are read. */
    public static final int MAX_FILE_BYTES = YamlSource.MAX_FILE_BYTES;

    static final List<String> TOP_KEYS = List.of("listener", "connection_limit", "timeouts", "flow_log",
            "peek", "dns", "state_dir", "policy", "identity", "intercept", "audit", "admin", "metrics");
    static final List<String> ADMIN_KEYS = List.of("enabled", "socket", "group", "admin_group");
    static final List<String> METRICS_KEYS = List.of("enabled", "address", "port");
    static final List<String> AUDIT_KEYS = List.of("enabled", "dir", "queue_capacity", "segment_max_bytes", "segment_max_age",
            "checkpoint_every", "checkpoint_interval", "on_overflow", "retention_max_mib", "retention_max_age");
    static final List<String> IDENTITY_KEYS = List.of("trust_domain", "jwt_header", "jwt_clock_skew");
    static final List<String> INTERCEPT_KEYS = List.of("client_certificates", "upstream_ca",
            "upstream_handshake_timeout");
    static final List<String> PEEK_KEYS = List.of("max_bytes", "timeout", "server_first_ports");
    static final List<String> DNS_KEYS = List.of("servers", "query_timeout", "max_ttl", "serve_stale");
    static final List<String> LISTENER_KEYS = List.of("address", "port", "transport", "backlog",
            "event_loop_threads");
    static final List<String> TIMEOUT_KEYS = List.of("upstream_connect", "idle", "drain");
    static final List<String> FLOW_LOG_KEYS = List.of("path", "queue_capacity");
    static final List<String> POLICY_KEYS = List.of("trusted_keys", "bundle", "drop_dir", "bundle_url",
            "bundle_url_ca", "bundle_url_interval", "generations", "max_bundle_size", "unsafe_unsigned_policy_dir");
    /** The keys that deliver signed bundles; each needs trusted_keys to verify them. */
    static final List<String> SIGNED_SOURCE_KEYS = List.of("bundle", "drop_dir", "bundle_url");

    // Ranges mirror the records' compact constructors (ConfigLoaderTest checks both ends against them), so errors
    // are worded in the file's vocabulary. Anything the records refuse beyond these is still reported, at the key.
    static final String DEFAULT_ADDRESS = "0.0.0.0";
    static final int MAX_EVENT_LOOP_THREADS = 1024;
    static final Duration MIN_CONNECT_TIMEOUT = Duration.ofMillis(10);
    static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMinutes(5);
    static final Duration MIN_IDLE_TIMEOUT = Duration.ofMillis(100);
    static final Duration MAX_IDLE_TIMEOUT = Duration.ofDays(7);
    static final int MIN_QUEUE_CAPACITY = 16;
    static final int MAX_QUEUE_CAPACITY = 16_777_216;
    static final String DEFAULT_FLOW_LOG_PATH = "/var/log/clawgress/flows.jsonl";
    static final Duration MIN_URL_INTERVAL = Duration.ofSeconds(5);
    static final Duration MAX_URL_INTERVAL = Duration.ofHours(24);
    static final int MIN_GENERATIONS = 1;
    static final int MAX_GENERATIONS = 100;
    static final int MIN_BUNDLE_BYTES = 1024;
    static final int MAX_BUNDLE_BYTES = 1024 * 1024 * 1024;

    private static final String URL_EXPECTED = "an https:// URL such as https://policy.example.com/bundle.tar.gz";
    private static final Map<String, Transport> TRANSPORTS = codes(Transport.values(), Transport::code);
    /** In declaration order, so error messages list the choices the same way every run. */
    private static final Map<String, OverflowMode> OVERFLOW_MODES = codes(OverflowMode.values(), OverflowMode::code);
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private ConfigLoader() {
    }

    /**
     * Reads and validates {@code file}.
     *
     * @throws ConfigException listing every problem found (missing, unreadable, too large or empty file, YAML
     *                         syntax, unknown keys, wrong types, out-of-range values ...)
     */
    public static ClawgressConfig load(Path file) throws ConfigException {
        Objects.requireNonNull(file, "file");
        String name = file.toString();
        byte[] bytes = read(file, name);
        String text;
        try {
            text = YamlSource.decode(bytes, name);
        } catch (YamlException e) {
            throw new ConfigException(e.errors());
        }
        return parse(text, name, file);
    }

    /**
     * Validates YAML text; {@code sourceName} names it in errors and becomes {@link ClawgressConfig#source()}.
     *
     * @throws ConfigException listing every problem found
     */
    public static ClawgressConfig parse(String yaml, String sourceName) throws ConfigException {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(sourceName, "sourceName");
        Path source;
        try {
            source = Path.of(sourceName);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("sourceName: " + YamlNodeReader.quote(sourceName)
                    + " (expected: a path)");
        }
        long bytes = utf8Length(yaml);
        if (bytes > MAX_FILE_BYTES) {
            throw single(sourceName, tooLarge(bytes));
        }
        return parse(yaml, sourceName, source);
    }

    /** SHA-256 of the text as UTF-8: for a loaded file, exactly the file's bytes (strict UTF-8, BOM included). */
    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }

    private static ClawgressConfig parse(String text, String name, Path source) throws ConfigException {
        YamlNodeReader r = new YamlNodeReader(name);
        Node root = YamlSource.compose(YamlSource.stripBom(text), r);
        if (r.errorCount() > 0) {
            throw exception(r);
        }
        if (root == null) {
            throw single(name, "empty file (expected: a YAML mapping with any of: " + String.join(", ", TOP_KEYS)
                    + "; see docs/config.md)");
        }
        // Foreign tags are reported alone: type errors about the same nodes would only be noise.
        r.checkTags(root);
        if (r.errorCount() > 0) {
            throw exception(r);
        }
        Fields top = r.fields(root, "", "a mapping with any of: " + String.join(", ", TOP_KEYS), TOP_KEYS);
        if (top == null) {
            throw exception(r);
        }
        Fields timeouts = top.section("timeouts", TIMEOUT_KEYS);
        ProxySettings proxy = proxy(r, top, timeouts);
        FlowLogSettings flowLog = flowLog(r, top);
        PolicySettings policy = policy(r, top);
        IdentitySettings identity = identity(r, top);
        AuditSettings audit = audit(r, top);
        AdminSettings admin = admin(r, top);
        MetricsSettings metrics = metrics(r, top);
        Duration drain = timeouts.duration("drain", Duration.ZERO,
                ClawgressConfig.MAX_DRAIN_TIMEOUT, ClawgressConfig.DEFAULT_DRAIN_TIMEOUT);
        if (r.errorCount() > 0) {
            throw exception(r);
        }
        return new ClawgressConfig(source, proxy, flowLog, policy, identity, audit, admin, metrics, drain,
                sha256(text));
    }

    // ---- reading the file -------------------------------------------------------------------------------------

    private static byte[] read(Path file, String name) throws ConfigException {
        try {
            if (Files.isDirectory(file)) {
                throw single(name, "a directory (expected: a YAML file)");
            }
            if (Files.isRegularFile(file)) {
                long size = Files.size(file);
                if (size > MAX_FILE_BYTES) {
                    throw single(name, tooLarge(size));
                }
            }
            try (InputStream in = Files.newInputStream(file)) {
                return YamlSource.readBounded(in, name);
            }
        } catch (YamlException e) {
            throw new ConfigException(e.errors());
        } catch (NoSuchFileException e) {
            throw single(name, "no such file (expected: a readable YAML config file)");
        } catch (AccessDeniedException e) {
            throw single(name, "permission denied (expected: a file readable by this user)");
        } catch (IOException e) {
            String reason = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
            throw single(name, "cannot read: " + (reason != null ? oneLine(reason) : "I/O error")
                    + " (expected: a readable YAML config file)");
        }
    }

    // ---- the schema -------------------------------------------------------------------------------------------

    private static ProxySettings proxy(YamlNodeReader r, Fields top, Fields timeouts) {
        int before = r.errorCount();
        Fields listener = top.section("listener", LISTENER_KEYS);
        InetAddress address = ipLiteral(r, listener, "address");
        int port = listener.integer("port", 1, 65535, ProxySettings.DEFAULT_PORT);
        Transport transport = listener.choice("transport", TRANSPORTS, Transport.EPOLL);
        int backlog = listener.integer("backlog", 1, Integer.MAX_VALUE, ProxySettings.DEFAULT_BACKLOG);
        int threads = listener.integer("event_loop_threads", 0, MAX_EVENT_LOOP_THREADS, 0);
        int connectionLimit = top.integer("connection_limit", 1, Integer.MAX_VALUE,
                ProxySettings.DEFAULT_CONNECTION_LIMIT);
        Duration connect = timeouts.duration("upstream_connect", MIN_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT,
                ProxySettings.DEFAULT_CONNECT_TIMEOUT);
        Duration idle = timeouts.duration("idle", MIN_IDLE_TIMEOUT, MAX_IDLE_TIMEOUT,
                ProxySettings.DEFAULT_IDLE_TIMEOUT);
        PeekSettings peek = peek(r, top);
        DnsSettings dns = dns(r, top);
        if (r.errorCount() > before || address == null || peek == null || dns == null) {
            return null;
        }
        try {
            return new ProxySettings(new InetSocketAddress(address, port), transport, backlog, threads, connect, idle,
                    connectionLimit, peek, dns);
        } catch (IllegalArgumentException e) {
            report(r, e, top, Map.of(
                    "listen", new Target(listener.at("address"), listener.pathOf("address")),
                    "listen.port", new Target(listener.at("port"), listener.pathOf("port")),
                    "backlog", new Target(listener.at("backlog"), listener.pathOf("backlog")),
                    "eventLoopThreads", new Target(listener.at("event_loop_threads"),
                            listener.pathOf("event_loop_threads")),
                    "connectTimeout", new Target(timeouts.at("upstream_connect"),
                            timeouts.pathOf("upstream_connect")),
                    "idleTimeout", new Target(timeouts.at("idle"), timeouts.pathOf("idle")),
                    "connectionLimit", new Target(top.at("connection_limit"), "connection_limit")));
            return null;
        }
    }

    private static PeekSettings peek(YamlNodeReader r, Fields top) {
        Fields f = top.section("peek", PEEK_KEYS);
        int maxBytes = f.integer("max_bytes", PeekSettings.MIN_MAX_BYTES, PeekSettings.MAX_MAX_BYTES,
                PeekSettings.DEFAULT_MAX_BYTES);
        Duration timeout = f.duration("timeout", Duration.ofMillis(10), Duration.ofMinutes(1),
                PeekSettings.DEFAULT_TIMEOUT);
        Set<Integer> serverFirst = PeekSettings.DEFAULT_SERVER_FIRST_PORTS;
        List<Node> items = f.list("server_first_ports", "a list of ports, e.g. [22, 25, 587]");
        if (items != null) {
            serverFirst = new LinkedHashSet<>();
            for (int i = 0; i < items.size(); i++) {
                String path = YamlNodeReader.index(f.pathOf("server_first_ports"), i);
                Integer port = r.integer(items.get(i), path, 1, 65535);
                if (port != null) {
                    serverFirst.add(port);
                }
            }
        }
        try {
            return new PeekSettings(maxBytes, timeout, serverFirst);
        } catch (IllegalArgumentException e) {
            r.error(f.get("peek") != null ? f.get("peek") : top.at("peek"), "peek", e.getMessage());
            return null;
        }
    }

    private static DnsSettings dns(YamlNodeReader r, Fields top) {
        Fields f = top.section("dns", DNS_KEYS);
        List<InetSocketAddress> servers = new ArrayList<>();
        List<Node> items = f.list("servers", "a list of DNS servers, e.g. ['192.0.2.53', '[2001:db8::53]:5353']");
        if (items != null) {
            for (int i = 0; i < items.size(); i++) {
                String path = YamlNodeReader.index(f.pathOf("servers"), i);
                String text = r.string(items.get(i), path, "an IP address, optionally with :port");
                InetSocketAddress a = text == null ? null : dnsServer(text);
                if (text != null && a == null) {
                    r.invalid(items.get(i), path, "an IP address literal, optionally with :port "
                            + "(IPv6 with port as [2001:db8::53]:53), never a host name");
                } else if (a != null) {
                    servers.add(a);
                }
            }
        }
        Duration timeout = f.duration("query_timeout", Duration.ofMillis(10), Duration.ofSeconds(30),
                DnsSettings.DEFAULT_QUERY_TIMEOUT);
        Duration maxTtl = f.duration("max_ttl", Duration.ZERO, Duration.ofDays(1), DnsSettings.DEFAULT_MAX_TTL);
        Duration serveStale = f.duration("serve_stale", Duration.ZERO, Duration.ofDays(1),
                DnsSettings.DEFAULT_SERVE_STALE);
        return new DnsSettings(servers, timeout, maxTtl, serveStale);
    }

    /** {@code ip}, {@code ip:port} or {@code [v6]:port}; null when not an IP literal. */
    static InetSocketAddress dnsServer(String text) {
        String host = text;
        int port = 53;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.matches(":\\d{1,5}")) {
                    return null;
                }
                port = Integer.parseInt(rest.substring(1));
            }
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            host = text.substring(0, text.indexOf(':'));
            String p = text.substring(text.indexOf(':') + 1);
            if (!p.matches("\\d{1,5}")) {
                return null;
            }
            port = Integer.parseInt(p);
        }
        if (port < 1 || port > 65535 || !(IPV4.matcher(host).matches() || IPV6.matcher(host).matches())) {
            return null;
        }
        try {
            // Safe: the patterns above admit only literals, so no name lookup happens.
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** An IP literal, never a name: resolving one would make startup depend on DNS. */
    private static InetAddress ipLiteral(YamlNodeReader r, Fields f, String key) {
        String expected = "an IPv4 or IPv6 address literal such as 0.0.0.0 or '::' (not a host name)";
        Node node = f.get(key);
        String text = node == null ? DEFAULT_ADDRESS : r.string(node, f.pathOf(key), expected);
        if (text == null) {
            return null;
        }
        if (IPV4.matcher(text).matches() || IPV6.matcher(text).matches()) {
            try {
                // No lookup happens: the patterns above admit only literals (no letters beyond hex, no '%' scope).
                return InetAddress.getByName(text);
            } catch (UnknownHostException e) {
                // fall through: reported below
            }
        }
        r.invalid(node, f.pathOf(key), expected);
        return null;
    }

    /**
     * The {@code flow_log} section, or {@code null} when absent: the audit log is the record of decisions, the flow
     * log an optional unchained copy of the same records (for example {@code -}, the journal).
     */
    private static FlowLogSettings flowLog(YamlNodeReader r, Fields top) {
        if (top.get("flow_log") == null) {
            return null;
        }
        int before = r.errorCount();
        Fields f = top.section("flow_log", FLOW_LOG_KEYS);
        String expected = "an absolute file path, or '-' for standard output";
        String path = f.string("path", expected, DEFAULT_FLOW_LOG_PATH);
        if (!path.equals(FlowLogSettings.STDOUT) && !isAbsolutePath(path)) {
            r.invalid(f.at("path"), f.pathOf("path"), expected);
        }
        int capacity = f.integer("queue_capacity", MIN_QUEUE_CAPACITY, MAX_QUEUE_CAPACITY,
                FlowLogSettings.DEFAULT_QUEUE_CAPACITY);
        if (r.errorCount() > before) {
            return null;
        }
        try {
            return new FlowLogSettings(path, capacity);
        } catch (IllegalArgumentException e) {
            report(r, e, f, Map.of(
                    "path", new Target(f.at("path"), f.pathOf("path")),
                    "queueCapacity", new Target(f.at("queue_capacity"), f.pathOf("queue_capacity"))));
            return null;
        }
    }

    private static boolean isAbsolutePath(String path) {
        if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return false;
        }
        try {
            return Path.of(path).isAbsolute() && !path.endsWith("/");
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /**
     * The {@code audit} section: on by default (an absent section means every default), {@code null} only when it
     * says {@code enabled: false} (the daemon then warns that no tamper-evident record is kept).
     */
    private static AuditSettings audit(YamlNodeReader r, Fields top) {
        int before = r.errorCount();
        Fields f = top.section("audit", AUDIT_KEYS);
        if (!f.bool("enabled", true)) {
            return null;
        }
        Path dir = absolutePath(r, f, "dir", true, "/var/log/clawgress/audit");
        int queue = f.integer("queue_capacity", 16, 16_777_216, AuditSettings.DEFAULT_QUEUE_CAPACITY);
        int segmentBytes = f.integer("segment_max_bytes", 4096, Integer.MAX_VALUE,
                (int) AuditSettings.DEFAULT_SEGMENT_MAX_BYTES);
        Duration segmentAge = f.duration("segment_max_age", Duration.ofSeconds(1), Duration.ofDays(31),
                AuditSettings.DEFAULT_SEGMENT_MAX_AGE);
        int every = f.integer("checkpoint_every", 1, 10_000_000, AuditSettings.DEFAULT_CHECKPOINT_EVERY);
        Duration interval = f.duration("checkpoint_interval", Duration.ofMillis(100), Duration.ofHours(1),
                AuditSettings.DEFAULT_CHECKPOINT_INTERVAL);
        OverflowMode overflow = f.choice("on_overflow", OVERFLOW_MODES, OverflowMode.DROP_AND_GAP);
        int retentionMib = f.integer("retention_max_mib", 0, Integer.MAX_VALUE,
                (int) (AuditSettings.DEFAULT_RETENTION_MAX_TOTAL_BYTES >> 20));
        Duration retentionAge = f.duration("retention_max_age", Duration.ZERO, Duration.ofDays(3650),
                AuditSettings.DEFAULT_RETENTION_MAX_AGE);
        if (r.errorCount() > before) {
            return null;
        }
        return new AuditSettings(dir != null ? dir : AuditSettings.DEFAULT_DIR, queue, segmentBytes, segmentAge, every,
                interval, overflow, ((long) retentionMib) << 20, retentionAge,
                AuditSettings.DEFAULT_RETRY_INITIAL_BACKOFF, AuditSettings.DEFAULT_RETRY_MAX_BACKOFF);
    }

    /** The {@code admin} section: the admin API's socket and its two groups (every key has a default). */
    private static AdminSettings admin(YamlNodeReader r, Fields top) {
        int before = r.errorCount();
        Fields f = top.section("admin", ADMIN_KEYS);
        boolean enabled = f.bool("enabled", true);
        Path socket = absolutePath(r, f, "socket", false, AdminSettings.DEFAULT_SOCKET.toString());
        String groupExpected = "a group name or a numeric gid";
        String group = f.string("group", groupExpected, AdminSettings.DEFAULT_GROUP);
        String adminGroup = f.string("admin_group", groupExpected, AdminSettings.DEFAULT_ADMIN_GROUP);
        if (group != null && !AdminSettings.GROUP.matcher(group).matches()) {
            r.invalid(f.at("group"), f.pathOf("group"), groupExpected);
        }
        if (adminGroup != null && !AdminSettings.GROUP.matcher(adminGroup).matches()) {
            r.invalid(f.at("admin_group"), f.pathOf("admin_group"), groupExpected);
        }
        if (r.errorCount() > before) {
            return null;
        }
        try {
            return new AdminSettings(enabled, socket != null ? socket : AdminSettings.DEFAULT_SOCKET, group,
                    adminGroup);
        } catch (IllegalArgumentException e) {
            report(r, e, f, Map.of("socket", new Target(f.at("socket"), f.pathOf("socket"))));
            return null;
        }
    }

    /** The {@code metrics} section: the Prometheus endpoint, on 127.0.0.1:9464 unless {@code enabled: false}. */
    private static MetricsSettings metrics(YamlNodeReader r, Fields top) {
        int before = r.errorCount();
        Fields f = top.section("metrics", METRICS_KEYS);
        boolean enabled = f.bool("enabled", true);
        InetAddress address = f.get("address") == null ? loopback() : ipLiteral(r, f, "address");
        int port = f.integer("port", 0, 65535, MetricsSettings.DEFAULT_PORT);
        if (r.errorCount() > before || address == null) {
            return null;
        }
        return new MetricsSettings(enabled ? new InetSocketAddress(address, port) : null);
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("a 4-byte address is always valid", e);
        }
    }

    /** The {@code identity} and {@code intercept} sections. */
    private static IdentitySettings identity(YamlNodeReader r, Fields top) {
        int before = r.errorCount();
        Fields id = top.section("identity", IDENTITY_KEYS);
        Fields ic = top.section("intercept", INTERCEPT_KEYS);
        String trustDomain = id.string("trust_domain", "a SPIFFE trust domain such as agents.example.com",
                IdentitySettings.DEFAULT_TRUST_DOMAIN);
        String header = id.string("jwt_header", "an HTTP field name such as Proxy-Authorization",
                IdentitySettings.DEFAULT_JWT_HEADER);
        Duration skew = id.duration("jwt_clock_skew", Duration.ZERO, Duration.ofMinutes(5),
                IdentitySettings.DEFAULT_JWT_CLOCK_SKEW);
        boolean clientCerts = ic.bool("client_certificates", true);
        Path upstreamCa = absolutePath(r, ic, "upstream_ca", false, "/etc/clawgress/upstream-ca.pem");
        Duration handshake = ic.duration("upstream_handshake_timeout", Duration.ofMillis(100), Duration.ofMinutes(1),
                IdentitySettings.DEFAULT_UPSTREAM_HANDSHAKE_TIMEOUT);
        if (r.errorCount() > before) {
            return null;
        }
        try {
            return new IdentitySettings(trustDomain, header, skew, clientCerts, upstreamCa, handshake);
        } catch (IllegalArgumentException e) {
            report(r, e, id, Map.of(
                    "trustDomain", new Target(id.at("trust_domain"), id.pathOf("trust_domain")),
                    "jwtHeader", new Target(id.at("jwt_header"), id.pathOf("jwt_header"))));
            return null;
        }
    }

    /** {@code state_dir} and the {@code policy} section: where the enforced policy comes from. */
    private static PolicySettings policy(YamlNodeReader r, Fields top) {
        int before = r.errorCount();
        Path stateDir = top.get("state_dir") == null ? PolicySettings.DEFAULT_STATE_DIR
                : absolutePath(r, top, "state_dir", true, "/var/lib/clawgress");
        Fields f = top.section("policy", POLICY_KEYS);
        Path trustedKeys = absolutePath(r, f, "trusted_keys", false, "/etc/clawgress/trusted-keys.json");
        Path bundle = absolutePath(r, f, "bundle", false, "/etc/clawgress/bundle.tar.gz");
        Path dropDir = absolutePath(r, f, "drop_dir", true, "/var/lib/clawgress/drop");
        URI bundleUrl = bundleUrl(r, f);
        Path bundleUrlCa = absolutePath(r, f, "bundle_url_ca", false, "/etc/clawgress/bundle-ca.pem");
        Duration interval = f.duration("bundle_url_interval", MIN_URL_INTERVAL, MAX_URL_INTERVAL,
                PolicySettings.DEFAULT_URL_INTERVAL);
        int generations = f.integer("generations", MIN_GENERATIONS, MAX_GENERATIONS,
                PolicySettings.DEFAULT_GENERATIONS);
        int maxBundleBytes = f.integer("max_bundle_size", MIN_BUNDLE_BYTES, MAX_BUNDLE_BYTES,
                (int) PolicySettings.DEFAULT_MAX_BUNDLE_BYTES);
        Path unsafeDir = absolutePath(r, f, "unsafe_unsigned_policy_dir", true, "/srv/clawgress/dev-policy");
        checkPolicyCombination(r, f);
        if (r.errorCount() > before) {
            return null;
        }
        try {
            return new PolicySettings(stateDir, trustedKeys, bundle, dropDir, bundleUrl, bundleUrlCa, interval,
                    generations, maxBundleBytes, unsafeDir);
        } catch (IllegalArgumentException e) {
            report(r, e, f, Map.of(
                    "trustedKeys", new Target(f.at("trusted_keys"), f.pathOf("trusted_keys")),
                    "unsafeUnsignedPolicyDir", new Target(f.at("unsafe_unsigned_policy_dir"),
                            f.pathOf("unsafe_unsigned_policy_dir")),
                    "bundleUrl", new Target(f.at("bundle_url"), f.pathOf("bundle_url")),
                    "bundleUrlCa", new Target(f.at("bundle_url_ca"), f.pathOf("bundle_url_ca")),
                    "generations", new Target(f.at("generations"), f.pathOf("generations")),
                    "maxBundleBytes", new Target(f.at("max_bundle_size"), f.pathOf("max_bundle_size"))));
            return null;
        }
    }

    /**
     * The rules between policy keys, judged on which keys are present (not on whether their values are valid), so a
     * wrong value is reported once, as wrong, and not again as missing.
     */
    private static void checkPolicyCombination(YamlNodeReader r, Fields f) {
        List<String> signedSources = present(f, SIGNED_SOURCE_KEYS);
        Node unsafe = f.get("unsafe_unsigned_policy_dir");
        if (unsafe != null) {
            // Mixing the two would leave it unclear which one decides; the unsafe one must be a deliberate choice.
            List<String> signed = present(f, List.of("trusted_keys", "bundle", "drop_dir", "bundle_url"));
            if (!signed.isEmpty()) {
                r.error(unsafe, f.pathOf("unsafe_unsigned_policy_dir"), YamlNodeReader.describe(unsafe)
                        + " together with " + String.join(", ", signed) + " (expected: either"
                        + " unsafe_unsigned_policy_dir alone, for development, or trusted_keys with signed bundle"
                        + " sources)");
            }
        } else if (!signedSources.isEmpty() && f.get("trusted_keys") == null) {
            // Without a key set no bundle could ever verify: fail at check-config, not at the first activation.
            r.error(f.node(), f.pathOf("trusted_keys"), "missing (expected: the absolute path of the key set that"
                    + " verifies bundles; required with " + String.join(", ", signedSources) + ")");
        }
        Node ca = f.get("bundle_url_ca");
        if (ca != null && f.get("bundle_url") == null) {
            r.error(ca, f.pathOf("bundle_url_ca"), YamlNodeReader.describe(ca) + " without bundle_url (expected:"
                    + " bundle_url_ca only together with the bundle_url whose server it verifies)");
        }
    }

    private static List<String> present(Fields f, List<String> keys) {
        return keys.stream().filter(k -> f.get(k) != null).toList();
    }

    /**
     * An HTTPS URL: over plain http anyone on the path could read the policy, or hold back new bundles unnoticed
     * (the signature protects their content, not their delivery). No credentials (they would end up in this file's
     * copies and in logs) and no fragment (never sent to the server, so it can only be a mistake).
     */
    private static URI bundleUrl(YamlNodeReader r, Fields f) {
        Node node = f.get("bundle_url");
        if (node == null) {
            return null;
        }
        String path = f.pathOf("bundle_url");
        String text = r.string(node, path, URL_EXPECTED);
        if (text == null) {
            return null;
        }
        if (hasUserInfo(text)) {
            // Not echoed: the value holds a password more often than not.
            r.error(node, path, "a URL with user information (expected: " + URL_EXPECTED
                    + ", without user:password@)");
            return null;
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            r.invalid(node, path, URL_EXPECTED);
            return null;
        }
        if (uri.getScheme() != null && !uri.getScheme().equalsIgnoreCase("https")) {
            r.invalid(node, path, "an https:// URL; plain http and other schemes are refused");
        } else if (uri.getScheme() == null || uri.isOpaque() || uri.getHost() == null
                || uri.getPort() == 0 || uri.getPort() > 65535) {
            r.invalid(node, path, URL_EXPECTED);
        } else if (uri.getRawFragment() != null) {
            r.invalid(node, path, "an https:// URL without a #fragment");
        } else {
            return uri;
        }
        return null;
    }

    /** Whether the authority (between {@code scheme://} and the first {@code / ? #}) has a {@code user@} part. */
    private static boolean hasUserInfo(String url) {
        int colon = url.indexOf(':');
        String rest = colon < 0 ? url : url.substring(colon + 1);
        if (rest.startsWith("//")) {
            rest = rest.substring(2);
        }
        int end = 0;
        while (end < rest.length() && "/?#".indexOf(rest.charAt(end)) < 0) {
            end++;
        }
        return rest.substring(0, end).indexOf('@') >= 0;
    }

    /**
     * An absolute path, only checked for syntax: whether it exists is the daemon's business at start, so a config
     * can be checked on a machine other than the gateway. {@code null} when absent, or after recording an error.
     */
    private static Path absolutePath(YamlNodeReader r, Fields f, String key, boolean directory, String example) {
        Node node = f.get(key);
        if (node == null) {
            return null;
        }
        String expected = (directory ? "an absolute directory path" : "an absolute file path") + " such as "
                + example;
        String text = r.string(node, f.pathOf(key), expected);
        if (text == null) {
            return null;
        }
        boolean valid = directory ? isAbsoluteDirectory(text) : isAbsolutePath(text);
        if (!valid) {
            r.invalid(node, f.pathOf(key), expected);
            return null;
        }
        return Path.of(text);
    }

    /** Like {@link #isAbsolutePath} but a trailing {@code /} is allowed; {@code /} itself is not a usable directory. */
    private static boolean isAbsoluteDirectory(String path) {
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return !p.equals("/") && isAbsolutePath(p);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private record Target(Node node, String path) {
    }

    /**
     * Reports a record's own validation failure at the key it is about. The records name their Java field first
     * ({@code "backlog: 0 (expected: > 0)"}); unknown field names are reported at the enclosing section.
     */
    private static void report(YamlNodeReader r, IllegalArgumentException e, Fields section,
                               Map<String, Target> fields) {
        String message = e.getMessage() == null ? "invalid" : oneLine(e.getMessage());
        int colon = message.indexOf(": ");
        Target target = colon < 0 ? null : fields.get(message.substring(0, colon));
        if (target != null) {
            r.error(target.node(), target.path(), message.substring(colon + 2));
        } else {
            r.error(section.node(), section.path(), message);
        }
    }

    private static <E> Map<String, E> codes(E[] values, java.util.function.Function<E, String> code) {
        Map<String, E> m = new LinkedHashMap<>();
        for (E v : values) {
            m.put(code.apply(v), v);
        }
        return m;
    }

    private static String tooLarge(long bytes) {
        return bytes + " bytes (expected: at most " + MAX_FILE_BYTES + " bytes)";
    }

    private static ConfigException single(String name, String message) {
        return new ConfigException(List.of(new YamlError(name, 0, 0, "", message)));
    }

    private static ConfigException exception(YamlNodeReader r) {
        return new ConfigException(r.sortedErrors());
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
