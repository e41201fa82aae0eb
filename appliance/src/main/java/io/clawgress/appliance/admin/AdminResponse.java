package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** What an admin call answers: a status, a content type and the body (always sent with a Content-Length). */
public record AdminResponse(int status, String contentType, byte[] body) {

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
