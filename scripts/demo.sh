#!/usr/bin/env bash
# Clawgress demo: builds the gateway, then in three throw-away network namespaces
#   agent (198.18.1.2) --veth-- gateway (198.18.1.1 | 198.18.2.1) --veth-- upstream (198.18.2.2)
# installs the real TPROXY rules in the gateway, runs the real clawgressd there with a sample policy, makes
# allowed and denied connections from the agent with curl, prints the flow records, and removes everything.
# Run as root on Ubuntu 24.04 / Debian. Touches nothing outside its namespaces and a temp dir.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$ROOT"

if [[ "$(id -u)" != 0 ]]; then
    echo "demo: run as root (it creates network namespaces and iptables rules inside them)" >&2
    exit 1
fi

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

bold "installing what is missing (iptables, iproute2, curl, socat, a JDK >= 21)"
scripts/install-deps.sh
# shellcheck source=env.sh
source scripts/env.sh

bold "building (./mvnw -DskipTests package)"
./mvnw -q -B -DskipTests package

ID="cgdemo$$"
AG="$ID-agent"; GW="$ID-gw"; UP="$ID-up"
WORK="$(mktemp -d /tmp/clawgress-demo.XXXXXX)"
DAEMON_PID=""
cleanup() {
    set +e
    [[ -n "$DAEMON_PID" ]] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
    for pid in $(ip netns pids "$UP" 2>/dev/null) $(ip netns pids "$GW" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    ip netns exec "$GW" "$ROOT/systemd/clawgress-tproxy" down --env-file "$WORK/tproxy.env" >/dev/null 2>&1
    ip netns del "$AG" 2>/dev/null; ip netns del "$GW" 2>/dev/null; ip netns del "$UP" 2>/dev/null
    rm -rf "$WORK"
    echo "demo: cleaned up (namespaces $ID-*, $WORK removed)"
}
trap cleanup EXIT

bold "network namespaces: $AG -> $GW -> $UP"
for ns in "$AG" "$GW" "$UP"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add "${ID}a" netns "$AG" type veth peer name "${ID}g" netns "$GW"
ip link add "${ID}u" netns "$UP" type veth peer name "${ID}h" netns "$GW"
ip -n "$AG" addr add 198.18.1.2/24 dev "${ID}a"; ip -n "$AG" link set "${ID}a" up
ip -n "$GW" addr add 198.18.1.1/24 dev "${ID}g"; ip -n "$GW" link set "${ID}g" up
ip -n "$GW" addr add 198.18.2.1/24 dev "${ID}h"; ip -n "$GW" link set "${ID}h" up
ip -n "$UP" addr add 198.18.2.2/24 dev "${ID}u"; ip -n "$UP" addr add 198.18.2.3/24 dev "${ID}u"
ip -n "$UP" link set "${ID}u" up
ip -n "$AG" route add default via 198.18.1.1
ip -n "$UP" route add default via 198.18.2.1

bold "upstream servers (socat) on 198.18.2.2:80, :8080 and 198.18.2.3:80"
cat > "$WORK/respond.sh" <<'SH'
#!/bin/sh
# One HTTP/1.1 exchange: read the request head up to its empty line, answer 200 with who we are.
cr="$(printf '\r')"
while IFS= read -r line; do [ "$line" = "$cr" ] || [ -z "$line" ] && break; done
body="hello from upstream $1:$2"
printf 'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n' $(( ${#body} + 1 )) "$body"
SH
chmod +x "$WORK/respond.sh"
for addr in 198.18.2.2:80 198.18.2.2:8080 198.18.2.3:80; do
    ip netns exec "$UP" socat -lf "$WORK/upstream-${addr/:/-}.log" -d -d \
        "TCP-LISTEN:${addr#*:},bind=${addr%:*},fork,reuseaddr" "EXEC:$WORK/respond.sh ${addr%:*} ${addr#*:}" &
done

bold "TPROXY rules in the gateway (systemd/clawgress-tproxy up)"
cat > "$WORK/tproxy.env" <<ENV
CLAWGRESS_AGENT_IFACES="${ID}g"
CLAWGRESS_AGENT_CIDRS="198.18.1.0/24"
CLAWGRESS_TPROXY_PORT=15001
CLAWGRESS_STATE_DIR="$WORK/tproxy-state"
ENV
ip netns exec "$GW" systemd/clawgress-tproxy up --env-file "$WORK/tproxy.env"
ip netns exec "$GW" iptables -t mangle -S | sed 's/^/    /'

bold "clawgressd in the gateway, with this policy"
cat > "$WORK/clawgress.yaml" <<YAML
listener: {address: 0.0.0.0, port: 15001, transport: epoll}
timeouts: {upstream_connect: 2s, idle: 30s}
flow_log: {path: $WORK/flows.jsonl}
static_policy:
  bindings:
    - subnet: 198.18.1.0/24
      identity: {agent_id: demo-agent, team_id: research, environment: dev}
  rules:
    - {id: no-second-host, action: deny, destinations: [198.18.2.3/32]}
    - {id: web, action: allow, destinations: [198.18.2.0/24], ports: [80]}
YAML
sed -n '/static_policy/,$p' "$WORK/clawgress.yaml" | sed 's/^/    /'
ip netns exec "$GW" bin/clawgressd --check-config --config "$WORK/clawgress.yaml"
ip netns exec "$GW" bin/clawgressd --config "$WORK/clawgress.yaml" 2>"$WORK/clawgressd.log" &
DAEMON_PID=$!
for _ in $(seq 1 150); do
    grep -q "clawgressd ready" "$WORK/clawgressd.log" && break
    kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/clawgressd.log" >&2; exit 1; }
    sleep 0.2
done
grep "clawgressd ready" "$WORK/clawgressd.log" | sed 's/^/    /'

try() { # description, curl args...
    local what="$1"; shift
    printf '\n  agent$ curl %s      # %s\n' "$*" "$what"
    if out="$(ip netns exec "$AG" curl -sS --max-time 5 "$@" 2>&1)"; then
        printf '    -> %s\n' "$out"
    else
        printf '    -> refused by the gateway (TCP reset); curl says: %s\n' "$out"
    fi
}
bold "connections from the agent (no proxy settings: TPROXY captures them)"
try "allowed by rule web" http://198.18.2.2/
try "port 8080 not allowed: default deny, reset" http://198.18.2.2:8080/
try "denied by rule no-second-host" http://198.18.2.3/
try "the gateway's own listener: refused as loop" http://198.18.1.1:15001/

sleep 1
bold "flow records ($WORK/flows.jsonl)"
cat "$WORK/flows.jsonl"
bold "what the upstream servers saw"
grep -h "accepting connection" "$WORK"/upstream-*.log | sed 's/^/    /' || echo "    (no connections)"
echo "    (only the allowed flow reached an upstream server; denied ones never left the gateway)"
