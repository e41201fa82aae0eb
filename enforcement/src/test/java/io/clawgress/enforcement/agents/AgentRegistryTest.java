package io.clawgress.enforcement.agents;

import static io.clawgress.enforcement.agents.AgentFixture.CLOCK;
import static io.clawgress.enforcement.agents.AgentFixture.T0;
import static io.clawgress.enforcement.agents.AgentFixture.agent;
import static io.clawgress.enforcement.agents.AgentFixture.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.lmdbjava.ByteArrayProxy.PROXY_BA;

import io.clawgress.enforcement.agents.AgentRegistryException.Reason;
import io.clawgress.testing.netns.Privileges;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

class AgentRegistryTest {

    @TempDir
    Path tmp;

    private final List<AgentRegistry> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(AgentRegistry::close);
    }

    private Path dir() {
        return AgentRegistry.directoryIn(tmp);
    }

    private AgentRegistry open() throws AgentRegistryException {
        AgentRegistry r = AgentRegistry.open(dir(), CLOCK);
        opened.add(r);
        return r;
    }

    private static AgentRegistryException.Reason reasonOf(Throwable t) {
        return ((AgentRegistryException) t).reason();
    }

    @Test
    void emptyRegistry() throws Exception {
        AgentRegistry r = open();
        assertThat(r.directory()).isEqualTo(tmp.resolve("agents.lmdb"));
        assertThat(r.generation()).isZero();
        assertThat(r.list()).isEmpty();
        assertThat(r.get("bot")).isEmpty();
        assertThat(r.snapshot()).isEqualTo(AgentDirectory.EMPTY);
        assertThat(Files.getPosixFilePermissions(dir())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(dir().resolve("data.mdb")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(dir().resolve("lock.mdb")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void addGetListInIdOrder() throws Exception {
        AgentRegistry r = open();
        AgentRecord b = full("b-bot");
        AgentRecord a = agent("a-bot");
        AgentRecord upper = agent("Z-bot");
        assertThat(r.add(b)).isEqualTo(1);
        assertThat(r.add(a)).isEqualTo(2);
        assertThat(r.add(upper)).isEqualTo(3);
        assertThat(r.get("b-bot")).contains(b);
        assertThat(r.get("a-bot")).contains(a);
        assertThat(r.get("c-bot")).isEmpty();
        assertThat(r.list()).containsExactly(upper, a, b); // byte order: upper case first
        assertThat(r.generation()).isEqualTo(3);
        AgentDirectory snapshot = r.snapshot();
        assertThat(snapshot.generation()).isEqualTo(3);
        assertThat(snapshot.records()).containsExactly(upper, a, b);
    }

    @Test
    void addRefusesADuplicateAndWritesNothing() throws Exception {
        AgentRegistry r = open();
        AgentRecord first = agent("bot");
        r.add(first);
        AgentRecord second = AgentRecord.newAgent("bot", "billing", null, null, null, "second", T0.plusSeconds(9));
        assertThatThrownBy(() -> r.add(second))
                .isInstanceOfSatisfying(AgentRegistryException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_EXISTS))
                .hasMessage("already_exists: agent 'bot' (active, added 2026-11-21T12:00:00Z)");
        assertThat(r.get("bot")).contains(first);
        assertThat(r.generation()).isEqualTo(1);
    }

    @Test
    void setStatusBumpsTheGenerationOnlyWhenItChanges() throws Exception {
        AgentRegistry r = open();
        r.add(agent("bot"));
        r.add(agent("other"));

        AgentRegistry.StatusChange disable = r.setStatus("bot", AgentStatus.DISABLED, "leaked key");
        assertThat(disable.changed()).isTrue();
        assertThat(disable.generation()).isEqualTo(3);
        assertThat(disable.before()).isEqualTo(agent("bot"));
        AgentRecord disabled = disable.after();
        assertThat(disabled.status()).isEqualTo(AgentStatus.DISABLED);
        assertThat(disabled.statusReason()).isEqualTo("leaked key");
        assertThat(disabled.updatedAt()).isEqualTo(CLOCK.instant());
        assertThat(disabled.createdAt()).isEqualTo(T0);
        assertThat(r.get("bot")).contains(disabled);
        assertThat(r.generation()).isEqualTo(3);

        AgentRegistry.StatusChange again = r.setStatus("bot", AgentStatus.DISABLED, "another reason");
        assertThat(again.changed()).isFalse();
        assertThat(again.after()).isEqualTo(disabled);
        assertThat(again.generation()).isEqualTo(3);
        assertThat(r.generation()).isEqualTo(3);

        AgentRegistry.StatusChange enable = r.setStatus("bot", AgentStatus.ACTIVE, null);
        assertThat(enable.changed()).isTrue();
        assertThat(enable.after().active()).isTrue();
        assertThat(enable.after().statusReason()).isNull();
        assertThat(enable.generation()).isEqualTo(4);
        assertThat(r.snapshot().isActive("bot")).isTrue();
        assertThat(r.get("other")).contains(agent("other"));
    }

    @Test
    void setStatusOfAnUnknownAgent() throws Exception {
        AgentRegistry r = open();
        r.add(agent("bot"));
        assertThatThrownBy(() -> r.setStatus("nobody", AgentStatus.DISABLED, null))
                .isInstanceOfSatisfying(AgentRegistryException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND))
                .hasMessage("not_found: agent 'nobody' (1 registered)");
        assertThat(r.generation()).isEqualTo(1);
    }

    @Test
    void argumentsAreValidated() throws Exception {
        AgentRegistry r = open();
        assertThatThrownBy(() -> r.get("no such/id")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("agentId: 'no such/id' (expected: ");
        assertThatThrownBy(() -> r.setStatus("bot", AgentStatus.DISABLED, "a\nb"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("reason: U+000A at index 1 (expected: one line of printable text, no control characters)");
        assertThatThrownBy(() -> r.setStatus("bot", null, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> r.add(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void reopenSeesEverything() throws Exception {
        AgentRegistry r = open();
        r.add(full("a"));
        r.add(agent("b"));
        r.setStatus("b", AgentStatus.DISABLED, "offboarded");
        AgentDirectory before = r.snapshot();
        r.close();
        opened.clear();

        AgentRegistry again = open();
        assertThat(again.generation()).isEqualTo(3);
        assertThat(again.snapshot()).isEqualTo(before);
        assertThat(again.add(agent("c"))).isEqualTo(4);
    }

    @Test
    void snapshotIfChangedReadsOnlyOnChange() throws Exception {
        AgentRegistry r = open();
        assertThat(r.snapshotIfChanged(0)).isEmpty();
        r.add(agent("bot"));
        AgentDirectory d = r.snapshotIfChanged(0).orElseThrow();
        assertThat(d.generation()).isEqualTo(1);
        assertThat(d.lookup("bot")).isEqualTo(agent("bot"));
        assertThat(r.snapshotIfChanged(1)).isEmpty();
        assertThat(r.snapshotIfChanged(7)).as("a lower stored generation is a change too").contains(d);
    }

    @Test
    void everyWriteIsOneTransaction() throws Exception {
        AgentRegistry r = open();
        int writers = 4;
        int perWriter = 50;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        r.add(agent("w" + writer + "-" + i));
                    }
                    return null;
                }));
            }
            // A reader never sees a generation that does not match the agents it sees.
            Future<Integer> reader = pool.submit(() -> {
                int checks = 0;
                for (long g = 0; g < writers * perWriter && !Thread.currentThread().isInterrupted(); checks++) {
                    AgentDirectory d = r.snapshot();
                    assertThat(d.size()).isEqualTo(d.generation());
                    g = d.generation();
                }
                return checks;
            });
            for (Future<?> f : futures) {
                f.get();
            }
            assertThat(reader.get()).isPositive();
        } finally {
            pool.shutdownNow();
        }
        assertThat(r.generation()).isEqualTo(writers * perWriter);
        assertThat(r.list()).hasSize(writers * perWriter);
    }

    @Test
    void mapFullLeavesTheRegistryAsItWas() throws Exception {
        AgentRegistry r = AgentRegistry.open(dir(), CLOCK, 1024 * 1024);
        opened.add(r);
        String note = "n".repeat(1000);
        AgentRegistryException full = null;
        int added = 0;
        for (int i = 0; i < 10_000 && full == null; i++) {
            try {
                r.add(AgentRecord.newAgent("bot-" + i, null, null, null, null, note, T0));
                added++;
            } catch (AgentRegistryException e) {
                full = e;
            }
        }
        assertThat(full).isNotNull();
        assertThat(full.reason()).isEqualTo(Reason.MAP_FULL);
        assertThat(full).hasMessageStartingWith("map_full: add agent bot-" + added + ": the LMDB map (1048576 bytes)"
                + " is full; nothing was written");
        assertThat(r.generation()).isEqualTo(added);
        assertThat(r.list()).hasSize(added);
        assertThat(r.get("bot-0")).isPresent();
        r.close();

        // A larger map (a later release's MAP_SIZE_BYTES) opens the same data and has room again.
        AgentRegistry bigger = AgentRegistry.open(dir(), CLOCK, 4 * 1024 * 1024);
        opened.add(bigger);
        assertThat(bigger.setStatus("bot-0", AgentStatus.DISABLED, null).generation()).isEqualTo(added + 1);
    }

    @Test
    void closedRegistryRefusesEverything() throws Exception {
        AgentRegistry r = open();
        r.close();
        r.close();
        assertThatThrownBy(r::generation).matches(e -> reasonOf(e) == Reason.CLOSED)
                .hasMessage("closed: read generation: AgentRegistry[" + dir() + "] is closed");
        assertThatThrownBy(() -> r.add(agent("bot"))).matches(e -> reasonOf(e) == Reason.CLOSED);
    }

    @Test
    void corruptValuesAreReportedNotReturned() throws Exception {
        open().add(agent("good"));
        closeAll();
        opened.clear();
        rawPut("agents", "bad", new byte[] {1, 0, 0});
        AgentRegistry r = open();
        assertThat(r.get("good")).contains(agent("good"));
        assertThatThrownBy(() -> r.get("bad")).matches(e -> reasonOf(e) == Reason.CORRUPT)
                .hasMessage("corrupt: agent 'bad': createdAt: truncated, 1 bytes left (expected: 12)");
        assertThatThrownBy(r::snapshot).matches(e -> reasonOf(e) == Reason.CORRUPT);
    }

    @Test
    void corruptKeysAreReported() throws Exception {
        open().close();
        opened.clear();
        rawPut("agents", "not an id", AgentCodec.encode(agent("x")));
        AgentRegistry r = open();
        assertThatThrownBy(r::list).matches(e -> reasonOf(e) == Reason.CORRUPT)
                .hasMessageStartingWith("corrupt: agent key 'not an id': not an agent id");
    }

    @Test
    void anotherFormatIsRefused() throws Exception {
        open().close();
        opened.clear();
        rawPut("state", "format", AgentCodec.longBytes(2));
        assertThatThrownBy(this::open).matches(e -> reasonOf(e) == Reason.CORRUPT)
                .hasMessage("corrupt: format: 2 (expected: 1; written by another version of Clawgress?)");
    }

    @Test
    void openFailuresAreIoErrors() throws Exception {
        Files.writeString(dir(), "a file");
        assertThatThrownBy(this::open).matches(e -> reasonOf(e) == Reason.IO)
                .hasMessage("io: " + dir() + ": exists and is not a directory");
        assertThatThrownBy(() -> AgentRegistry.open(tmp.resolve("missing/agents.lmdb")))
                .matches(e -> reasonOf(e) == Reason.IO)
                .hasMessageStartingWith("io: create " + tmp.resolve("missing/agents.lmdb"));
    }

    @Test
    void aCreatedRegistryTakesItsParentsOwner() throws Exception {
        Privileges.requireOrSkip(); // changing file owners needs root; with CI=true a missing root is a failure
        Path state = Files.createDirectory(tmp.resolve("state"));
        Files.setAttribute(state, "unix:uid", 65534);
        Files.setAttribute(state, "unix:gid", 65534);
        try (AgentRegistry r = AgentRegistry.open(AgentRegistry.directoryIn(state), CLOCK)) {
            r.add(agent("bot"));
        }
        Path created = AgentRegistry.directoryIn(state);
        for (Path p : List.of(created, created.resolve("data.mdb"), created.resolve("lock.mdb"))) {
            assertThat(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as(p.toString()).isEqualTo(65534);
            assertThat(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).as(p.toString()).isEqualTo(65534);
        }
    }

    /** Writes a raw key and value, as a bug or a damaged disk might. */
    private void rawPut(String dbi, String key, byte[] value) {
        try (Env<byte[]> env = Env.create(PROXY_BA).setMapSize(AgentRegistry.MAP_SIZE_BYTES).setMaxDbs(2)
                .open(dir().toFile(), EnvFlags.MDB_NOTLS)) {
            Dbi<byte[]> db = env.openDbi(dbi);
            try (Txn<byte[]> txn = env.txnWrite()) {
                db.put(txn, key.getBytes(StandardCharsets.US_ASCII), value);
                txn.commit();
            }
        }
    }
}
