package io.clawgress.appliance.config;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.DialMode;
import io.clawgress.api.Identity;
import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.net.HostPattern;
import io.clawgress.enforcement.net.PortSet;
import io.clawgress.enforcement.staticpolicy.StaticPolicy;
import io.clawgress.enforcement.staticpolicy.StaticPolicyDecider;
import io.clawgress.enforcement.staticpolicy.StaticRule;
import io.clawgress.enforcement.staticpolicy.SubnetBinding;
import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.enforcement.yaml.YamlException;
import io.clawgress.enforcement.yaml.YamlNodeReader;
import io.clawgress.enforcement.yaml.YamlNodeReader.Fields;
import io.clawgress.enforcement.yaml.YamlSource;
import io.clawgress.tproxy.ProxySettings;
import io.clawgress.tproxy.Transport;
import io.clawgress.tproxy.dns.DnsSettings;
import io.clawgress.tproxy.peek.PeekSettings;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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
            "peek", "dns", "static_policy");
    static final List<String> PEEK_KEYS = List.of("max_bytes", "timeout", "server_first_ports");
    static final List<String> DNS_KEYS = List.of("servers", "query_timeout", "max_ttl");
    static final List<String> LISTENER_KEYS = List.of("address", "port", "transport", "backlog",
            "event_loop_threads");
    static final List<String> TIMEOUT_KEYS = List.of("upstream_connect", "idle");
    static final List<String> FLOW_LOG_KEYS = List.of("path", "queue_capacity");
    static final List<String> STATIC_POLICY_KEYS = List.of("bindings", "rules");
    static final List<String> BINDING_KEYS = List.of("subnet", "identity");
    static final List<String> IDENTITY_KEYS = List.of("agent_id", "team_id", "project_id", "environment",
            "trust_tier", "active");
    static final List<String> RULE_KEYS = List.of("id", "action", "hosts", "destinations", "ports", "agents",
            "dial");

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

    /** Rule ids the decider reports for its built-in denials; a rule of that name would make decisions ambiguous. */
    static final List<String> RESERVED_RULE_IDS = List.of(StaticPolicyDecider.DEFAULT_RULE,
            StaticPolicyDecider.UNBOUND_RULE, StaticPolicyDecider.DISABLED_RULE, StaticPolicyDecider.SNI_MISSING_RULE,
            "peek", "loop_guard", "connection_limit");
    /** Ordered: error messages list the choices in this order. */
    private static final Map<String, DialMode> HOST_DIAL_MODES = codes(
            new DialMode[] {DialMode.RESOLVED, DialMode.ORIGINAL_IF_RESOLVED}, DialMode::code);

    private static final Map<String, Transport> TRANSPORTS = codes(Transport.values(), Transport::code);
    private static final Map<String, StaticRule.Action> ACTIONS = codes(StaticRule.Action.values(),
            a -> a.name().toLowerCase(Locale.ROOT));
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
            throw new IllegalArgumentException("sourceName: " + YamlNodeReader.quote(sourceName) + " (expected: a path)");
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
        ProxySettings proxy = proxy(r, top);
        FlowLogSettings flowLog = flowLog(r, top);
        StaticPolicy staticPolicy = staticPolicy(r, top);
        if (r.errorCount() > 0) {
            throw exception(r);
        }
        return new ClawgressConfig(source, proxy, flowLog, staticPolicy, sha256(text));
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

    private static ProxySettings proxy(YamlNodeReader r, Fields top) {
        int before = r.errorCount();
        Fields listener = top.section("listener", LISTENER_KEYS);
        InetAddress address = ipLiteral(r, listener, "address");
        int port = listener.integer("port", 1, 65535, ProxySettings.DEFAULT_PORT);
        Transport transport = listener.choice("transport", TRANSPORTS, Transport.EPOLL);
        int backlog = listener.integer("backlog", 1, Integer.MAX_VALUE, ProxySettings.DEFAULT_BACKLOG);
        int threads = listener.integer("event_loop_threads", 0, MAX_EVENT_LOOP_THREADS, 0);
        int connectionLimit = top.integer("connection_limit", 1, Integer.MAX_VALUE,
                ProxySettings.DEFAULT_CONNECTION_LIMIT);
        Fields timeouts = top.section("timeouts", TIMEOUT_KEYS);
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
                Integer port = r.integer(items.get(i), YamlNodeReader.index(f.pathOf("server_first_ports"), i), 1, 65535);
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
        return new DnsSettings(servers, timeout, maxTtl);
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

    private static FlowLogSettings flowLog(YamlNodeReader r, Fields top) {
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

    private static StaticPolicy staticPolicy(YamlNodeReader r, Fields top) {
        int before = r.errorCount();
        Fields f = top.section("static_policy", STATIC_POLICY_KEYS);

        List<SubnetBinding> bindings = new ArrayList<>();
        Set<String> agents = new LinkedHashSet<>();
        List<Node> bindingNodes = f.list("bindings", "a list of bindings, each {subnet: CIDR, identity: {...}}");
        if (bindingNodes != null) {
            Map<Cidr, Node> subnets = new HashMap<>();
            for (int i = 0; i < bindingNodes.size(); i++) {
                SubnetBinding b = binding(r, bindingNodes.get(i), YamlNodeReader.index(f.pathOf("bindings"), i), subnets,
                        agents);
                if (b != null) {
                    bindings.add(b);
                }
            }
        }
        boolean bindingsValid = r.errorCount() == before;

        List<StaticRule> rules = new ArrayList<>();
        List<AgentRef> agentRefs = new ArrayList<>();
        List<Node> ruleNodes = f.list("rules", "a list of rules, each {id, action, destinations, ...}");
        if (ruleNodes != null) {
            Map<String, Node> ids = new HashMap<>();
            for (int i = 0; i < ruleNodes.size(); i++) {
                StaticRule rule = rule(r, ruleNodes.get(i), YamlNodeReader.index(f.pathOf("rules"), i), ids, agentRefs);
                if (rule != null) {
                    rules.add(rule);
                }
            }
        }
        // A rule naming an agent no binding produces could never match: almost certainly a typo, and a silent one.
        if (bindingsValid) {
            for (AgentRef ref : agentRefs) {
                if (!agents.contains(ref.agentId())) {
                    r.invalid(ref.node(), ref.path(), "an agent_id bound in " + f.pathOf("bindings")
                            + (agents.isEmpty() ? " (there are none)" : ": " + list(agents)));
                }
            }
        }
        if (r.errorCount() > before) {
            return null;
        }
        try {
            return new StaticPolicy(bindings, rules);
        } catch (IllegalArgumentException e) {
            report(r, e, f, Map.of(
                    "bindings", new Target(f.at("bindings"), f.pathOf("bindings")),
                    "rules", new Target(f.at("rules"), f.pathOf("rules"))));
            return null;
        }
    }

    private static SubnetBinding binding(YamlNodeReader r, Node node, String path, Map<Cidr, Node> subnets,
                                         Set<String> agents) {
        int before = r.errorCount();
        Fields b = r.fields(node, path, "a mapping with keys: " + String.join(", ", BINDING_KEYS), BINDING_KEYS);
        if (b == null) {
            return null;
        }
        Node subnetNode = b.required("subnet", "a CIDR such as 10.10.1.0/24");
        Cidr subnet = subnetNode == null ? null : cidr(r, subnetNode, b.pathOf("subnet"));
        if (subnet != null) {
            Node first = subnets.putIfAbsent(subnet, subnetNode);
            if (first != null) {
                r.error(subnetNode, b.pathOf("subnet"), subnet + " bound twice (expected: each subnet once; first at"
                        + " line " + (first.getStartMark().getLine() + 1) + ")");
            }
        }
        Node identityNode = b.required("identity", "a mapping with at least agent_id");
        if (identityNode == null) {
            return null;
        }
        Fields id = r.fields(identityNode, b.pathOf("identity"), "a mapping with keys: "
                + String.join(", ", IDENTITY_KEYS), IDENTITY_KEYS);
        if (id == null) {
            return null;
        }
        String idExpected = "an id: 1-128 characters of A-Z a-z 0-9 . _ : -";
        Node agentNode = id.required("agent_id", "an agent id such as research-bot");
        String agentId = agentNode == null ? null : r.string(agentNode, id.pathOf("agent_id"), idExpected);
        if (agentId != null) {
            agents.add(agentId);
        }
        String team = id.string("team_id", idExpected, null);
        String project = id.string("project_id", idExpected, null);
        String environment = id.string("environment", idExpected, null);
        String tier = id.string("trust_tier", idExpected, null);
        boolean active = id.bool("active", true);
        if (r.errorCount() > before) {
            return null;
        }
        try {
            return new SubnetBinding(subnet, new Identity(agentId, team, project, environment, tier, AuthMethod.SUBNET,
                    active));
        } catch (IllegalArgumentException e) {
            report(r, e, id, Map.of(
                    "agentId", new Target(id.at("agent_id"), id.pathOf("agent_id")),
                    "teamId", new Target(id.at("team_id"), id.pathOf("team_id")),
                    "projectId", new Target(id.at("project_id"), id.pathOf("project_id")),
                    "environment", new Target(id.at("environment"), id.pathOf("environment")),
                    "trustTier", new Target(id.at("trust_tier"), id.pathOf("trust_tier"))));
            return null;
        }
    }

    private static StaticRule rule(YamlNodeReader r, Node node, String path, Map<String, Node> ids,
                                   List<AgentRef> agentRefs) {
        int before = r.errorCount();
        Fields f = r.fields(node, path, "a mapping with keys: " + String.join(", ", RULE_KEYS), RULE_KEYS);
        if (f == null) {
            return null;
        }
        Node idNode = f.required("id", "a rule id such as allow-web");
        String id = idNode == null ? null : r.string(idNode, f.pathOf("id"), "a rule id such as allow-web");
        if (id != null) {
            if (RESERVED_RULE_IDS.contains(id)) {
                r.invalid(idNode, f.pathOf("id"), "another id; " + String.join(", ", RESERVED_RULE_IDS)
                        + " name the built-in denials");
            } else {
                Node first = ids.putIfAbsent(id, idNode);
                if (first != null) {
                    r.invalid(idNode, f.pathOf("id"), "a unique rule id; first used at line "
                            + (first.getStartMark().getLine() + 1));
                }
            }
        }
        Node actionNode = f.required("action", "allow or deny");
        StaticRule.Action action = actionNode == null ? null : r.choice(actionNode, f.pathOf("action"), ACTIONS);

        List<HostPattern> hosts = new ArrayList<>();
        List<Node> hostItems = f.list("hosts", "a list of host names, e.g. [api.example.com, '*.example.com']");
        if (hostItems != null && hostItems.isEmpty()) {
            r.invalid(f.get("hosts"), f.pathOf("hosts"), "at least one host name; omit the key for an address rule");
        } else if (hostItems != null) {
            for (int i = 0; i < hostItems.size(); i++) {
                String itemPath = YamlNodeReader.index(f.pathOf("hosts"), i);
                String text = r.string(hostItems.get(i), itemPath, "a host name such as api.example.com");
                if (text != null) {
                    try {
                        hosts.add(HostPattern.parse(text));
                    } catch (IllegalArgumentException e) {
                        r.error(hostItems.get(i), itemPath, e.getMessage());
                    }
                }
            }
        }
        DialMode dial = hostItems == null ? DialMode.ORIGINAL : DialMode.RESOLVED;
        if (f.get("dial") != null) {
            if (hostItems == null) {
                r.invalid(f.get("dial"), f.pathOf("dial"), "no dial key on an address rule (it dials the original"
                        + " destination); dial applies to rules with hosts");
            } else {
                DialMode m = r.choice(f.get("dial"), f.pathOf("dial"), HOST_DIAL_MODES);
                dial = m != null ? m : dial;
            }
        }

        List<Cidr> destinations = new ArrayList<>();
        Node destNode = hostItems == null ? f.required("destinations", "a list of CIDRs or IP addresses"
                + " (or hosts: for a rule on names)") : f.get("destinations");
        List<Node> destItems = f.list("destinations", "a list of CIDRs or IP addresses, e.g. [198.51.100.0/24]");
        if (destItems != null && destItems.isEmpty()) {
            r.invalid(destNode, f.pathOf("destinations"), "at least one CIDR or IP address");
        } else if (destItems != null) {
            for (int i = 0; i < destItems.size(); i++) {
                Cidr c = cidr(r, destItems.get(i), YamlNodeReader.index(f.pathOf("destinations"), i));
                if (c != null) {
                    destinations.add(c);
                }
            }
        }

        PortSet ports = ports(r, f);

        Set<String> agents = new LinkedHashSet<>();
        List<Node> agentItems = f.list("agents", "a list of agent ids");
        if (agentItems != null && agentItems.isEmpty()) {
            // [] would read as "nobody" but mean "everybody": make the operator say which.
            r.invalid(f.get("agents"), f.pathOf("agents"), "at least one agent id; omit the key to match every agent");
        } else if (agentItems != null) {
            for (int i = 0; i < agentItems.size(); i++) {
                String itemPath = YamlNodeReader.index(f.pathOf("agents"), i);
                String agent = r.string(agentItems.get(i), itemPath, "an agent id");
                if (agent != null) {
                    agents.add(agent);
                    agentRefs.add(new AgentRef(agent, agentItems.get(i), itemPath));
                }
            }
        }
        if (r.errorCount() > before) {
            return null;
        }
        try {
            return new StaticRule(id, action, hosts, destinations, ports, agents, dial);
        } catch (IllegalArgumentException e) {
            report(r, e, f, Map.of(
                    "id", new Target(f.at("id"), f.pathOf("id")),
                    "destinations", new Target(f.at("destinations"), f.pathOf("destinations"))));
            return null;
        }
    }

    /** Ports: integers, or strings {@code "low-high"}; absent means any port, {@code []} is refused. */
    private static PortSet ports(YamlNodeReader r, Fields f) {
        List<Node> items = f.list("ports", "a list of ports and ranges, e.g. [443, \"8000-8100\"]");
        if (items == null) {
            return PortSet.ANY;
        }
        if (items.isEmpty()) {
            r.invalid(f.get("ports"), f.pathOf("ports"), "at least one port; omit the key to match any port");
            return null;
        }
        String expected = "a port 1..65535, or a range 'low-high' such as '8000-8100'";
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            String itemPath = YamlNodeReader.index(f.pathOf("ports"), i);
            if (item instanceof ScalarNode s && Tag.INT.equals(s.getTag())) {
                Integer port = r.integer(item, itemPath, 1, 65535);
                if (port != null) {
                    texts.add(port.toString());
                }
            } else if (item instanceof ScalarNode s && Tag.STR.equals(s.getTag()) && s.getValue().contains("-")) {
                try {
                    PortSet.of(List.of(s.getValue()));
                    texts.add(s.getValue());
                } catch (IllegalArgumentException e) {
                    r.error(item, itemPath, e.getMessage());
                }
            } else {
                r.invalid(item, itemPath, expected);
            }
        }
        if (texts.size() != items.size()) {
            return null;
        }
        try {
            return PortSet.of(texts);
        } catch (IllegalArgumentException e) {
            r.error(f.get("ports"), f.pathOf("ports"), e.getMessage());
            return null;
        }
    }

    private static Cidr cidr(YamlNodeReader r, Node node, String path) {
        String text = r.string(node, path, "a CIDR such as 10.10.1.0/24, or an IP address");
        if (text == null) {
            return null;
        }
        try {
            return Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            r.error(node, path, e.getMessage());
            return null;
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private record Target(Node node, String path) {
    }

    private record AgentRef(String agentId, Node node, String path) {
    }

    /**
     * Reports a record's own validation failure at the key it is about. The records name their Java field first
     * ({@code "backlog: 0 (expected: > 0)"}); unknown field names are reported at the enclosing section.
     */
    private static void report(YamlNodeReader r, IllegalArgumentException e, Fields section, Map<String, Target> fields) {
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

    private static String list(Set<String> names) {
        List<String> shown = names.stream().limit(10).toList();
        return String.join(", ", shown) + (names.size() > shown.size() ? ", ..." : "");
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
