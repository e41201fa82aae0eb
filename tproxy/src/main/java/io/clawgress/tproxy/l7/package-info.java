/**
 * HTTP/1.1 framing for the L7 gate (DESIGN.md §3 6b): strict push parsers for requests and responses on keep-alive
 * connections ({@link io.clawgress.tproxy.l7.Http1RequestFramer}, {@link io.clawgress.tproxy.l7.Http1ResponseFramer}),
 * a writer that re-serialises checked request heads without the identity header
 * ({@link io.clawgress.tproxy.l7.RequestHeadWriter}, {@link io.clawgress.tproxy.l7.ChunkedWriter}), and the JSON
 * denials the gate answers with ({@link io.clawgress.tproxy.l7.DenialResponse}). No Netty handlers here: the caller
 * puts the framers into its pipeline. The rules and every refusal code are in {@code docs/http-gate.md}.
 */
package io.clawgress.tproxy.l7;
