package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Re-serialises a {@link RequestHead} for the upstream: the checked request line, then the field lines in their
 * original order and name case as {@code name: value} with CRLF, minus the removed names (compared ignoring ASCII
 * case: the gate strips {@code Proxy-Authorization} once it verified the token), plus the added fields, then the
 * empty line. Since every line is rebuilt from checked parts, the upstream sees one canonical form of what the
 * framer accepted.
 *
 * <p>Neither a removed nor an added field can change the framing or the routing: {@code Content-Length},
 * {@code Transfer-Encoding} and {@code Host} can be neither removed nor added, and added fields are checked tokens
 * and field values (no CR, LF or other control bytes), so nothing can be injected. Built once from configuration;
 * immutable, so any thread may use it.
 */
public final class RequestHeadWriter {

    /** Names (lower case) that decide framing or routing: never removed, never added. */
    public static final Set<String> PROTECTED = Set.of("content-length", "transfer-encoding", "host");

    static final String[] NONE = new String[0];
    private static final byte[] COLON_SP = {':', ' '};

    private final String[] removed;
    private final byte[][] addedLines;
    private final int addedLength;

    /**
     * @param removedNames field names to drop, any case (e.g. {@code Proxy-Authorization})
     * @param added        fields appended after the kept ones, in this order
     */
    public RequestHeadWriter(Collection<String> removedNames, List<Field> added) {
        removed = new String[removedNames.size()];
        int i = 0;
        for (String name : removedNames) {
            String lower = checkName(name, "removedNames");
            removed[i++] = lower;
        }
        addedLines = new byte[added.size()][];
        int length = 0;
        for (int j = 0; j < added.size(); j++) {
            Field f = added.get(j);
            addedLines[j] = (f.name() + ": " + f.value() + "\r\n").getBytes(StandardCharsets.US_ASCII);
            length += addedLines[j].length;
        }
        addedLength = length;
    }

    /** A writer that removes these names and adds nothing. */
    public static RequestHeadWriter removing(String... names) {
        return new RequestHeadWriter(List.of(names), List.of());
    }

    /**
     * A field to add: a token name other than the {@link #PROTECTED} ones and a value of visible ASCII, SP and HTAB,
     * without leading or trailing whitespace (RFC 9110 §5.1, §5.5).
     */
    public record Field(String name, String value) {
        public Field {
            checkName(name, "name");
            if (value == null) {
                throw new IllegalArgumentException("value: null (expected: a field value)");
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c != '\t' && (c < 0x20 || c >= 0x7f)) {
                    throw new IllegalArgumentException("value: " + HttpSyntax.quote(value.getBytes(
                            StandardCharsets.ISO_8859_1), 0, value.length()) + " (expected: visible ASCII, SP and "
                            + "HTAB only, RFC 9110 §5.5)");
                }
            }
            if (!value.isEmpty() && (HttpSyntax.isOws((byte) value.charAt(0))
                    || HttpSyntax.isOws((byte) value.charAt(value.length() - 1)))) {
                throw new IllegalArgumentException("value: \"" + value + "\" (expected: no leading or trailing "
                        + "whitespace)");
            }
        }
    }

    private static String checkName(String name, String what) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(what + ": " + name + " (expected: a field name)");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 256 || !HttpSyntax.TCHAR[c]) {
                throw new IllegalArgumentException(what + ": \"" + name + "\" (expected: a token, RFC 9110 §5.1)");
            }
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (PROTECTED.contains(lower)) {
            throw new IllegalArgumentException(what + ": " + name + " (expected: not one of " + PROTECTED
                    + ": they decide framing and routing)");
        }
        return lower;
    }

    /** The bytes {@link #write(RequestHead, ByteBuf)} writes. */
    public int encodedLength(RequestHead head) {
        HttpFields f = head.fields();
        int length = head.requestLineEnd() + 2 + addedLength + 2;
        for (int i = 0; i < f.size(); i++) {
            if (!isRemoved(f, i, removed)) {
                length += f.nameEnd(i) - f.nameStart(i) + 2 + f.valueEnd(i) - f.valueStart(i) + 2;
            }
        }
        return length;
    }

    /** Writes the head into {@code out}, which the caller owns. */
    public void write(RequestHead head, ByteBuf out) {
        out.writeBytes(head.bytes(), 0, head.requestLineEnd());
        out.writeByte('\r').writeByte('\n');
        writeFields(head.fields(), removed, out);
        for (byte[] line : addedLines) {
            out.writeBytes(line);
        }
        out.writeByte('\r').writeByte('\n');
    }

    /** The head in a new buffer of exactly its size from {@code alloc}; the caller owns (and releases) it. */
    public ByteBuf write(RequestHead head, ByteBufAllocator alloc) {
        int length = encodedLength(head);
        ByteBuf out = alloc.buffer(length, length);
        try {
            write(head, out);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /**
     * Ends a chunked request body: the last chunk, the trailer fields minus the removed names (an identity header
     * in a trailer is stripped like one in the head), and the final CRLF.
     */
    public void writeLastChunk(HttpFields trailers, ByteBuf out) {
        out.writeByte('0').writeByte('\r').writeByte('\n');
        writeFields(trailers, removed, out);
        out.writeByte('\r').writeByte('\n');
    }

    static void writeFields(HttpFields f, String[] removed, ByteBuf out) {
        byte[] b = f.bytes();
        for (int i = 0; i < f.size(); i++) {
            if (isRemoved(f, i, removed)) {
                continue;
            }
            out.writeBytes(b, f.nameStart(i), f.nameEnd(i) - f.nameStart(i));
            out.writeBytes(COLON_SP);
            out.writeBytes(b, f.valueStart(i), f.valueEnd(i) - f.valueStart(i));
            out.writeByte('\r').writeByte('\n');
        }
    }

    private static boolean isRemoved(HttpFields f, int i, String[] removed) {
        for (String name : removed) {
            if (f.isNamed(i, name)) {
                return true;
            }
        }
        return false;
    }
}
