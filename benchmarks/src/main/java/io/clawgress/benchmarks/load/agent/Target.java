package io.clawgress.benchmarks.load.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Where a run's requests go: the address the agent connects to (the upstream's; the gateway captures it on the
 * way), the TLS server name (SNI and {@code Host}), and the request path.
 *
 * @param tls    whether to speak TLS (every scenario does: passthrough and intercept)
 * @param source the agent address to connect from (each system gets its own, see {@code Bench}), or null
 */
record Target(String ip, int port, String host, String path, boolean tls, String source) {

    Target {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path: " + path + " (expected: to start with /)");
        }
    }

    static Target of(JsonNode cmd) {
        return new Target(cmd.path("ip").asText(), cmd.path("port").asInt(443), cmd.path("host").asText(),
                cmd.path("path").asText("/small"), cmd.path("tls").asBoolean(true),
                cmd.hasNonNull("source") ? cmd.get("source").asText() : null);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(ip, port);
    }

    /** The local address to bind (port 0: the kernel picks), or null for the default. */
    InetSocketAddress local() {
        return source == null ? null : new InetSocketAddress(source, 0);
    }

    /** The request, as a direct buffer the runs share (each send writes a retained duplicate). */
    ByteBuf request(boolean close) {
        String r = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: clawgress-bench/1\r\n"
                + "Accept: */*\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
        byte[] b = r.getBytes(StandardCharsets.US_ASCII);
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(b.length).writeBytes(b));
    }
}
