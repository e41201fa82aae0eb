package io.clawgress.testing.netns;

import io.clawgress.testing.peer.Peer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A test run that never closes its topology, for {@link TopologyCleanupIT}: creates one, points the agent's resolver
 * at the upstream (so {@code /etc/netns/<agent>} exists), starts a peer in it, prints
 * {@code abandoned <agent-ns> <gw-ns> <up-ns> <peer-pid>}, then exits (mode {@code exit}: the shutdown hook must
 * clean up) or waits to be killed (mode {@code hang}: {@link Topology#cleanupStale()} must clean up).
 */
public final class AbandonedTopology {

    private AbandonedTopology() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path work = Path.of(args[0]);
        Topology t = Topology.create(work);
        t.agentUsesNameserver(t.upstreamAddress());
        ManagedProcess peer = Peer.spawn(t.upstream(), "silent", work, "silent-server", "--bind", "198.18.2.2",
                "--port", "0");
        peer.awaitEvent("ready", Duration.ofSeconds(30));
        System.out.println("abandoned " + t.agent().name() + " " + t.gateway().name() + " " + t.upstream().name()
                + " " + peer.pid());
        if (args[1].equals("exit")) {
            System.exit(0);
        }
        new CountDownLatch(1).await();
    }
}
