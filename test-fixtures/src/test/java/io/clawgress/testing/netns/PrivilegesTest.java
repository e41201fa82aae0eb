package io.clawgress.testing.netns;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrivilegesTest {

    private static final String PATH = System.getenv("PATH");

    private static PrintStream banner() {
        return new PrintStream(new ByteArrayOutputStream(), true, UTF_8);
    }

    @Test
    void passesForRootWithTools() {
        assertThatCode(() -> Privileges.check("true", 0, PATH, banner(), "sh")).doesNotThrowAnyException();
    }

    @Test
    void skipsLoudlyOffCi() {
        ByteArrayOutputStream banner = new ByteArrayOutputStream();
        assertThatThrownBy(() -> Privileges.check(null, 1000, PATH, new PrintStream(banner, true, UTF_8), "sh",
                "no-such-tool-xyz"))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("root (running as uid 1000)")
                .hasMessageContaining("'no-such-tool-xyz' on PATH");
        assertThat(banner.toString(UTF_8)).contains("SKIPPING PRIVILEGED TEST").contains("no-such-tool-xyz");
    }

    @Test
    void failsOnCi() {
        assertThatThrownBy(() -> Privileges.check("true", 0, PATH, banner(), "no-such-tool-xyz"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("CI=true")
                .hasMessageContaining("'no-such-tool-xyz' on PATH");
    }
}
