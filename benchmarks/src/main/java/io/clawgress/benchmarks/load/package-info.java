/**
 * The release load benchmark (issue 9, DESIGN.md §8): an open-loop load generator and the systems it compares, run
 * side by side through the end-to-end topology (agent, gateway and upstream network namespaces, real TPROXY rules).
 *
 * <ul>
 *   <li>{@link io.clawgress.benchmarks.load.Bench}: the orchestrator. Builds the topology, starts the upstream server,
 *       the load agent and every system under test in the gateway namespace, points the TPROXY rule at each system
 *       in turn (or removes it: {@code direct}), runs the scenarios interleaved, and writes the report.
 *   <li>{@link io.clawgress.benchmarks.load.agent.LoadAgent}: the generator, in the agent namespace. Constant arrival
 *       rate, latency measured from each request's intended send time (no coordinated omission), HdrHistogram,
 *       Netty epoll: a couple of event loops, no thread per connection.
 *   <li>{@link io.clawgress.benchmarks.load.server.BenchServer}: the upstream HTTPS server, in the upstream namespace.
 *   <li>{@code systems}: direct, Clawgress (epoll, io_uring), HAProxy, Squid; their configs are
 *       {@code benchmarks/systems/}.
 *   <li>{@code report}: added latency (via-system minus direct at the same percentile), ratios, Markdown, PNG plots.
 * </ul>
 */
package io.clawgress.benchmarks.load;
