/**
 * Where candidate policy bundles come from: a configured file ({@link
 * io.clawgress.enforcement.activation.source.BundleFileSource}), a drop directory ({@link
 * io.clawgress.enforcement.activation.source.DropDirectorySource}) and an HTTPS URL ({@link
 * io.clawgress.enforcement.activation.source.BundleUrlSource}). Each hands the bytes, unverified, to a {@link
 * io.clawgress.enforcement.activation.source.BundleSink}; verification and activation happen behind it.
 *
 * <p>Every source caps what it reads (32 MiB by default, the bundle reader's compressed limit), never runs on an
 * event loop, and never lets bad input out of its thread as an exception: it logs at INFO what it offered (source,
 * size, SHA-256 prefix) and at WARN what it refused and why, and counts both.
 *
 * <p>Threads and lifecycle: the file source has no thread (it reads on the caller's); the drop directory and URL
 * sources own one daemon thread each, started by {@code start()}. Close the sources before whatever owns the sink;
 * {@code close()} waits up to a few seconds for an offer in progress to finish.
 */
package io.clawgress.enforcement.activation.source;
