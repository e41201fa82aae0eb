package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The JSON Canonicalization Scheme, RFC 8785 (JCS): what an audit record's {@code hash} is computed over. UTF-8; no
 * whitespace between tokens; object members sorted by their names compared as UTF-16 code units (§3.2.3), at every
 * level; strings escaped as ECMAScript's {@code JSON.stringify} does (§3.2.2.2): {@code \"}, {@code \\},
 * {@code \b \f \n \r \t}, other U+0000..U+001F as <code>&#92;u00xx</code> (lower-case hex), a lone surrogate as
 * <code>&#92;udxxx</code>, everything else (U+007F and all non-ASCII included) as its UTF-8 bytes; numbers as
 * ECMAScript's {@code Number.prototype.toString} writes the IEEE 754 double they denote (§3.2.2.3): {@code 0} for
 * zero and {@code -0}, plain digits up to 10^21, shortest round-trip digits, exponent form ({@code 1e+21},
 * {@code 1e-7}) outside [10^-6, 10^21). Any JCS library (Python {@code jcs}, Go {@code gowebpki/jcs}, JavaScript
 * {@code canonicalize}) reproduces these bytes; docs/audit.md spells the rule out with an example.
 */
public final class CanonicalJson {

    /** 2^53: integers up to this are exact doubles, and ECMAScript writes them as plain digits. */
    private static final long MAX_SAFE = 1L << 53;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private CanonicalJson() {
    }

    /** The canonical UTF-8 bytes of {@code node}. */
    public static byte[] bytes(JsonNode node) {
        ByteSink out = new ByteSink(256);
        write(node, out);
        return out.toByteArray();
    }

    static void write(JsonNode node, ByteSink out) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                out.write('{');
                boolean first = true;
                for (String name : sortedNames(node)) {
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    writeString(name, out);
                    out.write(':');
                    write(node.get(name), out);
                }
                out.write('}');
            }
            case ARRAY -> {
                out.write('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.write(',');
                    }
                    write(node.get(i), out);
                }
                out.write(']');
            }
            case STRING -> writeString(node.textValue(), out);
            case NUMBER -> {
                long v = node.longValue();
                if (node.isIntegralNumber() && node.canConvertToLong() && v >= -MAX_SAFE && v <= MAX_SAFE) {
                    out.writeAscii(Long.toString(v)); // what ECMAScript writes for these, without the detour
                } else {
                    out.writeAscii(number(node.doubleValue()));
                }
            }
            case BOOLEAN -> out.writeAscii(node.booleanValue() ? "true" : "false");
            case NULL -> out.writeAscii("null");
            case BINARY, MISSING, POJO -> throw new IllegalArgumentException("not JSON data: " + node.getNodeType());
        }
    }

    /** Member names in RFC 8785 §3.2.3 order: {@link String#compareTo} compares UTF-16 code units. */
    static List<String> sortedNames(JsonNode object) {
        List<String> names = new ArrayList<>(object.size());
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        names.sort(null);
        return names;
    }

    /** RFC 8785 §3.2.2.2. */
    static void writeString(String s, ByteSink out) {
        int n = s.length();
        // Fast path: printable ASCII that needs no escape is copied as is.
        out.ensure(n + 2);
        byte[] b = out.buf;
        int p = out.size;
        b[p++] = '"';
        int i = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                break;
            }
            b[p++] = (byte) c;
        }
        out.size = p;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80) {
                if (c == '"' || c == '\\') {
                    out.write('\\');
                }
                out.write(c);
            } else if (c < 0x20) {
                switch (c) {
                    case '\b' -> out.writeAscii("\\b");
                    case '\f' -> out.writeAscii("\\f");
                    case '\n' -> out.writeAscii("\\n");
                    case '\r' -> out.writeAscii("\\r");
                    case '\t' -> out.writeAscii("\\t");
                    default -> escape(c, out);
                }
            } else if (c < 0x800) {
                out.write(0xc0 | c >> 6);
                out.write(0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out.write(0xf0 | cp >> 18);
                out.write(0x80 | cp >> 12 & 0x3f);
                out.write(0x80 | cp >> 6 & 0x3f);
                out.write(0x80 | cp & 0x3f);
            } else if (Character.isSurrogate(c)) {
                escape(c, out); // a lone surrogate has no UTF-8 form: JSON.stringify escapes it
            } else {
                out.write(0xe0 | c >> 12);
                out.write(0x80 | c >> 6 & 0x3f);
                out.write(0x80 | c & 0x3f);
            }
        }
        out.write('"');
    }

    private static void escape(char c, ByteSink out) {
        out.write('\\');
        out.write('u');
        out.write(HEX[c >> 12 & 0xf]);
        out.write(HEX[c >> 8 & 0xf]);
        out.write(HEX[c >> 4 & 0xf]);
        out.write(HEX[c & 0xf]);
    }

    /**
     * ECMAScript Number::toString (ECMA-262 §6.1.6.1.20) of {@code d}, as RFC 8785 §3.2.2.3 requires. Since JDK 19
     * {@link Double#toString} yields the shortest digits that round-trip, closest to {@code d} among those: the same
     * digits ECMAScript picks; only their layout differs.
     */
    static String number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("number: " + d + " (expected: finite; RFC 8785 §3.2.2.3)");
        }
        if (d == 0) {
            return "0";
        }
        if (d < 0) {
            return "-" + number(-d);
        }
        BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        if (shortest.precision() == 2) {
            shortest = oneDigit(d, shortest);
        }
        String digits = shortest.unscaledValue().toString();
        int k = digits.length();
        int n = k - shortest.scale(); // d = 0.digits x 10^n
        if (k <= n && n <= 21) {
            return digits + "0".repeat(n - k);
        }
        if (0 < n && n <= 21) {
            return digits.substring(0, n) + "." + digits.substring(n);
        }
        if (-6 < n && n <= 0) {
            return "0." + "0".repeat(-n) + digits;
        }
        int e = n - 1;
        String exponent = (e < 0 ? "e-" : "e+") + Math.abs(e);
        return k == 1 ? digits + exponent : digits.charAt(0) + "." + digits.substring(1) + exponent;
    }

    /**
     * Java keeps two digits where one round-trips but two are closer ({@code 4.9E-324}); ECMAScript takes the shortest
     * ({@code 5e-324}): the one-digit decimal nearest {@code d} that rounds back to it, if there is one.
     */
    private static BigDecimal oneDigit(double d, BigDecimal twoDigits) {
        BigDecimal exact = new BigDecimal(d);
        BigDecimal best = twoDigits;
        BigDecimal bestDistance = null;
        for (RoundingMode mode : new RoundingMode[] {RoundingMode.FLOOR, RoundingMode.CEILING}) {
            BigDecimal candidate = twoDigits.round(new MathContext(1, mode));
            if (candidate.doubleValue() == d) {
                BigDecimal distance = candidate.subtract(exact).abs();
                // ECMA-262 Number::toString: the closest; on a tie, the even one.
                int closer = bestDistance == null ? -1 : distance.compareTo(bestDistance);
                if (closer < 0 || closer == 0 && !candidate.unscaledValue().testBit(0)) {
                    best = candidate.stripTrailingZeros();
                    bestDistance = distance;
                }
            }
        }
        return best;
    }

    /** A growable byte array (no synchronisation, unlike ByteArrayOutputStream). */
    static final class ByteSink {
        private byte[] buf;
        private int size;

        ByteSink(int capacity) {
            buf = new byte[capacity];
        }

        void write(int b) {
            if (size == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            buf[size++] = (byte) b;
        }

        /** Makes room for {@code n} more bytes. */
        void ensure(int n) {
            if (size + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
            }
        }

        void writeAscii(String s) {
            for (int i = 0; i < s.length(); i++) {
                write(s.charAt(i));
            }
        }

        void write(byte[] b, int off, int len) {
            if (size + len > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + len));
            }
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        int size() {
            return size;
        }

        byte[] array() {
            return buf;
        }

        void reset() {
            size = 0;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, size);
        }
    }
}
