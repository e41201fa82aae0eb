package io.clawgress.appliance.docs;

import io.clawgress.appliance.config.AdminSettings;
import io.clawgress.appliance.config.ConfigLoader;
import io.clawgress.appliance.config.PolicySettings;
import io.clawgress.appliance.ctl.ClawgressctlCommand;
import io.clawgress.appliance.daemon.ClawgressdCommand;
import io.clawgress.appliance.daemon.SdNotify;
import io.clawgress.enforcement.audit.AuditSettings;
import picocli.AutoComplete;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Generates, at build time, what the package installs next to the binaries: {@code man/clawgressctl.1} and
 * {@code man/clawgressd.8} (man(7) troff) and {@code completion/clawgressctl} (a bash completion script), from the
 * picocli command trees that the binaries themselves parse with. Run by exec-maven-plugin in appliance/pom.xml into
 * {@code appliance/target/generated-docs}.
 *
 * <p>Usage: {@code ManPages OUTPUT_DIR [VERSION]}. The page date is {@code SOURCE_DATE_EPOCH} when set (reproducible
 * builds), else left out.
 */
public final class ManPages {

    /** The files {@link #write} creates, relative to the output directory. */
    public static final Path CLAWGRESSCTL_PAGE = Path.of("man", "clawgressctl.1");
    public static final Path CLAWGRESSD_PAGE = Path.of("man", "clawgressd.8");
    public static final Path CLAWGRESSCTL_COMPLETION = Path.of("completion", "clawgressctl");

    private ManPages() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            throw new IllegalArgumentException("usage: ManPages OUTPUT_DIR [VERSION]");
        }
        String version = args.length == 2 ? args[1] : "dev";
        List<Path> written = write(Path.of(args[0]), version, date(System.getenv("SOURCE_DATE_EPOCH")));
        for (Path p : written) {
            System.out.println("wrote " + p);
        }
    }

    /** Writes every page and the completion script below {@code dir}; returns the files written. */
    public static List<Path> write(Path dir, String version, String date) throws IOException {
        Path ctl = dir.resolve(CLAWGRESSCTL_PAGE);
        Path daemon = dir.resolve(CLAWGRESSD_PAGE);
        Path completion = dir.resolve(CLAWGRESSCTL_COMPLETION);
        writeFile(ctl, clawgressctl(version, date).render());
        writeFile(daemon, clawgressd(version, date).render());
        writeFile(completion, bashCompletion());
        return List.of(ctl, daemon, completion);
    }

    /** The command line clawgressctl parses with (as ClawgressctlMain builds it). */
    static CommandLine clawgressctlCommandLine() {
        return ClawgressctlCommand.commandLine(new ClawgressctlCommand());
    }

    /** The command line clawgressd parses with; never executed here. */
    static CommandLine clawgressdCommandLine() {
        PrintWriter none = new PrintWriter(Writer.nullWriter());
        return new CommandLine(new ClawgressdCommand(none, none, new CountDownLatch(1)));
    }

    static String bashCompletion() {
        return AutoComplete.bash("clawgressctl", clawgressctlCommandLine());
    }

    static ManPage clawgressctl(String version, String date) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CLAWGRESS_ADMIN_SOCKET", "The admin socket that the verbs which ask clawgressd connect to, unless"
                + " --socket is given (default: " + AdminSettings.DEFAULT_SOCKET + ").");
        env.put("CLAWGRESS_JAVA_OPTS", "JVM options for the launcher script; they replace its defaults.");
        Map<String, String> files = new LinkedHashMap<>();
        files.put(AdminSettings.DEFAULT_SOCKET.toString(), "The daemon's admin API socket (HTTP/1.1 and JSON). Root"
                + " and members of the admin group (" + AdminSettings.DEFAULT_ADMIN_GROUP + ") may change things;"
                + " members of the gateway's group (" + AdminSettings.DEFAULT_GROUP + ") may read.");
        files.put(PolicySettings.DEFAULT_STATE_DIR.toString(), "The gateway's state_dir (--state-dir): the agent"
                + " registry agents.lmdb, the audit key in audit-key/, the CAs in intercept-ca/.");
        files.put(AuditSettings.DEFAULT_DIR.toString(), "The audit log (--dir of the audit verbs).");
        files.put(ConfigLoader.DEFAULT_PATH.toString(), "The gateway's configuration (clawgressd(8)).");
        return new ManPage("clawgressctl", "1", "clawgress " + version, date, clawgressctlCommandLine(),
                List.of("Verbs that work on files (keys, bundles, policy directories, the audit directory) need no"
                                + " running daemon; verbs that ask a running gateway talk to clawgressd through its"
                                + " admin API on a unix socket (--socket, CLAWGRESS_ADMIN_SOCKET), and exit 69 when"
                                + " it cannot be reached and 77 when they are not allowed.",
                        "Read verbs take --json and then print one JSON object on stdout (audit tail: one JSON"
                                + " object per line). Field names are snake_case and stable, and a value that does not"
                                + " exist is null. On failure they print {\"ok\": false, \"exit_code\": N, \"errors\":"
                                + " [...]} or the verb's own failure object, and the message still goes to stderr."
                                + " docs/clawgressctl.md describes each object, and docs/schemas/ holds their JSON"
                                + " Schemas."),
                List.of(new ManPage.Section("ENVIRONMENT", List.of(), env),
                        new ManPage.Section("FILES", List.of(), files)),
                List.of("clawgressd(8)"));
    }

    static ManPage clawgressd(String version, String date) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(SdNotify.NOTIFY_SOCKET, "Set by systemd for a Type=notify service: the daemon reports READY=1,"
                + " RELOADING=1, STOPPING=1, STATUS= and watchdog keep-alives on this datagram socket (sd_notify(3))."
                + " Unset, it sends nothing.");
        env.put(SdNotify.WATCHDOG_USEC, "Set by systemd when the unit has WatchdogSec=: the daemon sends WATCHDOG=1"
                + " well within this interval while it is healthy.");
        env.put("CLAWGRESS_JAVA_OPTS", "JVM options for the launcher script; they replace its defaults.");
        Map<String, String> files = new LinkedHashMap<>();
        files.put(ConfigLoader.DEFAULT_PATH.toString(), "The configuration (--config); docs/config.md describes every"
                + " key.");
        files.put(AdminSettings.DEFAULT_SOCKET.toString(), "The admin API socket (admin.socket), mode 0660 with the"
                + " gateway's group; clawgressctl(1) talks to it.");
        files.put(PolicySettings.DEFAULT_STATE_DIR.toString(), "The state_dir: the active policy, the agent registry"
                + " agents.lmdb, the audit key in audit-key/, the CAs in intercept-ca/.");
        files.put(AuditSettings.DEFAULT_DIR.toString(), "The audit log (audit.dir): hash-chained, signed segments.");
        Map<String, String> signals = new LinkedHashMap<>();
        signals.put("SIGTERM, SIGINT", "Stop: stop accepting new connections at once, let open flows finish for up to"
                + " the drain timeout (timeouts.drain), write every audit record, and exit 0.");
        signals.put("SIGHUP", "Reload the configuration file: what can change without a restart (trusted keys,"
                + " bundle sources, CA files, log files) is applied without touching open connections, and a change"
                + " that needs a restart is logged as such (docs/operations.md).");
        return new ManPage("clawgressd", "8", "clawgress " + version, date, clawgressdCommandLine(),
                List.of("clawgressd is a transparent egress gateway for AI agents: connections that the TPROXY rules"
                                + " (clawgress-tproxy) send to it are identified, decided by the signed policy,"
                                + " relayed, intercepted or denied, and every decision is written to the audit log."
                                + " It is normally run by systemd, which runs clawgressd --check-config before start"
                                + " and reload."),
                List.of(new ManPage.Section("ENVIRONMENT", List.of(), env),
                        new ManPage.Section("FILES", List.of(), files),
                        new ManPage.Section("SIGNALS", List.of(), signals)),
                List.of("clawgressctl(1)", "sd_notify(3)", "systemd.service(5)"));
    }

    /** {@code SOURCE_DATE_EPOCH} as YYYY-MM-DD (UTC), or empty when unset. */
    static String date(String sourceDateEpoch) {
        if (sourceDateEpoch == null || sourceDateEpoch.isBlank()) {
            return "";
        }
        try {
            return Instant.ofEpochSecond(Long.parseLong(sourceDateEpoch.strip())).atOffset(ZoneOffset.UTC)
                    .toLocalDate().toString();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SOURCE_DATE_EPOCH: '" + sourceDateEpoch + "' (expected: seconds since"
                    + " the epoch)", e);
        }
    }

    /** Writes {@code text} to {@code file} (mode 0644, as installed), replacing it atomically. */
    private static void writeFile(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
