/**
 * Real TCP peers (servers and clients) for end-to-end tests, run as separate JVMs inside network namespaces; see
 * {@link io.clawgress.testing.peer.Peer} for the subcommands and their JSON event lines.
 */
package io.clawgress.testing.peer;
