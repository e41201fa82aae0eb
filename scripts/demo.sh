#!/usr/bin/env bash
# Clawgress demo: builds the gateway, then in three throw-away network namespaces
#   agent (198.18.1.2) --veth-- gateway (198.18.1.1 | 198.18.2.1) --veth-- upstream (198.18.2.2)
# installs the real TPROXY rules in the gateway, signs a policy bundle with a key it generates, runs the real
# clawgressd there enforcing it, makes allowed and denied connections from the agent with curl, activates a new
# revision (a tampered copy is refused first) that revokes an open connection, prints the flow records, and
# removes everything.
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
    for pid in $(ip netns pids "$UP" 2>/dev/null) $(ip netns pids "$GW" 2>/dev/null) \
               $(ip netns pids "$AG" 2>/dev/null) $(jobs -p); do kill "$pid" 2>/dev/null; done
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

bold "upstream servers (socat) on 198.18.2.2:80, :8080, :7000 and 198.18.2.3:80"
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
# A server that accepts and says nothing, like a database the agent keeps a connection open to.
ip netns exec "$UP" socat -lf "$WORK/upstream-198.18.2.2-7000.log" -d -d \
    "TCP-LISTEN:7000,bind=198.18.2.2,fork,reuseaddr" "EXEC:sleep 120" &

bold "HTTPS upstreams for interception: api.demo (a CA the gateway trusts) and evil.demo (self-signed)"
ip -n "$UP" addr add 198.18.2.53/24 dev "${ID}u"
mkdir -p "$WORK/pki"
( cd "$WORK/pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
      -subj "/CN=Demo upstream CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout api.key -out api.csr \
      -subj "/CN=api.demo" 2>/dev/null
  printf 'subjectAltName=DNS:api.demo\nextendedKeyUsage=serverAuth\n' > api.ext
  openssl x509 -req -in api.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile api.ext \
      -out api.pem 2>/dev/null
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout evil.key -out evil.pem -days 1 \
      -subj "/CN=evil.demo" -addext "subjectAltName=DNS:evil.demo" 2>/dev/null )
# The test peers (plain JDK, no dependencies): a DNS server for the gateway's resolver and HTTPS origins that
# log every request they receive.
PEER=("$JAVA_HOME/bin/java" -cp "$ROOT/test-fixtures/target/classes" io.clawgress.testing.peer.Peer)
ip netns exec "$UP" "${PEER[@]}" dns-server --bind 198.18.2.53 --port 53 --record api.demo=198.18.2.2 \
    --record evil.demo=198.18.2.3 >"$WORK/dns.log" 2>&1 &
ip netns exec "$UP" "${PEER[@]}" origin-server --bind 198.18.2.2 --port 443 --tls-cert "$WORK/pki/api.pem" \
    --tls-key "$WORK/pki/api.key" >"$WORK/origin-api.log" 2>&1 &
ip netns exec "$UP" "${PEER[@]}" origin-server --bind 198.18.2.3 --port 443 --tls-cert "$WORK/pki/evil.pem" \
    --tls-key "$WORK/pki/evil.key" >"$WORK/origin-evil.log" 2>&1 &
for log in dns origin-api origin-evil; do
    for _ in $(seq 1 100); do grep -q '"ready"' "$WORK/$log.log" 2>/dev/null && break; sleep 0.1; done
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

bold "a signing key and a signed policy bundle (clawgressctl bundle keygen | build | verify)"
mkdir -p "$WORK/policy" "$WORK/drop"
policy() { # revision-specific rules follow the common part
    cat <<YAML
apiVersion: clawgress.io/v1
kind: IdentityBindings
id: demo-subnets
bindings:
  - subnet: 198.18.1.0/24
    identity: {agent_id: demo-agent, team_id: research, environment: dev}
---
apiVersion: clawgress.io/v1
kind: Policy
id: demo
priority: 100
subjects: {team_id: [research]}
rules:
  - {id: no-second-host, action: deny, destinations: [{cidr: 198.18.2.3/32, ports: [80]}]}
  - id: api
    action: allow
    destinations: [{host: api.demo, ports: [443]}]
    http: {methods: [GET, POST], paths: ["/v1/"]}
    intercept: true
  - {id: evil, action: allow, destinations: [{host: evil.demo, ports: [443]}], intercept: true}
YAML
}
{ policy; cat <<YAML
  - {id: web, action: allow, destinations: [{cidr: 198.18.2.0/24, ports: [80]}]}
  - {id: database, action: allow, destinations: [{cidr: 198.18.2.2/32, ports: [7000]}]}
YAML
} > "$WORK/policy/demo.yaml"
sed 's/^/    /' "$WORK/policy/demo.yaml"
CTL="$ROOT/bin/clawgressctl"
"$CTL" bundle keygen --alg eddsa --kid demo-signer --out-private "$WORK/signer.pem" \
    --out-public-keyset "$WORK/trusted-keys.json"
"$CTL" bundle build --dir "$WORK/policy" --key "$WORK/signer.pem" --kid demo-signer --revision 1 \
    --valid-for 30d --out "$WORK/bundle-r1.tar.gz"
"$CTL" bundle verify "$WORK/bundle-r1.tar.gz" --trusted-keys "$WORK/trusted-keys.json" | sed 's/^/    /'

bold "clawgressd in the gateway, enforcing the signed bundle"
cat > "$WORK/clawgress.yaml" <<YAML
listener: {address: 0.0.0.0, port: 15001, transport: epoll}
timeouts: {upstream_connect: 2s, idle: 5m}
peek: {server_first_ports: [7000]}
dns: {servers: ["198.18.2.53"]}
audit: {dir: $WORK/audit}
admin: {socket: $WORK/admin.sock, group: root, admin_group: root}
identity: {trust_domain: demo.local}
intercept: {upstream_ca: $WORK/pki/ca.pem}
state_dir: $WORK/state
policy:
  trusted_keys: $WORK/trusted-keys.json
  bundle: $WORK/bundle-r1.tar.gz
  drop_dir: $WORK/drop
YAML
sed 's/^/    /' "$WORK/clawgress.yaml"
ip netns exec "$GW" bin/clawgressd --check-config --config "$WORK/clawgress.yaml"
ip netns exec "$GW" bin/clawgressd --config "$WORK/clawgress.yaml" 2>"$WORK/clawgressd.log" &
DAEMON_PID=$!
for _ in $(seq 1 150); do
    grep -q "clawgressd ready" "$WORK/clawgressd.log" && break
    kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/clawgressd.log" >&2; exit 1; }
    sleep 0.2
done
grep -E "policy activated|clawgressd ready" "$WORK/clawgressd.log" | sed 's/^/    /'

try() { # description, curl args...
    local what="$1"; shift
    printf '\n  agent$ curl %s      # %s\n' "$*" "$what"
    if out="$(ip netns exec "$AG" curl -sS --max-time 5 "$@" 2>&1)"; then
        printf '    -> %s\n' "$out"
    else
        printf '    -> refused by the gateway (reset or TLS alert); curl says: %s\n' "$out"
    fi
}
bold "connections from the agent (no proxy settings: TPROXY captures them)"
try "allowed by rule web" http://198.18.2.2/
try "port 8080 not allowed: default deny, answered 403 (HTTP is visible)" http://198.18.2.2:8080/
try "denied by rule no-second-host: 403 naming the rule" http://198.18.2.3/
try "the gateway's own listener: refused as loop" http://198.18.1.1:15001/

bold "TLS interception with the agent's client certificate (clawgressctl agent add | cert, ca export)"
"$CTL" agent add demo-agent --team research --environment dev --state-dir "$WORK/state"
"$CTL" ca export --state-dir "$WORK/state" --out "$WORK/intercept-ca.pem"
"$CTL" agent cert demo-agent --trust-domain demo.local --state-dir "$WORK/state" \
    --out-cert "$WORK/demo-agent.pem" --out-key "$WORK/demo-agent.key"
TLS=(--cacert "$WORK/intercept-ca.pem" --cert "$WORK/demo-agent.pem" --key "$WORK/demo-agent.key"
     --resolve api.demo:443:198.18.2.2 --resolve evil.demo:443:198.18.2.3)
try "intercepted: POST /v1/ allowed by rule api, the agent proven by its certificate" "${TLS[@]}" \
    -X POST --data '{"prompt":"hi"}' https://api.demo/v1/chat
try "intercepted: GET /admin/ matches no rule: 403 from the gateway, never sent upstream" "${TLS[@]}" \
    https://api.demo/admin/keys
try "evil.demo's certificate does not verify: nothing minted, the agent's handshake fails" "${TLS[@]}" \
    https://evil.demo/

printf '\n  agent$ socat -u TCP:198.18.2.2:7000 - &      # allowed by rule database, held open\n'
ip netns exec "$AG" socat -d -u TCP:198.18.2.2:7000 - >/dev/null 2>"$WORK/held.log" &
HELD_PID=$!
sleep 1

wait_log() { # pattern: wait up to 10 s for it in the daemon log, then print the line
    for _ in $(seq 1 50); do grep -q "$1" "$WORK/clawgressd.log" && break; sleep 0.2; done
    grep "$1" "$WORK/clawgressd.log" | tail -1 | sed 's/^/    /'
}
bold "revision 2: web moves to port 8080, the database rule is gone"
{ policy; cat <<YAML
  - {id: web, action: allow, destinations: [{cidr: 198.18.2.0/24, ports: [8080]}]}
YAML
} > "$WORK/policy/demo.yaml"
"$CTL" bundle build --dir "$WORK/policy" --key "$WORK/signer.pem" --kid demo-signer --revision 2 \
    --valid-for 30d --out "$WORK/bundle-r2.tar.gz"
echo "  a copy with one byte changed, dropped first, is refused and revision 1 keeps enforcing:"
cp "$WORK/bundle-r2.tar.gz" "$WORK/tampered.tar.gz"
size=$(stat -c %s "$WORK/tampered.tar.gz")
printf '\x55' | dd of="$WORK/tampered.tar.gz" bs=1 seek=$((size / 2)) conv=notrunc status=none
mv "$WORK/tampered.tar.gz" "$WORK/drop/"
wait_log "policy bundle rejected"
echo "  the signed revision 2 (write beside the drop directory, then rename into it):"
cp "$WORK/bundle-r2.tar.gz" "$WORK/r2.tmp" && mv "$WORK/r2.tmp" "$WORK/drop/bundle-r2.tar.gz"
wait_log "policy activated: revision 2"
wait_log "policy revision 2: .* revoked"
held_rc=0; wait "$HELD_PID" 2>/dev/null || held_rc=$?
printf '    the held connection ended at once (socat exit status %s) %s\n' "$held_rc" "$(tail -1 "$WORK/held.log")"
try "port 80 is no longer allowed" http://198.18.2.2/
try "port 8080 is now allowed by rule web" http://198.18.2.2:8080/

sleep 1
bold "the running gateway, through its admin socket (clawgressctl status; docs/admin-api.md)"
"$CTL" status --socket "$WORK/admin.sock" | sed 's/^/    /'
"$CTL" bundle history --socket "$WORK/admin.sock" | sed 's/^/    /'
bold "the audit trail ($WORK/audit: one chained record per connection and per HTTP request)"
"$CTL" audit query --dir "$WORK/audit" | sed 's/^/    /'
echo "  one record as written (canonical JSON, chained by prev_hash and hash):"
"$CTL" audit tail --dir "$WORK/audit" -n 1 --json | sed 's/^/    /'
echo "  verified offline with the node's audit public key (clawgressctl audit key):"
"$CTL" audit verify --dir "$WORK/audit" --state-dir "$WORK/state" | sed 's/^/    /'
bold "what the upstream servers saw"
grep -h "accepting connection" "$WORK"/upstream-*.log | sed 's/^/    /' || echo "    (no connections)"
grep -h '"event":"request"' "$WORK/origin-api.log" | sed 's/^/    api.demo: /' || true
echo "    (only allowed flows reached an upstream server; denied ones never left the gateway)"
