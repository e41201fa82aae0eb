package io.clawgress.enforcement.policy;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * HTTP conditions of a rule: the request method is one of {@code methods} (any when empty) and the request path
 * starts with one of {@code paths} (any when empty). A rule with HTTP conditions can only match a flow whose method
 * and target are known: each plaintext request, and each request of an intercepted TLS connection (the L7 gate decides
 * them with HTTP facts); on a TLS flow seen only by its ClientHello it does not match.
 *
 * <p>Paths are compared as sent, without decoding. A target whose path could mean something else after
 * normalisation (dot segments, encoded {@code . / \}, RFC 3986 §5.2.4 / §2.4) is ambiguous: an allow rule's path
 * prefix never matches it, a deny rule's always does, so ambiguity fails closed.
 *
 * @param methods upper-case method tokens (RFC 9110 §9.1: methods are case-sensitive), empty for any
 * @param paths   path prefixes, each starting with {@code /}, empty for any
 */
public record HttpMatch(List<String> methods, List<String> paths) {

    private static final Pattern TOKEN = Pattern.compile("[A-Z][A-Z0-9!#$%&'*+.^_`|~-]{0,31}");
    private static final Pattern PATH = Pattern.compile("/[\\x21-\\x7e]{0,1023}");

    public HttpMatch {
        methods = Ids.copy("methods", methods);
        paths = Ids.copy("paths", paths);
        if (methods.isEmpty() && paths.isEmpty()) {
            throw new IllegalArgumentException("methods and paths both empty (expected: at least one of them)");
        }
        for (String m : methods) {
            if (m == null || !TOKEN.matcher(m).matches()) {
                throw new IllegalArgumentException("method: '" + m + "' (expected: an upper-case HTTP method such as"
                        + " GET or POST)");
            }
        }
        for (String p : paths) {
            if (p == null || !PATH.matcher(p).matches() || ambiguous(p)) {
                throw new IllegalArgumentException("path: '" + p + "' (expected: a path prefix starting with /,"
                        + " printable ASCII, no dot segments or encoded . / \\)");
            }
        }
    }

    /** Whether a request with this method and request-target matches; both null-safe (null never matches). */
    public boolean matches(String method, String target, Action action) {
        if (method == null || target == null) {
            return false;
        }
        if (!methods.isEmpty() && !methods.contains(method)) {
            return false;
        }
        if (paths.isEmpty()) {
            return true;
        }
        int start = pathStart(target);
        if (start < 0) {
            // No path we can compare (authority-form CONNECT, asterisk-form OPTIONS): only a deny matches.
            return action == Action.DENY;
        }
        int end = target.indexOf('?', start);
        if (end < 0) {
            end = target.length();
        }
        int hash = target.indexOf('#', start);
        if (hash >= 0 && hash < end) {
            end = hash;
        }
        if (ambiguous(target.substring(start, end))) {
            return action == Action.DENY;
        }
        for (String p : paths) {
            if (end - start >= p.length() && target.startsWith(p, start)) {
                return true;
            }
        }
        return false;
    }

    /** Where the path begins: origin-form {@code /x}, absolute-form {@code http://h/x} (RFC 9112 §3.2); -1 if none. */
    private static int pathStart(String target) {
        if (target.startsWith("/")) {
            return 0;
        }
        int scheme = target.indexOf("://");
        if (scheme <= 0) {
            return -1;
        }
        int slash = target.indexOf('/', scheme + 3);
        return slash;
    }

    private static boolean ambiguous(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        return p.contains("/./") || p.contains("/../") || p.endsWith("/.") || p.endsWith("/..")
                || p.contains("%2e") || p.contains("%2f") || p.contains("%5c") || p.indexOf('\\') >= 0;
    }
}
