package io.clawgress.testing.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The end-to-end test network: three fresh network namespaces joined by two veth pairs, with no link to the host
 * namespace (the veths are created directly inside the namespaces), so test traffic cannot leave them.
 *
 * <pre>
 *   agent ns               gateway ns (ip_forward=1)             upstream ns
 *   cgaID 198.18.1.2 ───── cggID 198.18.1.1   cghID 198.18.2.1 ───── cguID 198.18.2.2
 *   default via .1.1                                             default via .2.1
 * </pre>
 *
 * <p>The gateway forwards (so a flow the TPROXY rules failed to capture would visibly reach the upstream). Typical
 * use: {@link #installTproxy(int)} with the repository's real rules script, {@link #startGateway(String, Path)}
 * with the real {@code bin/clawgressd}, peers in the upstream namespace and real clients ({@code curl},
 * {@code openssl}) in the agent namespace.
 *
 * <p>Names: {@link #agentUsesNameserver(InetAddress)} points the agent's resolver at a DNS server inside the
 * topology (typically the {@code dns-server} peer in the upstream namespace, reached through the gateway like any
 * other UDP traffic), so clients there resolve names like {@code allowed.test}; nothing is ever asked of the host's
 * resolver.
 *
 * <p>Namespace names are {@code cg<pid>n<counter>-agent|-gw|-up}, the pid being this JVM's. {@link #close()} stops
 * every process started in the namespaces and deletes them (and their {@code /etc/netns/<name>} files); a JVM
 * shutdown hook does the same for topologies never closed, and {@link #cleanupStale()} (called by
 * {@link #create(Path)}) removes what runs whose JVM is gone left behind.
 */
public final class Topology implements AutoCloseable {

    /** The agent ⟷ gateway subnet. */
    public static final String AGENT_CIDR = "198.18.1.0/24";
    /** The gateway ⟷ upstream subnet. */
    public static final String UPSTREAM_CIDR = "198.18.2.0/24";

    private static final String AGENT_IP = "198.18.1.2";
    private static final String GW_AGENT_IP = "198.18.1.1";
    private static final String GW_UPSTREAM_IP = "198.18.2.1";
    private static final String UPSTREAM_IP = "198.18.2.2";
    private static final String UPSTREAM_PREFIX = "198.18.2.";
    private static final int DEFAULT_TPROXY_PORT = 15001;

    private static final Pattern OUR_NAMESPACE = Pattern.compile("cg(\\d{1,10})n(\\d{1,9})-(agent|gw|up)");
    private static final Pattern HOSTS_LINE = Pattern.compile("(?m)^\\s*hosts\\s*:.*$");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final AtomicInteger COUNTER = new AtomicInteger();
    /** Namespaces this JVM created and has not deleted; never touched by {@link #cleanupStale()}. */
    private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration TPROXY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private final String id;
    private final String shortId;
    private final Path workDir;
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<GatewayProcess> gateways = new CopyOnWriteArrayList<>();
    /** Every address of a namespace of this topology: the only ones a nameserver may have. */
    private final Set<InetAddress> addresses = ConcurrentHashMap.newKeySet();
    private Netns agent;
    private Netns gateway;
    private Netns upstream;
    private volatile boolean closed;

    private Topology(Path workDir) {
        long pid = ProcessHandle.current().pid();
        int n = COUNTER.getAndIncrement();
        this.id = "cg" + pid + "n" + n;
        this.shortId = Long.toString(pid % 10_000) + n;
        this.workDir = workDir.toAbsolutePath();
    }

    /**
     * Removes stale namespaces, then builds the three namespaces and their links. On failure everything created so
     * far is removed again.
     *
     * @param workDir where config files, TPROXY state and process logs go (created if missing)
     */
    public static Topology create(Path workDir) {
        cleanupStale();
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException("creating " + workDir, e);
        }
        Topology t = new Topology(workDir);
        try {
            t.build();
        } catch (RuntimeException | Error e) {
            try {
                t.close();
            } catch (RuntimeException | Error cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        Cleanup.register(t);
        return t;
    }

    private void build() {
        agent = namespace("agent");
        gateway = namespace("gw");
        upstream = namespace("up");
        String agentIf = agentInterface();
        String gwAgentIf = gatewayAgentInterface();
        String gwUpIf = gatewayUpstreamInterface();
        String upIf = upstreamInterface();
        Exec.runOk(List.of("ip", "link", "add", agentIf, "netns", agent.name(), "type", "veth",
                "peer", "name", gwAgentIf, "netns", gateway.name()), IP_TIMEOUT);
        Exec.runOk(List.of("ip", "link", "add", gwUpIf, "netns", gateway.name(), "type", "veth",
                "peer", "name", upIf, "netns", upstream.name()), IP_TIMEOUT);
        ipBatch(agent, """
                link set lo up
                addr add %s/24 dev %s
                link set %s up
                route add default via %s
                """.formatted(AGENT_IP, agentIf, agentIf, GW_AGENT_IP));
        ipBatch(gateway, """
                link set lo up
                addr add %s/24 dev %s
                link set %s up
                addr add %s/24 dev %s
                link set %s up
                """.formatted(GW_AGENT_IP, gwAgentIf, gwAgentIf, GW_UPSTREAM_IP, gwUpIf, gwUpIf));
        ipBatch(upstream, """
                link set lo up
                addr add %s/24 dev %s
                link set %s up
                route add default via %s
                """.formatted(UPSTREAM_IP, upIf, upIf, GW_UPSTREAM_IP));
        gateway.execOk(IP_TIMEOUT, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        for (String a : List.of(AGENT_IP, GW_AGENT_IP, GW_UPSTREAM_IP, UPSTREAM_IP)) {
            addresses.add(address(a));
        }
    }

    private Netns namespace(String role) {
        String name = id + "-" + role;
        LIVE.add(name);
        try {
            Netns ns = Netns.create(name);
            namespaces.add(ns);
            // The topology closes its namespaces itself, gateway first; the hook closes the topology.
            Cleanup.unregister(ns);
            // IPv4 only, so no IPv6 link-local addresses finish duplicate address detection a second after the
            // links come up: those netlink events make Chromium abort page loads with ERR_NETWORK_CHANGED.
            ns.execOk(IP_TIMEOUT, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1");
            return ns;
        } catch (RuntimeException | Error e) {
            LIVE.remove(name);
            throw e;
        }
    }

    private static void ipBatch(Netns ns, String commands) {
        List<String> cmd = List.of("ip", "-n", ns.name(), "-batch", "-");
        Exec.run(cmd, IP_TIMEOUT, commands.getBytes(StandardCharsets.UTF_8))
                .assertOk(String.join(" ", cmd) + "\n" + commands);
    }

    /**
     * Deletes namespaces named like ours ({@code cg<pid>n<counter>-...}) whose creating JVM is no longer alive,
     * after killing whatever still runs in them, and their {@code /etc/netns/<name>} directories (also those left
     * without a namespace). Namespaces of live JVMs (other test runs) are left alone. A pid reused by an unrelated
     * process makes a stale namespace look alive; it is then left for a later call.
     */
    public static void cleanupStale() {
        List<String> stale = staleNames(Path.of("/run/netns"));
        for (String name : staleNames(Netns.ETC_NETNS)) {
            if (!Netns.exists(name)) {
                try {
                    Netns.removeEtcDir(name);
                    System.err.println("clawgress test harness: removed stale " + Netns.ETC_NETNS.resolve(name)
                            + " (its creating JVM is gone)");
                } catch (UncheckedIOException e) {
                    System.err.println("clawgress test harness: could not remove stale "
                            + Netns.ETC_NETNS.resolve(name) + ": " + e);
                }
            }
        }
        for (String name : stale) {
            Netns ns = Netns.adopt(name);
            try {
                ns.close();
                System.err.println("clawgress test harness: removed stale namespace " + name
                        + " (its creating JVM is gone)");
            } catch (RuntimeException | AssertionError e) {
                System.err.println("clawgress test harness: could not remove stale namespace " + name + ": " + e);
            }
        }
    }

    /** Entries of {@code dir} named like our namespaces whose creating JVM is gone. */
    private static List<String> staleNames(Path dir) {
        List<String> stale = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                Matcher m = OUR_NAMESPACE.matcher(name);
                if (!m.matches() || LIVE.contains(name)) {
                    continue;
                }
                long pid = Long.parseLong(m.group(1));
                boolean creatorAlive = pid != self && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (!creatorAlive) {
                    stale.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + dir, e);
        }
        return stale;
    }

    /** The unique prefix of this topology's namespace names, e.g. {@code cg41234n0}. */
    public String id() {
        return id;
    }

    /** The agent namespace: run real clients here ({@code curl}, {@code openssl}, bulk/hold clients). */
    public Netns agent() {
        return agent;
    }

    /** The gateway namespace: TPROXY rules and {@code clawgressd} live here. */
    public Netns gateway() {
        return gateway;
    }

    /** The upstream namespace: run the servers the agent wants to reach here. */
    public Netns upstream() {
        return upstream;
    }

    /** 198.18.1.2, the agent's only address. */
    public InetAddress agentAddress() {
        return address(AGENT_IP);
    }

    /** 198.18.1.1, the gateway's address on the agent link (the agent's default gateway). */
    public InetAddress gatewayAgentSideAddress() {
        return address(GW_AGENT_IP);
    }

    /** 198.18.2.1, the gateway's address on the upstream link. */
    public InetAddress gatewayUpstreamSideAddress() {
        return address(GW_UPSTREAM_IP);
    }

    /** 198.18.2.2, the upstream's first address. */
    public InetAddress upstreamAddress() {
        return address(UPSTREAM_IP);
    }

    /** The agent-side veth in the agent namespace. */
    public String agentInterface() {
        return "cga" + shortId;
    }

    /** The gateway's veth towards the agent: the interface the TPROXY rules capture on. */
    public String gatewayAgentInterface() {
        return "cgg" + shortId;
    }

    /** The gateway's veth towards the upstream. */
    public String gatewayUpstreamInterface() {
        return "cgh" + shortId;
    }

    /** The upstream's veth. */
    public String upstreamInterface() {
        return "cgu" + shortId;
    }

    public Path workDir() {
        return workDir;
    }

    /**
     * Adds another address to the upstream namespace, reachable from the agent through the gateway. An address in
     * 198.18.2.0/24 is added on the upstream link; any other one (e.g. 203.0.113.7 or 169.254.169.254, to play a
     * public or metadata destination) is added as a /32 with a gateway route towards the upstream.
     *
     * @param address an IPv4 literal outside the agent subnet and loopback
     */
    public InetAddress addUpstreamAddress(String address) {
        InetAddress a = address(address);
        byte[] b = a.getAddress();
        int first = b[0] & 0xff;
        if (first == 127 || first == 0 || first >= 224 || address.startsWith("198.18.1.")) {
            throw new IllegalArgumentException("upstream address: " + address
                    + " (expected: unicast, not loopback, not in " + AGENT_CIDR + ")");
        }
        String dev = upstreamInterface();
        if (address.startsWith(UPSTREAM_PREFIX)) {
            upstream.execOk(IP_TIMEOUT, "ip", "addr", "add", address + "/24", "dev", dev);
        } else {
            upstream.execOk(IP_TIMEOUT, "ip", "addr", "add", address + "/32", "dev", dev);
            gateway.execOk(IP_TIMEOUT, "ip", "route", "add", address + "/32", "via", UPSTREAM_IP,
                    "dev", gatewayUpstreamInterface());
        }
        addresses.add(a);
        return a;
    }

    /**
     * Adds another address in the agent subnet to the agent namespace, so clients there can bind it and appear to
     * the gateway as a different agent (a subnet binding of a /32). The gateway reaches it on-link.
     *
     * @param address an IPv4 literal in 198.18.1.0/24 other than .0, .1 (the gateway), .2 (the first agent) and .255
     */
    public InetAddress addAgentAddress(String address) {
        InetAddress a = address(address);
        int last = a.getAddress()[3] & 0xff;
        if (!address.startsWith("198.18.1.") || last < 3 || last > 254) {
            throw new IllegalArgumentException("agent address: " + address + " (expected: 198.18.1.3 .. 198.18.1.254)");
        }
        agent.execOk(IP_TIMEOUT, "ip", "addr", "add", address + "/24", "dev", agentInterface());
        addresses.add(a);
        return a;
    }

    /**
     * Makes the agent resolve names through {@code server} (e.g. a {@code dns-server} peer on an address added
     * with {@link #addUpstreamAddress(String)}); see {@link #useNameserver(Netns, InetAddress)}.
     */
    public Path agentUsesNameserver(InetAddress server) {
        return useNameserver(agent, server);
    }

    /** Makes the gateway namespace resolve names through {@code server}; see {@link #useNameserver}. */
    public Path gatewayUsesNameserver(InetAddress server) {
        return useNameserver(gateway, server);
    }

    /**
     * Gives {@code ns} its own resolver configuration, for every command started there from now on: an
     * {@code /etc/resolv.conf} with only {@code nameserver <server>} (no search domains; {@code options timeout:1
     * attempts:2}) and an {@code /etc/nsswitch.conf} whose {@code hosts} line is {@code files dns}, so a lookup
     * never goes to a host-side resolver (systemd-resolved, mDNS, ...) but always over UDP to {@code server}. Both
     * are written to {@code /etc/netns/<ns>/}, which {@code ip netns exec} mounts over {@code /etc}; the host's
     * {@code /etc/hosts} still applies. Removed when the topology closes.
     *
     * @param ns     one of this topology's namespaces
     * @param server an address of one of this topology's namespaces, or loopback (a server in {@code ns} itself)
     * @return the {@code resolv.conf} written
     */
    public Path useNameserver(Netns ns, InetAddress server) {
        if (!namespaces.contains(ns)) {
            throw new IllegalArgumentException("namespace " + ns + " (expected: one of " + namespaces + ")");
        }
        if (!(server instanceof Inet4Address) || !(server.isLoopbackAddress() || addresses.contains(server))) {
            throw new IllegalArgumentException("nameserver " + server.getHostAddress() + " (expected: loopback or an"
                    + " IPv4 address of this topology's namespaces: " + addresses + ")");
        }
        Path resolvConf = ns.overrideEtcFile("resolv.conf", """
                # clawgress test harness, topology %s: this namespace resolves only through %s
                nameserver %s
                options timeout:1 attempts:2
                """.formatted(id, server.getHostAddress(), server.getHostAddress()));
        Path hostNsswitch = Path.of("/etc/nsswitch.conf");
        if (Files.isRegularFile(hostNsswitch)) {
            try {
                String host = Files.readString(hostNsswitch);
                Matcher m = HOSTS_LINE.matcher(host);
                String nsswitch = m.find() ? m.replaceAll("hosts: files dns")
                        : host + (host.endsWith("\n") || host.isEmpty() ? "" : "\n") + "hosts: files dns\n";
                ns.overrideEtcFile("nsswitch.conf", nsswitch);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + hostNsswitch, e);
            }
        }
        return resolvConf;
    }

    /** {@code <workDir>/tproxy.env}, the env file handed to the TPROXY rules script. */
    public Path tproxyEnvFile() {
        return workDir.resolve("tproxy.env");
    }

    /**
     * Installs the real TPROXY rules in the gateway namespace:
     * {@code ip netns exec <gw> <repo>/systemd/clawgress-tproxy up --env-file <workDir>/tproxy.env}, with the env
     * file naming the gateway's agent-side veth, the agent subnet, {@code port} and a state dir in the work dir.
     *
     * @throws AssertionError with the script's output unless it exits 0
     */
    public ExecResult installTproxy(int port) {
        writeTproxyEnv(port);
        List<String> cmd = tproxyCommand("up");
        ExecResult r = Exec.run(cmd, TPROXY_TIMEOUT, null);
        if (!r.ok()) {
            throw new AssertionError("clawgress-tproxy up failed in " + gateway.name() + ": "
                    + String.join(" ", cmd) + "\n" + r.describe());
        }
        return r;
    }

    /** {@code clawgress-tproxy status} in the gateway namespace, whatever its exit code. */
    public ExecResult tproxyStatus() {
        return runTproxy("status");
    }

    /** {@code clawgress-tproxy down} in the gateway namespace, whatever its exit code. */
    public ExecResult removeTproxy() {
        return runTproxy("down");
    }

    private ExecResult runTproxy(String verb) {
        if (!Files.exists(tproxyEnvFile())) {
            writeTproxyEnv(DEFAULT_TPROXY_PORT);
        }
        return Exec.run(tproxyCommand(verb), TPROXY_TIMEOUT, null);
    }

    private void writeTproxyEnv(int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        Path state = workDir.resolve("tproxy-state");
        String env = """
                CLAWGRESS_AGENT_IFACES="%s"
                CLAWGRESS_AGENT_CIDRS="%s"
                CLAWGRESS_TPROXY_PORT=%d
                CLAWGRESS_STATE_DIR=%s
                """.formatted(gatewayAgentInterface(), AGENT_CIDR, port, state);
        try {
            Files.createDirectories(state);
            Files.writeString(tproxyEnvFile(), env);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + tproxyEnvFile(), e);
        }
    }

    private List<String> tproxyCommand(String verb) {
        Path script = Repo.root().resolve("systemd").resolve("clawgress-tproxy");
        if (!Files.isRegularFile(script)) {
            throw new AssertionError("TPROXY rules script not found: " + script);
        }
        List<String> cmd = new ArrayList<>();
        if (!Files.isExecutable(script)) {
            cmd.add("bash");
        }
        cmd.addAll(List.of(script.toString(), verb, "--env-file", tproxyEnvFile().toString()));
        return gateway.wrap(cmd);
    }

    /** Starts the real daemon without records to read back; see {@link #startGateway(String, Path)}. */
    public GatewayProcess startGateway(String configYaml) {
        return startGateway(configYaml, null);
    }

    /**
     * Writes {@code configYaml} to {@code <workDir>/clawgress.yaml}, starts
     * {@code <repo>/bin/clawgressd --config <that file>} in the gateway namespace and waits up to 30 s for its
     * {@code clawgressd ready} line.
     *
     * @param records the audit directory the config names (its {@code audit.dir}), or a flow log file ending in
     *                {@code .jsonl} (its {@code flow_log.path}), for {@link GatewayProcess#flowRecords()}; may be null
     * @throws AssertionError with the daemon's stderr when it exits or is not ready in time
     */
    public GatewayProcess startGateway(String configYaml, Path records) {
        Path daemon = Repo.root().resolve("bin").resolve("clawgressd");
        if (!Files.isExecutable(daemon)) {
            throw new AssertionError(daemon + " is missing or not executable (does the appliance module build"
                    + " it? run ./mvnw -pl appliance -am package first)");
        }
        return startGateway(List.of(daemon.toString()), configYaml, records);
    }

    /**
     * Like {@link #startGateway(String, Path)} with {@code env} added to the daemon's environment (through
     * {@code env(1)}), e.g. systemd's {@code NOTIFY_SOCKET} and {@code WATCHDOG_USEC}.
     */
    public GatewayProcess startGateway(String configYaml, Path records, java.util.Map<String, String> env) {
        Path daemon = Repo.root().resolve("bin").resolve("clawgressd");
        if (!Files.isExecutable(daemon)) {
            throw new AssertionError(daemon + " is missing or not executable (run ./mvnw -pl appliance -am package)");
        }
        List<String> cmd = new ArrayList<>(List.of("env"));
        env.forEach((k, v) -> {
            if (k.isEmpty() || k.contains("=")) {
                throw new IllegalArgumentException("env: '" + k + "' (expected: a variable name)");
            }
            cmd.add(k + "=" + v);
        });
        cmd.add(daemon.toString());
        return startGateway(cmd, configYaml, records);
    }

    /**
     * Like {@link #startGateway(String, Path)} for one of several daemons side by side (the load benchmark runs one per
     * transport): the config goes to {@code <workDir>/<name>.yaml}, the default admin socket is
     * {@code <workDir>/<name>-admin.sock} and the logs are named {@code <name>}. The config must give each daemon
     * its own listener port, state and audit directories.
     *
     * @param name a plain name such as {@code clawgress-epoll}
     */
    public GatewayProcess startNamedGateway(String name, String configYaml, Path records) {
        return startNamedGateway(name, configYaml, records, java.util.Map.of());
    }

    /** Like {@link #startNamedGateway(String, String, Path)} with {@code env} added to the daemon's environment. */
    public GatewayProcess startNamedGateway(String name, String configYaml, Path records,
                                            java.util.Map<String, String> env) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,40}")) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: letters, digits, . _ -)");
        }
        Path daemon = Repo.root().resolve("bin").resolve("clawgressd");
        if (!Files.isExecutable(daemon)) {
            throw new AssertionError(daemon + " is missing or not executable (run ./mvnw -pl appliance -am package)");
        }
        List<String> cmd = new ArrayList<>(List.of("env"));
        env.forEach((k, v) -> {
            if (k.isEmpty() || k.contains("=")) {
                throw new IllegalArgumentException("env: '" + k + "' (expected: a variable name)");
            }
            cmd.add(k + "=" + v);
        });
        cmd.add(daemon.toString());
        return startGateway(name, cmd, configYaml, records);
    }

    /**
     * Starts {@code daemonCommand --config <workDir>/clawgress.yaml} in the gateway namespace, like
     * {@link #startGateway(String, Path)} with another command line: a stand-in daemon, or the daemon's JVM started
     * directly with a packaged configuration's options, under a tracer such as {@code strace}.
     */
    public GatewayProcess startGateway(List<String> daemonCommand, String configYaml, Path records) {
        return startGateway("clawgressd", daemonCommand, configYaml, records);
    }

    private GatewayProcess startGateway(String name, List<String> daemonCommand, String configYaml, Path records) {
        boolean single = name.equals("clawgressd");
        Path config = workDir.resolve(single ? "clawgress.yaml" : name + ".yaml");
        Path adminSocket = workDir.resolve(single ? "admin.sock" : name + "-admin.sock");
        String yaml = withTestDefaults(configYaml, adminSocket);
        try {
            Files.writeString(config, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + config, e);
        }
        List<String> cmd = new ArrayList<>(daemonCommand);
        cmd.add("--config");
        cmd.add(config.toString());
        ManagedProcess p = gateway.spawn(name, cmd, workDir);
        GatewayProcess g = new GatewayProcess(p, config, records,
                configYaml.matches("(?s)(.*\n)?admin:.*") ? adminSocketOf(configYaml) : adminSocket);
        gateways.add(g);
        try {
            p.waitForLine(GatewayProcess.READY, READY_TIMEOUT);
        } catch (AssertionError e) {
            p.stop(Duration.ZERO);
            throw new AssertionError("clawgressd did not become ready in " + gateway.name() + " (config "
                    + config + ")\n" + e.getMessage(), e);
        }
        return g;
    }

    /**
     * A test's config with what it does not say itself set for a test: the admin socket in the work directory (root's
     * group reads and changes: the tests run as root) and the metrics endpoint on a free port, so daemons of
     * different tests never share a socket or a port.
     */
    static String withTestDefaults(String configYaml, Path adminSocket) {
        StringBuilder b = new StringBuilder(configYaml);
        if (!b.isEmpty() && b.charAt(b.length() - 1) != '\n') {
            b.append('\n');
        }
        if (!configYaml.matches("(?s)(.*\n)?admin:.*")) {
            b.append("admin:\n  socket: ").append(adminSocket).append("\n  group: \"0\"\n  admin_group: \"0\"\n");
        }
        if (!configYaml.matches("(?s)(.*\n)?metrics:.*")) {
            b.append("metrics:\n  port: 0\n");
        }
        return b.toString();
    }

    /** The {@code admin.socket} a test's own config names (block or flow style), or null. */
    private static Path adminSocketOf(String configYaml) {
        String text = configYaml.endsWith("\n") ? configYaml : configYaml + "\n";
        java.util.regex.Matcher flow = java.util.regex.Pattern.compile(
                "(?m)^admin:\\s*\\{[^}]*\\bsocket:\\s*\"?([^\",}\\s]+)").matcher(text);
        if (flow.find()) {
            return Path.of(flow.group(1));
        }
        java.util.regex.Matcher block = java.util.regex.Pattern.compile(
                "(?m)^admin:\\s*\\n(?:[ \\t]+.*\\n)*?[ \\t]+socket:\\s*\"?([^\"\\s]+)").matcher(text);
        return block.find() ? Path.of(block.group(1)) : null;
    }

    /**
     * What the network looks like now, for failure messages: addresses and routes of every namespace, and the
     * gateway's policy rules, route tables and iptables rules.
     */
    public String diagnostics() {
        StringBuilder sb = new StringBuilder("topology " + id + " (" + workDir + ")\n");
        for (Netns ns : namespaces) {
            append(sb, ns, "ip", "-br", "addr");
            append(sb, ns, "ip", "route");
        }
        if (gateway != null) {
            append(sb, gateway, "ip", "rule");
            append(sb, gateway, "ip", "route", "show", "table", "all");
            append(sb, gateway, "iptables-save");
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, Netns ns, String... cmd) {
        ExecResult r = ns.exec(Duration.ofSeconds(10), cmd);
        sb.append("--- ").append(ns.name()).append(": ").append(String.join(" ", cmd)).append(" (exit ")
                .append(r.exitCode()).append(") ---\n").append(r.stdout()).append(r.stderr());
    }

    /**
     * Stops the gateway(s) (SIGTERM, drain, SIGKILL), then every other process in the namespaces, and deletes the
     * namespaces, attempting every step even when an earlier one failed. Idempotent.
     *
     * @throws AssertionError listing what could not be cleaned up
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Cleanup.unregister(this);
        List<Throwable> failures = new ArrayList<>();
        for (GatewayProcess g : gateways) {
            try {
                g.stop();
            } catch (RuntimeException | Error e) {
                failures.add(e);
            }
        }
        for (Netns ns : namespaces.reversed()) {
            try {
                ns.close();
            } catch (RuntimeException | Error e) {
                failures.add(e);
            } finally {
                if (!ns.exists()) {
                    LIVE.remove(ns.name());
                }
            }
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("cleaning up topology " + id + " failed: " + failures);
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    @Override
    public String toString() {
        return "Topology[" + id + "]";
    }

    private static InetAddress address(String ipv4) {
        Matcher m = IPV4.matcher(ipv4);
        if (!m.matches()) {
            throw new IllegalArgumentException("address: " + ipv4 + " (expected: an IPv4 literal)");
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int octet = Integer.parseInt(m.group(i + 1));
            if (octet > 255) {
                throw new IllegalArgumentException("address: " + ipv4 + " (expected: octets 0..255)");
            }
            b[i] = (byte) octet;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
