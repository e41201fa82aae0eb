package io.clawgress.testing.netns;

import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Topology#installTproxy(int)} with the repository's real rules script: a transparent listener in the gateway
 * (socat with IP_TRANSPARENT stands in for clawgressd) receives the agent's connection to the upstream, and the
 * upstream sees nothing; after {@code down} the same connection is routed to the upstream again.
 */
class TproxyHarnessIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int PORT = 15001;

    @TempDir
    Path work;

    @BeforeEach
    void privileges() {
        Privileges.requireOrSkip("ip", "iptables", "socat");
    }

    @Test
    void tproxyRulesHandTheAgentsConnectionToTheGatewayListener() {
        try (Topology t = Topology.create(work)) {
            ManagedProcess http = Peer.spawn(t.upstream(), "http", work, "http-server", "--bind", "198.18.2.2",
                    "--port", "80");
            http.awaitEvent("ready", WAIT);

            ExecResult up = t.installTproxy(PORT);
            assertThat(t.tproxyStatus().ok()).as(t.diagnostics()).isTrue();
            ManagedProcess listener = t.gateway().spawn("transparent-listener", List.of("socat", "-d", "-d",
                    "TCP-LISTEN:" + PORT + ",ip-transparent,reuseaddr,fork", "SYSTEM:echo captured-by-gateway"),
                    work);
            listener.waitForLine(Pattern.compile("listening on"), WAIT);

            ExecResult captured = t.agent().exec(WAIT, "socat", "-T", "10", "-u", "TCP:198.18.2.2:80", "STDOUT");
            assertThat(captured.stdout()).as(captured.describe() + "\n" + up.describe() + "\n" + t.diagnostics())
                    .isEqualTo("captured-by-gateway\n");
            // The listener saw the agent's own address and the original destination as its local address.
            listener.waitForLine(Pattern.compile("accepting connection from AF=2 198\\.18\\.1\\.2:\\d+ on AF=2 "
                    + "198\\.18\\.2\\.2:80"), WAIT);
            assertThat(http.events("accept")).as("the upstream must see no connection").isEmpty();

            t.removeTproxy().assertOk("clawgress-tproxy down");
            ExecResult routed = t.agent().execOk(WAIT, "curl", "-sS", "--max-time", "10", "http://198.18.2.2/");
            assertThat(routed.stdout()).isEqualTo("hello from upstream 198.18.2.2:80\n");
            assertThat(http.awaitEvents("accept", 1, WAIT)).hasSize(1);
        }
    }
}
