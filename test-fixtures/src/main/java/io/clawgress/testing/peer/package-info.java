/**
 * Real peers (TCP, TLS and DNS servers; TCP clients) for end-to-end tests, run as separate JVMs inside network
 * namespaces; see {@link io.clawgress.testing.peer.Peer} for the subcommands and their JSON event lines.
 */
package io.clawgress.testing.peer;
