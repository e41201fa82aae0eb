package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code clawgressctl agent add|list|show|disable|enable}, in-process, on a registry in a temp state dir. */
class AgentCommandsTest {

    private static final Clock LATER = Clock.fixed(Ctl.NOW.plusSeconds(90), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    Path state;
    Path registry;

    @BeforeEach
    void setUp() throws Exception {
        state = Files.createDirectory(tmp.resolve("state"));
        registry = state.resolve("agents.lmdb");
    }

    private Ctl.Run agent(String... args) {
        return agent(Ctl.CLOCK, args);
    }

    private Ctl.Run agent(Clock clock, String... args) {
        String[] all = Arrays.copyOf(new String[] {"agent"}, args.length + 3);
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--state-dir";
        all[args.length + 2] = state.toString();
        return Ctl.run(clock, all);
    }

    private static JsonNode json(Ctl.Run run) throws Exception {
        return Json.MAPPER.readTree(run.out());
    }

    @Test
    void addListShowDisableEnable() throws Exception {
        Ctl.Run add = agent("add", "research-bot", "--team", "research", "--project", "crawler", "--environment",
                "dev", "--trust-tier", "gold", "--note", "nightly crawler — Zoë's");
        assertThat(add.exit()).as(add.toString()).isZero();
        assertThat(add.out()).isEqualTo("added agent research-bot (active), registry generation 1\n");
        assertThat(add.err()).isEmpty();
        assertThat(agent("add", "billing-bot").exit()).isZero();

        Ctl.Run list = agent("list");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).isEqualTo("""
                AGENT_ID      STATUS  TEAM_ID   PROJECT_ID  ENVIRONMENT  TRUST_TIER  UPDATED_AT
                billing-bot   active  -         -           -            -           2026-11-21T12:00:00Z
                research-bot  active  research  crawler     dev          gold        2026-11-21T12:00:00Z
                2 agents (2 active, 0 disabled), registry generation 2
                """);

        Ctl.Run disable = agent(LATER, "disable", "research-bot", "--reason", "leaked key");
        assertThat(disable.exit()).as(disable.toString()).isZero();
        assertThat(disable.out())
                .isEqualTo("disabled agent research-bot (reason: leaked key), registry generation 3\n");

        Ctl.Run show = agent("show", "research-bot");
        assertThat(show.exit()).as(show.toString()).isZero();
        assertThat(show.out()).isEqualTo("""
                agent research-bot
                  status:        disabled
                  status_reason: leaked key
                  team_id:       research
                  project_id:    crawler
                  environment:   dev
                  trust_tier:    gold
                  note:          nightly crawler — Zoë's
                  created_at:    2026-11-21T12:00:00Z
                  updated_at:    2026-11-21T12:01:30Z
                  registry:      %s, generation 3
                """.formatted(registry));

        Ctl.Run again = agent("disable", "research-bot", "--reason", "another");
        assertThat(again.exit()).isZero();
        assertThat(again.out()).isEqualTo("agent research-bot was already disabled (since 2026-11-21T12:01:30Z,"
                + " reason: leaked key); nothing changed\n");

        Ctl.Run enable = agent("enable", "research-bot");
        assertThat(enable.exit()).as(enable.toString()).isZero();
        assertThat(enable.out()).isEqualTo("enabled agent research-bot, registry generation 4\n");
        assertThat(agent("enable", "research-bot").out())
                .isEqualTo("agent research-bot was already active (since 2026-11-21T12:01:30Z); nothing changed\n");

        try (AgentRegistry r = AgentRegistry.open(registry)) {
            assertThat(r.generation()).isEqualTo(4);
            assertThat(r.get("research-bot").orElseThrow().status()).isEqualTo(AgentStatus.ACTIVE);
            assertThat(r.get("billing-bot").orElseThrow().teamId()).isNull();
        }
    }

    @Test
    void jsonShapes() throws Exception {
        assertThat(agent("add", "a-bot", "--team", "research", "--note", "hello").exit()).isZero();
        assertThat(agent("add", "b-bot").exit()).isZero();
        assertThat(agent(LATER, "disable", "b-bot", "--reason", "offboarded").exit()).isZero();

        Ctl.Run list = agent("list", "--json");
        assertThat(list.exit()).as(list.toString()).isZero();
        JsonNode l = json(list);
        assertThat(l.get("registry").asText()).isEqualTo(registry.toString());
        assertThat(l.get("generation").asLong()).isEqualTo(3);
        assertThat(l.get("agents")).hasSize(2);
        JsonNode a = l.get("agents").get(0);
        assertThat(fieldNames(a)).containsExactly("agent_id", "status", "status_reason", "team_id", "project_id",
                "environment", "trust_tier", "note", "created_at", "updated_at");
        assertThat(a.get("agent_id").asText()).isEqualTo("a-bot");
        assertThat(a.get("status").asText()).isEqualTo("active");
        assertThat(a.get("team_id").asText()).isEqualTo("research");
        assertThat(a.get("project_id").isNull()).as("unset is null, never missing").isTrue();
        assertThat(a.get("note").asText()).isEqualTo("hello");
        assertThat(a.get("created_at").asText()).isEqualTo("2026-11-21T12:00:00Z");
        JsonNode b = l.get("agents").get(1);
        assertThat(b.get("status").asText()).isEqualTo("disabled");
        assertThat(b.get("status_reason").asText()).isEqualTo("offboarded");
        assertThat(b.get("updated_at").asText()).isEqualTo("2026-11-21T12:01:30Z");

        Ctl.Run show = agent("show", "b-bot", "--json");
        assertThat(show.exit()).as(show.toString()).isZero();
        JsonNode s = json(show);
        assertThat(fieldNames(s)).containsExactly("registry", "generation", "agent");
        assertThat(s.get("generation").asLong()).isEqualTo(3);
        assertThat(s.get("agent")).isEqualTo(b);

        Ctl.Run missing = agent("show", "c-bot", "--json");
        assertThat(missing.exit()).isEqualTo(1);
        JsonNode m = json(missing);
        assertThat(m.get("ok").asBoolean()).isFalse();
        assertThat(m.get("exit_code").asInt()).isEqualTo(1);
        assertThat(m.get("errors").get(0).get("message").asText())
                .isEqualTo(registry + ": not_found: agent 'c-bot' (2 registered)");
        assertThat(missing.err()).isEqualTo(registry + ": not_found: agent 'c-bot' (2 registered)\n");
    }

    @Test
    void emptyAndMissingRegistriesAreReadWithoutCreatingOne() throws Exception {
        Ctl.Run list = agent("list");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).isEqualTo("0 agents (0 active, 0 disabled), registry generation 0\n");
        JsonNode l = json(agent("list", "--json"));
        assertThat(l.get("generation").asLong()).isZero();
        assertThat(l.get("agents")).isEmpty();

        Ctl.Run show = agent("show", "bot");
        assertThat(show.exit()).isEqualTo(1);
        assertThat(show.err()).isEqualTo(registry + ": not_found: agent 'bot' (0 registered)\n");
        Ctl.Run disable = agent("disable", "bot");
        assertThat(disable.exit()).isEqualTo(1);
        assertThat(disable.err()).isEqualTo(registry + ": not_found: agent 'bot' (0 registered)\n");
        assertThat(registry).as("reads and failed writes create nothing").doesNotExist();
    }

    @Test
    void notFoundAndAlreadyExistsExitOne() {
        assertThat(agent("add", "bot", "--team", "research").exit()).isZero();

        Ctl.Run dup = agent("add", "bot", "--team", "billing");
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.out()).isEmpty();
        assertThat(dup.err()).isEqualTo(registry + ": already_exists: agent 'bot' (active, added"
                + " 2026-11-21T12:00:00Z)\n");

        for (String verb : new String[] {"show", "disable", "enable"}) {
            Ctl.Run r = agent(verb, "nobody");
            assertThat(r.exit()).as(verb).isEqualTo(1);
            assertThat(r.err()).as(verb).isEqualTo(registry + ": not_found: agent 'nobody' (1 registered)\n");
        }
        assertThat(agent("show", "bot").out()).contains("team_id:       research");
    }

    @Test
    void invalidInputExits78WithWhatIsAllowed() {
        String expected = " (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit)\n";
        assertInvalid(agent("add", "bad/id"), "agent id 'bad/id'" + expected);
        assertInvalid(agent("add", "_under", "--team", "t"), "agent id '_under'" + expected);
        assertInvalid(agent("add", "x".repeat(129)), "agent id '" + "x".repeat(129) + "'" + expected);
        assertInvalid(agent("add", "bot", "--team", "re search"), "--team 're search'" + expected);
        assertInvalid(agent("add", "bot", "--project", ""), "--project ''" + expected);
        assertInvalid(agent("add", "bot", "--environment", "dev\u001b[31m"), "--environment 'dev\\u001b[31m'"
                + expected);
        assertInvalid(agent("add", "bot", "--trust-tier", "*"), "--trust-tier '*'" + expected);
        assertInvalid(agent("add", "bot", "--note", "two\nlines"),
                "--note: U+000A at index 3 (expected: one line of printable text, no control characters)\n");
        assertInvalid(agent("add", "bot", "--note", "n".repeat(1025)),
                "--note: 1025 chars (expected: non-blank text, <= 1024 chars)\n");
        assertInvalid(agent("show", "a b"), "agent id 'a b'" + expected);
        assertInvalid(agent("disable", "bot", "--reason", " "),
                "--reason: 1 chars, blank (expected: non-blank text, <= 1024 chars)\n");
        assertInvalid(agent("enable", "bot!"), "agent id 'bot!'" + expected);
        assertThat(registry).as("nothing was written").doesNotExist();
    }

    private static void assertInvalid(Ctl.Run run, String err) {
        assertThat(run.exit()).as(run.toString()).isEqualTo(78);
        assertThat(run.err()).isEqualTo(err);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void usageErrorsExitTwo() {
        Ctl.Run noId = agent("add");
        assertThat(noId.exit()).isEqualTo(2);
        assertThat(noId.err()).contains("Missing required parameter: 'AGENT_ID'");
        Ctl.Run unknown = agent("add", "bot", "--colour", "red");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("Unknown options: '--colour', 'red'");
        Ctl.Run noVerb = Ctl.run("agent");
        assertThat(noVerb.exit()).isEqualTo(2);
        assertThat(noVerb.err()).contains("add", "list", "show", "disable", "enable");
        Ctl.Run enableReason = agent("enable", "bot", "--reason", "x");
        assertThat(enableReason.exit()).isEqualTo(2);
    }

    @Test
    void aMissingStateDirIsNamed() {
        Path missing = tmp.resolve("nope");
        for (String[] args : new String[][] {{"agent", "add", "bot"}, {"agent", "list"}, {"agent", "show", "bot"}}) {
            String[] all = Arrays.copyOf(args, args.length + 2);
            all[args.length] = "--state-dir";
            all[args.length + 1] = missing.toString();
            Ctl.Run r = Ctl.run(all);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.err()).isEqualTo(missing + ": no such directory (expected: the gateway's state_dir;"
                    + " --state-dir DIR names another)\n");
        }
        assertThat(missing).doesNotExist();
    }

    @Test
    void helpListsExitCodes() {
        Ctl.Run help = Ctl.run("agent", "disable", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--state-dir=DIR", "not in the audit log", "--socket=PATH", "--reason=TEXT",
                "Exit codes:", "69", "77", "78");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
