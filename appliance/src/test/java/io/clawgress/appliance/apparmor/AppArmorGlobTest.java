package io.clawgress.appliance.apparmor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** AppArmor globbing as apparmor_parser compiles it (apparmor.d(5), parser_regex.c). */
class AppArmorGlobTest {

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "/etc/clawgress/*        | /etc/clawgress/jvm.options              | true",
            "/etc/clawgress/*        | /etc/clawgress/trust/keys.json          | false",
            "/etc/clawgress/*        | /etc/clawgress/                         | false",
            "/etc/clawgress/**       | /etc/clawgress/trust/keys.json          | true",
            "/etc/clawgress/**       | /etc/clawgress/                         | false",
            "/etc/clawgress/**       | /etc/clawgressX                         | false",
            "/etc/clawgress/         | /etc/clawgress/                         | true",
            "/etc/clawgress/         | /etc/clawgress                          | false",
            "/{usr/,}bin/bash        | /usr/bin/bash                           | true",
            "/{usr/,}bin/bash        | /bin/bash                               | true",
            "/{usr/,}bin/bash        | /sbin/bash                              | false",
            "/usr/lib/jvm/*/bin/java | /usr/lib/jvm/java-21-openjdk-amd64/bin/java | true",
            "/usr/lib/jvm/*/bin/java | /usr/lib/jvm/a/b/bin/java               | false",
            "/usr/lib/jvm/*/bin/java | /usr/lib/jvm//bin/java                  | false",
            "/etc/java-[0-9]*-openjdk/** | /etc/java-21-openjdk/security/java.security | true",
            "/etc/java-[0-9]*-openjdk/** | /etc/java-x-openjdk/security/java.security  | false",
            "/proc/[1-9][0-9]*/status | /proc/4242/status                      | true",
            "/proc/[1-9][0-9]*/status | /proc/0/status                         | false",
            "/proc/[1-9][0-9]*/status | /proc/self/status                      | false",
            "/dev/tt?                | /dev/tty                                | true",
            "/dev/tt?                | /dev/tt/                                | false",
            "/{a,b{c,d}}/x           | /bd/x                                   | true",
            "/{a,b{c,d}}/x           | /be/x                                   | false",
            "/lib/*-linux-gnu*/**    | /lib/x86_64-linux-gnu/libc.so.6         | true",
            "/lib/*-linux-gnu*/**    | /lib/x86_64-linux-musl/libc.so          | false",
            "/var/lib/clawgress/**   | /var/lib/clawgress/policy.lmdb/lock.mdb | true",
            "/a.b                    | /aXb                                    | false",
    })
    void matchesLikeAppArmor(String glob, String path, boolean expected) {
        assertThat(AppArmorGlob.of(glob).matches(path)).isEqualTo(expected);
    }
}
