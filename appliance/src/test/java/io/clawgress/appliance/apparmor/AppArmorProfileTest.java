package io.clawgress.appliance.apparmor;

import io.clawgress.testing.netns.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shipped profile (apparmor/clawgressd) read by the rule matcher: what it grants, and what it does not. */
class AppArmorProfileTest {

    private static AppArmorProfile shipped() throws IOException {
        return AppArmorProfile.read(Repo.root().resolve("apparmor/clawgressd"));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "/etc/clawgress/clawgress.yaml                     | r   | true",
            "/etc/clawgress/clawgress.yaml                     | w   | false",
            "/etc/clawgress/trust/trusted-keys.json            | r   | true",
            "/var/lib/clawgress/policy.lmdb/lock.mdb           | rwk | true",
            "/var/lib/clawgress/policy.lmdb/lock.mdb           | m   | false",
            "/var/log/clawgress/audit/audit-1.jsonl            | w   | true",
            "/var/log/clawgress/audit/audit-1.jsonl            | k   | false",
            "/run/clawgress/admin.sock                         | w   | true",
            "/run/systemd/notify                               | w   | true",
            "/run/systemd/private                              | w   | false",
            "/usr/lib/clawgress/native/liblmdb.so              | mr  | true",
            "/usr/lib/clawgress/native/liblmdb.so              | w   | false",
            "/usr/lib/jvm/java-21-openjdk-amd64/bin/java       | x   | true",
            "/usr/lib/jvm/java-21-openjdk-amd64/lib/server/libjvm.so | m | true",
            "/usr/lib/jvm/java-21-openjdk-amd64/lib/server/libjvm.so | w | false",
            "/usr/bin/curl                                     | x   | false",
            "/usr/bin/getent                                   | x   | true",
            "/tmp/libnetty_transport_native_epoll_x86_64123.so | m   | false",
            "/tmp/hsperfdata_clawgress/1234                    | w   | false",
            "/etc/shadow                                       | r   | false",
            "/proc/4242/status                                 | r   | true",
            "/proc/4242/mem                                    | r   | false",
            "/home/alice/.ssh/id_ed25519                       | r   | false",
            "/root/.bash_history                               | r   | false",
    })
    void grantsWhatTheDaemonNeedsAndNothingElse(String path, String perms, boolean expected) throws IOException {
        Set<Character> needed = new TreeSet<>();
        for (char c : perms.toCharArray()) {
            needed.add(c);
        }
        assertThat(shipped().allows(path, needed)).as(path + " " + perms).isEqualTo(expected);
    }

    @Test
    void socketsOfTheFamiliesTheDaemonUses() throws IOException {
        AppArmorProfile p = shipped();
        assertThat(p.name()).isEqualTo("clawgressd");
        assertThat(p.allowsSocket("inet", "stream")).isTrue();
        assertThat(p.allowsSocket("inet6", "dgram")).isTrue();
        assertThat(p.allowsSocket("unix", "dgram")).isTrue();
        assertThat(p.allowsSocket("packet", "raw")).isFalse();
        assertThat(p.allowsSocket("inet", "raw")).isFalse();
    }

    @Test
    void refusesWhatItDoesNotUnderstand() {
        String head = "abi <abi/3.0>,\ninclude <tunables/global>\nprofile x {\n";
        assertThatThrownBy(() -> AppArmorProfile.parse(head + "  deny /etc/shadow r,\n}\n", "t"))
                .hasMessageContaining("t:4");
        assertThatThrownBy(() -> AppArmorProfile.parse(head + "  owner /etc/x r,\n}\n", "t"))
                .hasMessageContaining("t:4");
        assertThatThrownBy(() -> AppArmorProfile.parse(head + "  /usr/bin/x px,\n}\n", "t"))
                .hasMessageContaining("mode 'px'");
        assertThatThrownBy(() -> AppArmorProfile.parse(head + "  @{NOPE}/x r,\n}\n", "t"))
                .hasMessageContaining("unknown variable @{NOPE}");
        assertThatThrownBy(() -> AppArmorProfile.parse(head + "  /etc/x r\n}\n", "t"))
                .hasMessageContaining("ending in ','");
        assertThatThrownBy(() -> AppArmorProfile.parse(head, "t")).hasMessageContaining("no complete profile");
    }

    @Test
    void variablesExpandToEveryValue() {
        AppArmorProfile p = AppArmorProfile.parse("@{D}=/a /b\n@{D}+=/c\nprofile x {\n  @{D}/f r,\n}\n", "t");
        assertThat(p.allows("/a/f", Set.of('r'))).isTrue();
        assertThat(p.allows("/b/f", Set.of('r'))).isTrue();
        assertThat(p.allows("/c/f", Set.of('r'))).isTrue();
        assertThat(p.allows("/d/f", Set.of('r'))).isFalse();
        assertThat(p.allows("/a/f", Set.of('a'))).isFalse();
    }
}
