/**
 * The end-to-end harness: real network namespaces, real TPROXY rules, the real {@code clawgressd}, real peers and
 * clients. Test traffic only ever goes to loopback or to addresses inside namespaces the test created.
 *
 * <pre>{@code
 * @Test
 * void allowedFlowIsRelayed(@TempDir Path dir) {
 *     Privileges.requireOrSkip("ip", "iptables", "curl");
 *     try (Topology t = Topology.create(dir)) {
 *         ManagedProcess http = Peer.spawn(t.upstream(), "http", dir,
 *                 "http-server", "--bind", "198.18.2.2", "--port", "80");
 *         http.awaitEvent("ready", Duration.ofSeconds(30));
 *         t.installTproxy(15001);
 *         Path audit = dir.resolve("audit");
 *         GatewayProcess gw = t.startGateway(yamlWith(15001, audit), audit);
 *         ExecResult r = t.agent().execOk(Duration.ofSeconds(20), "curl", "-sS", "--max-time", "10",
 *                 "http://198.18.2.2/");
 *         assertThat(r.stdout()).isEqualTo("hello from upstream 198.18.2.2:80\n");
 *         assertThat(gw.awaitFlowRecords(1, Duration.ofSeconds(10)).get(0).get("termination").asText())
 *                 .isEqualTo("completed");
 *     }
 * }
 * }</pre>
 *
 * Names: {@link io.clawgress.testing.netns.TestPki} makes a CA and a leaf for the names, the {@code dns-server} and
 * {@code tls-server} peers serve them from the upstream namespace,
 * {@link io.clawgress.testing.netns.Topology#agentUsesNameserver(java.net.InetAddress)} points the agent's resolver
 * at the DNS peer, and {@link io.clawgress.testing.netns.Browsers} runs headless Chromium as a client.
 *
 * <p>Name privileged test classes {@code *IT} so failsafe runs them after {@code package}; guard each with
 * {@link io.clawgress.testing.netns.Privileges#requireOrSkip(String...)} (a failure, not a skip, when
 * {@code CI=true}).
 */
package io.clawgress.testing.netns;
