package io.clawgress.appliance.apparmor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The accesses AppArmor mediates, read from an {@code strace -f -yy -s 4096} log: each file opened (r, w, a), created,
 * removed, renamed, linked, chmod'ed or chown'ed (w, l), executed (x), mapped executable (m), locked (k), and each
 * named unix socket bound or connected to (w), with the permission AppArmor checks for it (apparmor.d(5), the hooks
 * in security/apparmor/lsm.c); and the families and types of the sockets created. Calls that fail before the kernel
 * asks the LSM (the path does not exist, already exists, is not a directory) are left out. stat, access, readlink
 * and friends are not mediated by AppArmor file rules and are ignored.
 *
 * <p>Paths are as the process named them, resolved against the directory fd or the working directory that
 * {@code -yy} prints; {@link #accesses()} does not resolve symbolic links (the caller does, as AppArmor sees the
 * resolved path).
 */
public final class StraceLog {

    /** One mediated file access. {@code dir} is true when the path names a directory (AppArmor: trailing '/'). */
    public record Access(long pid, String syscall, String path, boolean dir, Set<Character> perms, String line) {
    }

    /** One socket created: AF_INET -> inet, SOCK_STREAM -> stream. */
    public record Socket(long pid, String family, String type, String line) {
    }

    private static final Pattern LINE = Pattern.compile("^(\\d+)\\s+(\\w+)\\((.*)\\)\\s+=\\s+(.*)$");
    private static final Pattern UNFINISHED = Pattern.compile("^(\\d+)\\s+(.*) <unfinished \\.\\.\\.>$");
    private static final Pattern RESUMED = Pattern.compile("^(\\d+)\\s+<\\.\\.\\. (\\w+) resumed>(.*)$");
    private static final Pattern ERRNO = Pattern.compile("^-1 (E[A-Z0-9]+)\\b.*");
    private static final Pattern FD_PATH = Pattern.compile("^(?:-?\\d+|AT_FDCWD)<(/.*?)(?: \\(deleted\\))?>$");
    private static final Pattern SUN_PATH = Pattern.compile("sun_path=(\"(?:[^\"\\\\]|\\\\.)*\")");
    /** Errors the kernel returns before it asks the LSM about the path. */
    private static final Set<String> BEFORE_LSM = Set.of("ENOENT", "ENOTDIR", "EEXIST", "ELOOP", "ENAMETOOLONG",
            "EBADF", "EFAULT", "EINVAL", "EISDIR");

    private final List<Access> accesses = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<String> unparsed = new ArrayList<>();
    private int lines;

    private StraceLog() {
    }

    public static StraceLog read(Path file) throws IOException {
        return parse(Files.readAllLines(file));
    }

    public static StraceLog parse(List<String> raw) {
        StraceLog log = new StraceLog();
        Map<Long, String> pending = new HashMap<>();
        for (String l : raw) {
            if (l.isBlank()) {
                continue;
            }
            Matcher u = UNFINISHED.matcher(l);
            if (u.matches()) {
                pending.put(Long.parseLong(u.group(1)), u.group(1) + " " + u.group(2));
                continue;
            }
            Matcher r = RESUMED.matcher(l);
            if (r.matches()) {
                String start = pending.remove(Long.parseLong(r.group(1)));
                if (start == null) {
                    log.unparsed.add(l);
                    continue;
                }
                l = start + r.group(3);
            }
            log.line(l);
        }
        return log;
    }

    public List<Access> accesses() {
        return accesses;
    }

    public List<Socket> sockets() {
        return sockets;
    }

    /** System call lines that could not be read (signals and exits are not system calls and are not counted). */
    public List<String> unparsed() {
        return unparsed;
    }

    /** How many system call lines were read. */
    public int lines() {
        return lines;
    }

    private void line(String l) {
        String body = l.replaceFirst("^\\d+\\s+", "");
        if (body.startsWith("---") || body.startsWith("+++") || body.startsWith("???")) {
            return; // signal delivery, exit
        }
        Matcher m = LINE.matcher(l); // strace pads before " = " to a column: the greedy (.*) finds the last one
        if (!m.matches()) {
            if (!l.matches("^\\d+\\s+\\w+\\(.*\\)\\s+= \\?$")) { // exit_group, execve of a killed process
                unparsed.add(l);
            }
            return;
        }
        lines++;
        long pid = Long.parseLong(m.group(1));
        String call = m.group(2);
        List<String> args = splitArgs(m.group(3));
        String result = m.group(4);
        Matcher e = ERRNO.matcher(result);
        String errno = e.matches() ? e.group(1) : null;
        if (errno != null && BEFORE_LSM.contains(errno) && !call.equals("socket")) {
            return;
        }
        if (result.startsWith("?")) {
            return; // interrupted
        }
        try {
            interpret(pid, call, args, result, l);
        } catch (RuntimeException ex) {
            unparsed.add(l + "  [" + ex.getMessage() + "]");
        }
    }

    private void interpret(long pid, String call, List<String> a, String result, String l) {
        switch (call) {
            case "open" -> open(pid, call, null, a.get(0), a.get(1), l);
            case "openat" -> open(pid, call, a.get(0), a.get(1), a.get(2), l);
            case "openat2" -> {
                Matcher flags = Pattern.compile("flags=([A-Z_|0-9x]+)").matcher(a.get(2));
                open(pid, call, a.get(0), a.get(1), flags.find() ? flags.group(1) : "O_RDONLY", l);
            }
            case "creat" -> add(pid, call, path(null, a.get(0)), false, "w", l);
            case "execve" -> add(pid, call, path(null, a.get(0)), false, "x", l);
            case "execveat" -> add(pid, call, path(a.get(0), a.get(1)), false, "x", l);
            case "mkdir", "rmdir" -> add(pid, call, path(null, a.get(0)), true, "w", l);
            case "mkdirat" -> add(pid, call, path(a.get(0), a.get(1)), true, "w", l);
            case "unlink", "truncate" -> add(pid, call, path(null, a.get(0)), false, "w", l);
            case "unlinkat" -> add(pid, call, path(a.get(0), a.get(1)), a.get(2).contains("AT_REMOVEDIR"), "w", l);
            case "rename" -> {
                add(pid, call, path(null, a.get(0)), false, "rw", l);
                add(pid, call, path(null, a.get(1)), false, "w", l);
            }
            case "renameat", "renameat2" -> {
                add(pid, call, path(a.get(0), a.get(1)), false, "rw", l);
                add(pid, call, path(a.get(2), a.get(3)), false, "w", l);
            }
            case "link" -> add(pid, call, path(null, a.get(1)), false, "l", l);
            case "linkat" -> add(pid, call, path(a.get(2), a.get(3)), false, "l", l);
            case "symlink" -> add(pid, call, path(null, a.get(1)), false, "w", l);
            case "symlinkat" -> add(pid, call, path(a.get(1), a.get(2)), false, "w", l);
            case "mknod" -> add(pid, call, path(null, a.get(0)), false, "w", l);
            case "mknodat" -> add(pid, call, path(a.get(0), a.get(1)), false, "w", l);
            case "chmod", "chown", "lchown" -> add(pid, call, path(null, a.get(0)), false, "w", l);
            case "fchmodat", "fchownat" -> add(pid, call, path(a.get(0), a.get(1)), false, "w", l);
            case "fchmod", "fchown" -> fdPath(a.get(0)).ifPresent(p -> add(pid, call, p, false, "w", l));
            case "mmap" -> {
                if (a.get(2).contains("PROT_EXEC")) {
                    fdPath(a.get(4)).ifPresent(p -> add(pid, call, p, false, "m", l));
                }
            }
            case "flock" -> {
                if (!a.get(1).contains("LOCK_UN")) {
                    fdPath(a.get(0)).ifPresent(p -> add(pid, call, p, false, "k", l));
                }
            }
            case "fcntl", "fcntl64" -> {
                if (a.size() > 2 && a.get(1).matches("F_(OFD_)?SETLKW?(64)?")) {
                    String perms = a.get(2).contains("F_WRLCK") ? "kw" : "k";
                    fdPath(a.get(0)).ifPresent(p -> add(pid, call, p, false, perms, l));
                }
            }
            case "bind", "connect" -> sunPath(a.get(1)).ifPresent(p -> add(pid, call, p, false, "w", l));
            case "sendto" -> {
                if (a.size() > 4) {
                    sunPath(a.get(4)).ifPresent(p -> add(pid, call, p, false, "w", l));
                }
            }
            case "sendmsg" -> sunPath(a.get(1)).ifPresent(p -> add(pid, call, p, false, "w", l));
            case "socket", "socketpair" -> sockets.add(new Socket(pid, family(a.get(0)), type(a.get(1)), l));
            default -> {
                // not mediated by file rules (stat, access, readlink, getdents, chdir, inotify, ...)
            }
        }
    }

    private void open(long pid, String call, String dirfd, String pathArg, String flags, String l) {
        Set<String> f = Set.of(flags.split("\\|"));
        StringBuilder perms = new StringBuilder();
        if (f.contains("O_WRONLY") || f.contains("O_RDWR")) {
            boolean append = f.contains("O_APPEND") && !f.contains("O_TRUNC") && !f.contains("O_CREAT");
            perms.append(append ? "a" : "w");
        }
        if (!f.contains("O_WRONLY")) {
            perms.append('r');
        }
        if (f.contains("O_CREAT") || f.contains("O_TRUNC")) {
            perms.append('w');
        }
        if (f.contains("O_PATH")) {
            return; // an O_PATH descriptor is not an open for reading or writing
        }
        add(pid, call, path(dirfd, pathArg), f.contains("O_DIRECTORY"), perms.toString(), l);
    }

    private void add(long pid, String call, String path, boolean dir, String perms, String l) {
        Set<Character> p = new TreeSet<>();
        for (char c : perms.toCharArray()) {
            p.add(c);
        }
        accesses.add(new Access(pid, call, path, dir, p, l));
    }

    /** A path argument, absolute, resolved against the annotated directory fd (or working directory). */
    static String path(String dirfd, String quoted) {
        String p = unquote(quoted);
        if (p.startsWith("/")) {
            return Path.of(p).normalize().toString();
        }
        if (dirfd == null) {
            throw new IllegalArgumentException("relative path " + p + " without a directory");
        }
        String base = fdPath(dirfd).orElseThrow(() -> new IllegalArgumentException("relative path " + p
                + " against " + dirfd + " (expected: an fd annotated with its path, strace -yy)"));
        return Path.of(base).resolve(p).normalize().toString();
    }

    static java.util.Optional<String> fdPath(String arg) {
        Matcher m = FD_PATH.matcher(arg.strip());
        return m.matches() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    }

    /** The path of a named (not abstract, not unnamed) unix socket address in this argument. */
    static java.util.Optional<String> sunPath(String arg) {
        if (!arg.contains("AF_UNIX")) {
            return java.util.Optional.empty();
        }
        Matcher m = SUN_PATH.matcher(arg);
        if (!m.find()) {
            return java.util.Optional.empty(); // abstract (sun_path=@"...") or unnamed
        }
        String p = unquote(m.group(1));
        return p.startsWith("/") ? java.util.Optional.of(p) : java.util.Optional.empty();
    }

    static String family(String arg) {
        String f = arg.strip();
        return f.startsWith("AF_") ? f.substring(3).toLowerCase(java.util.Locale.ROOT) : f;
    }

    static String type(String arg) {
        for (String part : arg.split("\\|")) {
            if (part.startsWith("SOCK_") && !part.equals("SOCK_CLOEXEC") && !part.equals("SOCK_NONBLOCK")) {
                return part.substring(5).toLowerCase(java.util.Locale.ROOT);
            }
        }
        return arg;
    }

    /** A C string as strace prints it; a truncated one ("..." after the quote) is an error. */
    static String unquote(String s) {
        String t = s.strip();
        if (!t.startsWith("\"") || !t.endsWith("\"")) {
            throw new IllegalArgumentException("expected a complete quoted string: " + t);
        }
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < t.length() - 1; i++) {
            char c = t.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char n = t.charAt(++i);
            switch (n) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'v' -> out.append('\u000b');
                case 'f' -> out.append('\f');
                case 'x' -> {
                    out.append((char) Integer.parseInt(t.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                default -> {
                    if (n >= '0' && n <= '7') {
                        int j = i;
                        while (j < i + 3 && j < t.length() - 1 && t.charAt(j) >= '0' && t.charAt(j) <= '7') {
                            j++;
                        }
                        out.append((char) Integer.parseInt(t.substring(i, j), 8));
                        i = j - 1;
                    } else {
                        out.append(n);
                    }
                }
            }
        }
        return out.toString();
    }

    /** Splits an argument list at its top-level commas (not inside quotes, (), [], {} or fd annotations <...>). */
    static List<String> splitArgs(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int angle = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    quoted = false;
                }
                continue;
            }
            switch (c) {
                case '"' -> quoted = angle == 0;
                case '(', '[', '{' -> depth++;
                case ')', ']', '}' -> depth--;
                case '<' -> {
                    if (i > 0 && (Character.isDigit(s.charAt(i - 1)) || s.startsWith("AT_FDCWD", Math.max(0, i - 8)))) {
                        angle++;
                    }
                }
                case '>' -> {
                    if (angle > 0) {
                        angle--;
                    }
                }
                case ',' -> {
                    if (depth == 0 && angle == 0) {
                        out.add(s.substring(start, i).strip());
                        start = i + 1;
                    }
                }
                default -> {
                }
            }
        }
        out.add(s.substring(start).strip());
        return out;
    }
}
