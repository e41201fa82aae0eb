package io.clawgress.enforcement.store;

import io.clawgress.enforcement.codec.ValueReader;
import io.clawgress.enforcement.codec.ValueWriter;
import io.clawgress.enforcement.store.StoreException.Reason;

import java.nio.ByteBuffer;
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
        return ValueWriter.longBytes(value);
    }

    static long decodeLong(byte[] bytes, String what) throws StoreException {
        if (bytes.length != Long.BYTES) {
            throw corrupt(what, bytes.length + " bytes (expected: " + Long.BYTES + ")");
        }
        return ByteBuffer.wrap(bytes).getLong();
    }

    static byte[] encodeMeta(Meta meta) {
        byte[] sha = ValueWriter.utf8(meta.sha256());
        byte[] kid = ValueWriter.utf8(meta.kid());
        byte[] source = ValueWriter.utf8(meta.source());
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + ValueWriter.INSTANT_BYTES + 8 + ValueWriter.stringBytes(sha)
                + ValueWriter.stringBytes(kid) + ValueWriter.stringBytes(source));
        b.put(FORMAT).putLong(meta.seq());
        ValueWriter.putInstant(b, meta.activatedAt());
        b.putLong(meta.byteCount());
        ValueWriter.putString(b, sha);
        ValueWriter.putString(b, kid);
        ValueWriter.putString(b, source);
        return b.array();
    }

    static Meta decodeMeta(String what, byte[] value) throws StoreException {
        Meta meta;
        try {
            ValueReader r = new ValueReader(value);
            r.format(FORMAT);
            long seq = r.longValue("seq");
            Instant activatedAt = r.instant("activatedAt");
            long byteCount = r.longValue("byteCount");
            String sha256 = r.string("sha256", false);
            String kid = r.string("kid", false);
            String source = r.string("source", false);
            r.end();
            meta = new Meta(seq, activatedAt, byteCount, sha256, kid, source);
        } catch (ValueReader.Malformed e) {
            throw corrupt(what, e.getMessage());
        }
        if (meta.byteCount() < 1 || meta.byteCount() > Integer.MAX_VALUE) {
            throw corrupt(what, "byteCount " + meta.byteCount() + " (expected: >= 1 and <= " + Integer.MAX_VALUE
                    + ")");
        }
        return meta;
    }

    static byte[] encodeHistory(HistoryEntry e) {
        byte[][] strings = {ValueWriter.utf8(e.result()), ValueWriter.utf8(e.source()), ValueWriter.utf8(e.kid()),
                ValueWriter.utf8(e.reasonCode()), ValueWriter.utf8(e.message())};
        int size = 1 + ValueWriter.INSTANT_BYTES + 8;
        for (byte[] s : strings) {
            size += ValueWriter.stringBytes(s);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(FORMAT);
        ValueWriter.putInstant(b, e.at());
        b.putLong(e.revision());
        for (byte[] s : strings) {
            ValueWriter.putString(b, s);
        }
        return b.array();
    }

    static HistoryEntry decodeHistory(String what, byte[] value) throws StoreException {
        try {
            ValueReader r = new ValueReader(value);
            r.format(FORMAT);
            Instant at = r.instant("at");
            long revision = r.longValue("revision");
            String result = r.string("result", false);
            String source = r.string("source", false);
            String kid = r.string("kid", true);
            String reasonCode = r.string("reasonCode", true);
            String message = r.string("message", true);
            r.end();
            return new HistoryEntry(at, source, kid, revision, result, reasonCode, message);
        } catch (ValueReader.Malformed | IllegalArgumentException e) {
            throw corrupt(what, e.getMessage());
        }
    }

    static StoreException corrupt(String what, String detail) {
        return new StoreException(Reason.CORRUPT, what + ": " + detail);
    }
}
