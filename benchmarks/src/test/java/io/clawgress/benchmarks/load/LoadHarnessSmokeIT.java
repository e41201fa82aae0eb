package io.clawgress.benchmarks.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.benchmarks.load.report.Results;
import io.clawgress.testing.netns.Privileges;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The load harness end to end, tiny ({@link Profile} {@code smoke}: about a second per system and scenario), so it
 * cannot rot between releases: the real topology and TPROXY rules, the real daemon on epoll and io_uring, HAProxy and
 * Squid, every scenario. It asserts the report is complete and parseable, never what the numbers are (performance
 * lives in {@code make bench}, not in a timed test).
 */
class LoadHarnessSmokeIT {

    private static final List<String> SYSTEMS = List.of(Results.DIRECT, "clawgress-epoll", "clawgress-iouring",
            "haproxy", "squid");

    @Test
    void everyScenarioReportsNumbersForEverySystem() throws Exception {
        Privileges.requireOrSkip("ip", "iptables", "ss", "curl", "haproxy", "squid");
        Path out = Files.createTempDirectory("clawgress-bench-smoke-");
        new Bench(Profile.named("smoke"), out).run();

        assertThat(Files.readString(out.resolve("report.md"))).contains("Against DESIGN.md §8", "(a)", "(b)",
                "(c-new)", "(c-keepalive)", "(d)", "(e)");
        for (String plot : List.of("latency-a.png", "latency-b.png", "latency-c-new.png", "latency-c-keepalive.png",
                "ramp-rss.png")) {
            assertThat(Files.size(out.resolve("plots").resolve(plot))).as(plot).isGreaterThan(1000);
        }
        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        for (String scenario : List.of("a", "b", "c-new", "c-keepalive")) {
            JsonNode bySystem = report.path("latency").path(scenario);
            for (String system : SYSTEMS) {
                JsonNode s = bySystem.path(system);
                assertThat(s.path("samples").asLong()).as("%s / %s samples", scenario, system).isPositive();
                assertThat(s.path("p50_us").asDouble()).as("%s / %s p50", scenario, system).isPositive();
                assertThat(s.path("p999_us").isNumber()).as("%s / %s p99.9", scenario, system).isTrue();
                assertThat(s.path("errors").size()).as("%s / %s errors: %s", scenario, system, s.path("errors"))
                        .isZero();
                if (!system.equals(Results.DIRECT)) {
                    assertThat(s.path("added_p50_us").isNumber()).as("%s / %s added p50", scenario, system).isTrue();
                    assertThat(s.path("rss_mib").asDouble()).as("%s / %s RSS", scenario, system).isPositive();
                }
            }
        }
        assertThat(report.path("method_check").path("a_p50_difference_us").isNumber()).isTrue();
        for (String system : SYSTEMS) {
            assertThat(report.path("bulk").path(system).path("mib_per_second").asDouble()).as("bulk %s", system)
                    .isPositive();
            JsonNode steps = report.path("ramp").path(system).path("steps");
            assertThat(steps.size()).as("ramp %s", system).isGreaterThan(1);
            assertThat(steps.get(steps.size() - 1).path("held").asInt()).as("ramp %s held", system).isPositive();
        }
        System.out.println(Files.readString(out.resolve("report.md")));
    }
}
