package io.clawgress.enforcement.yaml;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed values out of a composed YAML node tree (never constructed into Java objects), strictly, and collects
 * every problem with the position of the node it is about. One instance per load; not thread-safe.
 *
 * <p>Typed reads return {@code null} (or the caller's default) after recording an error, so one pass reports all
 * problems; callers build records only when {@link #errorCount()} did not grow.
 */
public final class YamlNodeReader {

    /** The YAML 1.1 types; anything else (local {@code !foo}, global {@code !!java.lang.Object}) is refused. */
    public static final Set<Tag> STANDARD_TAGS = Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP,
            Tag.BINARY, Tag.MAP, Tag.SEQ, Tag.SET, Tag.OMAP, Tag.PAIRS, Tag.MERGE);

    public static final String NO_TAGS = "plain YAML values without tags";

    private static final int MAX_ERRORS = 100;
    private static final int MAX_SHOWN_CHARS = 60;
    // YAML 1.1 also reads 017 (octal), 0x1F, 1_000 and 1:30 (base 60) as integers; we take plain decimal only.
    private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

    private final String file;
    private final List<YamlError> errors = new ArrayList<>();

    public YamlNodeReader(String file) {
        this.file = file;
    }

    public String file() {
        return file;
    }

    public int errorCount() {
        return errors.size();
    }

    /** The errors recorded so far, in the order found. */
    public List<YamlError> errors() {
        return errors;
    }

    public void error(Node at, String keyPath, String message) {
        Mark m = at == null ? null : at.getStartMark();
        error(m, keyPath, message);
    }

    public void error(Mark m, String keyPath, String message) {
        int line = m == null ? 0 : m.getLine() + 1;
        int column = m == null ? 0 : m.getColumn() + 1;
        errors.add(new YamlError(file, line, column, keyPath, message));
    }

    /** Records an error at a position known only as 1-based line and column. */
    void error(int line, int column, String keyPath, String message) {
        errors.add(new YamlError(file, line, column, keyPath, message));
    }

    /** Records "{found} (expected: {expected})" at {@code at}. */
    public void invalid(Node at, String keyPath, String expected) {
        error(at, keyPath, describe(at) + " (expected: " + expected + ")");
    }

    /** All errors so far, sorted by position (problems without a position first), at most {@value #MAX_ERRORS}. */
    public YamlException exception() {
        return new YamlException(sortedErrors());
    }

    /** All errors so far, sorted and capped as for {@link #exception()}. */
    public List<YamlError> sortedErrors() {
        List<YamlError> sorted = new ArrayList<>(errors);
        sorted.sort(Comparator.comparingInt(YamlError::line).thenComparingInt(YamlError::column));
        if (sorted.size() > MAX_ERRORS) {
            int more = sorted.size() - MAX_ERRORS;
            sorted = new ArrayList<>(sorted.subList(0, MAX_ERRORS));
            sorted.add(new YamlError(file, 0, 0, "", "... and " + more + " more errors (fix the ones above first)"));
        }
        return sorted;
    }

    // ---- structure -------------------------------------------------------------------------------------------

    /**
     * Refuses every non-standard tag anywhere in the tree, keys included. Visits each node once, so aliases cannot
     * make this walk expensive.
     */
    public void checkTags(Node root) {
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        Deque<Map.Entry<Node, String>> todo = new ArrayDeque<>();
        todo.push(Map.entry(root, ""));
        while (!todo.isEmpty()) {
            Map.Entry<Node, String> e = todo.pop();
            Node node = e.getKey();
            String path = e.getValue();
            if (seen.put(node, Boolean.TRUE) != null) {
                continue;
            }
            if (!STANDARD_TAGS.contains(node.getTag())) {
                error(node, path, "tag " + showTag(node.getTag().getValue()) + " is not allowed (expected: "
                        + NO_TAGS + ")");
            }
            if (node instanceof MappingNode m) {
                for (NodeTuple t : m.getValue()) {
                    todo.push(Map.entry(t.getKeyNode(), path));
                    String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : "?";
                    todo.push(Map.entry(t.getValueNode(), child(path, key)));
                }
            } else if (node instanceof SequenceNode s) {
                List<Node> items = s.getValue();
                for (int i = 0; i < items.size(); i++) {
                    todo.push(Map.entry(items.get(i), index(path, i)));
                }
            }
        }
    }

    /** A mapping with only the given keys; {@code null} (error recorded) when {@code node} is not a mapping. */
    public Fields fields(Node node, String path, String expected, List<String> keys) {
        if (!(node instanceof MappingNode m) || !Tag.MAP.equals(node.getTag())) {
            invalid(node, path, expected);
            return null;
        }
        Map<String, NodeTuple> byKey = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode ks)) {
                error(k, path, describe(k) + " as a key (expected one of: " + String.join(", ", keys) + ")");
                continue;
            }
            String key = ks.getValue();
            if (Tag.MERGE.equals(k.getTag())) {
                error(k, path, "merge key '<<' is not supported (expected: the keys written out)");
            } else if (!keys.contains(key)) {
                error(k, path, "unknown key " + quote(key) + " (expected one of: " + String.join(", ", keys)
                        + suggestion(key, keys) + ")");
            } else if (byKey.containsKey(key)) {
                Mark first = byKey.get(key).getKeyNode().getStartMark();
                error(k, path, "duplicate key " + quote(key) + " (expected: each key once; first at line "
                        + (first.getLine() + 1) + ")");
            } else {
                byKey.put(key, t);
            }
        }
        return new Fields(this, node, path, byKey);
    }

    /** The items of a list; {@code null} (error recorded) when {@code node} is not a list. */
    public List<Node> list(Node node, String path, String expected) {
        if (!(node instanceof SequenceNode s) || !Tag.SEQ.equals(node.getTag())) {
            invalid(node, path, expected);
            return null;
        }
        return s.getValue();
    }

    // ---- scalars ---------------------------------------------------------------------------------------------

    /**
     * A plain decimal YAML integer in {@code min..max}. A quoted number is a string, not an integer: the schema
     * says what a value is, so {@code port: "15001"} is refused rather than guessed at.
     */
    public Integer integer(Node node, String path, int min, int max) {
        String expected = max == Integer.MAX_VALUE ? "an integer >= " + min : "an integer " + min + ".." + max;
        if (!(node instanceof ScalarNode s)) {
            invalid(node, path, expected);
            return null;
        }
        String text = s.getValue();
        if (Tag.STR.equals(s.getTag())) {
            boolean numeric = DECIMAL.matcher(text.trim()).matches();
            invalid(node, path, numeric ? expected + ", without quotes" : expected);
            return null;
        }
        if (!Tag.INT.equals(s.getTag())) {
            invalid(node, path, expected);
            return null;
        }
        if (!DECIMAL.matcher(text).matches()) {
            invalid(node, path, "a decimal " + expected.substring("an ".length()));
            return null;
        }
        long value = text.length() > 12 ? (text.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE)
                : Long.parseLong(text);
        if (value < min || value > max) {
            invalid(node, path, expected);
            return null;
        }
        return (int) value;
    }

    /** {@code true} or {@code false}, nothing else: YAML 1.1 would also read yes/no/on/off as booleans. */
    public Boolean bool(Node node, String path) {
        if (node instanceof ScalarNode s && Tag.BOOL.equals(s.getTag())) {
            if (s.getValue().equals("true")) {
                return Boolean.TRUE;
            }
            if (s.getValue().equals("false")) {
                return Boolean.FALSE;
            }
        }
        invalid(node, path, "true or false");
        return null;
    }

    /**
     * The text of a scalar. Plain scalars that YAML would resolve to a number, boolean or date (an agent called
     * {@code 007}, an environment called {@code no}) are taken as written, so nothing is converted behind the
     * operator's back; null, lists and mappings are refused.
     */
    public String string(Node node, String path, String expected) {
        if (node instanceof ScalarNode s) {
            Tag tag = s.getTag();
            if (Tag.STR.equals(tag) || Tag.INT.equals(tag) || Tag.FLOAT.equals(tag) || Tag.BOOL.equals(tag)
                    || Tag.TIMESTAMP.equals(tag)) {
                return s.getValue();
            }
        }
        invalid(node, path, expected);
        return null;
    }

    /** One of the codes in {@code choices} (case-sensitive). */
    public <E> E choice(Node node, String path, Map<String, E> choices) {
        String expected = "one of: " + String.join(", ", choices.keySet());
        String text = string(node, path, expected);
        if (text == null) {
            return null;
        }
        E value = choices.get(text);
        if (value == null) {
            invalid(node, path, expected);
        }
        return value;
    }

    /** An integer and a unit (ms, s, m or h) in {@code min..max}; a bare number is refused: which unit? */
    public Duration duration(Node node, String path, Duration min, Duration max) {
        String expected = "a duration " + format(min) + ".." + format(max)
                + ": an integer and a unit ms, s, m or h, e.g. 250ms, 5s, 2m";
        Matcher m = node instanceof ScalarNode s && Tag.STR.equals(s.getTag())
                ? DURATION.matcher(s.getValue()) : null;
        if (m == null || !m.matches()) {
            invalid(node, path, expected);
            return null;
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> throw new IllegalStateException("unit: " + m.group(2));
        };
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            invalid(node, path, expected);
            return null;
        }
        return d;
    }

    // ---- rendering -------------------------------------------------------------------------------------------

    /** How a node is shown in a message: strings quoted, other scalars as written, collections by kind. */
    public static String describe(Node node) {
        if (node == null) {
            return "nothing";
        }
        if (node instanceof MappingNode m) {
            return m.getValue().isEmpty() ? "{}" : "a mapping";
        }
        if (node instanceof SequenceNode s) {
            return s.getValue().isEmpty() ? "[]" : "a list";
        }
        ScalarNode scalar = (ScalarNode) node;
        if (Tag.NULL.equals(scalar.getTag())) {
            return scalar.getValue().isEmpty() ? "an empty value" : scalar.getValue();
        }
        return Tag.STR.equals(scalar.getTag()) ? quote(scalar.getValue()) : escape(scalar.getValue());
    }

    public static String quote(String text) {
        return "'" + escape(text) + "'";
    }

    /** Control characters escaped and long text cut, so a message always fits on one line of a terminal. */
    public static String escape(String text) {
        StringBuilder b = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (shown++ == MAX_SHOWN_CHARS) {
                b.append("...");
                break;
            }
            switch (cp) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\'' -> b.append("\\'");
                case '\\' -> b.append("\\\\");
                default -> {
                    int type = Character.getType(cp);
                    if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                            || type == Character.PARAGRAPH_SEPARATOR) {
                        b.append(String.format("\\u%04X", cp));
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
        }
        return b.toString();
    }

    /** {@code tag:yaml.org,2002:java.lang.Object} is shown as the operator wrote it: {@code !!java.lang.Object}. */
    public static String showTag(String tag) {
        if (tag.startsWith(Tag.PREFIX)) {
            return "'!!" + escape(tag.substring(Tag.PREFIX.length())) + "'";
        }
        return tag.startsWith("!") ? quote(tag) : "'!<" + escape(tag) + ">'";
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    public static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    /** "; did you mean 'port'?" for a near miss (case, dash for underscore, or at most two edits), else "". */
    public static String suggestion(String key, List<String> keys) {
        String best = null;
        int bestDistance = 3;
        for (String k : keys) {
            int d = k.equalsIgnoreCase(key.replace('-', '_')) ? 0 : distance(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best == null ? "" : "; did you mean '" + best + "'?";
    }

    private static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 2 || a.length() > 64) {
            return Integer.MAX_VALUE;
        }
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /**
     * The keys of one mapping, already checked against the schema. Reads return the caller's default when the key
     * is absent, and the default after recording an error when the value is wrong.
     */
    public static final class Fields {

        private final YamlNodeReader reader;
        private final Node node;
        private final String path;
        private final Map<String, NodeTuple> byKey;

        private Fields(YamlNodeReader reader, Node node, String path, Map<String, NodeTuple> byKey) {
            this.reader = reader;
            this.node = node;
            this.path = path;
            this.byKey = byKey;
        }

        /** No keys at all, placed at {@code at} (for an absent or broken section: every read gives its default). */
        public static Fields empty(YamlNodeReader reader, Node at, String path) {
            return new Fields(reader, at, path, Collections.emptyMap());
        }

        /** This mapping (or, for an absent section, the node it would be in): where section-wide errors point. */
        public Node node() {
            return node;
        }

        public String path() {
            return path;
        }

        /** The value node, or {@code null} when the key is absent. */
        public Node get(String key) {
            NodeTuple t = byKey.get(key);
            return t == null ? null : t.getValueNode();
        }

        /** The value node when present, else this mapping: where to point an error about {@code key}. */
        public Node at(String key) {
            Node v = get(key);
            return v != null ? v : node;
        }

        public String pathOf(String key) {
            return child(path, key);
        }

        /** The value node; records "missing" at this mapping and returns {@code null} when the key is absent. */
        public Node required(String key, String expected) {
            Node v = get(key);
            if (v == null) {
                reader.error(node, pathOf(key), "missing (expected: " + expected + ")");
            }
            return v;
        }

        /** A nested mapping; empty when absent or wrong (the latter recorded). */
        public Fields section(String key, List<String> keys) {
            Node v = get(key);
            if (v == null) {
                return empty(reader, node, pathOf(key));
            }
            Fields f = reader.fields(v, pathOf(key), "a mapping with keys: " + String.join(", ", keys), keys);
            return f != null ? f : empty(reader, v, pathOf(key));
        }

        /** A list's items, or {@code null} when the key is absent or the value is not a list (recorded). */
        public List<Node> list(String key, String expected) {
            Node v = get(key);
            return v == null ? null : reader.list(v, pathOf(key), expected);
        }

        public int integer(String key, int min, int max, int dflt) {
            Node v = get(key);
            Integer i = v == null ? null : reader.integer(v, pathOf(key), min, max);
            return i != null ? i : dflt;
        }

        public boolean bool(String key, boolean dflt) {
            Node v = get(key);
            Boolean b = v == null ? null : reader.bool(v, pathOf(key));
            return b != null ? b : dflt;
        }

        public String string(String key, String expected, String dflt) {
            Node v = get(key);
            String s = v == null ? null : reader.string(v, pathOf(key), expected);
            return s != null ? s : dflt;
        }

        public <E> E choice(String key, Map<String, E> choices, E dflt) {
            Node v = get(key);
            E e = v == null ? null : reader.choice(v, pathOf(key), choices);
            return e != null ? e : dflt;
        }

        public Duration duration(String key, Duration min, Duration max, Duration dflt) {
            Node v = get(key);
            Duration d = v == null ? null : reader.duration(v, pathOf(key), min, max);
            return d != null ? d : dflt;
        }
    }
}
