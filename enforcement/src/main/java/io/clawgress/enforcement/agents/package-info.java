/**
 * The agent registry: which agents exist and whether each is active
 * ({@link io.clawgress.enforcement.agents.AgentRegistry}, an LMDB environment at {@code state_dir/agents.lmdb/}), and
 * the immutable {@link io.clawgress.enforcement.agents.AgentDirectory} the data path looks agents up in without locks.
 *
 * <p>Threads: the registry is disk I/O and is never touched from an event loop. {@code clawgressctl agent ...} writes
 * it from another process; the daemon notices through {@link io.clawgress.enforcement.agents.AgentDirectoryWatcher},
 * which polls the registry's generation on its own thread and publishes a new directory when it changes.
 */
package io.clawgress.enforcement.agents;
