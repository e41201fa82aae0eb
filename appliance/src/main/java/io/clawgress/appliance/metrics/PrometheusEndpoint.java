package io.clawgress.appliance.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.clawgress.enforcement.net.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /metrics} on {@code metrics.listen} (default {@code 127.0.0.1:9464}) for a Prometheus server to scrape:
 * the JDK's HTTP server, its requests handled one at a time on a thread of its own, never on a data-plane event
 * loop. Read-only and unauthenticated, like every Prometheus exporter: bind it to loopback (the default) or to an
 * address only the scraper reaches. Anything but {@code GET}/{@code HEAD} of {@code /metrics} is 404 or 405.
 */
public final class PrometheusEndpoint implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PrometheusEndpoint.class);
    public static final String PATH = "/metrics";
    private static final int BACKLOG = 16;

    private final HttpServer server;
    private final ExecutorService thread;

    private PrometheusEndpoint(HttpServer server, ExecutorService thread) {
        this.server = server;
        this.thread = thread;
    }

    /**
     * Binds and starts serving. Blocks the caller briefly (the bind).
     *
     * @throws IOException when the address cannot be bound (in use, not an address of this host), with the reason
     */
    public static PrometheusEndpoint start(InetSocketAddress listen, GatewayMetrics metrics) throws IOException {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(metrics, "metrics");
        HttpServer server;
        try {
            server = HttpServer.create(listen, BACKLOG);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + Addresses.hostPort(listen) + ": " + e.getMessage(), e);
        }
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "clawgress-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.createContext("/", exchange -> handle(exchange, metrics));
        server.start();
        PrometheusEndpoint endpoint = new PrometheusEndpoint(server, thread);
        if (!endpoint.address().getAddress().isLoopbackAddress()) {
            log.warn("metrics endpoint on {}, not a loopback address: anyone who reaches it reads the gateway's"
                    + " traffic counters (no authentication)", Addresses.hostPort(endpoint.address()));
        }
        return endpoint;
    }

    /** On the endpoint's thread. */
    private static void handle(HttpExchange exchange, GatewayMetrics metrics) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            body.skip(Long.MAX_VALUE); // a scrape has no body; whatever came is not read into memory
            String method = exchange.getRequestMethod();
            if (!PATH.equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, "not found: the metrics are at " + PATH + "\n", method);
                return;
            }
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "method not allowed: GET or HEAD\n", method);
                return;
            }
            String text;
            try {
                text = metrics.scrape();
            } catch (RuntimeException e) {
                log.error("metrics scrape failed", e);
                send(exchange, 500, "scrape failed: " + e + "\n", method);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", GatewayMetrics.CONTENT_TYPE);
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            if ("HEAD".equals(method)) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String text, String method) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        if ("HEAD".equals(method)) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The bound address (the real port when the config said 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops serving at once: a scrape in progress is cut off. */
    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
    }
}
