package io.clawgress.testing.peer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * An endless, deterministic stream of pseudo-random bytes from a seed: the same seed gives the same bytes however
 * the reads are split. Generated in 64 KiB chunks (eight bytes per {@link SplittableRandom#nextLong()}), so a
 * gigabyte costs well under a second.
 */
public final class PatternStream {

    static final int CHUNK = 64 * 1024;

    private final SplittableRandom random;
    private final byte[] chunk = new byte[CHUNK];
    private final ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    private int position = CHUNK;

    public PatternStream(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** Fills {@code dst[off, off + len)} with the next bytes of the stream. */
    public void next(byte[] dst, int off, int len) {
        while (len > 0) {
            if (position == CHUNK) {
                refill();
            }
            int n = Math.min(len, CHUNK - position);
            System.arraycopy(chunk, position, dst, off, n);
            position += n;
            off += n;
            len -= n;
        }
    }

    private void refill() {
        view.clear();
        for (int i = 0; i < CHUNK / Long.BYTES; i++) {
            view.putLong(random.nextLong());
        }
        position = 0;
    }
}
