package io.clawgress.appliance.e2e;

import io.clawgress.appliance.apparmor.AppArmorProfile;
import io.clawgress.appliance.apparmor.StraceLog;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.JavaCommand;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Repo;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 8, acceptance 3: every file the daemon opens, creates, removes, maps executable, locks or executes during an
 * end-to-end run, and every socket it creates, is allowed by the AppArmor profile the package installs
 * (apparmor/clawgressd).
 *
 * <p>The run is the real thing as far as this machine allows: the daemon's JVM with the package's JVM options
 * (deb/src/deb/jvm.options and the launcher's fixed options, read by the launcher's own bash code) and the package's
 * clawgress.yaml, behind real TPROXY rules, under {@code strace -f}: it starts (policy store and agent registry
 * in LMDB, intercept CA, audit key), tells a NOTIFY_SOCKET it is ready and pings the watchdog, relays an allowed
 * curl and resets a denied one, answers {@code clawgressctl status} on the admin socket (reading the caller's
 * groups from /proc), looks up its admin group by name (getent, through the JVM's jspawnhelper), activates a bundle
 * from the drop directory, reloads on SIGHUP and drains on SIGTERM.
 *
 * <p>What differs from an installed package, and how it is handled: the daemon runs from the build tree, as root,
 * with its directories under a temporary directory, on the JDK running this test. Each traced path is therefore
 * mapped to where the package puts it ({@link #mapping}: the JDK to /usr/lib/jvm/java-21-openjdk-amd64, the jars to
 * /usr/share/clawgress, the JNI libraries to /usr/lib/clawgress/native, the config, state, log and runtime
 * directories to /etc/clawgress, /var/lib/clawgress, /var/log/clawgress, /run/clawgress, the notify socket to
 * /run/systemd/notify), after resolving symbolic links as AppArmor does. Paths outside those directories (system
 * libraries, /proc, /sys, /etc) are compared as they are. Not covered: the launcher script /usr/bin/clawgressd itself
 * (its few reads have their own rules), capabilities and signals (not visible in a file trace), and files a Debian
 * JDK reads that this JDK does not (its conf/ links to /etc/java-21-openjdk, which has a rule).
 */
class ProfileCoversDaemonE2EIT {

    private static final Duration T = Duration.ofSeconds(60);
    private static final String UPSTREAM = "198.18.2.2";
    private static final String JAVA_HOME_INSTALLED = "/usr/lib/jvm/java-21-openjdk-amd64";

    /** Build-tree or test locations (filled per run) to the installed ones, longest first. */
    private final Map<String, String> mapping = new LinkedHashMap<>();

    private Topology topology;
    private UnixDatagramChannel notify;

    @AfterEach
    void cleanUp() throws IOException {
        if (notify != null) {
            notify.close();
        }
        if (topology != null) {
            topology.close();
            if (!Boolean.getBoolean("clawgress.keepE2eDirs")) {
                DataPathE2E.deleteTree(topology.workDir());
            }
        }
    }

    @Test
    void everyFileTheDaemonTouchesIsAllowedByTheProfile() throws Exception {
        Privileges.requireOrSkip("ip", "iptables", "curl", "strace", "bash", "getent");
        Path repo = Repo.root();
        Path target = repo.resolve("appliance/target");
        Path nativeDir = target.resolve("native");
        assertThat(nativeDir.resolve("liblmdb.so")).as("JNI libraries unpacked by the build").exists();
        AppArmorProfile profile = AppArmorProfile.read(repo.resolve("apparmor/clawgressd"));

        Path dir = Files.createTempDirectory("clawgress-e2e-apparmor-");
        topology = Topology.create(dir);
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Path state = Files.createDirectories(dir.resolve("state"));
        Path log = Files.createDirectories(dir.resolve("log"));
        Path run = Files.createDirectories(dir.resolve("run"));
        Path drop = Files.createDirectories(state.resolve("drop")); // the package's postinst creates it
        Path notifySocket = dir.resolve("notify.sock");
        Path trace = dir.resolve("strace.log");

        mapping.put(real(Path.of(System.getProperty("java.home"))), JAVA_HOME_INSTALLED);
        mapping.put(real(target.resolve("clawgress-appliance.jar")), "/usr/share/clawgress/clawgress-appliance.jar");
        mapping.put(real(target.resolve("lib")), "/usr/share/clawgress/lib");
        mapping.put(real(nativeDir), "/usr/lib/clawgress/native");
        mapping.put(real(dir) + "/clawgress.yaml", "/etc/clawgress/clawgress.yaml");
        mapping.put(real(etc), "/etc/clawgress");
        mapping.put(real(state), "/var/lib/clawgress");
        mapping.put(real(log), "/var/log/clawgress");
        mapping.put(real(run), "/run/clawgress");
        mapping.put(real(dir) + "/notify.sock", "/run/systemd/notify");

        // Policy: the package's key set location and bundle file, a key the test signs with.
        SignedPolicy signed = new SignedPolicy(etc.resolve("trust"));
        Files.write(etc.resolve("bundle.tar.gz"), signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: %s/32, ports: [80]}]}
                """.formatted(UPSTREAM))));

        // The package's clawgress.yaml, its directories moved into the test's, an admin group looked up by name.
        String config = Files.readString(repo.resolve("config/clawgress.yaml"))
                .replace("/etc/clawgress", etc.toString())
                .replace("/var/lib/clawgress", state.toString())
                .replace("/var/log/clawgress", log.toString())
                + "\nstate_dir: " + state + "\nadmin: {socket: " + run.resolve("admin.sock")
                + ", group: root, admin_group: root}\n";

        notify = UnixDatagramChannel.open();
        notify.bind(new UnixSocketAddress(notifySocket.toString()));
        List<String> notifications = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> receive(notify, notifications));

        Peer.spawn(topology.upstream(), "origin-80", topology.workDir(), "origin-server", "--bind", UPSTREAM,
                "--port", "80").awaitEvent("ready", T);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");

        List<String> command = new ArrayList<>(List.of("env", "NOTIFY_SOCKET=" + notifySocket,
                "WATCHDOG_USEC=2000000", "strace", "-f", "-qq", "-yy", "-s", "4096", "--seccomp-bpf",
                "-e", "trace=%file,%network,%process,mmap,fcntl,flock", "-o", trace.toString()));
        command.addAll(daemonJvm(repo, nativeDir, log));
        GatewayProcess gateway = topology.startGateway(command, config, log.resolve("audit"));

        Await.until(T, "READY=1 on the notify socket",
                () -> notifications.stream().anyMatch(m -> m.startsWith("READY=1")), gateway::describe);
        ExecResult allowed = topology.agent().exec(T, "curl", "-sS", "--max-time", "20", "-o", "/dev/null",
                "-w", "%{http_code}", "http://" + UPSTREAM + "/");
        assertThat(allowed.stdout()).as(allowed.describe()).isEqualTo("200");
        ExecResult denied = topology.agent().exec(T, "curl", "-sS", "--max-time", "20", "-o", "/dev/null",
                "-w", "%{http_code}", "http://" + UPSTREAM + ":81/");
        assertThat(denied.stdout()).as("port 81 is not allowed: " + denied.describe()).isNotEqualTo("200");
        gateway.awaitFlowRecords(2, T);
        Clawgressctl.online(gateway, "status").expect(0);

        SignedPolicy.drop(drop, "revision-2.tar.gz", signed.bundle(2, SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: %s/32, ports: [80, 8080]}]}
                """.formatted(UPSTREAM))));
        Await.until(T, "revision 2 activated from the drop directory",
                () -> gateway.stderrText().contains("policy activated: revision 2"), gateway::describe);
        gateway.signal("HUP");
        Await.until(T, "the reload logged", () -> gateway.stderrText().matches("(?s).*Reloader - reload of \\S+ "
                + "\\(sha256.*"), gateway::describe);
        Await.until(T, "a watchdog ping", () -> notifications.contains("WATCHDOG=1"), gateway::describe);
        gateway.signal("TERM");
        assertThat(gateway.waitForExit(T)).as("clawgressd (and strace) exit 0 after the drain\n"
                + gateway.describe()).isZero();

        StraceLog straced = StraceLog.read(trace);
        assertThat(straced.unparsed()).as("strace lines the reader did not understand").isEmpty();
        assertThat(straced.lines()).as("system calls traced").isGreaterThan(500);

        Set<String> violations = new TreeSet<>();
        Set<String> seen = new TreeSet<>();
        for (StraceLog.Access a : straced.accesses()) {
            String path = installedPath(a);
            String perms = a.perms().stream().map(String::valueOf).collect(Collectors.joining());
            seen.add(perms + " " + path);
            if (!profile.allows(path, a.perms())) {
                violations.add(perms + " " + path + "   (" + a.syscall() + " of " + a.path() + ", granted: "
                        + profile.permissions(path) + ")");
            }
        }
        for (StraceLog.Socket s : straced.sockets()) {
            seen.add("socket " + s.family() + " " + s.type());
            if (!profile.allowsSocket(s.family(), s.type())) {
                violations.add("network " + s.family() + " " + s.type() + "   (" + s.line() + ")");
            }
        }
        assertThat(violations).as("accesses the profile does not allow (%d distinct accesses traced, mapped to "
                + "the installed layout by %s):%n%s", seen.size(), mapping, String.join("\n", violations)).isEmpty();

        // The run really did what the profile is about, so the comparison above cannot pass by tracing nothing.
        assertThat(seen).as("traced accesses").contains(
                "r /etc/clawgress/clawgress.yaml",
                "r /etc/clawgress/trust/trusted-keys.json",
                "r /etc/clawgress/bundle.tar.gz",
                "m /usr/lib/clawgress/native/libnetty_transport_native_epoll_x86_64.so",
                "m /usr/lib/clawgress/native/libjffi-1.2.so",
                "m /usr/lib/clawgress/native/liblmdb.so",
                "w /run/clawgress/admin.sock",
                "w /run/systemd/notify",
                "x /usr/bin/getent",
                "socket inet stream");
        assertThat(seen).as("LMDB locks its files (k)")
                .anyMatch(s -> s.matches("k\\w* /var/lib/clawgress/.*\\.lmdb/.*"));
        assertThat(seen).as("the audit log is written")
                .anyMatch(s -> s.matches("\\w*[wa]\\w* /var/log/clawgress/audit/audit-\\d+\\.jsonl"));
        assertThat(seen).as("the caller's groups are read from /proc")
                .anyMatch(s -> s.matches("r /proc/\\d+/status"));
        assertThat(seen).as("no JNI library is mapped from anywhere but /usr/lib/clawgress/native and the JDK")
                .filteredOn(s -> s.startsWith("m ") && s.matches(".*(netty|lmdb|jffi).*"))
                .allMatch(s -> s.startsWith("m /usr/lib/clawgress/native/"));
        System.out.printf("[e2e apparmor] %d system calls, %d distinct accesses, all allowed by %s%n",
                straced.lines(), seen.size(), profile.name());
    }

    /**
     * The daemon's JVM as /usr/bin/clawgressd starts it: the package's jvm.options and the launcher's fixed options,
     * read by the launcher's own functions (deb/src/deb/launcher/launcher.sh) for this JVM's version, with the
     * package's directories replaced by the build tree's and the test's.
     */
    private List<String> daemonJvm(Path repo, Path nativeDir, Path log) throws IOException, InterruptedException {
        int feature = Runtime.version().feature();
        String script = """
                set -euo pipefail
                source "$1"
                CLAWGRESS_JAVA_FEATURE=%d
                opts=()
                clawgress_read_options "$2" opts
                clawgress_fixed_options opts
                printf '%%s\\n' "${opts[@]}"
                """.formatted(feature);
        Process p = new ProcessBuilder("bash", "-c", script, "launcher",
                repo.resolve("deb/src/deb/launcher/launcher.sh").toString(),
                repo.resolve("deb/src/deb/jvm.options").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> cmd = new ArrayList<>();
        cmd.add(JavaCommand.javaBinary());
        for (String option : out.strip().split("\n")) {
            cmd.add(option.replace("/usr/lib/clawgress/native", nativeDir.toString())
                    .replace("/var/log/clawgress", log.toString()));
        }
        assertThat(cmd).as("the package's options").contains("-XX:+UseZGC", "-XX:+ExitOnOutOfMemoryError",
                "-XX:-UsePerfData", "-Djava.library.path=" + nativeDir);
        Path target = repo.resolve("appliance/target");
        cmd.add("-cp");
        cmd.add(target.resolve("clawgress-appliance.jar") + ":" + target.resolve("lib") + "/*");
        cmd.add("io.clawgress.appliance.ClawgressdMain");
        return cmd;
    }

    /** The path as an installed daemon would name it, as AppArmor sees it (links resolved, dirs with '/'). */
    private String installedPath(StraceLog.Access a) {
        String p = a.path()
                .replaceFirst("^/proc/thread-self(?=/|$)", "/proc/" + a.pid() + "/task/" + a.pid())
                .replaceFirst("^/proc/self(?=/|$)", "/proc/" + a.pid());
        boolean dir = a.dir();
        if (!p.startsWith("/proc/")) {
            try {
                Path real = Path.of(p).toRealPath();
                dir |= Files.isDirectory(real);
                p = real.toString();
            } catch (IOException e) {
                // gone since (a temporary file, a moved bundle): compared as named
            }
        }
        String mapped = p;
        for (Map.Entry<String, String> m : mapping.entrySet().stream()
                .sorted(Comparator.comparingInt((Map.Entry<String, String> e) -> e.getKey().length()).reversed())
                .toList()) {
            if (p.equals(m.getKey()) || p.startsWith(m.getKey() + "/")) {
                mapped = m.getValue() + p.substring(m.getKey().length());
                break;
            }
        }
        return dir && !mapped.endsWith("/") ? mapped + "/" : mapped;
    }

    private static String real(Path p) throws IOException {
        return p.toRealPath().toString();
    }

    private static void receive(UnixDatagramChannel channel, List<String> into) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (channel.isOpen()) {
            try {
                buf.clear();
                channel.receive(buf);
                buf.flip();
                into.add(StandardCharsets.UTF_8.decode(buf).toString());
            } catch (IOException e) {
                return;
            }
        }
    }
}
