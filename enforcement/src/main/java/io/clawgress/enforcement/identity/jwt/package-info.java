/**
 * Agent identity from an injected JWT (DESIGN.md §4, issue 5): the key sets a bundle carries
 * ({@link io.clawgress.enforcement.identity.jwt.JwtKeySet}), the gateway's settings
 * ({@link io.clawgress.enforcement.identity.jwt.JwtSettings}), the verifier with its cache of verified tokens
 * ({@link io.clawgress.enforcement.identity.jwt.JwtVerifier}) and a minter for sites without an identity provider
 * ({@link io.clawgress.enforcement.identity.jwt.JwtMinter}). See {@code docs/jwt-identity.md}.
 *
 * <p>Everything here is immutable or thread-safe. {@code JwtVerifier.verify} runs on event loops and never blocks;
 * parsing key sets and minting run on the activation executor or in the CLI.
 */
package io.clawgress.enforcement.identity.jwt;
