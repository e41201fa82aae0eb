package io.clawgress.appliance.e2e;

import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Repo;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code systemd/clawgress-tproxy} up/down/status in its own namespaces: idempotence, validation, rp_filter
 * restore, the QUIC reject, real transparent interception (the script's own test, run here so CI runs it).
 */
class TproxyScriptIT {

    @Test
    void theRulesScriptPassesItsNamespaceTest() throws Exception {
        Privileges.requireOrSkip("ip", "iptables", "ip6tables", "socat", "sysctl");
        Process p = new ProcessBuilder(Repo.root().resolve("systemd/tests/clawgress-tproxy-test.sh").toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("(?m)^\\d+ passed, 0 failed$");
    }
}
