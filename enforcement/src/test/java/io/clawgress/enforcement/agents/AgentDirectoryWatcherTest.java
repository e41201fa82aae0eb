package io.clawgress.enforcement.agents;

import static io.clawgress.enforcement.agents.AgentFixture.CLOCK;
import static io.clawgress.enforcement.agents.AgentFixture.agent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentDirectoryWatcherTest {

    @TempDir
    Path tmp;

    AgentRegistry registry;

    /** What the listener was told: the generations and the agents to cut off. */
    record Change(long from, long to, Set<String> deactivated, String thread) {
    }

    private final BlockingQueue<Change> changes = new LinkedBlockingQueue<>();

    private final AgentDirectoryWatcher.Listener listener = (previous, current) -> changes.add(
            new Change(previous.generation(), current.generation(), current.deactivatedSince(previous),
                    Thread.currentThread().getName()));

    @BeforeEach
    void open() throws Exception {
        registry = AgentRegistry.open(AgentRegistry.directoryIn(tmp), CLOCK);
    }

    @AfterEach
    void close() {
        registry.close();
    }

    @Test
    void pollPublishesChangesAndNamesDeactivatedAgents() throws Exception {
        registry.add(agent("a"));
        registry.add(agent("b"));
        try (AgentDirectoryWatcher w = AgentDirectoryWatcher.manual(registry, listener)) {
            assertThat(w.current().generation()).isEqualTo(2);
            assertThat(w.current().isActive("a")).isTrue();
            assertThat(w.poll()).isFalse();
            assertThat(changes).isEmpty();

            registry.setStatus("a", AgentStatus.DISABLED, "leaked key");
            registry.add(agent("c"));
            AgentDirectory before = w.current();
            assertThat(before.isActive("a")).as("published only by a poll").isTrue();
            assertThat(w.poll()).isTrue();
            assertThat(w.current().generation()).isEqualTo(4);
            assertThat(w.current().isActive("a")).isFalse();
            assertThat(w.current().isActive("c")).isTrue();
            assertThat(before.isActive("a")).as("an old directory never changes").isTrue();
            assertThat(changes.poll()).isEqualTo(new Change(2, 4, Set.of("a"), Thread.currentThread().getName()));
            assertThat(w.poll()).isFalse();
        }
    }

    @Test
    void aFailingListenerDoesNotStopPublication() throws Exception {
        List<Long> seen = new ArrayList<>();
        try (AgentDirectoryWatcher w = AgentDirectoryWatcher.manual(registry, (p, c) -> {
            seen.add(c.generation());
            throw new IllegalStateException("listener bug");
        })) {
            registry.add(agent("a"));
            assertThat(w.poll()).isTrue();
            assertThat(w.current().generation()).isEqualTo(1);
            registry.add(agent("b"));
            assertThat(w.poll()).isTrue();
            assertThat(seen).containsExactly(1L, 2L);
        }
    }

    @Test
    void anUnreadableRegistryKeepsTheLastDirectory() throws Exception {
        registry.add(agent("a"));
        AgentDirectoryWatcher w = AgentDirectoryWatcher.manual(registry, listener);
        registry.close();
        assertThatThrownBy(w::poll).isInstanceOfSatisfying(AgentRegistryException.class,
                e -> assertThat(e.reason()).isEqualTo(AgentRegistryException.Reason.CLOSED));
        assertThat(w.current().generation()).isEqualTo(1);
        assertThat(w.current().isActive("a")).isTrue();
        assertThatThrownBy(() -> AgentDirectoryWatcher.manual(registry, listener))
                .isInstanceOf(AgentRegistryException.class);
    }

    @Test
    void startedWatcherPollsOnItsOwnThread() throws Exception {
        try (AgentDirectoryWatcher w = AgentDirectoryWatcher.start(registry, Duration.ofMillis(10), listener)) {
            assertThat(w.current()).isEqualTo(AgentDirectory.EMPTY);
            registry.add(agent("a"));
            Change first = changes.poll(30, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(first.to()).isEqualTo(1);
            assertThat(first.thread()).isEqualTo(AgentDirectoryWatcher.THREAD_NAME);
            assertThat(w.current().isActive("a")).isTrue();
        }
        registry.add(agent("b"));
        assertThat(changes.poll(50, TimeUnit.MILLISECONDS)).as("closed: no more polls").isNull();
    }

    @Test
    void periodIsValidated() {
        for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofMillis(-1), Duration.ofMinutes(11)}) {
            assertThatThrownBy(() -> AgentDirectoryWatcher.start(registry, bad, listener))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("period: " + bad + " (expected: > 0 and <= PT10M)");
        }
    }
}
