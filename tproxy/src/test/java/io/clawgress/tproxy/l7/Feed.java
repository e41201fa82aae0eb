package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Feeds bytes to a framer in direct buffers, whole or split, releasing each buffer after its feed. */
final class Feed {

    private Feed() {
    }

    /** The string's chars as bytes 0x00-0xFF (ISO-8859-1), so tests can write any byte as a char. */
    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static void whole(Http1Framer<?> framer, byte[] bytes) {
        piece(framer, bytes, 0, bytes.length);
    }

    /**
     * One byte per {@code feed}: the bytes arrive one at a time at the end of one direct buffer (as in a cumulation
     * buffer), which is released at the end; the framer never reads past what has arrived.
     */
    static void byteByByte(Http1Framer<?> framer, byte[] bytes) {
        ByteBuf buf = Unpooled.directBuffer(Math.max(bytes.length, 1)).writeBytes(bytes);
        try {
            for (int i = 0; i < bytes.length && !framer.isRefused(); i++) {
                int unread = buf.readerIndex();
                buf.writerIndex(i + 1);
                if (unread != i) {
                    throw new AssertionError("the framer left bytes unread at " + unread + " of " + i);
                }
                framer.feed(buf);
            }
        } finally {
            buf.release();
        }
    }

    static void randomSplits(Http1Framer<?> framer, byte[] bytes, long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < bytes.length && !framer.isRefused(); ) {
            int n = Math.min(bytes.length - i, 1 + random.nextInt(64));
            piece(framer, bytes, i, n);
            i += n;
        }
    }

    /** In pieces of {@code size} bytes. */
    static void pieces(Http1Framer<?> framer, byte[] bytes, int size) {
        for (int i = 0; i < bytes.length && !framer.isRefused(); i += size) {
            piece(framer, bytes, i, Math.min(size, bytes.length - i));
        }
    }

    static void piece(Http1Framer<?> framer, byte[] bytes, int from, int length) {
        ByteBuf buf = Unpooled.directBuffer(Math.max(length, 1)).writeBytes(bytes, from, length);
        try {
            framer.feed(buf);
        } finally {
            buf.release();
        }
    }

    enum Mode {
        WHOLE, BYTE_BY_BYTE, RANDOM_SPLITS;

        void feed(Http1Framer<?> framer, byte[] bytes) {
            switch (this) {
                case WHOLE -> whole(framer, bytes);
                case BYTE_BY_BYTE -> byteByByte(framer, bytes);
                case RANDOM_SPLITS -> randomSplits(framer, bytes, 42);
            }
        }
    }
}
