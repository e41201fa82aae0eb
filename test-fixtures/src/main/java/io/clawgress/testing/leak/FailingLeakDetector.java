package io.clawgress.testing.leak;

import io.netty.util.ResourceLeakDetector;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A Netty leak detector that remembers every leak it reports, so {@link NettyLeakExtension} can fail the test.
 * Installed with {@code -Dio.netty.customResourceLeakDetector=io.clawgress.testing.leak.FailingLeakDetector}
 * (the parent POM's test argLine); Netty instantiates it reflectively through one of these constructors.
 */
public final class FailingLeakDetector<T> extends ResourceLeakDetector<T> {

    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static volatile boolean installed;

    public FailingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        this(resourceType, samplingInterval);
    }

    @SuppressWarnings("deprecation")
    public FailingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval, Long.MAX_VALUE);
        installed = true;
    }

    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LEAKS.add("LEAK of " + resourceType + ":" + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LEAKS.add("LEAK of " + resourceType + " (untraced)");
        super.reportUntracedLeak(resourceType);
    }

    /** Whether Netty created at least one detector of this class in this JVM. */
    static boolean installed() {
        return installed;
    }

    /** Removes and returns the leaks reported so far. */
    static List<String> drain() {
        List<String> out = new java.util.ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            out.add(leak);
        }
        return out;
    }
}
