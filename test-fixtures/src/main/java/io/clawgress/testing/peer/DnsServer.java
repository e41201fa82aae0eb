package io.clawgress.testing.peer;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code dns-server}: a small authoritative DNS server over UDP (no TCP fallback) for the names given with
 * {@code --record name=ip[,ip...]}; see {@link DnsZone} for what it answers. Prints {@code ready} once bound, then
 * {@code query} for every question it answered and {@code malformed} for datagrams it could not (with whether a
 * FORMERR/NOTIMP went back).
 */
final class DnsServer {

    private static final int MAX_DATAGRAM = 65_535;

    private DnsServer() {
    }

    static int run(Args args, Events events) throws IOException {
        InetAddress bind = args.address("bind");
        int port = args.port("port");
        long ttl = args.number("ttl", 5);
        List<String> specs = args.strings("record");
        Duration lifetime = args.seconds("lifetime-seconds", ServerLoop.DEFAULT_LIFETIME);
        args.checkAllUsed();
        DnsZone zone;
        try {
            zone = DnsZone.parse(specs, ttl);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(args.command() + ": " + e.getMessage());
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peer-lifetime");
            t.setDaemon(true);
            return t;
        });
        try (DatagramSocket socket = new DatagramSocket(null)) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(bind, port));
            timer.schedule(socket::close, lifetime.toMillis(), TimeUnit.MILLISECONDS);
            Map<String, Object> ready = Events.event("ready");
            ready.put("command", args.command());
            ready.put("bind", bind.getHostAddress());
            ready.put("port", socket.getLocalPort());
            ready.put("pid", ProcessHandle.current().pid());
            ready.put("ttl", zone.ttl());
            Map<String, Object> records = new LinkedHashMap<>();
            zone.records().forEach((name, addresses) -> records.put(name, addresses(addresses)));
            ready.put("records", records);
            events.emit(ready);
            byte[] buf = new byte[MAX_DATAGRAM];
            while (true) {
                DatagramPacket packet = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(packet);
                } catch (SocketException e) {
                    if (socket.isClosed()) {
                        Map<String, Object> exit = Events.event("exit");
                        exit.put("reason", "lifetime of " + lifetime.toSeconds() + " s over");
                        events.emit(exit);
                        return 0;
                    }
                    throw e;
                }
                serve(socket, packet, zone, events);
            }
        } finally {
            timer.shutdownNow();
        }
    }

    private static void serve(DatagramSocket socket, DatagramPacket packet, DnsZone zone, Events events) {
        String from = Events.endpoint(packet.getSocketAddress());
        DnsZone.Reply reply = zone.answer(packet.getData(), packet.getLength());
        Map<String, Object> e;
        if (reply.problem() == null) {
            e = Events.event("query");
            e.put("name", reply.name());
            e.put("type", reply.type());
            e.put("from", from);
            e.put("rcode", DnsZone.rcodeName(reply.rcode()));
            e.put("answers", addresses(reply.answers()));
        } else {
            e = Events.event("malformed");
            e.put("from", from);
            e.put("bytes", packet.getLength());
            e.put("reason", reply.problem());
            e.put("rcode", reply.rcode() < 0 ? null : DnsZone.rcodeName(reply.rcode()));
        }
        if (reply.response() != null) {
            try {
                socket.send(new DatagramPacket(reply.response(), reply.response().length, packet.getSocketAddress()));
            } catch (IOException ex) {
                e.put("send_error", ex.toString());
            }
        }
        events.emit(e);
    }

    private static List<String> addresses(List<? extends InetAddress> addresses) {
        return addresses.stream().map(InetAddress::getHostAddress).toList();
    }
}
