package io.clawgress.appliance.apparmor;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Lines as strace 6 prints them with -f -yy, and the permission AppArmor checks for each. */
class StraceLogTest {

    private static StraceLog.Access only(String... lines) {
        StraceLog log = StraceLog.parse(List.of(lines));
        assertThat(log.unparsed()).isEmpty();
        assertThat(log.accesses()).hasSize(1);
        return log.accesses().get(0);
    }

    @Test
    void opensByFlags() {
        StraceLog.Access a = only("101 openat(AT_FDCWD</srv>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC)      = 3</etc/ld.so.cache>");
        assertThat(a.path()).isEqualTo("/etc/ld.so.cache");
        assertThat(a.perms()).containsExactly('r');
        a = only("101 openat(5</var/lib/c/policy.lmdb>, \"data.mdb\", O_RDWR|O_CREAT|O_CLOEXEC, 0640) = 6</var/lib/c/policy.lmdb/data.mdb>");
        assertThat(a.path()).isEqualTo("/var/lib/c/policy.lmdb/data.mdb");
        assertThat(a.perms()).containsExactlyInAnyOrder('r', 'w');
        a = only("7 openat(AT_FDCWD</x>, \"/var/log/c/a.jsonl\", O_WRONLY|O_APPEND|O_CLOEXEC) = 9</var/log/c/a.jsonl>");
        assertThat(a.perms()).containsExactly('a');
        a = only("7 openat(AT_FDCWD</x>, \"/var/lib/c\", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 9</var/lib/c>");
        assertThat(a.dir()).isTrue();
    }

    @Test
    void leavesOutCallsThatFailBeforeTheLsmIsAsked() {
        StraceLog log = StraceLog.parse(List.of(
                "1 openat(AT_FDCWD</>, \"/nope\", O_RDONLY) = -1 ENOENT (No such file or directory)",
                "1 mkdir(\"/var/lib/c\", 0700) = -1 EEXIST (File exists)",
                "1 newfstatat(AT_FDCWD</>, \"/etc/passwd\", {st_mode=S_IFREG|0644, st_size=1}, 0) = 0",
                "1 openat(AT_FDCWD</>, \"/etc/shadow\", O_RDONLY) = -1 EACCES (Permission denied)"));
        assertThat(log.accesses()).extracting(StraceLog.Access::path).containsExactly("/etc/shadow");
    }

    @Test
    void joinsUnfinishedAndResumedCalls() {
        StraceLog log = StraceLog.parse(List.of(
                "12 openat(AT_FDCWD</>, \"/etc/hosts\", O_RDONLY|O_CLOEXEC <unfinished ...>",
                "13 flock(7</var/lib/c/x.lock>, LOCK_EX|LOCK_NB) = 0",
                "12 <... openat resumed>) = 4</etc/hosts>"));
        assertThat(log.unparsed()).isEmpty();
        assertThat(log.accesses()).extracting(StraceLog.Access::path).containsExactly("/var/lib/c/x.lock", "/etc/hosts");
        assertThat(log.accesses().get(0).perms()).containsExactly('k');
    }

    @Test
    void executableMappingsLocksAndUnixSockets() {
        assertThat(only("5 mmap(NULL, 2104, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_DENYWRITE, 3</usr/lib/libc.so.6>, 0) = 0x7f00")
                .perms()).containsExactly('m');
        assertThat(StraceLog.parse(List.of("5 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3</etc/x>, 0) = 0x7f00"))
                .accesses()).isEmpty();
        assertThat(only("5 fcntl(4</s/lock.mdb>, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=1}) = 0")
                .perms()).containsExactlyInAnyOrder('k', 'w');
        StraceLog.Access n = only("5 sendto(9<UNIX:[77]>, \"READY=1\", 7, MSG_NOSIGNAL, {sa_family=AF_UNIX, "
                + "sun_path=\"/run/systemd/notify\"}, 22) = 7");
        assertThat(n.path()).isEqualTo("/run/systemd/notify");
        assertThat(n.perms()).containsExactly('w');
        assertThat(StraceLog.parse(List.of("5 connect(9<UNIX:[77]>, {sa_family=AF_UNIX, sun_path=@\"abstract\"}, 12) = 0"))
                .accesses()).isEmpty();
    }

    @Test
    void renamesNeedReadWriteOnTheSourceAndWriteOnTheTarget() {
        StraceLog log = StraceLog.parse(List.of(
                "3 renameat2(AT_FDCWD</w>, \"/d/a.tmp\", AT_FDCWD</w>, \"/d/a\", RENAME_NOREPLACE) = 0"));
        assertThat(log.accesses()).extracting(StraceLog.Access::path, StraceLog.Access::perms)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("/d/a.tmp", Set.of('r', 'w')),
                        org.assertj.core.groups.Tuple.tuple("/d/a", Set.of('w')));
    }

    @Test
    void socketsByFamilyAndType() {
        StraceLog log = StraceLog.parse(List.of(
                "8 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5<TCPv6:[1]>",
                "8 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 6<NETLINK:[2]>"));
        assertThat(log.sockets()).extracting(StraceLog.Socket::family, StraceLog.Socket::type)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("inet6", "stream"),
                        org.assertj.core.groups.Tuple.tuple("netlink", "raw"));
    }
}
