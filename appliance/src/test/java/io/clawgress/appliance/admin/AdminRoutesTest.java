package io.clawgress.appliance.admin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Route matching, the roles by group, and the groups of a caller read from a /proc-like tree. */
class AdminRoutesTest {

    private static final AdminRoutes.Handler OK = r -> AdminResponse.ok(AdminJson.object());

    @Test
    void matchesLiteralAndParameterSegmentsAnd405ListsTheAllowedMethods() {
        AdminRoutes routes = new AdminRoutes()
                .read("GET", "/v1/agents", OK)
                .read("GET", "/v1/agents/{id}", OK)
                .change("POST", "/v1/agents/{id}/disable", "agent.disable", OK);
        AdminRoutes.Match m = routes.match("POST", "/v1/agents/a-1/disable");
        assertThat(m.route().action()).isEqualTo("agent.disable");
        assertThat(m.params()).isEqualTo(Map.of("id", "a-1"));
        assertThat(routes.match("GET", "/v1/agents/a-1").route().change()).isFalse();
        assertThat(routes.match("GET", "/v1/agents/").status()).as("empty parameter").isEqualTo(404);
        assertThat(routes.match("GET", "/v1/agents/a/b").status()).isEqualTo(404);
        assertThat(routes.match("GET", "/v2/agents").status()).isEqualTo(404);
        AdminRoutes.Match wrong = routes.match("DELETE", "/v1/agents/a-1/disable");
        assertThat(wrong.status()).isEqualTo(405);
        assertThat(wrong.allow()).isEqualTo("POST");
    }

    @Test
    void refusesRoutesThatWouldBreakTheRules() {
        AdminRoutes routes = new AdminRoutes().read("GET", "/v1/status", OK);
        assertThatThrownBy(() -> routes.read("POST", "/v1/x", OK)).hasMessageContaining("a read route is GET");
        assertThatThrownBy(() -> routes.change("GET", "/v1/x", "x", OK)).hasMessageContaining("GET is safe");
        assertThatThrownBy(() -> routes.read("GET", "/status", OK)).hasMessageContaining("expected: /v1/");
        assertThatThrownBy(() -> routes.read("GET", "/v1/status", OK)).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> routes.read("GET", "/v1/A B", OK)).hasMessageContaining("bad segment");
    }

    @Test
    void rootAndTheAdminGroupChangeTheReadGroupReadsOthersNothing() {
        assertThat(Caller.roleOf(0, new int[] {0}, 20, 10)).isEqualTo(Caller.Role.ADMIN);
        assertThat(Caller.roleOf(1000, new int[] {1000, 10, 20}, 20, 10)).isEqualTo(Caller.Role.ADMIN);
        assertThat(Caller.roleOf(1000, new int[] {1000, 10}, 20, 10)).isEqualTo(Caller.Role.READER);
        assertThat(Caller.roleOf(1000, new int[] {10}, 20, 10).mayChange()).isFalse();
        assertThat(Caller.roleOf(1000, new int[] {1000}, 20, 10)).isEqualTo(Caller.Role.NONE);
        assertThat(Caller.Role.NONE.mayRead()).isFalse();
    }

    @Test
    void supplementaryGroupsCountOnlyWhileTheProcessStillRunsAsTheCaller(@TempDir Path proc) throws Exception {
        Files.createDirectories(proc.resolve("77"));
        Files.writeString(proc.resolve("77/status"), "Name:\tcurl\nUid:\t1000\t1000\t1000\t1000\n"
                + "Gid:\t1000\t1000\t1000\t1000\nGroups:\t10 20 \n");
        assertThat(Groups.of(77, 1000, 1000, proc)).containsExactly(1000, 10, 20);
        assertThat(Groups.of(77, 1001, 1000, proc)).as("another uid now: pid reused").containsExactly(1000);
        assertThat(Groups.of(78, 1000, 1000, proc)).as("exited").containsExactly(1000);
        assertThat(Groups.of(0, 1000, 1000, proc)).as("pid unknown").containsExactly(1000);
        Files.writeString(proc.resolve("77/status"), "Uid:\t1000\t1000\t1000\t1000\nGroups:\t10 x\n");
        assertThat(Groups.of(77, 1000, 1000, proc)).as("unparsable: fail closed").containsExactly(1000);
    }

    @Test
    void numericGroupsAreTakenAsTheyAreAndNamesAreLookedUp() throws Exception {
        assertThat(Groups.resolve("4242", "admin.group")).isEqualTo(4242);
        assertThat(Groups.resolve("root", "admin.group")).isEqualTo(0);
        assertThatThrownBy(() -> Groups.resolve("no-such-group-xyz", "admin.admin_group"))
                .hasMessageContaining("admin.admin_group: no group 'no-such-group-xyz'")
                .hasMessageContaining("groupadd --system");
    }
}
