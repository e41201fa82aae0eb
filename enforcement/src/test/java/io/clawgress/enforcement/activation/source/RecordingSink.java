package io.clawgress.enforcement.activation.source;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every candidate offered; safe to read from the test thread while a source thread offers. */
final class RecordingSink implements BundleSink {

    final List<BundleCandidate> offered = new CopyOnWriteArrayList<>();

    @Override
    public void offer(BundleCandidate candidate) {
        offered.add(candidate);
    }

    int size() {
        return offered.size();
    }

    List<String> contents() {
        return offered.stream().map(c -> new String(c.bytes(), StandardCharsets.UTF_8)).toList();
    }
}
