package io.clawgress.appliance.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The admin API's JSON: one mapper, bounded parsing of request bodies. */
public final class AdminJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32)
                .maxStringLength(1 << 20).maxNumberLength(32).build());
    }

    private AdminJson() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree always serialises", e);
        }
    }

    /** Parses a request body; anything but one JSON object is a 400 saying why. */
    static ObjectNode parseObject(byte[] body) throws AdminException {
        if (body.length == 0) {
            return object();
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw AdminException.badRequest("request body: not valid JSON (RFC 8259): " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw AdminException.badRequest("request body: cannot be read: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode o)) {
            throw AdminException.badRequest("request body: " + (node == null ? "empty" : node.getNodeType())
                    + " (expected: a JSON object)");
        }
        return o;
    }
}
