package io.clawgress.testing.peer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;

/** The bulk transfer loops: pattern bytes out, everything in, both hashed and counted as they go. */
final class Streams {

    private static final int BUF = 64 * 1024;

    private Streams() {
    }

    /** Writes the next {@code n} bytes of {@code pattern}, adding each to {@code digest} and {@code sent}. */
    static void writePattern(OutputStream out, PatternStream pattern, long n, MessageDigest digest, AtomicLong sent)
            throws IOException {
        byte[] buf = new byte[BUF];
        while (n > 0) {
            int len = (int) Math.min(buf.length, n);
            pattern.next(buf, 0, len);
            out.write(buf, 0, len);
            digest.update(buf, 0, len);
            sent.addAndGet(len);
            n -= len;
        }
        out.flush();
    }

    /** Reads to EOF, adding each byte to {@code digest} and {@code received}; returns on EOF, throws otherwise. */
    static void readToEof(InputStream in, MessageDigest digest, AtomicLong received) throws IOException {
        byte[] buf = new byte[BUF];
        for (int n; (n = in.read(buf)) >= 0; ) {
            digest.update(buf, 0, n);
            received.addAndGet(n);
        }
    }
}
