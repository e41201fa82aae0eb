package io.clawgress.enforcement.activation.source;

/**
 * Where sources hand candidates; implemented by the activator. Called on the source's own thread (never an event
 * loop); an implementation must not block long: it queues and returns. An exception thrown here is logged and counted
 * by the source, which carries on.
 */
@FunctionalInterface
public interface BundleSink {

    void offer(BundleCandidate candidate);
}
