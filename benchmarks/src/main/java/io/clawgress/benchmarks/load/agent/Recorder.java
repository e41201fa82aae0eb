package io.clawgress.benchmarks.load.agent;

import org.HdrHistogram.Histogram;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What one event loop measured in a run: response latencies (from the intended send time) in a window, errors by
 * kind, and how late the pacer was (the generator's own health). Touched only on its event loop; merged at the end.
 */
final class Recorder {

    static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(120);

    final Histogram latency = new Histogram(MAX_NANOS, 3);
    final Histogram lateness = new Histogram(MAX_NANOS, 3);
    final Map<String, Long> errors = new TreeMap<>();
    long windowStart;
    long windowEnd;
    long responses;
    long non2xx;
    long bodyBytes;
    long sent;
    long connectionsOpened;

    Recorder(long windowStart, long windowEnd) {
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
    }

    boolean inWindow(long intendedNanos) {
        return intendedNanos >= windowStart && intendedNanos < windowEnd;
    }

    void response(long intendedNanos, long now, int status, long bytes) {
        if (!inWindow(intendedNanos)) {
            return;
        }
        latency.recordValue(Math.min(Math.max(now - intendedNanos, 0), MAX_NANOS));
        responses++;
        bodyBytes += bytes;
        if (status < 200 || status > 299) {
            non2xx++;
            error("http_" + status);
        }
    }

    /** A request in the window that got no response: counted as an error, never as a latency. */
    void failed(long intendedNanos, String kind) {
        if (inWindow(intendedNanos)) {
            error(kind);
        }
    }

    void late(long intendedNanos, long now) {
        if (inWindow(intendedNanos)) {
            lateness.recordValue(Math.min(Math.max(now - intendedNanos, 0), MAX_NANOS));
            sent++;
        }
    }

    void error(String kind) {
        errors.merge(kind, 1L, Long::sum);
    }

    void addTo(Recorder total) {
        total.latency.add(latency);
        total.lateness.add(lateness);
        errors.forEach((k, v) -> total.errors.merge(k, v, Long::sum));
        total.responses += responses;
        total.non2xx += non2xx;
        total.bodyBytes += bodyBytes;
        total.sent += sent;
        total.connectionsOpened += connectionsOpened;
    }

    long errorCount() {
        long n = 0;
        for (long v : errors.values()) {
            n += v;
        }
        return n;
    }
}
