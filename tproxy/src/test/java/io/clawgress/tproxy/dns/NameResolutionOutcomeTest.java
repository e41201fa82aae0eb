package io.clawgress.tproxy.dns;

import io.clawgress.api.DataPathObserver.DnsOutcome;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a real lookup through {@link NameResolution} is classified for metrics, against a small DNS server on
 * loopback that answers {@code ok.test} with an A record, {@code nx.test} with NXDOMAIN, {@code fail.test} with
 * SERVFAIL, {@code empty.test} with no records, and never answers {@code slow.test}; a name's behaviour can be
 * switched while the test runs ({@link #modes}), for serve-stale (RFC 8767), and queries are counted per name.
 */
class NameResolutionOutcomeTest {

    private static final int NOERROR = 0;
    private static final int SERVFAIL = 2;
    private static final int NXDOMAIN = 3;

    private DatagramSocket server;
    private Thread serving;
    private EventLoopGroup group;
    private NameResolution names;
    /** Resolvers a test made with its own settings ({@link #uncached}), closed after it. */
    private final List<NameResolution> made = new java.util.ArrayList<>();
    /** Behaviour by full name (ok, nx, fail, empty, slow, delay), overriding the first label. */
    private final java.util.Map<String, String> modes = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> queries =
            new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        server = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        serving = new Thread(this::serve, "test-dns");
        serving.setDaemon(true);
        serving.start();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        names = new NameResolution(new DnsSettings(List.of((InetSocketAddress) server.getLocalSocketAddress()),
                Duration.ofMillis(300), Duration.ofMinutes(1)), NioDatagramChannel.class);
    }

    @AfterEach
    void stop() throws Exception {
        EventLoop loop = group.next();
        loop.submit(names::close).sync();
        for (NameResolution n : made) {
            loop.submit(n::close).sync();
        }
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        server.close();
        serving.join(5000);
    }

    private DnsOutcome lookup(String name) throws Exception {
        return lookup(names, name);
    }

    private DnsOutcome lookup(NameResolution with, String name) throws Exception {
        EventLoop loop = group.next();
        Future<List<InetAddress>> f = loop.submit(() -> with.resolveAll(name, loop)).get().await();
        if (f.isSuccess()) {
            assertThat(f.getNow()).containsExactly(InetAddress.getByName("198.18.2.9"));
        }
        return NameResolution.outcome(f);
    }

    /** Answers never cached (max_ttl 0), so every lookup asks the server; {@code stale} as given. */
    private NameResolution uncached(Duration stale) {
        NameResolution n = new NameResolution(new DnsSettings(
                List.of((InetSocketAddress) server.getLocalSocketAddress()), Duration.ofMillis(300), Duration.ZERO,
                stale), NioDatagramChannel.class);
        made.add(n);
        return n;
    }

    @Test
    void whenTheResolversTimeOutTheLastGoodAnswerIsServedStale() throws Exception {
        NameResolution n = uncached(Duration.ofMinutes(1));
        assertThat(lookup(n, "flip.test")).isEqualTo(DnsOutcome.OK);
        modes.put("flip.test", "slow");
        assertThat(lookup(n, "flip.test")).isEqualTo(DnsOutcome.STALE);
        modes.put("flip.test", "fail");
        assertThat(lookup(n, "flip.test")).isEqualTo(DnsOutcome.STALE);
        modes.put("flip.test", "ok");
        assertThat(lookup(n, "flip.test")).isEqualTo(DnsOutcome.OK);
        assertThat(lookup(n, "slow.test")).as("no good answer ever: nothing to serve")
                .isEqualTo(DnsOutcome.TIMEOUT);
    }

    @Test
    void nxdomainAndEmptyAnswersAreAnswersNeverPaperedOverWithStaleOnes() throws Exception {
        NameResolution n = uncached(Duration.ofMinutes(1));
        assertThat(lookup(n, "gone.test")).isEqualTo(DnsOutcome.OK);
        modes.put("gone.test", "nx");
        assertThat(lookup(n, "gone.test")).isEqualTo(DnsOutcome.NXDOMAIN);
        assertThat(lookup(n, "bare.test")).isEqualTo(DnsOutcome.OK);
        modes.put("bare.test", "empty");
        assertThat(lookup(n, "bare.test")).isEqualTo(DnsOutcome.ERROR);
    }

    @Test
    void serveStaleOffOrTooOldFailsTheLookup() throws Exception {
        NameResolution off = uncached(Duration.ZERO);
        NameResolution brief = uncached(Duration.ofMillis(1));
        assertThat(lookup(off, "a.test")).isEqualTo(DnsOutcome.OK);
        assertThat(lookup(brief, "b.test")).isEqualTo(DnsOutcome.OK);
        modes.put("a.test", "slow");
        modes.put("b.test", "slow");
        assertThat(lookup(off, "a.test")).isEqualTo(DnsOutcome.TIMEOUT);
        assertThat(lookup(brief, "b.test")).as("the 300 ms timeout alone outlasts 1 ms of staleness")
                .isEqualTo(DnsOutcome.TIMEOUT);
    }

    @Test
    void concurrentLookupsOfOneNameShareOneQuery() throws Exception {
        NameResolution n = uncached(Duration.ZERO);
        modes.put("busy.test", "delay");
        EventLoop loop = group.next();
        List<Future<List<InetAddress>>> all = loop.submit(() -> {
            List<Future<List<InetAddress>>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                fs.add(n.resolveAll("busy.test", loop));
            }
            return fs;
        }).get();
        for (Future<List<InetAddress>> f : all) {
            assertThat(f.await().isSuccess()).isTrue();
        }
        // One A and one AAAA query (IPv4 preferred asks both), not 20 of each.
        assertThat(queries.get("busy.test").get()).isLessThanOrEqualTo(2);
    }

    @Test
    void anAnswerIsOk() throws Exception {
        assertThat(lookup("ok.test")).isEqualTo(DnsOutcome.OK);
    }

    @Test
    void nxdomainIsToldApart() throws Exception {
        assertThat(lookup("nx.test")).isEqualTo(DnsOutcome.NXDOMAIN);
    }

    @Test
    void noAnswerWithinTheQueryTimeoutIsATimeout() throws Exception {
        assertThat(lookup("slow.test")).isEqualTo(DnsOutcome.TIMEOUT);
    }

    @Test
    void servfailIsAnError() throws Exception {
        assertThat(lookup("fail.test")).isEqualTo(DnsOutcome.ERROR);
    }

    /** On the test-dns thread: answers each query per its name, RFC 1035 §4.1 framing. */
    private void serve() {
        byte[] buf = new byte[1500];
        while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                server.receive(p);
                byte[] answer = answer(buf, p.getLength());
                if (answer != null) {
                    server.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                }
            } catch (SocketException e) {
                return; // closed by the test
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private byte[] answer(byte[] q, int length) throws InterruptedException {
        int pos = 12;
        StringBuilder name = new StringBuilder();
        while (q[pos] != 0) {
            int len = q[pos];
            name.append(name.isEmpty() ? "" : ".").append(new String(q, pos + 1, len, StandardCharsets.US_ASCII));
            pos += len + 1;
        }
        int questionEnd = pos + 5; // the root label, QTYPE, QCLASS
        int type = ((q[pos + 1] & 0xff) << 8) | (q[pos + 2] & 0xff);
        String n = name.toString().toLowerCase(java.util.Locale.ROOT);
        queries.computeIfAbsent(n, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        String mode = modes.getOrDefault(n, n.substring(0, n.indexOf('.')));
        if (mode.equals("slow")) {
            return null;
        }
        if (mode.equals("delay")) {
            Thread.sleep(100); // long enough for every concurrent lookup to be in flight
        }
        int rcode = mode.equals("nx") ? NXDOMAIN : mode.equals("fail") ? SERVFAIL : NOERROR;
        boolean a = rcode == NOERROR && type == 1 && !mode.equals("empty");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(q[0]);
        out.write(q[1]);
        out.write(0x81 | (q[2] & 0x01)); // QR, opcode 0, AA, RD as asked
        out.write(0x80 | rcode);         // RA
        out.writeBytes(new byte[] {0, 1, 0, (byte) (a ? 1 : 0), 0, 0, 0, 0});
        out.write(q, 12, questionEnd - 12);
        if (a) {
            out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, (byte) 198, 18, 2, 9});
        }
        return out.toByteArray();
    }
}
