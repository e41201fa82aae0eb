package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What an admin call answers: a status, a content type and the body (always sent with a Content-Length).
 *
 * @param auditTarget what a change acted on when the path does not say it (the id of an agent created by a POST to
 *                    the collection), or {@code null}: the audit record then takes the first path parameter
 */
public record AdminResponse(int status, String contentType, byte[] body, String auditTarget) {

    public AdminResponse(int status, String contentType, byte[] body) {
        this(status, contentType, body, null);
    }

    /** This answer, naming what the change acted on for its audit record. */
    public AdminResponse withAuditTarget(String target) {
        return new AdminResponse(status, contentType, body, target);
    }

    public static final String JSON = "application/json";
    public static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    public static final String PEM = "application/x-pem-file";

    public AdminResponse {
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 200..599)");
        }
    }

    public static AdminResponse json(int status, JsonNode node) {
        return new AdminResponse(status, JSON, (AdminJson.write(node) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public static AdminResponse ok(JsonNode node) {
        return json(200, node);
    }

    public static AdminResponse text(String contentType, String text) {
        return new AdminResponse(200, contentType, text.getBytes(StandardCharsets.UTF_8));
    }
}
