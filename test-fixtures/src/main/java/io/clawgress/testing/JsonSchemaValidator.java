package io.clawgress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A JSON Schema (draft 2020-12) validator for the schemas in {@code docs/}: enough of the specification to check the
 * audit records and the {@code clawgressctl --json} outputs against what the documentation promises, small enough to
 * read in one sitting.
 *
 * <p>Supported keywords: {@code $ref} (within the schema: {@code #}, {@code #/$defs/name}, any JSON pointer after
 * {@code #}), {@code $defs}, {@code allOf}, {@code anyOf}, {@code oneOf}, {@code not}, {@code type} (a name or a list
 * of names), {@code const}, {@code enum}, {@code pattern}, {@code minLength}, {@code maxLength}, {@code minimum},
 * {@code maximum}, {@code exclusiveMinimum}, {@code exclusiveMaximum}, {@code required}, {@code properties},
 * {@code additionalProperties} ({@code false}, {@code true} or a schema), {@code items} (one schema for every
 * element), {@code minItems}, {@code maxItems}, {@code uniqueItems}, and boolean schemas. Annotations are ignored:
 * {@code $schema}, {@code $id}, {@code $comment}, {@code title}, {@code description}, {@code default},
 * {@code examples}, {@code deprecated}, {@code readOnly}, {@code writeOnly}, and {@code format} (which 2020-12 makes an
 * annotation by default). Any other keyword is refused when the schema is loaded: a validator that skipped a keyword
 * it does not know would pass documents the schema forbids.
 *
 * <p>Numbers compare by value ({@code 1}, {@code 1.0} and a long {@code 1} are equal; {@code 2.0} is an integer),
 * lengths count code points, and {@code pattern} is searched for, not anchored (ECMA-262 semantics, run by
 * {@link java.util.regex}: the patterns in {@code docs/} use the syntax both share). Thread-safe once built.
 */
public final class JsonSchemaValidator {

    /**
     * One violation.
     *
     * @param pointer where in the document (RFC 6901 JSON pointer: {@code ""} is the whole document,
     *                {@code /records/0/uid} a member of an element of a member)
     * @param message what is wrong, and what was expected
     */
    public record Error(String pointer, String message) {
        @Override
        public String toString() {
            return (pointer.isEmpty() ? "(root)" : pointer) + ": " + message;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "$comment", "title", "description",
            "default", "examples", "deprecated", "readOnly", "writeOnly", "format");
    private static final Set<String> KEYWORDS = Set.of("$ref", "$defs", "allOf", "anyOf", "oneOf", "not", "type",
            "const", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "required", "properties", "additionalProperties", "items", "minItems", "maxItems",
            "uniqueItems");
    private static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean",
            "null");

    private final JsonNode root;
    private final Map<String, Pattern> patterns = new HashMap<>();

    /**
     * @param schema the root schema
     * @throws IllegalArgumentException when it uses a keyword this validator does not implement, a {@code $ref} it
     *                                  cannot resolve, a malformed keyword value or a pattern that does not compile
     */
    public JsonSchemaValidator(JsonNode schema) {
        this.root = schema;
        check(schema, "#");
    }

    /** Reads and checks the schema in {@code file} (e.g. {@code docs/audit-record.schema.json}). */
    public static JsonSchemaValidator load(Path file) throws IOException {
        JsonNode schema = JSON.readTree(file.toFile());
        if (schema == null) {
            throw new IOException(file + ": empty (expected: a JSON Schema)");
        }
        try {
            return new JsonSchemaValidator(schema);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** The root schema. */
    public JsonNode schema() {
        return root;
    }

    /** Every violation of the root schema by {@code instance}; empty when it is valid. */
    public List<Error> validate(JsonNode instance) {
        List<Error> out = new ArrayList<>();
        validate(root, instance, "", out);
        return out;
    }

    /**
     * Every violation of the subschema at {@code ref} ({@code #/$defs/admin}) by {@code instance}.
     *
     * @throws IllegalArgumentException when {@code ref} names nothing in the schema
     */
    public List<Error> validate(JsonNode instance, String ref) {
        List<Error> out = new ArrayList<>();
        validate(resolve(ref, "validate(instance, ref)"), instance, "", out);
        return out;
    }

    /**
     * Throws an {@link AssertionError} listing every violation, if there is any.
     *
     * @param what names the document in the message ({@code "clawgressctl status --json"})
     */
    public void requireValid(JsonNode instance, String what) {
        List<Error> errors = validate(instance);
        if (!errors.isEmpty()) {
            StringBuilder b = new StringBuilder(what).append(": ").append(errors.size())
                    .append(errors.size() == 1 ? " violation" : " violations").append(" of ")
                    .append(root.path("$id").asText(root.path("title").asText("the schema"))).append(':');
            errors.forEach(e -> b.append("\n  ").append(e));
            b.append("\nin: ").append(instance);
            throw new AssertionError(b.toString());
        }
    }

    // ---- checking the schema once ----

    private void check(JsonNode s, String at) {
        if (s.isBoolean()) {
            return;
        }
        if (!s.isObject()) {
            throw new IllegalArgumentException(at + ": a schema must be an object or a boolean, not " + s);
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYWORDS.contains(k) && !ANNOTATIONS.contains(k)) {
                throw new IllegalArgumentException(at + ": keyword '" + k + "' is not supported by this validator"
                        + " (supported: " + String.join(", ", KEYWORDS.stream().sorted().toList()) + ")");
            }
        }
        if (s.has("$ref")) {
            resolve(s.get("$ref").asText(), at);
        }
        if (s.has("type")) {
            JsonNode t = s.get("type");
            for (JsonNode n : t.isArray() ? t : List.of(t)) {
                if (!TYPES.contains(n.asText())) {
                    throw new IllegalArgumentException(at + "/type: " + n + " (expected: one of " + TYPES + ")");
                }
            }
        }
        if (s.has("pattern")) {
            pattern(s.get("pattern").asText(), at);
        }
        if (s.has("enum") && !s.get("enum").isArray()) {
            throw new IllegalArgumentException(at + "/enum: not an array");
        }
        if (s.has("required") && !s.get("required").isArray()) {
            throw new IllegalArgumentException(at + "/required: not an array");
        }
        for (String k : List.of("minLength", "maxLength", "minItems", "maxItems")) {
            if (s.has(k) && !(s.get(k).canConvertToExactIntegral() && s.get(k).asLong() >= 0)) {
                throw new IllegalArgumentException(at + "/" + k + ": " + s.get(k) + " (expected: an integer >= 0)");
            }
        }
        for (String k : List.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")) {
            if (s.has(k) && !s.get(k).isNumber()) {
                throw new IllegalArgumentException(at + "/" + k + ": " + s.get(k) + " (expected: a number)");
            }
        }
        for (String k : List.of("$defs", "properties")) {
            if (s.has(k)) {
                s.get(k).fields().forEachRemaining(e -> check(e.getValue(), at + "/" + k + "/" + escape(e.getKey())));
            }
        }
        for (String k : List.of("allOf", "anyOf", "oneOf")) {
            if (s.has(k)) {
                JsonNode list = s.get(k);
                if (!list.isArray() || list.isEmpty()) {
                    throw new IllegalArgumentException(at + "/" + k + ": expected a non-empty array of schemas");
                }
                for (int i = 0; i < list.size(); i++) {
                    check(list.get(i), at + "/" + k + "/" + i);
                }
            }
        }
        for (String k : List.of("not", "additionalProperties", "items")) {
            if (s.has(k)) {
                check(s.get(k), at + "/" + k);
            }
        }
    }

    private JsonNode resolve(String ref, String at) {
        if (!ref.startsWith("#")) {
            throw new IllegalArgumentException(at + ": $ref " + ref + " (expected: a reference within the schema,"
                    + " such as #/$defs/name)");
        }
        String pointer = ref.substring(1);
        JsonNode target;
        try {
            target = pointer.isEmpty() ? root : root.at(pointer);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + ": $ref " + ref + ": not a JSON pointer", e);
        }
        if (target.isMissingNode()) {
            throw new IllegalArgumentException(at + ": $ref " + ref + " names nothing in the schema");
        }
        return target;
    }

    private Pattern pattern(String regex, String at) {
        synchronized (patterns) {
            Pattern p = patterns.get(regex);
            if (p == null) {
                try {
                    p = Pattern.compile(regex);
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException(at + "/pattern: " + e.getMessage(), e);
                }
                patterns.put(regex, p);
            }
            return p;
        }
    }

    // ---- validating ----

    private void validate(JsonNode s, JsonNode v, String at, List<Error> out) {
        if (s.isBoolean()) {
            if (!s.booleanValue()) {
                out.add(new Error(at, "no value is allowed here (the schema is false)"));
            }
            return;
        }
        if (s.has("$ref")) {
            validate(resolve(s.get("$ref").asText(), at), v, at, out);
        }
        if (s.has("allOf")) {
            for (JsonNode option : s.get("allOf")) {
                validate(option, v, at, out);
            }
        }
        if (s.has("anyOf")) {
            combination(s.get("anyOf"), "anyOf", v, at, out);
        }
        if (s.has("oneOf")) {
            combination(s.get("oneOf"), "oneOf", v, at, out);
        }
        if (s.has("not") && validateQuietly(s.get("not"), v, at).isEmpty()) {
            out.add(new Error(at, "matches the schema under 'not'"));
        }
        if (s.has("type") && !typeMatches(s.get("type"), v)) {
            out.add(new Error(at, kind(v) + " " + brief(v) + " (expected: " + typeNames(s.get("type")) + ")"));
            return; // the other keywords would only say the same again
        }
        if (s.has("const") && !equal(s.get("const"), v)) {
            out.add(new Error(at, brief(v) + " (expected: " + s.get("const") + ")"));
        }
        if (s.has("enum")) {
            boolean any = false;
            for (JsonNode e : s.get("enum")) {
                any |= equal(e, v);
            }
            if (!any) {
                out.add(new Error(at, brief(v) + " (expected: one of " + s.get("enum") + ")"));
            }
        }
        if (v.isTextual()) {
            string(s, v.textValue(), at, out);
        }
        if (v.isNumber()) {
            number(s, v.decimalValue(), at, out);
        }
        if (v.isObject()) {
            object(s, v, at, out);
        }
        if (v.isArray()) {
            array(s, v, at, out);
        }
    }

    /**
     * {@code anyOf} (at least one) or {@code oneOf} (exactly one). When none matches, the errors of the closest one:
     * the one with the fewest, not counting those whose {@code type} the value does not even have.
     */
    private void combination(JsonNode options, String keyword, JsonNode v, String at, List<Error> out) {
        List<Integer> passing = new ArrayList<>();
        List<Error> closest = null;
        int closestIndex = -1;
        long closestScore = Long.MAX_VALUE;
        for (int i = 0; i < options.size(); i++) {
            List<Error> e = validateQuietly(options.get(i), v, at);
            if (e.isEmpty()) {
                passing.add(i);
                continue;
            }
            long score = e.size() + (ownTypeMatches(options.get(i), v, at) ? 0 : 1_000_000L);
            if (score < closestScore) {
                closest = e;
                closestIndex = i;
                closestScore = score;
            }
        }
        if (passing.isEmpty()) {
            JsonNode option = options.get(closestIndex);
            String name = option.has("$ref") ? option.get("$ref").asText() : keyword + "/" + closestIndex;
            out.add(new Error(at, "matches none of the " + options.size() + " schemas of " + keyword
                    + "; the closest, " + name + ", says:"));
            out.addAll(closest);
        } else if (keyword.equals("oneOf") && passing.size() > 1) {
            out.add(new Error(at, "matches " + passing.size() + " schemas of oneOf, " + passing
                    + " (expected: exactly one)"));
        }
    }

    /** Whether {@code v} has the {@code type} the schema (or the schema its $ref names) asks for, if any. */
    private boolean ownTypeMatches(JsonNode s, JsonNode v, String at) {
        for (int hops = 0; hops < 16 && s.isObject() && !s.has("type") && s.has("$ref"); hops++) {
            s = resolve(s.get("$ref").asText(), at);
        }
        return !s.isObject() || !s.has("type") || typeMatches(s.get("type"), v);
    }

    private List<Error> validateQuietly(JsonNode s, JsonNode v, String at) {
        List<Error> e = new ArrayList<>();
        validate(s, v, at, e);
        return e;
    }

    private void string(JsonNode s, String text, String at, List<Error> out) {
        int length = text.codePointCount(0, text.length());
        if (s.has("minLength") && length < s.get("minLength").asLong()) {
            out.add(new Error(at, "string of " + length + " characters (expected: at least " + s.get("minLength")
                    + ")"));
        }
        if (s.has("maxLength") && length > s.get("maxLength").asLong()) {
            out.add(new Error(at, "string of " + length + " characters (expected: at most " + s.get("maxLength")
                    + ")"));
        }
        if (s.has("pattern") && !pattern(s.get("pattern").asText(), at).matcher(text).find()) {
            out.add(new Error(at, brief(JSON.getNodeFactory().textNode(text)) + " (expected: to match "
                    + s.get("pattern").asText() + ")"));
        }
    }

    private static void number(JsonNode s, BigDecimal n, String at, List<Error> out) {
        if (s.has("minimum") && n.compareTo(s.get("minimum").decimalValue()) < 0) {
            out.add(new Error(at, n.toPlainString() + " (expected: >= " + s.get("minimum") + ")"));
        }
        if (s.has("maximum") && n.compareTo(s.get("maximum").decimalValue()) > 0) {
            out.add(new Error(at, n.toPlainString() + " (expected: <= " + s.get("maximum") + ")"));
        }
        if (s.has("exclusiveMinimum") && n.compareTo(s.get("exclusiveMinimum").decimalValue()) <= 0) {
            out.add(new Error(at, n.toPlainString() + " (expected: > " + s.get("exclusiveMinimum") + ")"));
        }
        if (s.has("exclusiveMaximum") && n.compareTo(s.get("exclusiveMaximum").decimalValue()) >= 0) {
            out.add(new Error(at, n.toPlainString() + " (expected: < " + s.get("exclusiveMaximum") + ")"));
        }
    }

    private void object(JsonNode s, JsonNode v, String at, List<Error> out) {
        if (s.has("required")) {
            for (JsonNode r : s.get("required")) {
                if (!v.has(r.asText())) {
                    out.add(new Error(at, "missing member '" + r.asText() + "'"));
                }
            }
        }
        JsonNode props = s.get("properties");
        JsonNode additional = s.get("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String member = at + "/" + escape(f.getKey());
            if (props != null && props.has(f.getKey())) {
                validate(props.get(f.getKey()), f.getValue(), member, out);
            } else if (additional != null) {
                if (additional.isBoolean() && !additional.booleanValue()) {
                    out.add(new Error(at, "unexpected member '" + f.getKey() + "' (expected only: "
                            + (props == null ? "none" : String.join(", ", fieldNames(props))) + ")"));
                } else {
                    validate(additional, f.getValue(), member, out);
                }
            }
        }
    }

    private void array(JsonNode s, JsonNode v, String at, List<Error> out) {
        if (s.has("minItems") && v.size() < s.get("minItems").asLong()) {
            out.add(new Error(at, "array of " + v.size() + " (expected: at least " + s.get("minItems") + ")"));
        }
        if (s.has("maxItems") && v.size() > s.get("maxItems").asLong()) {
            out.add(new Error(at, "array of " + v.size() + " (expected: at most " + s.get("maxItems") + ")"));
        }
        if (s.path("uniqueItems").asBoolean(false)) {
            for (int i = 0; i < v.size(); i++) {
                for (int j = i + 1; j < v.size(); j++) {
                    if (equal(v.get(i), v.get(j))) {
                        out.add(new Error(at, "elements " + i + " and " + j + " are equal (expected: unique items)"));
                    }
                }
            }
        }
        if (s.has("items")) {
            for (int i = 0; i < v.size(); i++) {
                validate(s.get("items"), v.get(i), at + "/" + i, out);
            }
        }
    }

    private static boolean typeMatches(JsonNode type, JsonNode v) {
        for (JsonNode t : type.isArray() ? type : List.of(type)) {
            if (typeMatches(t.asText(), v)) {
                return true;
            }
        }
        return false;
    }

    private static boolean typeMatches(String type, JsonNode v) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            // 2020-12: any number with a zero fractional part is an integer
            case "integer" -> v.isIntegralNumber() || v.isNumber() && isWhole(v.decimalValue());
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> throw new IllegalStateException("type " + type); // refused when the schema was checked
        };
    }

    private static boolean isWhole(BigDecimal d) {
        return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
    }

    /** JSON equality: numbers by value, objects regardless of member order. */
    static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                JsonNode other = b.get(f.getKey());
                if (other == null || !equal(f.getValue(), other)) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!equal(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    private static String typeNames(JsonNode type) {
        return type.isArray() ? String.join(" or ", fieldValues(type)) : type.asText();
    }

    private static List<String> fieldValues(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case OBJECT, POJO -> "object";
            case ARRAY -> "array";
            case STRING -> "string";
            case NUMBER -> v.isIntegralNumber() ? "integer" : "number";
            case BOOLEAN -> "boolean";
            case NULL -> "null";
            default -> v.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /** The value as JSON, cut to a readable length. */
    private static String brief(JsonNode v) {
        String s = v.toString();
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** RFC 6901 §3: '~' is written "~0" and '/' is written "~1" in a reference token. */
    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }
}
