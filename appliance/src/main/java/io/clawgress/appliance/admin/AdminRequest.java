package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One admin call as a handler sees it. The body is already complete (bounded by the server); {@link #json()} parses
 * it as a JSON object or answers 400.
 *
 * @param method     HTTP method
 * @param path       the decoded path, e.g. {@code /v1/agents/a1}
 * @param pathParams values of the route's {@code {name}} segments
 * @param query      decoded query parameters
 * @param body       the request body (empty when there is none)
 * @param caller     who asked
 */
public record AdminRequest(String method, String path, Map<String, String> pathParams,
                           Map<String, List<String>> query, byte[] body, Caller caller) {

    public AdminRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        pathParams = Map.copyOf(pathParams);
        query = Map.copyOf(query);
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(caller, "caller");
    }

    /** A path parameter of the route (always present: the route matched). */
    public String pathParam(String name) {
        String v = pathParams.get(name);
        if (v == null) {
            throw new IllegalArgumentException("route has no parameter '" + name + "'");
        }
        return v;
    }

    /** The last value of a query parameter, or {@code null}. */
    public String query(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(values.size() - 1);
    }

    /** The body as a JSON object (an empty body is an empty object). */
    public ObjectNode json() throws AdminException {
        return AdminJson.parseObject(body);
    }
}
