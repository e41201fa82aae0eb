/**
 * The last-known-good store: signed bundles by revision, the active pointer, the last N generations and the
 * activation history, in LMDB ({@link io.clawgress.enforcement.store.PolicyStore}). Reads from any thread; writes
 * from the activation executor only, never from an event loop.
 */
package io.clawgress.enforcement.store;
