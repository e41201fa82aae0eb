package io.clawgress.enforcement.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.bundle.BundleException.Reason;

import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;

/**
 * Names and JSON shapes of the bundle format, in one place. See {@code docs/bundles.md}.
 *
 * <pre>
 * bundle.tar.gz
 *   .signatures.json      {"signatures": ["&lt;compact JWS&gt;"]}             exactly one signature
 *   policies/...          any regular files, every one listed in the payload
 *
 * JWS protected header    {"alg": "EdDSA" | "ES256", "kid": "...", "typ": "clawgress-bundle+jws",
 *                          "cty": "clawgress-bundle+json"}                    no other header is accepted
 * JWS payload             {"kid": "...",                                      must equal the header's kid
 *                          "revision": 42,                                    integer >= 1
 *                          "not_before": "2026-11-21T00:00:00Z",              ISO-8601 instant
 *                          "expires": "2026-12-21T00:00:00Z",                 ISO-8601 instant, after not_before
 *                          "files": {"policies/a.yaml": "&lt;sha-256 hex&gt;"}}  every file except .signatures.json
 * </pre>
 */
public final class BundleFormat {

    public static final String SIGNATURES_FILE = ".signatures.json";
    public static final String JWS_TYPE = "clawgress-bundle+jws";
    public static final String JWS_CONTENT_TYPE = "clawgress-bundle+json";

    public static final String F_SIGNATURES = "signatures";
    public static final String F_KID = "kid";
    public static final String F_REVISION = "revision";
    public static final String F_NOT_BEFORE = "not_before";
    public static final String F_EXPIRES = "expires";
    public static final String F_FILES = "files";

    /** Tolerance for clocks that disagree between the signer and the gateway, applied to both ends of the window. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);

    /** Strict JSON: duplicate keys are an error (two parsers must never disagree on what was signed). */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.ALLOW_COMMENTS)
            .build();

    private BundleFormat() {
    }

    /** Compact JSON bytes of {@code node}, fields in insertion order. */
    static byte[] jsonBytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("serialising a JSON tree", e);
        }
    }

    static ObjectNode parseObject(byte[] json, Reason reason, String what) throws BundleException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new BundleException(reason, what + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        if (!(node instanceof ObjectNode object)) {
            throw new BundleException(reason, what + ": expected a JSON object");
        }
        return object;
    }

    static void requireOnlyFields(ObjectNode node, Set<String> allowed, Reason reason, String what)
            throws BundleException {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw new BundleException(reason, what + ": unknown field " + BundlePaths.quote(name)
                        + " (expected: only " + allowed + ")");
            }
        }
    }

    static String requireText(ObjectNode node, String field, Reason reason, String what) throws BundleException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
            throw new BundleException(reason, what + ": field " + field + " missing or not a non-empty string");
        }
        return value.textValue();
    }
}
