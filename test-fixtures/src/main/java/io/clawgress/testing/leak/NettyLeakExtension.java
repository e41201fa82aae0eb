package io.clawgress.testing.leak;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * Fails a test when Netty reports a leaked buffer during it. Auto-registered (service loader) in every module
 * that has the test fixtures on its test classpath; the parent POM turns autodetection on.
 *
 * <p>Only direct and pooled buffers are tracked, so tests that should catch leaks allocate direct buffers.
 *
 * <p>After each test (and more thoroughly after each class) it collects garbage and allocates a few tracked
 * buffers, which makes the detector poll its reference queue and report leaks of buffers that became unreachable
 * without {@code release()}.
 */
public final class NettyLeakExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            throw new IllegalStateException("Netty leak detection level is " + ResourceLeakDetector.getLevel()
                    + " (expected: PARANOID; run tests through Maven, whose argLine sets it)");
        }
    }

    /** Cheap: one GC and a poll of the detectors; catches most leaks and names the test that made them. */
    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        check(context, 1);
    }

    /** Thorough: several GC rounds, so a leak that surfaced late still fails (the class, at least). */
    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        check(context, 5);
    }

    private static void check(ExtensionContext context, int rounds) throws InterruptedException {
        List<String> leaks = collectLeaks(rounds);
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) during "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }

    /** Forces leak reporting and returns the leaks reported since the last call. */
    public static List<String> collectLeaks() throws InterruptedException {
        return collectLeaks(5);
    }

    private static List<String> collectLeaks(int rounds) throws InterruptedException {
        if (!FailingLeakDetector.installed()) {
            touchDetectors();
        }
        if (!FailingLeakDetector.installed()) {
            throw new IllegalStateException("FailingLeakDetector is not installed (expected: "
                    + "-Dio.netty.customResourceLeakDetector=" + FailingLeakDetector.class.getName() + ")");
        }
        for (int i = 0; i < rounds; i++) {
            System.gc();
            Thread.sleep(5); // the reference handler thread enqueues collected buffers' trackers
            touchDetectors();
        }
        return FailingLeakDetector.drain();
    }

    private static void touchDetectors() {
        // Direct buffers: Netty 4.2 does not leak-track unpooled heap buffers (the GC reclaims them anyway).
        ByteBuf unpooled = Unpooled.directBuffer(1);
        unpooled.release();
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(1);
        pooled.release();
    }
}
