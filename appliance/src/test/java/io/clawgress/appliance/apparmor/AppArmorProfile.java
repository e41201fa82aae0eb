package io.clawgress.appliance.apparmor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The file and network rules of one AppArmor profile file, for comparing what a process did with what the profile
 * allows. It reads the subset of the policy language that apparmor/clawgressd uses, and refuses anything else (an
 * unknown rule is an error, never silently skipped, so the comparison cannot pass by not understanding a rule):
 * variable definitions, {@code abi}, {@code include} (only {@code <tunables/global>}, whose variables used here are
 * built in, and {@code if exists <local/...>}, empty as shipped), one {@code profile NAME [flags=(...)] { }} block
 * with file rules {@code PATH MODES,}, {@code network FAMILY TYPE,}, {@code unix (...)}, {@code signal},
 * {@code capability} rules. {@code deny}, {@code owner}, {@code audit} qualifiers and exec transitions other than
 * {@code ix} are refused. Permissions of all matching rules add up, as in AppArmor.
 */
public final class AppArmorProfile {

    /**
     * Variables of /etc/apparmor.d/tunables/global (AppArmor 3 and 4) that the profile may use. {@code @{pid}} is a
     * decimal number without leading zero; {@code @{multiarch}} is tunables/multiarch's {@code *-linux-gnu*}.
     */
    static final Map<String, List<String>> TUNABLES = Map.of(
            "pid", List.of("[1-9]", "[1-9][0-9]*"),
            "tid", List.of("[1-9]", "[1-9][0-9]*"),
            "multiarch", List.of("*-linux-gnu*"),
            "PROC", List.of("/proc/"));

    private static final Pattern VARIABLE = Pattern.compile("@\\{([A-Za-z0-9_]+)}\\s*(\\+?=)\\s*(.+)");
    private static final Pattern FILE_RULE = Pattern.compile("((?:/|@\\{)\\S*)\\s+([a-zA-Z]+)");
    private static final Pattern NETWORK = Pattern.compile("network\\s+(\\w+)\\s+(\\w+)");
    private static final Pattern PROFILE = Pattern.compile("profile\\s+(\\S+)(\\s+flags=\\([^)]*\\))?\\s*\\{");
    private static final Set<Character> FILE_MODES = Set.of('r', 'w', 'a', 'k', 'l', 'm', 'i', 'x');

    /** One file rule: its glob as written, expanded, and its permissions (x for any exec mode). */
    public record FileRule(String written, AppArmorGlob glob, Set<Character> perms) {
    }

    private final String name;
    private final List<FileRule> fileRules;
    private final Set<String> network;

    private AppArmorProfile(String name, List<FileRule> fileRules, Set<String> network) {
        this.name = name;
        this.fileRules = List.copyOf(fileRules);
        this.network = Set.copyOf(network);
    }

    public static AppArmorProfile read(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    /** @throws IllegalArgumentException naming the line of anything outside the supported subset */
    public static AppArmorProfile parse(String text, String source) {
        Map<String, List<String>> vars = new LinkedHashMap<>();
        TUNABLES.forEach((k, v) -> vars.put(k, new ArrayList<>(v)));
        List<FileRule> files = new ArrayList<>();
        Set<String> network = new TreeSet<>();
        String name = null;
        boolean inProfile = false;
        boolean closed = false;
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String where = source + ":" + (n + 1);
            String line = stripComment(lines[n]).strip();
            if (line.isEmpty()) {
                continue;
            }
            if (closed) {
                throw new IllegalArgumentException(where + ": '" + line + "' after the profile (expected: one profile)");
            }
            if (!inProfile) {
                Matcher v = VARIABLE.matcher(line);
                Matcher p = PROFILE.matcher(line);
                if (v.matches()) {
                    List<String> values = List.of(v.group(3).strip().split("\\s+"));
                    if (v.group(2).equals("=")) {
                        if (vars.containsKey(v.group(1)) && !TUNABLES.containsKey(v.group(1))) {
                            throw new IllegalArgumentException(where + ": @{" + v.group(1) + "} defined twice");
                        }
                        vars.put(v.group(1), new ArrayList<>(values));
                    } else {
                        vars.computeIfAbsent(v.group(1), k -> new ArrayList<>()).addAll(values);
                    }
                } else if (line.matches("abi\\s+<[^>]+>\\s*,")) {
                    continue;
                } else if (line.equals("include <tunables/global>")) {
                    continue;
                } else if (p.matches()) {
                    name = p.group(1);
                    inProfile = true;
                } else {
                    throw new IllegalArgumentException(where + ": '" + line + "' (expected: a variable, abi, "
                            + "include <tunables/global> or the profile)");
                }
                continue;
            }
            if (line.equals("}")) {
                inProfile = false;
                closed = true;
                continue;
            }
            if (line.matches("include if exists <local/[\\w.-]+>")) {
                continue; // empty as the package ships it (postinst creates it empty, as dh_apparmor does)
            }
            if (!line.endsWith(",")) {
                throw new IllegalArgumentException(where + ": '" + line + "' (expected: a rule ending in ',')");
            }
            String rule = line.substring(0, line.length() - 1).strip();
            Matcher f = FILE_RULE.matcher(rule);
            Matcher net = NETWORK.matcher(rule);
            if (f.matches()) {
                Set<Character> perms = new TreeSet<>();
                for (char c : f.group(2).toCharArray()) {
                    if (!FILE_MODES.contains(c)) {
                        throw new IllegalArgumentException(where + ": mode '" + f.group(2) + "' (expected: r, w, a, k,"
                                + " l, m and ix only)");
                    }
                    perms.add(c);
                }
                if (perms.contains('i') != perms.contains('x')) {
                    throw new IllegalArgumentException(where + ": mode '" + f.group(2) + "' (expected: ix as a pair)");
                }
                perms.remove('i');
                for (String expanded : expand(f.group(1), vars, where)) {
                    files.add(new FileRule(f.group(1), AppArmorGlob.of(expanded), Set.copyOf(perms)));
                }
            } else if (net.matches()) {
                network.add(net.group(1) + " " + net.group(2));
            } else if (rule.matches("unix\\s*\\([a-z, ]+\\)")) {
                network.add("unix *");
            } else if (rule.matches("capability\\s+\\w+") || rule.matches("signal\\s*\\([a-z, ]+\\)(\\s+\\S+)*")) {
                continue; // not comparable with a file trace
            } else {
                throw new IllegalArgumentException(where + ": '" + line + "' (expected: PATH MODES, network, unix,"
                        + " signal or capability; deny/owner/audit and other forms are not understood here)");
            }
        }
        if (name == null || inProfile) {
            throw new IllegalArgumentException(source + ": no complete profile { ... } block");
        }
        return new AppArmorProfile(name, files, network);
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return hash < 0 ? line : line.substring(0, hash);
    }

    /** Every combination of the variables' values in {@code glob}. */
    static List<String> expand(String glob, Map<String, List<String>> vars, String where) {
        int at = glob.indexOf("@{");
        if (at < 0) {
            return List.of(glob);
        }
        int close = glob.indexOf('}', at);
        String var = glob.substring(at + 2, close);
        List<String> values = vars.get(var);
        if (values == null) {
            throw new IllegalArgumentException(where + ": unknown variable @{" + var + "}");
        }
        List<String> out = new ArrayList<>();
        for (String value : values) {
            out.addAll(expand(glob.substring(0, at) + value + glob.substring(close + 1), vars, where));
        }
        return out;
    }

    public String name() {
        return name;
    }

    public List<FileRule> fileRules() {
        return fileRules;
    }

    /** The permissions all rules matching {@code path} grant together. */
    public Set<Character> permissions(String path) {
        Set<Character> perms = new TreeSet<>();
        for (FileRule r : fileRules) {
            if (r.glob().matches(path)) {
                perms.addAll(r.perms());
            }
        }
        return perms;
    }

    /**
     * Whether the rules grant every one of {@code needed} on {@code path}; {@code w} grants {@code a} (append) too,
     * as in AppArmor.
     */
    public boolean allows(String path, Set<Character> needed) {
        Set<Character> granted = permissions(path);
        for (char c : needed) {
            boolean ok = granted.contains(c) || (c == 'a' && granted.contains('w'));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Whether a socket of this family ({@code inet}, {@code unix}, ...) and type ({@code stream}, ...) is allowed. */
    public boolean allowsSocket(String family, String type) {
        String f = family.toLowerCase(Locale.ROOT);
        return network.contains(f + " " + type.toLowerCase(Locale.ROOT))
                || (f.equals("unix") && network.contains("unix *"));
    }
}
