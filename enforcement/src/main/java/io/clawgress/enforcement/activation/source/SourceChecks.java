package io.clawgress.enforcement.activation.source;

import io.clawgress.enforcement.bundle.Limits;
import org.slf4j.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/** Checks and the offer step shared by the sources. */
final class SourceChecks {

    private SourceChecks() {
    }

    static long maxBytes(long maxBytes) {
        if (maxBytes <= 0 || maxBytes > Limits.CEILING) {
            throw new IllegalArgumentException(
                    "maxBytes: " + maxBytes + " (expected: > 0 and <= " + Limits.CEILING + ")");
        }
        return maxBytes;
    }

    static Duration positive(String name, Duration value, Duration min) {
        if (value == null || value.compareTo(min) < 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
        }
        return value;
    }

    /**
     * Offers on the calling (source) thread and logs it. A throwing sink is logged, never rethrown: false is returned
     * and the caller counts it.
     */
    static boolean offer(BundleSink sink, BundleCandidate candidate, Logger log, LongAdder offered) {
        try {
            sink.offer(candidate);
        } catch (RuntimeException e) {
            log.error("bundle sink threw on candidate from {}; candidate dropped", candidate.source(), e);
            return false;
        }
        offered.increment();
        log.info("bundle candidate offered: source={} bytes={} sha256={}", candidate.source(),
                candidate.bytes().length, candidate.sha256Hex().substring(0, BundleCandidate.SHA256_PREFIX_CHARS));
        return true;
    }
}
