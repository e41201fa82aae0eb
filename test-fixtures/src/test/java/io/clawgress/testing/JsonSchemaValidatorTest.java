package io.clawgress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonSchemaValidatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A status-like document: every keyword the validator implements is used at least once. */
    private static final String SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": "https://clawgress.io/schemas/test.json",
              "title": "test", "description": "a test schema",
              "type": "object",
              "additionalProperties": false,
              "required": ["version", "uptime_s", "listeners", "revision", "mode"],
              "properties": {
                "version": {"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[0-9]+\\\\.[0-9]+"},
                "uptime_s": {"type": "number", "minimum": 0, "exclusiveMaximum": 1e9},
                "count": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
                "listeners": {"type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": true,
                  "items": {"$ref": "#/$defs/listener"}},
                "revision": {"type": ["string", "null"], "format": "whatever-format-is-ignored"},
                "mode": {"enum": ["enforce", "report", 1]},
                "kind": {"const": {"a": [1, 2]}},
                "either": {"anyOf": [{"type": "boolean"}, {"type": "string", "maxLength": 2}]},
                "exactly": {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 5}]},
                "notNull": {"not": {"type": "null"}},
                "both": {"allOf": [{"type": "string"}, {"pattern": "b"}]},
                "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
                "never": false,
                "anything": true,
                "a/b~c": {"type": "integer"}
              },
              "$defs": {
                "listener": {
                  "type": "object",
                  "additionalProperties": false,
                  "required": ["address"],
                  "properties": {"address": {"type": "string", "pattern": ":[0-9]+$"}}
                }
              }
            }""";

    private static final JsonSchemaValidator V = new JsonSchemaValidator(read(SCHEMA));

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> errors(String json) {
        return V.validate(read(json)).stream().map(JsonSchemaValidator.Error::toString).toList();
    }

    private static final String VALID = """
            {"version": "1.2.3", "uptime_s": 12.5, "count": 3, "listeners": [{"address": "0.0.0.0:15001"}],
             "revision": null, "mode": "enforce", "kind": {"a": [1.0, 2]}, "either": "ab", "exactly": 5.5,
             "notNull": 0, "both": "abc", "labels": {"x": 1}, "anything": [1], "a/b~c": 2.0}""";

    @Test
    void aValidDocumentHasNoErrors() {
        assertThat(errors(VALID)).isEmpty();
        assertThat(errors("{\"version\":\"0.1\",\"uptime_s\":0,\"listeners\":[{\"address\":\":1\"}],"
                + "\"revision\":\"r1\",\"mode\":1}")).isEmpty();
    }

    @Test
    void eachKeywordReportsWhereAndWhat() {
        assertThat(errors("{}")).containsExactly("(root): missing member 'version'",
                "(root): missing member 'uptime_s'",
                "(root): missing member 'listeners'", "(root): missing member 'revision'",
                "(root): missing member 'mode'");
        assertThat(errors("[]")).containsExactly("(root): array [] (expected: object)");
        assertThat(with("\"extra\": 1")).containsExactly("(root): unexpected member 'extra' (expected only: version,"
                + " uptime_s, count, listeners, revision, mode, kind, either, exactly, notNull, both, labels, never,"
                + " anything, a/b~c)");
        assertThat(with("\"version\": \"\"")).contains("/version: string of 0 characters (expected: at least 1)");
        assertThat(with("\"version\": \"1.2.3.4.5.6\"")).containsExactly(
                "/version: string of 11 characters (expected: at most 8)");
        assertThat(with("\"version\": \"v1\"")).containsExactly(
                "/version: \"v1\" (expected: to match ^[0-9]+\\.[0-9]+)");
        // lengths count code points: four emoji are 4 characters, not 8
        assertThat(with("\"version\": \"1.0\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00"
                + "\\ud83d\\ude00\"")).isEmpty();
        assertThat(with("\"version\": \"1.0\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00"
                + "\\ud83d\\ude00\\ud83d\\ude00\"")).containsExactly(
                "/version: string of 9 characters (expected: at most 8)");
        assertThat(with("\"uptime_s\": -1")).containsExactly("/uptime_s: -1 (expected: >= 0)");
        assertThat(with("\"uptime_s\": 1e9")).containsExactly("/uptime_s: 1000000000 (expected: < 1.0E9)");
        assertThat(with("\"uptime_s\": \"1\"")).containsExactly("/uptime_s: string \"1\" (expected: number)");
        assertThat(with("\"count\": 0")).containsExactly("/count: 0 (expected: > 0)");
        assertThat(with("\"count\": 11")).containsExactly("/count: 11 (expected: <= 10)");
        assertThat(with("\"count\": 2.5")).containsExactly("/count: number 2.5 (expected: integer)");
        assertThat(with("\"count\": 2.0")).isEmpty();
        assertThat(with("\"listeners\": []")).containsExactly("/listeners: array of 0 (expected: at least 1)");
        assertThat(with("\"listeners\": [{\"address\":\":1\"},{\"address\":\":2\"},{\"address\":\":3\"},"
                + "{\"address\":\":4\"}]")).containsExactly("/listeners: array of 4 (expected: at most 3)");
        assertThat(with("\"listeners\": [{\"address\":\":1\"},{\"address\":\":1\"}]"))
                .containsExactly("/listeners: elements 0 and 1 are equal (expected: unique items)");
        assertThat(with("\"listeners\": [{\"address\":\":1\"},{\"address\":\"nowhere\"}]"))
                .containsExactly("/listeners/1/address: \"nowhere\" (expected: to match :[0-9]+$)");
        assertThat(with("\"listeners\": [{\"address\":\":1\",\"port\":1}]"))
                .containsExactly("/listeners/0: unexpected member 'port' (expected only: address)");
        assertThat(with("\"revision\": 7")).containsExactly("/revision: integer 7 (expected: string or null)");
        assertThat(with("\"mode\": \"off\"")).containsExactly("/mode: \"off\" (expected: one of [\"enforce\","
                + "\"report\",1])");
        assertThat(with("\"mode\": 1.0")).isEmpty();
        assertThat(with("\"kind\": {\"a\": [2, 1]}")).containsExactly("/kind: {\"a\":[2,1]} (expected: {\"a\":[1,2]})");
        assertThat(with("\"either\": \"abc\"")).containsExactly(
                "/either: matches none of the 2 schemas of anyOf; the closest, anyOf/1, says:",
                "/either: string of 3 characters (expected: at most 2)");
        assertThat(with("\"either\": true")).isEmpty();
        assertThat(with("\"exactly\": 7")).containsExactly(
                "/exactly: matches 2 schemas of oneOf, [0, 1] (expected: exactly one)");
        assertThat(with("\"exactly\": 1")).isEmpty();
        assertThat(with("\"exactly\": 1.5")).containsExactly(
                "/exactly: matches none of the 2 schemas of oneOf; the closest, oneOf/1, says:",
                "/exactly: 1.5 (expected: >= 5)");
        assertThat(with("\"notNull\": null")).containsExactly("/notNull: matches the schema under 'not'");
        assertThat(with("\"both\": \"a\"")).containsExactly("/both: \"a\" (expected: to match b)");
        assertThat(with("\"labels\": {\"x\": \"1\"}")).containsExactly("/labels/x: string \"1\" (expected: integer)");
        assertThat(with("\"never\": 1")).containsExactly("/never: no value is allowed here (the schema is false)");
        // RFC 6901: '~' and '/' in a member name are escaped in the pointer
        assertThat(with("\"a/b~c\": \"x\"")).containsExactly("/a~1b~0c: string \"x\" (expected: integer)");
    }

    private static List<String> with(String member) {
        return errors(VALID.substring(0, VALID.lastIndexOf('}')) + ", " + member + "}");
    }

    @Test
    void aSubschemaCanBeValidatedByItsRef() {
        assertThat(V.validate(read("{\"address\":\":80\"}"), "#/$defs/listener")).isEmpty();
        assertThat(V.validate(read("{}"), "#/$defs/listener")).extracting(Object::toString)
                .containsExactly("(root): missing member 'address'");
        assertThatThrownBy(() -> V.validate(read("{}"), "#/$defs/nothing"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("names nothing in the schema");
    }

    @Test
    void requireValidListsEveryViolation() {
        V.requireValid(read(VALID), "status --json");
        assertThatThrownBy(() -> V.requireValid(read("{\"version\":1}"), "status --json"))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("status --json: 5 violations of https://clawgress.io/schemas/test.json:\n"
                        + "  (root): missing member 'uptime_s'\n"
                        + "  (root): missing member 'listeners'\n"
                        + "  (root): missing member 'revision'\n"
                        + "  (root): missing member 'mode'\n"
                        + "  /version: integer 1 (expected: string)\n"
                        + "in: {\"version\":1}");
    }

    @Test
    void schemasItCannotCheckFullyAreRefusedWhenLoaded() {
        assertThatThrownBy(() -> new JsonSchemaValidator(read("{\"properties\":{\"a\":{\"patternProperties\":{}}}}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("#/properties/a: keyword 'patternProperties' is not supported by this"
                        + " validator");
        assertThatThrownBy(() -> new JsonSchemaValidator(read("{\"$ref\":\"other.json#/x\"}")))
                .hasMessageContaining("expected: a reference within the schema");
        assertThatThrownBy(() -> new JsonSchemaValidator(read("{\"items\":{\"$ref\":\"#/$defs/missing\"}}")))
                .hasMessage("#/items: $ref #/$defs/missing names nothing in the schema");
        assertThatThrownBy(() -> new JsonSchemaValidator(read("{\"type\":\"int\"}")))
                .hasMessageStartingWith("#/type: \"int\" (expected: one of");
        assertThatThrownBy(() -> new JsonSchemaValidator(read("{\"pattern\":\"[\"}")))
                .hasMessageStartingWith("#/pattern: ");
        assertThatThrownBy(() -> new JsonSchemaValidator(read("{\"oneOf\":[]}")))
                .hasMessage("#/oneOf: expected a non-empty array of schemas");
        assertThatThrownBy(() -> new JsonSchemaValidator(read("{\"maxLength\":-1}")))
                .hasMessage("#/maxLength: -1 (expected: an integer >= 0)");
    }

    @Test
    void theAuditRecordSchemaLoads(@TempDir Path tmp) throws Exception {
        JsonSchemaValidator audit = JsonSchemaValidator.load(Path.of("..", "docs", "audit-record.schema.json"));
        assertThat(audit.validate(read("{\"type\":\"gap\"}"))).isNotEmpty();

        Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"if\": {}}");
        assertThatThrownBy(() -> JsonSchemaValidator.load(bad))
                .hasMessageStartingWith(bad + ": #: keyword 'if' is not supported");
    }
}
