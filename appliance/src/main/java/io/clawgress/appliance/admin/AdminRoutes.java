package io.clawgress.appliance.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The admin API's routes: read routes (the socket's group may call them) and change routes (root and the admin
 * group only; every call, allowed or not, is an audit record). A path pattern is {@code /v1/...} with
 * {@code {name}} segments matching one non-empty segment.
 */
public final class AdminRoutes {

    /** A route's work; runs on an admin worker thread, never on a data-plane event loop. */
    @FunctionalInterface
    public interface Handler {
        AdminResponse handle(AdminRequest request) throws AdminException;
    }

    /**
     * @param action the audit action code of a change route ({@code agent.disable}), {@code null} for a read route
     */
    public record Route(String method, String pattern, String action, Handler handler, List<String> segments) {
        public Route {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(handler, "handler");
            segments = List.copyOf(segments);
        }

        public boolean change() {
            return action != null;
        }
    }

    /** A route that matched, with its parameters; or why none did. */
    public record Match(Route route, Map<String, String> params, int status, String allow) {
    }

    private static final Pattern METHOD = Pattern.compile("GET|POST|PUT|DELETE");
    private static final Pattern LITERAL = Pattern.compile("[a-z0-9_.-]+");
    private static final Pattern PARAM = Pattern.compile("\\{[a-z_]+}");

    private final List<Route> routes = new ArrayList<>();

    /** Registers a read route (GET). */
    public AdminRoutes read(String method, String pattern, Handler handler) {
        return add(method, pattern, null, handler);
    }

    /** Registers a change route; {@code action} names it in the audit log ({@code agent.disable}). */
    public AdminRoutes change(String method, String pattern, String action, Handler handler) {
        return add(method, pattern, Objects.requireNonNull(action, "action"), handler);
    }

    private AdminRoutes add(String method, String pattern, String action, Handler handler) {
        if (!METHOD.matcher(method).matches()) {
            throw new IllegalArgumentException("method: " + method + " (expected: GET, POST, PUT or DELETE)");
        }
        if (action == null && !method.equals("GET")) {
            throw new IllegalArgumentException(pattern + ": a read route is GET (changes are change routes)");
        }
        if (action != null && method.equals("GET")) {
            throw new IllegalArgumentException(pattern + ": a change route is not GET (RFC 9110 §9.2.1: GET is safe)");
        }
        if (!pattern.startsWith("/v1/")) {
            throw new IllegalArgumentException("pattern: " + pattern + " (expected: /v1/...)");
        }
        List<String> segments = List.of(pattern.substring(1).split("/", -1));
        for (String s : segments) {
            if (!LITERAL.matcher(s).matches() && !PARAM.matcher(s).matches()) {
                throw new IllegalArgumentException("pattern: " + pattern + " (bad segment '" + s + "')");
            }
        }
        for (Route r : routes) {
            if (r.method().equals(method) && r.segments().equals(segments)) {
                throw new IllegalArgumentException("duplicate route: " + method + " " + pattern);
            }
        }
        routes.add(new Route(method, pattern, action, handler, segments));
        return this;
    }

    /** Finds the route for a request: 404 when no pattern matches the path, 405 (with Allow) for another method. */
    public Match match(String method, String path) {
        if (!path.startsWith("/")) {
            return new Match(null, Map.of(), 404, null);
        }
        String[] parts = path.substring(1).split("/", -1);
        TreeSet<String> allowed = new TreeSet<>();
        for (Route r : routes) {
            Map<String, String> params = params(r, parts);
            if (params == null) {
                continue;
            }
            if (r.method().equals(method)) {
                return new Match(r, params, 200, null);
            }
            allowed.add(r.method());
        }
        return allowed.isEmpty() ? new Match(null, Map.of(), 404, null)
                : new Match(null, Map.of(), 405, String.join(", ", allowed));
    }

    private static Map<String, String> params(Route r, String[] parts) {
        if (parts.length != r.segments().size()) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < parts.length; i++) {
            String s = r.segments().get(i);
            if (s.startsWith("{")) {
                if (parts[i].isEmpty()) {
                    return null;
                }
                params.put(s.substring(1, s.length() - 1), parts[i]);
            } else if (!s.equals(parts[i])) {
                return null;
            }
        }
        return params;
    }

    public List<Route> routes() {
        return List.copyOf(routes);
    }
}
