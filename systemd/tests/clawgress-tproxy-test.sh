#!/usr/bin/env bash
# End-to-end test of systemd/clawgress-tproxy in throwaway network namespaces (run as root):
#
#   agent ns    cga 198.18.1.2/24 ──veth── cgg 198.18.1.1/24   gateway ns
#               2001:2:0:1::2/64             2001:2:0:1::1/64
#   gateway ns  cgu 198.19.255.254/24 ──veth── cgv 198.19.255.1/24   upstream ns
#               2001:2:0:ff::fe/64               2001:2:0:ff::1/64
#
# The rules go into the gateway namespace only. Traffic goes to 198.19.0.0/16 and 2001:2::/48 (benchmark ranges),
# which only exist inside these namespaces; none of them has a link to the host. Exit 77 = skipped.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOL=${CLAWGRESS_TPROXY:-$HERE/../clawgress-tproxy}
NAME=clawgress-tproxy-test

skip() { # CI never silently skips: there a missing privilege or tool is a failure
    if [[ "${CI:-}" == true ]]; then echo "$NAME: $* (CI=true, so this is a failure)" >&2; exit 1; fi
    echo "$NAME: SKIPPED: $*" >&2
    exit 77
}

((EUID == 0)) || skip "must run as root (creates network namespaces and iptables rules); try: sudo $0"
for t in ip iptables iptables-save socat ss timeout; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found (run scripts/install-deps.sh)"
done
[[ -x "$TOOL" ]] || { echo "$NAME: $TOOL is not executable" >&2; exit 1; }

V6=0
if [[ -e /proc/net/if_inet6 ]] && command -v ip6tables-save >/dev/null 2>&1; then V6=1; fi

PFX="cgt-$$"
GW="$PFX-gw" AG="$PFX-agent" UP="$PFX-up"
TMP=$(mktemp -d "/tmp/$PFX.XXXXXX")
ENV_FILE="$TMP/tproxy.env"
export CLAWGRESS_STATE_DIR="$TMP/state"
PIDS=()

host_snapshot() {
    {
        iptables-save | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
        ((V6)) && ip6tables-save | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
        ip rule
        ((V6)) && ip -6 rule
    } 2>&1
}

cleanup() {
    local p n
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    for n in "$GW" "$AG" "$UP"; do
        ip netns list | grep -qw -- "$n" && ip netns del "$n"
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

HOST_BEFORE=$(host_snapshot)

PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1${2:+: $2}"; }
check() { # $1 description, rest = command that must succeed
    local d=$1
    shift
    if "$@"; then pass "$d"; else fail "$d"; fi
}

gw() { ip netns exec "$GW" "$@"; }
ag() { ip netns exec "$AG" "$@"; }
tool() { gw "$TOOL" --env-file "$ENV_FILE" "$@"; } # stderr goes to $TMP/err

# Runs the tool; sets RC and ERR (its stderr).
run_tool() {
    tool "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
    ERR=$(<"$TMP/err")
}

expect_rc() { # $1 description, $2 expected rc, rest = tool args
    local d=$1 want=$2
    shift 2
    run_tool "$@"
    if [[ "$RC" == "$want" ]]; then pass "$d"; else fail "$d" "exit $RC, expected $want; stderr: $ERR"; fi
}

count() { grep -cxF -- "$2" <<<"$1" || true; } # $1 text, $2 whole line

wait_listen() { # $1 ns, $2 ss filter args...: up to 10 s for a listener
    local ns=$1 _
    shift
    for _ in $(seq 100); do
        [[ -n "$(ip netns exec "$ns" ss -H "$@" 2>/dev/null)" ]] && return 0
        sleep 0.1
    done
    return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ------------------------------------------------------------------------------------------- topology
set -e
ip netns add "$GW"
ip netns add "$AG"
ip netns add "$UP"
ip link add cgg netns "$GW" type veth peer name cga netns "$AG"
ip link add cgu netns "$GW" type veth peer name cgv netns "$UP"
for n in "$GW" "$AG" "$UP"; do ip -n "$n" link set lo up; done
ip -n "$GW" addr add 198.18.1.1/24 dev cgg
ip -n "$GW" addr add 198.19.255.254/24 dev cgu
ip -n "$AG" addr add 198.18.1.2/24 dev cga
ip -n "$UP" addr add 198.19.255.1/24 dev cgv
if ((V6)); then
    ip -n "$GW" addr add 2001:2:0:1::1/64 dev cgg nodad
    ip -n "$GW" addr add 2001:2:0:ff::fe/64 dev cgu nodad
    ip -n "$AG" addr add 2001:2:0:1::2/64 dev cga nodad
    ip -n "$UP" addr add 2001:2:0:ff::1/64 dev cgv nodad
fi
ip -n "$GW" link set cgg up
ip -n "$GW" link set cgu up
ip -n "$AG" link set cga up
ip -n "$UP" link set cgv up
ip -n "$AG" route add default via 198.18.1.1
ip -n "$UP" route add default via 198.19.255.254
if ((V6)); then
    ip -n "$AG" -6 route add default via 2001:2:0:1::1
    ip -n "$UP" -6 route add default via 2001:2:0:ff::fe
fi
# The gateway routes what is not intercepted (the excluded upstream range); only inside its own namespace.
gw sysctl -qw net.ipv4.ip_forward=1
((V6)) && gw sysctl -qw net.ipv6.conf.all.forwarding=1
# A value that is neither the kernel default nor ours, so "restored" means restored.
gw sysctl -qw net.ipv4.conf.cgg.rp_filter=2

# Upstream servers (reached only via exclusions), and the stand-in for clawgressd: a transparent listener that
# answers with the original destination it accepted, i.e. its local address.
bg() { "$@" >/dev/null 2>&1 & PIDS+=($!); }
bg ip netns exec "$UP" socat TCP4-LISTEN:80,reuseaddr,fork SYSTEM:'echo upstream'
bg ip netns exec "$UP" socat UDP4-RECVFROM:443,fork SYSTEM:'echo udp-upstream'
# shellcheck disable=SC2016 # expanded by socat's child shell
bg ip netns exec "$GW" socat TCP4-LISTEN:15001,ip-transparent,reuseaddr,fork \
    SYSTEM:'echo "orig=$SOCAT_SOCKADDR:$SOCAT_SOCKPORT"'
if ((V6)); then
    bg ip netns exec "$UP" socat TCP6-LISTEN:80,ipv6only=1,reuseaddr,fork SYSTEM:'echo upstream6'
    # shellcheck disable=SC2016
    bg ip netns exec "$GW" socat TCP6-LISTEN:15001,ipv6only=1,ip-transparent,reuseaddr,fork \
        SYSTEM:'echo "orig=$SOCAT_SOCKADDR:$SOCAT_SOCKPORT"'
fi
set +e
if ! { wait_listen "$GW" -lnt 'sport = :15001' && wait_listen "$UP" -lnt 'sport = :80' &&
    wait_listen "$UP" -lnu 'sport = :443'; }; then
    echo "$NAME: test servers did not start" >&2
    exit 1
fi

AGENT_CIDRS="198.18.1.0/24" EXCLUDE_CIDRS="198.19.255.0/24"
if ((V6)); then AGENT_CIDRS+=" 2001:2:0:1::/64" EXCLUDE_CIDRS+=" 2001:2:0:ff::/64"; fi
cat >"$ENV_FILE" <<EOF
# written by $NAME
CLAWGRESS_AGENT_IFACES="cgg"
CLAWGRESS_AGENT_CIDRS="$AGENT_CIDRS"
CLAWGRESS_EXCLUDE_CIDRS="$EXCLUDE_CIDRS"
CLAWGRESS_TPROXY_PORT=15001
EOF
((V6)) || echo "# note: IPv6 unavailable here, IPv6 checks are left out"

# ------------------------------------------------------------------------------------------- checks
expect_rc "up exits 0" 0 up
expect_rc "up again exits 0" 0 up
if grep -q 'up: done, 0 change(s)' <<<"$ERR"; then
    pass "up again changes nothing"
else
    fail "up again changes nothing" "$ERR"
fi

rules_once() { # $1 = 4|6
    local f=$1 save rules d line problems="" jump
    if [[ "$f" == 4 ]]; then save=$(gw iptables-save); else save=$(gw ip6tables-save); fi
    rules=$(gw ip -"$f" rule)
    d=$(grep '^-A ' <<<"$save" | sort | uniq -d)
    [[ -z "$d" ]] || problems+=" duplicate rules: $d;"
    for jump in "-A PREROUTING -i cgg -j CLAWGRESS_PREROUTING" "-A PREROUTING -i cgg -j CLAWGRESS_QUIC_REDIRECT" \
        "-A INPUT -i cgg -j CLAWGRESS_QUIC_REJECT" "-A FORWARD -i cgg -j CLAWGRESS_QUIC_REJECT"; do
        [[ "$(count "$save" "$jump")" == 1 ]] || problems+=" '$jump' present $(count "$save" "$jump") times;"
    done
    line=$(grep -c -- '-j TPROXY --on-port 15001 .*--tproxy-mark 0x1/0x1' <<<"$save")
    [[ "$line" == 1 ]] || problems+=" TPROXY rule present $line times;"
    line=$(grep -c 'fwmark 0x1/0x1 lookup 100' <<<"$rules")
    [[ "$line" == 1 ]] || problems+=" fwmark ip rule present $line times;"
    line=$(gw ip -"$f" route show table 100 | grep -c '^local default dev lo')
    [[ "$line" == 1 ]] || problems+=" local route present $line times;"
    if [[ -z "$problems" ]]; then
        pass "IPv$f: every rule, the ip rule and the route exist exactly once"
    else
        fail "IPv$f: every rule, the ip rule and the route exist exactly once" "$problems"
    fi
}
rules_once 4
((V6)) && rules_once 6

expect_rc "status exits 0 when installed" 0 status
check "rp_filter on cgg is 1 after up" test "$(gw cat /proc/sys/net/ipv4/conf/cgg/rp_filter)" = 1

# TCP interception: SYN to an address that is nowhere local reaches the transparent listener with its original
# destination intact.
out=$(ag timeout 10 socat -T3 - TCP4:198.19.0.80:80,connect-timeout=3 </dev/null 2>&1)
check "TCP to 198.19.0.80:80 is intercepted, listener sees the original destination ($out)" \
    test "$out" = "orig=198.19.0.80:80"
if ((V6)); then
    out=$(ag timeout 10 socat -T3 - 'TCP6:[2001:2:0:2::80]:80,connect-timeout=3' </dev/null 2>&1)
    check "TCP to [2001:2:0:2::80]:80 is intercepted ($out)" \
        test "$out" = "orig=[2001:0002:0000:0002:0000:0000:0000:0080]:80"
fi
out=$(ag timeout 10 socat -T3 - TCP4:198.19.255.1:80,connect-timeout=3 </dev/null 2>&1)
check "TCP to excluded 198.19.255.1:80 is routed to upstream, not intercepted ($out)" test "$out" = upstream
if ((V6)); then
    out=$(ag timeout 10 socat -T3 - 'TCP6:[2001:2:0:ff::1]:80,connect-timeout=3' </dev/null 2>&1)
    check "TCP to excluded [2001:2:0:ff::1]:80 is routed to upstream ($out)" test "$out" = upstream6
fi
out=$(ag timeout 10 socat -T3 - TCP4:198.18.1.1:80,connect-timeout=3 </dev/null 2>&1)
check "TCP to the gateway's own address is not intercepted (refused by the gateway)" \
    grep -q 'Connection refused' <<<"$out"

quic_refused() { # $1 = socat address; ECONNREFUSED (ICMP port unreachable) well before any QUIC timeout
    local t0 t1 out
    t0=$(now_ms)
    out=$(echo quic-initial | ag timeout 10 socat -t3 -T3 - "$1" 2>&1)
    t1=$(now_ms)
    if grep -q 'Connection refused' <<<"$out" && ((t1 - t0 < 2500)); then
        pass "QUIC: UDP to $1 gets ECONNREFUSED in $((t1 - t0)) ms"
    else
        fail "QUIC: UDP to $1 gets ECONNREFUSED quickly" "after $((t1 - t0)) ms: $out"
    fi
}
quic_refused UDP4:198.19.0.43:443
((V6)) && quic_refused 'UDP6:[2001:2:0:2::43]:443'
out=$(echo hi | ag timeout 10 socat -t3 -T5 - UDP4:198.19.255.1:443 2>&1)
check "QUIC to an excluded destination is not rejected (upstream answers: $out)" test "$out" = udp-upstream

# Validation.
printf 'CLAWGRESS_AGENT_CIDRS="198.18.1.0/24"\n' >"$TMP/no-ifaces.env"
out=$(gw "$TOOL" --env-file "$TMP/no-ifaces.env" up 2>&1)
rc=$?
if [[ "$rc" == 2 ]] && grep -q CLAWGRESS_AGENT_IFACES <<<"$out"; then
    pass "missing CLAWGRESS_AGENT_IFACES exits 2 naming it"
else
    fail "missing CLAWGRESS_AGENT_IFACES exits 2 naming it" "exit $rc: $out"
fi
printf 'CLAWGRESS_AGENT_IFACES=cgg\nCLAWGRESS_AGENT_CIDRS="198.18.1.0/24 198.18.300.0/24"\n' >"$TMP/bad-cidr.env"
out=$(gw "$TOOL" --env-file "$TMP/bad-cidr.env" up 2>&1)
rc=$?
if [[ "$rc" == 2 ]] && grep -q 'CLAWGRESS_AGENT_CIDRS.*198.18.300.0/24' <<<"$out"; then
    pass "bad CIDR exits 2 naming the variable and value"
else
    fail "bad CIDR exits 2 naming the variable and value" "exit $rc: $out"
fi
expect_rc "a rejected env file changed nothing (status still 0)" 0 status

# Partial install: status says so, up repairs it.
gw iptables -w -t mangle -F CLAWGRESS_DIVERT
gw ip -4 rule del fwmark 0x1/0x1 lookup 100 priority 100
expect_rc "status exits 4 when partially installed" 4 status
expect_rc "up repairs a partial install" 0 up
expect_rc "status exits 0 after the repair" 0 status

expect_rc "down exits 0" 0 down
leftovers() {
    local f save rules route bad="" fams=(4)
    ((V6)) && fams+=(6)
    for f in "${fams[@]}"; do
        if [[ "$f" == 4 ]]; then save=$(gw iptables-save); else save=$(gw ip6tables-save); fi
        rules=$(gw ip -"$f" rule | grep fwmark)
        route=$(gw ip -"$f" route show table 100 2>/dev/null)
        grep -q CLAWGRESS <<<"$save" && bad+=" IPv$f CLAWGRESS rules: $(grep CLAWGRESS <<<"$save");"
        [[ -z "$rules" ]] || bad+=" IPv$f ip rule: $rules;"
        [[ -z "$route" ]] || bad+=" IPv$f table 100: $route;"
    done
    [[ -z "$(find "$CLAWGRESS_STATE_DIR" -type f 2>/dev/null)" ]] ||
        bad+=" state files left: $(ls "$CLAWGRESS_STATE_DIR");"
    if [[ -z "$bad" ]]; then pass "$1"; else fail "$1" "$bad"; fi
}
leftovers "down leaves no CLAWGRESS chain, no fwmark ip rule, no route in table 100, no state"
check "rp_filter on cgg restored to 2 after down" test "$(gw cat /proc/sys/net/ipv4/conf/cgg/rp_filter)" = 2
out=$(ag timeout 10 socat -T2 - TCP4:198.19.0.80:80,connect-timeout=2 </dev/null 2>&1)
check "after down TCP to 198.19.0.80:80 is no longer intercepted" test "${out#orig=}" = "$out"
expect_rc "down again exits 0" 0 down
expect_rc "status after down exits 3" 3 status

# down after a partial up: only some pieces exist (as if up had died half-way).
gw ip -4 rule add fwmark 0x1/0x1 lookup 100 priority 100
gw ip -4 route replace local 0.0.0.0/0 dev lo table 100
gw iptables -w -t mangle -N CLAWGRESS_PREROUTING
gw iptables -w -t mangle -A CLAWGRESS_PREROUTING -j RETURN
gw iptables -w -t mangle -I PREROUTING 1 -i cgg -j CLAWGRESS_PREROUTING
expect_rc "status exits 4 for a half-made install" 4 status
expect_rc "down after a partial up exits 0" 0 down
leftovers "down after a partial up cleans everything"
expect_rc "status after that exits 3" 3 status

HOST_AFTER=$(host_snapshot)
if [[ "$HOST_BEFORE" == "$HOST_AFTER" ]]; then pass "host namespace iptables and ip rules unchanged"
else fail "host namespace unchanged" "$(diff <(echo "$HOST_BEFORE") <(echo "$HOST_AFTER"))"; fi

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
