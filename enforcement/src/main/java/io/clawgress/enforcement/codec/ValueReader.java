package io.clawgress.enforcement.codec;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;

/**
 * Bounds-checked reads over one stored value (the LMDB stores' records): fixed-size fields, instants as seconds and
 * nanoseconds, and strings as a 4-byte length (-1 for null) and strict UTF-8. Every failure says which field and
 * what was expected; the stores wrap it into their own "corrupt" error naming the record. Not thread-safe: one
 * reader per value.
 */
public final class ValueReader {

    /** The value does not have the layout it should; the message names the field. */
    public static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private final ByteBuffer b;

    public ValueReader(byte[] value) {
        this.b = ByteBuffer.wrap(value);
    }

    /** The leading format byte, which must be {@code expected}. */
    public void format(byte expected) throws Malformed {
        byte format = byteValue("format");
        if (format != expected) {
            throw new Malformed("format " + format + " (expected: " + expected + ")");
        }
    }

    public byte byteValue(String field) throws Malformed {
        need(1, field);
        return b.get();
    }

    public long longValue(String field) throws Malformed {
        need(Long.BYTES, field);
        return b.getLong();
    }

    /** Epoch seconds (8 bytes) and nanoseconds (4 bytes, 0..999,999,999). */
    public Instant instant(String field) throws Malformed {
        need(Long.BYTES + Integer.BYTES, field);
        long seconds = b.getLong();
        int nanos = b.getInt();
        try {
            if (nanos < 0 || nanos > 999_999_999) {
                throw new DateTimeException("nanos " + nanos);
            }
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (DateTimeException e) {
            throw new Malformed(field + ": " + e.getMessage() + " (expected: an instant)");
        }
    }

    /** A length-prefixed UTF-8 string; length -1 is null, allowed only when {@code nullable}. */
    public String string(String field, boolean nullable) throws Malformed {
        need(Integer.BYTES, field);
        int length = b.getInt();
        if (length == -1 && nullable) {
            return null;
        }
        if (length < 0 || length > b.remaining()) {
            throw new Malformed(field + ": length " + length + " with " + b.remaining()
                    + " bytes left (expected: >= 0 and <= bytes left" + (nullable ? ", or -1 for null" : "") + ")");
        }
        ByteBuffer slice = b.slice(b.position(), length);
        b.position(b.position() + length);
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed(field + ": not UTF-8 (" + e + ")");
        }
    }

    /** Nothing may follow the last field. */
    public void end() throws Malformed {
        if (b.hasRemaining()) {
            throw new Malformed(b.remaining() + " trailing bytes (expected: none)");
        }
    }

    private void need(int n, String field) throws Malformed {
        if (b.remaining() < n) {
            throw new Malformed(field + ": truncated, " + b.remaining() + " bytes left (expected: " + n + ")");
        }
    }
}
