package io.clawgress.enforcement.store;

import io.clawgress.enforcement.store.StoreException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;

/**
 * The byte layouts of keys and values. Keys are 8-byte big-endian longs, so LMDB's default memcmp order is numeric
 * order. Values start with a format byte and are decoded strictly: a wrong length, a truncated field, bad UTF-8 or a
 * trailing byte is {@link Reason#CORRUPT}, naming the value.
 *
 * <pre>
 * meta    = format:u8=1 seq:i64 activatedAtSecond:i64 activatedAtNano:i32 byteCount:i64 sha256:str kid:str source:str
 * history = format:u8=1 atSecond:i64 atNano:i32 revision:i64 result:str source:str kid:str? reasonCode:str?
 *           message:str?
 * str     = length:i32 (-1 for null) utf8:u8[length]
 * </pre>
 */
final class Codec {

    private static final byte FORMAT = 1;

    /** What the store keeps beside a bundle's bytes; {@code seq} orders generations by activation. */
    record Meta(long seq, Instant activatedAt, long byteCount, String sha256, String kid, String source) {
    }

    private Codec() {
    }

    static byte[] longBytes(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }

    static long decodeLong(byte[] bytes, String what) throws StoreException {
        if (bytes.length != Long.BYTES) {
            throw corrupt(what, bytes.length + " bytes (expected: " + Long.BYTES + ")");
        }
        return ByteBuffer.wrap(bytes).getLong();
    }

    static byte[] encodeMeta(Meta meta) {
        byte[] sha = utf8(meta.sha256());
        byte[] kid = utf8(meta.kid());
        byte[] source = utf8(meta.source());
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 4 + 8 + 3 * 4 + sha.length + kid.length + source.length);
        b.put(FORMAT).putLong(meta.seq()).putLong(meta.activatedAt().getEpochSecond())
                .putInt(meta.activatedAt().getNano()).putLong(meta.byteCount());
        putString(b, sha);
        putString(b, kid);
        putString(b, source);
        return b.array();
    }

    static Meta decodeMeta(String what, byte[] value) throws StoreException {
        Reader r = new Reader(what, value);
        r.format();
        long seq = r.longValue("seq");
        Instant activatedAt = r.instant("activatedAt");
        long byteCount = r.longValue("byteCount");
        String sha256 = r.string("sha256", false);
        String kid = r.string("kid", false);
        String source = r.string("source", false);
        r.end();
        if (byteCount < 1 || byteCount > Integer.MAX_VALUE) {
            throw corrupt(what, "byteCount " + byteCount + " (expected: >= 1 and <= " + Integer.MAX_VALUE + ")");
        }
        return new Meta(seq, activatedAt, byteCount, sha256, kid, source);
    }

    static byte[] encodeHistory(HistoryEntry e) {
        byte[] result = utf8(e.result());
        byte[] source = utf8(e.source());
        byte[] kid = utf8(e.kid());
        byte[] reasonCode = utf8(e.reasonCode());
        byte[] message = utf8(e.message());
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 + 8 + 5 * 4 + length(result) + length(source) + length(kid)
                + length(reasonCode) + length(message));
        b.put(FORMAT).putLong(e.at().getEpochSecond()).putInt(e.at().getNano()).putLong(e.revision());
        putString(b, result);
        putString(b, source);
        putString(b, kid);
        putString(b, reasonCode);
        putString(b, message);
        return b.array();
    }

    static HistoryEntry decodeHistory(String what, byte[] value) throws StoreException {
        Reader r = new Reader(what, value);
        r.format();
        Instant at = r.instant("at");
        long revision = r.longValue("revision");
        String result = r.string("result", false);
        String source = r.string("source", false);
        String kid = r.string("kid", true);
        String reasonCode = r.string("reasonCode", true);
        String message = r.string("message", true);
        r.end();
        try {
            return new HistoryEntry(at, source, kid, revision, result, reasonCode, message);
        } catch (IllegalArgumentException e) {
            throw corrupt(what, e.getMessage());
        }
    }

    static StoreException corrupt(String what, String detail) {
        return new StoreException(Reason.CORRUPT, what + ": " + detail);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static int length(byte[] b) {
        return b == null ? 0 : b.length;
    }

    private static void putString(ByteBuffer b, byte[] s) {
        if (s == null) {
            b.putInt(-1);
        } else {
            b.putInt(s.length).put(s);
        }
    }

    /** Bounds-checked reads over one value; every failure names the value and the field. */
    private static final class Reader {
        private final String what;
        private final ByteBuffer b;

        Reader(String what, byte[] value) {
            this.what = what;
            this.b = ByteBuffer.wrap(value);
        }

        void format() throws StoreException {
            need(1, "format");
            byte format = b.get();
            if (format != FORMAT) {
                throw corrupt(what, "format " + format + " (expected: " + FORMAT + ")");
            }
        }

        long longValue(String field) throws StoreException {
            need(Long.BYTES, field);
            return b.getLong();
        }

        Instant instant(String field) throws StoreException {
            long seconds = longValue(field);
            need(Integer.BYTES, field);
            int nanos = b.getInt();
            try {
                if (nanos < 0 || nanos > 999_999_999) {
                    throw new DateTimeException("nanos " + nanos);
                }
                return Instant.ofEpochSecond(seconds, nanos);
            } catch (DateTimeException e) {
                throw corrupt(what, field + ": " + e.getMessage() + " (expected: an instant)");
            }
        }

        String string(String field, boolean nullable) throws StoreException {
            need(Integer.BYTES, field);
            int length = b.getInt();
            if (length == -1 && nullable) {
                return null;
            }
            if (length < 0 || length > b.remaining()) {
                throw corrupt(what, field + ": length " + length + " with " + b.remaining()
                        + " bytes left (expected: >= 0 and <= bytes left" + (nullable ? ", or -1 for null" : "") + ")");
            }
            ByteBuffer slice = b.slice(b.position(), length);
            b.position(b.position() + length);
            try {
                return StandardCharsets.UTF_8.newDecoder().decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw corrupt(what, field + ": not UTF-8 (" + e + ")");
            }
        }

        void end() throws StoreException {
            if (b.hasRemaining()) {
                throw corrupt(what, b.remaining() + " trailing bytes (expected: none)");
            }
        }

        private void need(int n, String field) throws StoreException {
            if (b.remaining() < n) {
                throw corrupt(what, field + ": truncated, " + b.remaining() + " bytes left (expected: " + n + ")");
            }
        }
    }
}
