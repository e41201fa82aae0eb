package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Writes chunked framing (RFC 9112 §7.1) around body parts the framers emit, so that a chunked body is forwarded
 * in a canonical form: lower-case hex sizes without leading zeros, no chunk extensions, CRLF only. Whatever loose
 * but accepted form the sender used, the next hop sees one reading. Stateless; any thread.
 */
public final class ChunkedWriter {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n'};

    private ChunkedWriter() {
    }

    /** {@code size} in hex and CRLF, before {@code size} bytes of chunk data; {@code size} must be > 0. */
    public static void writeChunkHeader(long size, ByteBuf out) {
        if (size <= 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: > 0; the last chunk is "
                    + "writeLastChunk)");
        }
        int digits = (64 - Long.numberOfLeadingZeros(size) + 3) / 4;
        for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
            out.writeByte(HEX[(int) (size >>> shift) & 0xf]);
        }
        out.writeByte('\r').writeByte('\n');
    }

    /** The CRLF after chunk data. */
    public static void writeChunkEnd(ByteBuf out) {
        out.writeByte('\r').writeByte('\n');
    }

    /** The last chunk, the trailer fields (all of them) and the final CRLF. */
    public static void writeLastChunk(HttpFields trailers, ByteBuf out) {
        out.writeBytes(LAST_CHUNK);
        RequestHeadWriter.writeFields(trailers, RequestHeadWriter.NONE, out);
        out.writeByte('\r').writeByte('\n');
    }
}
