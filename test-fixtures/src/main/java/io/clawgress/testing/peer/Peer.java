package io.clawgress.testing.peer;

import io.clawgress.testing.netns.JavaCommand;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Netns;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Real peers for end-to-end tests, run as separate JVMs inside network namespaces. Each prints one JSON object per
 * line to stdout (flushed at once); servers first print {@code {"event":"ready","port":N,...}} once listening
 * (so {@code --port 0} works), TCP servers then {@code accept} for every connection.
 *
 * <pre>
 * http-server   --bind ADDR --port P
 * bulk-server   --bind ADDR --port P --bytes N --seed S [--after-eof-bytes M] [--timeout-seconds T]
 * silent-server --bind ADDR --port P [--idle-timeout-seconds T] [--hold-after-eof-seconds H]
 * tls-server    --bind ADDR --port P --pkcs12 FILE --password PW [--alpn h2,http/1.1|none]
 * origin-server --bind ADDR --port P [--tls-cert PEM --tls-key PEM] [--idle-timeout-seconds T]
 * dns-server    --bind ADDR --port P --record NAME=IP[,IP...] [--record ...] [--ttl SECONDS]   (UDP only)
 * bulk-client   --connect ADDR:P --bytes N --seed S [--timeout-seconds T]
 * hold-client   --connect ADDR:P [--timeout-seconds T]
 * abort-client  --connect ADDR:P [--reset-after-seconds T]   (FIN at once, RST after T)
 * raw-client    --connect ADDR:P [--tls true --sni NAME --cafile CA.pem [--cert CHAIN.pem --key KEY.pem]
 *               [--alpn http/1.1[,...]]] (--send-file FILE | --send-base64 B64) [--half-close true]
 *               [--timeout-seconds T (10)] [--max-bytes N (1M)]   (every byte back; exits 0 once recorded)
 * load-client   --target ADDR:P [--target ...] --source IP [--source ...] --rate R --connections N
 *               [--concurrency C (1000)] [--body-bytes MIN-MAX (0-0)] [--path /p (/load)] [--timeout-seconds T (30)]
 *               (open loop: R new connections/s per source; exits 0 only when all got a status and an EOF)
 * </pre>
 *
 * {@code tls-server} logs {@code accept} before and {@code handshake} (sni, alpn, protocol) after the handshake
 * and answers one HTTP/1.1 request with {@code hello from tls upstream ADDR:P sni=NAME\n}; see {@link TlsServer}.
 * {@code dns-server} answers A queries for its records (every address), NODATA for other types of those names,
 * NXDOMAIN for other names, and logs {@code query} (name, type, from, rcode, answers); see {@link DnsZone}.
 * {@code origin-server} serves keep-alive HTTP/1.1 (HTTPS with the PEM options) and logs every request it receives
 * ({@code request}: fields, body hash); routes {@code /sse}, {@code /chunked}, {@code /close}, {@code /status/NNN};
 * see {@link OriginServer}.
 * {@code load-client} opens short {@code POST} connections on a fixed schedule from many sources and logs one
 * {@code conn} per connection (bytes sent and received, status, how it ended) and a {@code summary}; see
 * {@link LoadClient}.
 *
 * <p>Byte counts take k/M/G suffixes (binary). Servers stop by themselves after {@code --lifetime-seconds}
 * (default 600); clients after their timeout (default 60 s) and exit 0 only when the connection ended with a clean
 * EOF. Exit code 2 means a bad command line.
 *
 * <p>Typical use: {@code Peer.spawn(topology.upstream(), "http", dir, "http-server", "--bind", "198.18.2.2",
 * "--port", "80")} and then {@code awaitEvent("ready", ...)} on the returned process.
 */
public final class Peer {

    private Peer() {
    }

    public static void main(String[] args) {
        System.exit(run(Arrays.asList(args), System.out, System.err));
    }

    /** Runs one subcommand to completion; returns the exit code. */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty()) {
            err.println(usage());
            return 2;
        }
        String command = args.get(0);
        Events events = new Events(out);
        try {
            Args a = Args.parse(command, args.subList(1, args.size()));
            return switch (command) {
                case "http-server" -> HttpServer.run(a, events);
                case "bulk-server" -> BulkServer.run(a, events);
                case "silent-server" -> SilentServer.run(a, events);
                case "tls-server" -> TlsServer.run(a, events);
                case "origin-server" -> OriginServer.run(a, events);
                case "dns-server" -> DnsServer.run(a, events);
                case "bulk-client" -> BulkClient.run(a, events);
                case "hold-client" -> HoldClient.run(a, events);
                case "abort-client" -> AbortClient.run(a, events);
                case "raw-client" -> RawClient.run(a, events);
                case "load-client" -> LoadClient.run(a, events);
                default -> throw new Args.UsageException("unknown subcommand: " + command);
            };
        } catch (Args.UsageException e) {
            err.println("peer: " + e.getMessage() + "\n" + usage());
            return 2;
        } catch (IOException e) {
            Map<String, Object> fatal = Events.event("fatal");
            fatal.put("command", command);
            fatal.put("message", e.toString());
            events.emit(fatal);
            err.println("peer " + command + ": " + e);
            return 1;
        }
    }

    private static String usage() {
        return "usage: Peer http-server|bulk-server|silent-server|tls-server|origin-server|dns-server|bulk-client"
                + "|hold-client|abort-client|raw-client|load-client --option value ...";
    }

    /** Starts a peer inside {@code ns} (see the class comment for {@code args}); stopped when the namespace closes. */
    public static ManagedProcess spawn(Netns ns, String name, Path logDir, String... args) {
        return ns.spawnJava(name, Peer.class.getName(), List.of(args), logDir);
    }

    /**
     * Starts a peer in the current network namespace. Only for loopback (127.0.0.1) tests: in the host namespace a
     * peer must never be pointed at any other address.
     */
    public static ManagedProcess spawnOnLoopback(String name, Path logDir, String... args) {
        return ManagedProcess.start(name, JavaCommand.of(Peer.class.getName(), List.of(args)), logDir);
    }

    /** The SHA-256 (hex) of the first {@code bytes} bytes of the pattern stream for {@code seed}. */
    public static String patternSha256(long seed, long bytes) {
        MessageDigest d = Outcome.sha256();
        PatternStream p = new PatternStream(seed);
        byte[] buf = new byte[PatternStream.CHUNK];
        while (bytes > 0) {
            int n = (int) Math.min(buf.length, bytes);
            p.next(buf, 0, n);
            d.update(buf, 0, n);
            bytes -= n;
        }
        return Outcome.hex(d);
    }
}
