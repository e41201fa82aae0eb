#!/usr/bin/env bash
# Install test of the .deb in a booted Debian trixie container (a stand-in for Ubuntu 24.04: openjdk-21, systemd 257).
#
#   install-test.sh DEB NEWER_DEB
#
# 1. A trixie root file system made with debootstrap, cached in $CLAWGRESS_TEST_CACHE (default
#    /var/cache/clawgress-test; made once, ~1 min, ~250 MB; rebuilt when older than 30 days or missing).
# 2. Each run boots a throwaway copy of it (an overlayfs over the cache) with `systemd-nspawn -b`, in a private
#    network namespace that has only its loopback and a dummy "agent" interface: the TPROXY rules the package installs
#    land there, never on this host. Before boot, apt downloads the package's dependencies (from the Debian mirror,
#    through the host's network, into the container's apt cache); inside the container, `apt install ./DEB` resolves
#    and installs them from there (it has no network).
# 3. Checked, in order: install pulls openjdk-21-jre-headless, iptables, iproute2 and starts clawgress.service
#    (`systemctl is-active` = active); `systemd-analyze verify` of both units; `systemd-analyze security` exposure of
#    clawgress.service <= 3.0; the TPROXY unit comes up on the dummy agent interface; `clawgressctl status` works for
#    root and is refused to a plain user; `systemctl reload` works (the daemon says so, same pid); an upgrade to
#    NEWER_DEB keeps the edited conffiles and the state (an agent, the audit chain); `apt purge` leaves no file of the
#    package, no state, log, user or group behind.
#
# Run as root. Exit 0 = passed, 1 = failed, 77 = skipped (never under CI=true: there a missing tool fails).
set -uo pipefail

NAME=clawgress-install-test
CACHE=${CLAWGRESS_TEST_CACHE:-/var/cache/clawgress-test}
MIRROR=${CLAWGRESS_TEST_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie
BASE="$CACHE/$SUITE-base"
MAX_BASE_AGE_DAYS=30
MAX_EXPOSURE=3.0
STEP_TIMEOUT=300

say() { printf '%s: %s\n' "$NAME" "$*" >&2; }
skip() {
    if [[ "${CI:-}" == true ]]; then say "$* (CI=true, so this is a failure)"; exit 1; fi
    say "SKIPPED: $*"
    exit 77
}
FAILED=0
ok() { printf 'ok - %s\n' "$*"; }
fail() { printf 'not ok - %s\n' "$*"; FAILED=1; }
die() { fail "$*"; exit 1; }

(($# == 2)) || { echo "usage: $0 DEB NEWER_DEB" >&2; exit 2; }
DEB=$(readlink -f "$1") NEWER=$(readlink -f "$2")
for f in "$DEB" "$NEWER"; do [[ -f "$f" ]] || { say "$f: no such file"; exit 2; }; done
((EUID == 0)) || skip "must run as root (debootstrap, overlayfs, systemd-nspawn)"
for t in debootstrap systemd-nspawn nsenter dpkg-deb flock mount umount; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found (run scripts/install-deps.sh)"
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
grep -qw overlay /proc/filesystems || skip "the kernel has no overlayfs"

pkg_field() { dpkg-deb --field "$1" "$2"; }
[[ "$(pkg_field "$DEB" Package)" == clawgress && "$(pkg_field "$NEWER" Package)" == clawgress ]] ||
    { say "both files must be clawgress packages"; exit 2; }
V_OLD=$(pkg_field "$DEB" Version) V_NEW=$(pkg_field "$NEWER" Version)
dpkg --compare-versions "$V_NEW" gt "$V_OLD" || { say "NEWER_DEB ($V_NEW) is not newer than DEB ($V_OLD)"; exit 2; }

# --- 1. the cached base -------------------------------------------------------------------------------------------
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 900 9 || die "another install test holds $CACHE/.lock"
if [[ -f "$BASE/.clawgress-base" && -n "$(find "$BASE/.clawgress-base" -mtime +"$MAX_BASE_AGE_DAYS")" ]]; then
    say "the cached $SUITE base is older than $MAX_BASE_AGE_DAYS days: rebuilding it"
    rm -rf "$BASE"
fi
if [[ ! -f "$BASE/.clawgress-base" ]]; then
    say "making the $SUITE base with debootstrap in $BASE (once; about a minute)"
    rm -rf "$BASE" "$BASE.tmp"
    if ! timeout 900 debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus "$SUITE" "$BASE.tmp" \
            "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
        tail -n 30 "$CACHE/debootstrap.log" >&2
        die "debootstrap $SUITE failed (log: $CACHE/debootstrap.log)"
    fi
    # No login prompt on the console nobody reads; no host name clash in logs.
    echo clawgress-install-test >"$BASE.tmp/etc/hostname"
    date -u +%FT%TZ >"$BASE.tmp/.clawgress-base"
    mv "$BASE.tmp" "$BASE"
fi
flock -u 9
ok "a cached debootstrap $SUITE base ($(cat "$BASE/.clawgress-base"))"

# --- 2. a throwaway copy, dependencies downloaded, booted ---------------------------------------------------------
WORK=$(mktemp -d "/tmp/$NAME.XXXXXX")
ROOT="$WORK/root"
MACHINE="cg-install-$$"
NSPAWN_PID="" PID1=""

cleanup() {
    if [[ -n "$PID1" ]] && kill -0 "$PID1" 2>/dev/null; then
        nsenter -t "$PID1" -a systemctl poweroff >/dev/null 2>&1
        for _ in $(seq 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
    fi
    [[ -n "$NSPAWN_PID" ]] && kill -0 "$NSPAWN_PID" 2>/dev/null && kill -KILL "$NSPAWN_PID" 2>/dev/null
    [[ -n "$NSPAWN_PID" ]] && wait "$NSPAWN_PID" 2>/dev/null
    for m in "$ROOT/proc" "$ROOT"; do mountpoint -q "$m" && umount -l "$m"; done
    if [[ "${CLAWGRESS_KEEP_INSTALL_TEST:-0}" == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/upper" "$WORK/work" "$ROOT"
mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$WORK/upper,workdir=$WORK/work" "$ROOT" ||
    die "overlayfs over $BASE"
mkdir -p "$ROOT/root/debs"
cp "$DEB" "$ROOT/root/debs/old.deb"
cp "$NEWER" "$ROOT/root/debs/new.deb"

# The dependencies of both builds into the container's apt cache, with the host's network (the booted container has
# none). Nothing is installed here: that is apt's job inside, from the cache.
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"
if ! timeout "$STEP_TIMEOUT" chroot "$ROOT" sh -c 'apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only /root/debs/old.deb /root/debs/new.deb' \
        >"$WORK/download.log" 2>&1; then
    tail -n 30 "$WORK/download.log" >&2
    die "downloading the package's dependencies"
fi
umount "$ROOT/proc"
# apt leaves a copy of the local packages in its cache, and inside it then fails on them ("Pathname to install is
# not absolute"): only the dependencies stay there.
rm -f "$ROOT"/var/cache/apt/archives/clawgress_*.deb
# (Inside, apt runs without --no-download, which apt 3.0 rejects with local packages: "Internal Error, Pathname to
# install is not absolute". The container has no network, so whatever is not in the cache fails loudly anyway.)
ok "dependencies downloaded into the container's apt cache ($(find "$ROOT/var/cache/apt/archives" -name '*.deb' | wc -l) packages)"

systemd-nspawn --boot --keep-unit --register=no --private-network --machine="$MACHINE" --directory="$ROOT" \
    --resolv-conf=off --timezone=off --console=passive >"$WORK/console.log" 2>&1 &
NSPAWN_PID=$!
for _ in $(seq 100); do
    PID1=$(pgrep -P "$NSPAWN_PID" -x systemd | head -n1)
    [[ -n "$PID1" ]] && break
    kill -0 "$NSPAWN_PID" 2>/dev/null || break
    sleep 0.2
done
[[ -n "$PID1" ]] || { cat "$WORK/console.log" >&2; die "systemd-nspawn did not start the container's systemd"; }

# inside CMD...: runs CMD inside the container (all its namespaces), with a clean environment.
inside() {
    nsenter -t "$PID1" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive timeout "$STEP_TIMEOUT" "$@"
}
# Until systemd's private bus socket exists, systemctl cannot ask; then --wait waits for the boot to finish.
for _ in $(seq 150); do
    state=$(inside systemctl is-system-running --wait 2>&1)
    [[ "$state" == *"Failed to connect"* ]] || break
    sleep 0.2
done
[[ "$state" == running || "$state" == degraded ]] || { cat "$WORK/console.log" >&2; die "boot: $state"; }
[[ "$state" == degraded ]] && say "booted degraded; failed units: $(inside systemctl --failed --plain --no-legend)"
ok "booted with systemd-nspawn -b: $(inside systemctl --version | head -n1), system $state"

# --- 3. the checks ------------------------------------------------------------------------------------------------
journal() { inside journalctl --no-pager -o cat -u "$1" | tail -n "${2:-40}" >&2; }

if inside apt-get install -y -q /root/debs/old.deb >"$WORK/install.log" 2>&1; then
    ok "apt install ./clawgress_${V_OLD}_amd64.deb"
else
    cat "$WORK/install.log" >&2
    die "apt install ./clawgress_${V_OLD}_amd64.deb"
fi
for dep in openjdk-21-jre-headless iptables iproute2; do
    if [[ "$(inside dpkg-query -W -f '${db:Status-Status}' "$dep" 2>/dev/null)" == installed ]]; then
        ok "apt pulled in $dep"
    else
        fail "apt pulled in $dep"
    fi
done

active=$(inside systemctl is-active clawgress)
if [[ "$active" == active ]]; then ok "systemctl is-active clawgress: active"; else
    fail "systemctl is-active clawgress: $active"; journal clawgress; fi

# --man=no: the units name their man pages, and a minimal system has no man(1) to look them up with.
if out=$(inside systemd-analyze verify --man=no clawgress.service clawgress-tproxy.service 2>&1) && [[ -z "$out" ]]
then
    ok "systemd-analyze verify clawgress.service clawgress-tproxy.service"
else
    fail "systemd-analyze verify: $out"
fi
security=$(inside systemd-analyze security --no-pager clawgress.service 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for clawgress.service: \([0-9.]*\).*/\1/p' <<<"$security")
if [[ -n "$exposure" ]] && awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
    ok "systemd-analyze security clawgress.service: exposure $exposure (<= $MAX_EXPOSURE)"
else
    printf '%s\n' "$security" >&2
    fail "systemd-analyze security clawgress.service: exposure '${exposure:-?}' (expected <= $MAX_EXPOSURE)"
fi

# The TPROXY unit, once the operator has named the agents: an "agent" interface that exists only in this container
# (one end of a veth pair: the host kernel may lack the dummy module) and a CIDR.
inside ip link add cg-agents type veth peer name cg-agents-peer && inside ip addr add 10.10.0.1/16 dev cg-agents &&
    inside ip link set cg-agents up && inside ip link set cg-agents-peer up
inside sed -i -e 's/^CLAWGRESS_AGENT_IFACES=.*/CLAWGRESS_AGENT_IFACES="cg-agents"/' \
    -e 's#^CLAWGRESS_AGENT_CIDRS=.*#CLAWGRESS_AGENT_CIDRS="10.10.0.0/16"#' /etc/clawgress/tproxy.env
if inside systemctl restart clawgress-tproxy && [[ "$(inside systemctl is-active clawgress-tproxy)" == active ]] &&
        [[ "$(inside iptables-save -t mangle)" == *TPROXY* ]]; then
    ok "clawgress-tproxy.service active on cg-agents (its TPROXY rule is in the container's mangle table)"
else
    fail "clawgress-tproxy.service on cg-agents"; journal clawgress-tproxy
fi

if out=$(inside clawgressctl status 2>&1) && [[ "$out" == "clawgressd "*"(pid $(inside systemctl show -P MainPID clawgress))"* ]]
then
    ok "clawgressctl status as root"
else
    fail "clawgressctl status as root: $out"
fi
# Informational (speed is a benchmark's business, not a test's): the installed clawgressctl's start-up here.
times=()
for _ in 1 2 3; do
    start=$(date +%s%N); inside clawgressctl status >/dev/null 2>&1; end=$(date +%s%N)
    times+=("$(( (end - start) / 1000000 )) ms")
done
printf 'info - clawgressctl status wall time, 3 runs (nsenter included): %s\n' "${times[*]}"
inside useradd --create-home --shell /bin/bash plain
out=$(inside runuser -u plain -- clawgressctl status 2>&1); rc=$?
if ((rc == 77 || rc == 69)) && [[ "$out" == *ermission* || "$out" == *not\ allowed* || "$out" == *refused* ]]; then
    ok "clawgressctl status refused to a plain user (exit $rc: ${out%%$'\n'*})"
else
    fail "clawgressctl status as a plain user: exit $rc: $out"
fi

inside useradd --create-home --shell /bin/bash --groups clawgress reader
if out=$(inside runuser -u reader -- clawgressctl status 2>&1); then ok "clawgressctl status for a member of group clawgress"
else fail "clawgressctl status for a member of group clawgress: $out"; fi
out=$(inside runuser -u reader -- clawgressctl agent add not-allowed 2>&1); rc=$?
if ((rc == 77)); then ok "a member of group clawgress may not change things (agent add: exit 77)"; else
    fail "agent add by a reader: exit $rc: $out"; fi

# The daemon reloads on its own thread after the HUP (systemctl returns once the signal is sent), saying RELOADING=1
# and then READY=1 to systemd (the unit is "reloading" in between): the unit active again and the daemon's result
# line are awaited.
reloaded() {
    local _
    for _ in $(seq 50); do
        [[ "$(inside systemctl is-active clawgress)" == active &&
            "$(inside journalctl --no-pager -o cat -u clawgress)" == *"Reloader - reload of /etc/clawgress/clawgress.yaml"*"reloaded"* ]] &&
            return 0
        sleep 0.2
    done
    return 1
}
pid_before=$(inside systemctl show -P MainPID clawgress)
reload_out=$(inside systemctl reload clawgress 2>&1); reload_rc=$?
if ((reload_rc == 0)) && reloaded && [[ "$(inside systemctl show -P MainPID clawgress)" == "$pid_before" ]]
then
    ok "systemctl reload clawgress (same pid $pid_before, the daemon logged the reload)"
else
    fail "systemctl reload clawgress: exit $reload_rc $reload_out; is-active $(inside systemctl is-active clawgress),\
 pid $pid_before -> $(inside systemctl show -P MainPID clawgress)"; journal clawgress
fi

# State and edited conffiles, to find again after the upgrade.
inside sh -c 'echo "# edited by the install test" >> /etc/clawgress/clawgress.yaml'
conf_before=$(inside sha256sum /etc/clawgress/clawgress.yaml /etc/clawgress/tproxy.env)
if inside clawgressctl agent add install-test-agent --team install-test >"$WORK/agent.log" 2>&1; then
    ok "state: agent install-test-agent registered"
else
    fail "clawgressctl agent add"; cat "$WORK/agent.log" >&2
fi

if inside apt-get install -y -q /root/debs/new.deb >"$WORK/upgrade.log" 2>&1 &&
        [[ "$(inside dpkg-query -W -f '${Version}' clawgress)" == "$V_NEW" ]]; then
    ok "upgrade to $V_NEW"
else
    cat "$WORK/upgrade.log" >&2
    fail "upgrade to $V_NEW"
fi
[[ "$(inside sha256sum /etc/clawgress/clawgress.yaml /etc/clawgress/tproxy.env)" == "$conf_before" ]] &&
    ok "upgrade kept the edited conffiles" || fail "upgrade changed the edited conffiles"
active=$(inside systemctl is-active clawgress)
pid_after=$(inside systemctl show -P MainPID clawgress)
out=$(inside clawgressctl status 2>&1)
if [[ "$active" == active && "$pid_after" != "$pid_before" && "$out" == *"(pid $pid_after)"* ]]; then
    ok "after the upgrade the new build runs (restarted: pid $pid_before -> $pid_after)"
else
    fail "after the upgrade: is-active $active; status: $out"; journal clawgress; fi
if inside clawgressctl agent show install-test-agent >/dev/null 2>&1; then ok "upgrade kept the agent registry"; else
    fail "the agent registered before the upgrade is gone"; fi
if out=$(inside clawgressctl audit verify 2>&1); then ok "the audit chain verifies across the upgrade"; else
    fail "audit verify after the upgrade: $out"; fi

inside dpkg-query -L clawgress >"$WORK/files.txt"
(($(wc -l <"$WORK/files.txt") > 50)) || die "dpkg-query -L clawgress lists only $(wc -l <"$WORK/files.txt") paths"
if inside apt-get purge -y -q clawgress >"$WORK/purge.log" 2>&1; then ok "apt purge clawgress"; else
    cat "$WORK/purge.log" >&2; fail "apt purge clawgress"; fi
left=()
while IFS= read -r f; do
    [[ -z "$f" || "$f" == /. ]] && continue
    # Directories that other packages own too (/usr/bin, /etc/apparmor.d, ...) stay, as they should.
    if [[ -e "$ROOT$f" || -L "$ROOT$f" ]] && ! [[ -d "$ROOT$f" && -n "$(inside dpkg-query -S "$f" 2>/dev/null)" ]]; then
        [[ -d "$ROOT$f" ]] && [[ -n "$(ls -A "$ROOT$f")" ]] && continue
        left+=("$f")
    fi
done <"$WORK/files.txt"
for f in /etc/clawgress /var/lib/clawgress /var/log/clawgress /run/clawgress \
        /etc/systemd/system/multi-user.target.wants/clawgress.service \
        /etc/systemd/system/multi-user.target.wants/clawgress-tproxy.service; do
    [[ -e "$ROOT$f" || -L "$ROOT$f" ]] && left+=("$f")
done
while IFS= read -r f; do left+=("${f#"$ROOT"}"); done < <(find "$ROOT/var/lib/systemd/deb-systemd-helper-enabled" \
    "$ROOT/var/lib/systemd/deb-systemd-user-helper-enabled" -name '*clawgress*' 2>/dev/null)
if ((${#left[@]} == 0)); then ok "purge left none of the package's $(wc -l <"$WORK/files.txt") paths, no state, no logs"; else
    fail "purge left: ${left[*]}"; fi
for who in passwd:clawgress group:clawgress group:clawgress-admin; do
    if inside getent "${who%%:*}" "${who#*:}" >/dev/null; then fail "purge left the ${who%%:*} entry ${who#*:}"; else
        ok "purge removed the ${who%%:*} entry ${who#*:}"; fi
done

exit "$FAILED"
