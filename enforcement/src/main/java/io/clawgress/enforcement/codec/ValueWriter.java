package io.clawgress.enforcement.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** The writing side of {@link ValueReader}'s layouts. */
public final class ValueWriter {

    /** Bytes of an instant: epoch seconds and nanoseconds. */
    public static final int INSTANT_BYTES = Long.BYTES + Integer.BYTES;

    private ValueWriter() {
    }

    /** UTF-8 bytes, or null for null. */
    public static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Bytes {@link #putString} writes for {@code s}. */
    public static int stringBytes(byte[] s) {
        return Integer.BYTES + (s == null ? 0 : s.length);
    }

    /** A 4-byte length (-1 for null) and the bytes. */
    public static void putString(ByteBuffer b, byte[] s) {
        if (s == null) {
            b.putInt(-1);
        } else {
            b.putInt(s.length).put(s);
        }
    }

    public static void putInstant(ByteBuffer b, Instant t) {
        b.putLong(t.getEpochSecond()).putInt(t.getNano());
    }

    /** An 8-byte big-endian long (LMDB state values). */
    public static byte[] longBytes(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }
}
