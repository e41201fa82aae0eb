/**
 * The gateway's certificate authorities (DESIGN.md §3 6b, §4; issue 5).
 *
 * <ul>
 *   <li>{@link io.clawgress.intercept.ca.InterceptCa}: the intercept root, generated once in
 *       {@code state_dir/intercept-ca/} and exported for agents to trust ({@code clawgressctl ca export}).</li>
 *   <li>{@link io.clawgress.intercept.ca.Intermediate}: a short-lived CA whose X.509 nameConstraints permit only the
 *       names the active bundle intercepts; its key lives only in memory.
 *       {@link io.clawgress.intercept.ca.InterceptIssuer} re-issues it when those names change or at half life.</li>
 *   <li>{@link io.clawgress.intercept.ca.LeafMinter}: one leaf per SNI, minted off the event loop and cached.</li>
 *   <li>{@link io.clawgress.intercept.ca.AgentCertIssuer} and {@link io.clawgress.intercept.ca.AgentIdentities}: the
 *       agents' CA, its client certificates, and the agent id a presented client certificate proves.</li>
 * </ul>
 *
 * <p>BouncyCastle builds the certificates and parses PEM; keys, signatures and path validation use the JDK's
 * providers. BouncyCastle is never registered as a JCA provider. The on-disk layout and the name-constraint mapping
 * are documented in {@code docs/intercept-ca.md}.
 */
package io.clawgress.intercept.ca;
