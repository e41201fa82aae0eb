#!/usr/bin/env bash
# Captures the real-client ClientHello corpus in tproxy/src/test/resources/clienthello/: for each entry a one-shot
# listener on 127.0.0.1 (port 0) records every byte one client connection sends until the ClientHello is complete,
# then closes without answering. Writes <name>.bin, manifest.tsv and README.md from scratch, so running it again
# replaces the corpus (the bytes differ every run: randoms, key shares, Chromium's GREASE and extension order).
#
# Only 127.0.0.1 is ever contacted: every client is pointed at 127.0.0.1 with the SNI set separately (curl --resolve,
# s_client -connect, server_hostname/servername, a JDK hosts file, Chromium host-resolver rules that also make every
# other name unresolvable), and proxy variables are cleared. Needs: curl, openssl, python3, node, chromium, a JDK >= 21
# (found by scripts/env.sh). As root on Debian: apt-get install -y curl openssl python3 nodejs chromium
#
# The listener advertises an Ethernet MSS (1460) and uses a small receive buffer (SO_RCVBUF 1024, which Linux makes
# 2304). On loopback the MSS alone does not show in the reads, so it is the small window that makes a ClientHello
# bigger than it reach the reader in several chunks, as several segments would on a real link; read_sizes in the
# manifest are the recv() results as the reader saw them.
#
# Usage: tproxy/scripts/capture-clienthellos.sh [-o OUT_DIR]   (default: tproxy/src/test/resources/clienthello)
set -euo pipefail

TPROXY="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
ROOT="$(cd "$TPROXY/.." && pwd)"
OUT="$TPROXY/src/test/resources/clienthello"
while getopts "o:h" opt; do
    case "$opt" in
        o) OUT="$OPTARG" ;;
        *) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 2 ;;
    esac
done

unset http_proxy https_proxy all_proxy no_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY

missing=()
for tool in curl openssl python3 node chromium; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if (( ${#missing[@]} )); then
    echo "capture: missing ${missing[*]}" \
         "(as root on Debian: apt-get install -y curl openssl python3 nodejs chromium)" >&2
    exit 1
fi
# shellcheck source=../../scripts/env.sh
source "$ROOT/scripts/env.sh"
JAVA="$JAVA_HOME/bin/java"

WORK="$(mktemp -d /tmp/clienthello-capture.XXXXXX)"
CLIENT_PGID=""
cleanup() {
    if [[ -n "$CLIENT_PGID" ]]; then kill -TERM -- "-$CLIENT_PGID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$WORK/corpus"

# One connection on 127.0.0.1:<ephemeral>; prints the port on stdout once listening, then, after capture, one line:
# total_bytes <TAB> record_count <TAB> read_sizes (comma list). Fails unless the bytes are exactly the TLS records
# carrying one complete ClientHello (RFC 8446 §5.1 record framing, §4 handshake header).
cat > "$WORK/listener.py" <<'PY'
import select, socket, sys, time

out_path = sys.argv[1]
ACCEPT_TIMEOUT, HELLO_TIMEOUT, LINGER = 30.0, 10.0, 0.5

def complete_hello_length(data):
    """Bytes of records needed for the whole first handshake message, or None while incomplete."""
    off, payload, need, records = 0, b"", None, 0
    while off + 5 <= len(data):
        ctype, major, length = data[off], data[off + 1], int.from_bytes(data[off + 3:off + 5], "big")
        if ctype != 0x16 or major != 0x03:
            sys.exit(f"listener: not a TLS handshake record at offset {off}: {data[off:off + 5].hex()}")
        if off + 5 + length > len(data):
            return None, records
        payload += data[off + 5:off + 5 + length]
        off += 5 + length
        records += 1
        if need is None and len(payload) >= 4:
            if payload[0] != 0x01:
                sys.exit(f"listener: first handshake message is type {payload[0]}, not client_hello")
            need = 4 + int.from_bytes(payload[1:4], "big")
        if need is not None and len(payload) >= need:
            if len(payload) != need:
                sys.exit("listener: the last ClientHello record carries bytes past the ClientHello")
            return off, records
    return None, records

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)   # inherited by the accepted socket
srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1460)  # advertised in our SYN-ACK
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
srv.settimeout(ACCEPT_TIMEOUT)
conn, peer = srv.accept()
srv.close()  # any further connection attempt is refused: only the first one is the corpus
if peer[0] != "127.0.0.1":
    sys.exit(f"listener: unexpected peer {peer}")
data, sizes, hello_len = b"", [], None
deadline = time.monotonic() + HELLO_TIMEOUT
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        break
    ready, _, _ = select.select([conn], [], [], left)
    if not ready:
        break
    chunk = conn.recv(65536)
    if not chunk:
        break
    data += chunk
    sizes.append(len(chunk))
    if hello_len is None:
        hello_len, records = complete_hello_length(data)
        if hello_len is not None:
            deadline = time.monotonic() + LINGER  # anything more the client sends unprompted is recorded too
conn.close()
if hello_len is None:
    sys.exit(f"listener: no complete ClientHello after {len(data)} bytes in {len(sizes)} reads")
if len(data) != hello_len:
    sys.exit(f"listener: client sent {len(data) - hello_len} bytes after the ClientHello before any answer")
with open(out_path, "wb") as f:
    f.write(data)
print(f"{len(data)}\t{records}\t{','.join(map(str, sizes))}", flush=True)
PY

cat > "$WORK/JavaSslSocketHello.java" <<'JAVA'
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.util.List;

/** javax.net.ssl.SSLSocket to 127.0.0.1 with SNI and ALPN set through SSLParameters. */
public class JavaSslSocketHello {
    public static void main(String[] args) throws Exception {
        try (SSLSocket socket = (SSLSocket) SSLContext.getDefault().getSocketFactory()
                .createSocket("127.0.0.1", Integer.parseInt(args[0]))) {
            SSLParameters params = socket.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(args[1])));
            params.setApplicationProtocols(args[2].split(","));
            socket.setSSLParameters(params);
            socket.setSoTimeout(5000);
            socket.startHandshake();
        } catch (java.io.IOException expected) {
            // the capture listener closes without answering
        }
    }
}
JAVA

cat > "$WORK/JavaHttpClientHello.java" <<'JAVA'
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** java.net.http.HttpClient (HTTP/2 preferred); the host name resolves to 127.0.0.1 through -Djdk.net.hosts.file. */
public class JavaHttpClientHello {
    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
                .connectTimeout(Duration.ofSeconds(5)).build();
        try {
            client.send(HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (java.io.IOException expected) {
            // the capture listener closes without answering
        }
    }
}
JAVA

cat > "$WORK/python_hello.py" <<'PY'
import socket, ssl, sys

port, sni, alpn = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(alpn)
with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
    try:
        ctx.wrap_socket(sock, server_hostname=sni)
    except OSError:
        pass  # the capture listener closes without answering
PY

cat > "$WORK/node_hello.js" <<'JS'
const [port, servername, alpn] = process.argv.slice(2);
const socket = require("tls").connect({host: "127.0.0.1", port: Number(port), servername,
    ALPNProtocols: alpn.split(","), rejectUnauthorized: false});
socket.on("error", () => {}); // the capture listener closes without answering
socket.setTimeout(5000, () => socket.destroy());
JS

version_of() { # $1 = client kind
    case "$1" in
        curl) curl --version | head -n1 | cut -d' ' -f1-5 ;;
        openssl) openssl version ;;
        python) python3 -c 'import ssl, sys; print(f"Python {sys.version.split()[0]} ({ssl.OPENSSL_VERSION})")' ;;
        node) node -e 'console.log(`Node ${process.version} (OpenSSL ${process.versions.openssl})`)' ;;
        java) "$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '
                  /^ *java\.runtime\.version =/ { v = $2 } /^ *java\.vendor\.version =/ { n = $2 }
                  END { print "Java " v " (" n ")" }' ;;
        chromium) chromium --version 2>/dev/null | sed 's/ built on.*//' ;;
    esac
}

MANIFEST="$WORK/corpus/manifest.tsv"
printf '%s\n' "# Real ClientHellos captured on 127.0.0.1 by tproxy/scripts/capture-clienthellos.sh; see README.md." \
    "# expected_* columns are what the client was told to send (or its documented default), not parser output." \
    > "$MANIFEST"
MANIFEST_COLUMNS=(file client client_version expected_sni expected_alpn expected_versions ech record_count tcp_reads
    read_sizes total_bytes notes)
(IFS=$'\t'; echo "${MANIFEST_COLUMNS[*]}") >> "$MANIFEST"
README_ROWS="$WORK/readme-rows.md"
: > "$README_ROWS"

# capture NAME KIND EXPECTED_SNI EXPECTED_ALPN EXPECTED_VERSIONS ECH NOTES -- CLIENT COMMAND... (@PORT@ is replaced)
capture() {
    local name="$1" kind="$2" sni="$3" alpn="$4" versions="$5" ech="$6" notes="$7"
    shift 8
    local bin="$WORK/corpus/$name.bin" fifo="$WORK/$name.listener" port line arg cmd=()
    mkfifo "$fifo"
    python3 "$WORK/listener.py" "$bin" > "$fifo" &
    local listener=$!
    exec {fd}< "$fifo"
    read -r -t 10 port <&"$fd" || { echo "capture: $name: listener did not start" >&2; exit 1; }
    for arg in "$@"; do cmd+=("${arg//@PORT@/$port}"); done
    setsid "${cmd[@]}" < /dev/null > "$WORK/$name.client.log" 2>&1 &
    CLIENT_PGID=$!
    if ! read -r -t 40 line <&"$fd" || ! wait "$listener"; then
        echo "capture: $name: no ClientHello captured; client output:" >&2
        sed 's/^/  /' "$WORK/$name.client.log" >&2
        exit 1
    fi
    exec {fd}<&-
    kill -TERM -- "-$CLIENT_PGID" 2>/dev/null || true
    wait "$CLIENT_PGID" 2>/dev/null || true
    CLIENT_PGID=""
    local total records reads version
    IFS=$'\t' read -r total records reads <<< "$line"
    version="$(version_of "$kind")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name.bin" "$kind" "$version" "$sni" "$alpn" \
        "$versions" "$ech" "$records" "$(tr ',' '\n' <<< "$reads" | wc -l)" "$reads" "$total" "$notes" >> "$MANIFEST"
    printf '| `%s.bin` | %s | %s | %s | %s | %s | %s |\n' "$name" "$version" "$(describe_command "$@")" "$sni" \
        "$alpn" "$total B, $records record(s), reads $reads" "$notes" >> "$README_ROWS"
    printf 'captured %-22s %-40s sni=%-28s alpn=%-12s %5s B  records=%s  reads=%s\n' "$name.bin" "$version" "$sni" \
        "$alpn" "$total" "$records" "$reads"
}

describe_command() { # the client command line as documentation, shell-quoted, without the scratch paths
    local arg out=()
    for arg in "$@"; do
        arg="${arg//$WORK\//}"
        arg="${arg//$JAVA/java}"
        [[ "$arg" =~ [^A-Za-z0-9_./:=,@+-] ]] && arg="'$arg'"
        out+=("${arg//|/\\|}")
    done
    printf '`%s`' "${out[*]}"
}

CHROMIUM_PROFILE="$WORK/chromium-profile"
# The longest DNS name (253 characters: three 63-character labels, then a 53-character one and "example").
LONG_NAME="$(printf 'a%.0s' {1..63}).$(printf 'b%.0s' {1..63}).$(printf 'c%.0s' {1..63})"
LONG_NAME+=".corpus-openssl-maxlen$(printf 'd%.0s' {1..32}).example"
(( ${#LONG_NAME} == 253 )) || { echo "capture: LONG_NAME is ${#LONG_NAME} characters, expected 253" >&2; exit 1; }
printf '127.0.0.1 corpus-java-httpclient.example\n' > "$WORK/java-hosts"

capture curl-default curl corpus-curl.example h2,http/1.1 0x0304,0x0303,0x0302,0x0301 no \
    "curl defaults: ALPN h2 and http/1.1; TLS 1.0-1.3 (curl 7.x and OpenSSL 3.0 default minimum is TLS 1.0)" -- \
    curl -sk --noproxy '*' --max-time 5 --resolve 'corpus-curl.example:@PORT@:127.0.0.1' \
    'https://corpus-curl.example:@PORT@/'
capture curl-http1.1 curl corpus-curl-h1.example http/1.1 0x0304,0x0303,0x0302,0x0301 no \
    "--http1.1: ALPN offers only http/1.1" -- \
    curl -sk --http1.1 --noproxy '*' --max-time 5 --resolve 'corpus-curl-h1.example:@PORT@:127.0.0.1' \
    'https://corpus-curl-h1.example:@PORT@/'
capture openssl-tls13 openssl corpus-openssl.example h2,http/1.1 0x0304 no \
    "-tls1_3: supported_versions has only TLS 1.3" -- \
    openssl s_client -connect 127.0.0.1:@PORT@ -servername corpus-openssl.example -alpn h2,http/1.1 -tls1_3
capture openssl-tls12 openssl corpus-openssl12.example http/1.1 - no \
    "-tls1_2: no supported_versions extension, legacy_version 0x0303" -- \
    openssl s_client -connect 127.0.0.1:@PORT@ -servername corpus-openssl12.example -alpn http/1.1 -tls1_2
capture openssl-nosni openssl - - 0x0304,0x0303,0x0302,0x0301 no \
    "-noservername and no -alpn: neither server_name nor ALPN; OpenSSL 3.0 default TLS 1.0-1.3" -- \
    openssl s_client -connect 127.0.0.1:@PORT@ -noservername
capture openssl-maxfrag-longname openssl "$LONG_NAME" h2,http/1.1 0x0304,0x0303,0x0302,0x0301 no \
    "-max_send_frag 512 splits the ClientHello over two records; 253-character SNI (longest DNS name); P-521 share" -- \
    openssl s_client -connect 127.0.0.1:@PORT@ -servername "$LONG_NAME" -alpn h2,http/1.1 -max_send_frag 512 \
    -groups P-521:X25519
capture python-ssl python corpus-python.example h2,http/1.1 0x0304,0x0303 no \
    "ssl.create_default_context(), check_hostname off, wrap_socket(server_hostname=...), set_alpn_protocols" -- \
    python3 "$WORK/python_hello.py" @PORT@ corpus-python.example h2,http/1.1
capture node-tls node corpus-node.example h2,http/1.1 0x0304,0x0303 no \
    "tls.connect with servername and ALPNProtocols" -- \
    node "$WORK/node_hello.js" @PORT@ corpus-node.example h2,http/1.1
capture java-sslsocket java corpus-java.example h2,http/1.1 0x0304,0x0303 no \
    "javax.net.ssl.SSLSocket, SSLParameters.setServerNames + setApplicationProtocols" -- \
    "$JAVA" "$WORK/JavaSslSocketHello.java" @PORT@ corpus-java.example h2,http/1.1
capture java-httpclient java corpus-java-httpclient.example h2,http/1.1 0x0304,0x0303 no \
    "java.net.http.HttpClient defaults (HTTP/2); name mapped by -Djdk.net.hosts.file" -- \
    "$JAVA" "-Djdk.net.hosts.file=$WORK/java-hosts" "$WORK/JavaHttpClientHello.java" \
    'https://corpus-java-httpclient.example:@PORT@/'
capture chromium-headless chromium corpus-chromium.example h2,http/1.1 0x0304,0x0303 yes \
    "X25519MLKEM768 key share (larger than the receive window: several reads); GREASE; ECH GREASE; shuffled order" -- \
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --disable-quic --no-proxy-server "--user-data-dir=$CHROMIUM_PROFILE" \
    '--host-resolver-rules=MAP corpus-chromium.example 127.0.0.1, MAP * ~NOTFOUND' \
    --dump-dom 'https://corpus-chromium.example:@PORT@/'

cat > "$WORK/corpus/README.md" <<EOF
# ClientHello corpus: real clients

Generated by \`tproxy/scripts/capture-clienthellos.sh\`; do not edit by hand, run the script again (as root on
Debian it needs \`curl openssl python3 nodejs chromium\` and a JDK >= 21). Each \`.bin\` is every byte one client
connection sent to a one-shot listener on 127.0.0.1 until its ClientHello was complete; the listener never answers.
Nothing but 127.0.0.1 was contacted: the SNI is set apart from the address (curl \`--resolve\`, \`s_client -connect
127.0.0.1\`, \`server_hostname\`/\`servername\`, a JDK hosts file, Chromium host-resolver rules).

The listener advertises MSS 1460 and has a 2304-byte receive buffer. On loopback the MSS alone does not show in the
reads (the reader gets a whole flight at once), so the small receive window is what makes a ClientHello larger than
it (Chromium's post-quantum one) reach the reader in several \`recv()\` chunks, as it reaches a gateway in several
segments on a real link. \`read_sizes\` in \`manifest.tsv\` are those chunks; they depend on timing, so a new capture
may split differently. The bytes themselves differ on every capture too (randoms, key shares, GREASE values,
Chromium's extension order); the expected values do not.

\`manifest.tsv\` holds, per file, what the client was told to send (or its documented default), never a parser's
output: \`expected_sni\` (\`-\`: no server_name), \`expected_alpn\` (\`-\`: no ALPN), \`expected_versions\` (the
supported_versions list without GREASE; \`-\`: no extension, TLS 1.2 only) and \`ech\` (an encrypted_client_hello
extension is offered: Chromium sends a GREASE one when it has no ECH config). \`ClientHelloCorpusTest\` checks
\`ClientHelloParser\` against them, with the bytes delivered whole, in the captured chunks and byte by byte. The
small client programs named below (\`python_hello.py\`, \`node_hello.js\`, \`Java*Hello.java\`) are written out by
the script; \`@PORT@\` is the listener's ephemeral port.

| file | client version | command | SNI | ALPN | bytes | what it exercises |
| --- | --- | --- | --- | --- | --- | --- |
$(cat "$README_ROWS")
EOF

mkdir -p "$OUT"
rm -f "$OUT"/*.bin
cp "$WORK"/corpus/* "$OUT"/
echo "capture: wrote $(find "$OUT" -name '*.bin' | wc -l) ClientHellos, manifest.tsv and README.md to $OUT"
