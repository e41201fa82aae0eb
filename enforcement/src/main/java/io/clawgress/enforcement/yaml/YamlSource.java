package io.clawgress.enforcement.yaml;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.reader.ReaderException;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The safe steps from untrusted bytes to a YAML node tree, shared by the config loader and the policy parser: a
 * bounded read, strict UTF-8, the byte order mark, and SnakeYAML's compose API only (a node tree with positions,
 * never constructed objects) with duplicate keys, aliases, nesting and code points bounded and tags refused.
 * Problems become {@link YamlError}s with the position SnakeYAML reported. Blocking I/O in {@link #readBounded}:
 * never call it on an event loop.
 */
public final class YamlSource {

    /** Larger inputs are refused. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    /** Aliases of lists or mappings per file; bounds the work an alias bomb can cause. */
    public static final int MAX_COLLECTION_ALIASES = 50;
    public static final int MAX_NESTING_DEPTH = 32;

    private static final String GLOBAL_TAG = "Global tag is not allowed: ";

    private YamlSource() {
    }

    /**
     * Reads at most {@link #MAX_FILE_BYTES} from {@code in}; bounded even after a size check, since the file may be a
     * pipe or grow between check and read.
     *
     * @throws YamlException when there are more bytes than that
     */
    public static byte[] readBounded(InputStream in, String name) throws IOException, YamlException {
        byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        if (bytes.length > MAX_FILE_BYTES) {
            throw new YamlException(List.of(new YamlError(name, 0, 0, "", "more than " + MAX_FILE_BYTES
                    + " bytes (expected: at most " + MAX_FILE_BYTES + " bytes)")));
        }
        return bytes;
    }

    /**
     * Strict UTF-8: a stray Latin-1 byte is reported at its line and column, not turned into U+FFFD.
     *
     * @throws YamlException naming the first invalid byte
     */
    public static String decode(byte[] bytes, String name) throws YamlException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            int lineStart = 0;
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            String before = new String(bytes, lineStart, offset - lineStart, StandardCharsets.UTF_8);
            int column = before.codePointCount(0, before.length()) + 1;
            String found = String.format("byte 0x%02X", bytes[offset] & 0xFF);
            throw new YamlException(List.of(new YamlError(name, line, column, "",
                    "invalid UTF-8: " + found + " (expected: a UTF-8 text file)")));
        }
        return out.flip().toString();
    }

    /** {@code text} without a leading byte order mark. */
    public static String stripBom(String text) {
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /**
     * Composes a single document; a problem is recorded in {@code r}, with a character YAML does not allow reported
     * at its line and column.
     *
     * @return the root node, or {@code null} when the text holds no document or a problem was recorded
     */
    public static Node compose(String text, YamlNodeReader r) {
        List<Node> docs = compose(text, r, false);
        return docs.isEmpty() ? null : docs.get(0);
    }

    /**
     * Composes every document ({@code ---} separated), skipping empty ones; a problem is recorded in {@code r} and
     * yields no documents.
     */
    public static List<Node> composeAll(String text, YamlNodeReader r) {
        return compose(text, r, true);
    }

    private static List<Node> compose(String text, YamlNodeReader r, boolean all) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false); // compose() does not check this; YamlNodeReader.fields does, with lines
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(MAX_COLLECTION_ALIASES);
        options.setNestingDepthLimit(MAX_NESTING_DEPTH);
        options.setCodePointLimit(MAX_FILE_BYTES);
        options.setMergeOnCompose(false);
        options.setProcessComments(false);
        options.setTagInspector(tag -> false);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        List<Node> docs = new ArrayList<>();
        try {
            if (all) {
                for (Node n : yaml.composeAll(new StringReader(text))) {
                    if (n != null) {
                        docs.add(n);
                    }
                }
            } else {
                Node n = yaml.compose(new StringReader(text));
                if (n != null) {
                    docs.add(n);
                }
            }
            return docs;
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = oneLine(e.getProblem());
            String message;
            if (problem.startsWith(GLOBAL_TAG)) {
                String tag = problem.substring(GLOBAL_TAG.length());
                message = "tag " + YamlNodeReader.showTag(tag) + " is not allowed (expected: "
                        + YamlNodeReader.NO_TAGS + ")";
            } else {
                String context = e.getContext() == null ? "" : oneLine(e.getContext());
                message = "invalid YAML: " + problem + (context.startsWith("expected") ? " (" + context + ")" : "");
            }
            r.error(mark, "", message);
        } catch (ReaderException e) {
            if (all) {
                r.error((Mark) null, "", String.format("character U+%04X at position %d is not allowed (expected:"
                        + " printable text)", e.getCodePoint(), e.getPosition()));
            } else {
                int[] lineColumn = lineColumn(text, e.getPosition());
                r.error(lineColumn[0], lineColumn[1], "",
                        String.format("character U+%04X is not allowed (expected: printable text)", e.getCodePoint()));
            }
        } catch (YAMLException e) {
            String message = oneLine(e.getMessage());
            if (message.startsWith("Number of aliases")) {
                message = "too many aliases (expected: at most " + MAX_COLLECTION_ALIASES
                        + " aliases of lists or mappings)";
            } else if (message.startsWith("Nesting Depth exceeded")) {
                message = "lists and mappings nested too deep (expected: at most " + MAX_NESTING_DEPTH + " levels)";
            } else {
                message = "invalid YAML: " + message;
            }
            r.error((Mark) null, "", message);
        }
        return List.of();
    }

    /** 1-based line and column of code point {@code position} (SnakeYAML reports reader errors that way). */
    private static int[] lineColumn(String text, int position) {
        int line = 1;
        int column = 1;
        int cps = 0;
        for (int i = 0; i < text.length() && cps < position; cps++) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new int[] {line, column};
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }
}
