package io.clawgress.enforcement.flowlog;

import java.util.Objects;

/**
 * Where flow records go until the audit log exists.
 *
 * @param path          a file to append JSON lines to, or {@code -} for standard output
 * @param queueCapacity records that may wait for the writer thread; more are counted as dropped
 */
public record FlowLogSettings(String path, int queueCapacity) {

    public static final String STDOUT = "-";
    public static final int DEFAULT_QUEUE_CAPACITY = 65_536;

    public FlowLogSettings {
        Objects.requireNonNull(path, "path");
        if (path.isBlank()) {
            throw new IllegalArgumentException("path: '' (expected: a file path or '-' for stdout)");
        }
        if (queueCapacity < 16 || queueCapacity > 16_777_216) {
            throw new IllegalArgumentException("queueCapacity: " + queueCapacity + " (expected: 16..16777216)");
        }
    }
}
