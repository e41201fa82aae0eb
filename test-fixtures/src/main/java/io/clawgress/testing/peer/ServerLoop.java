package io.clawgress.testing.peer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The accept loop shared by the servers: binds, prints {@code ready} with the bound port, logs every accepted
 * connection ({@code accept}) and hands it to a handler on its own virtual thread. It stops by itself after its
 * lifetime ({@code --lifetime-seconds}, default 600), so a forgotten server never runs for long.
 */
final class ServerLoop {

    /** Handles one accepted connection on its own thread; must close the socket. */
    interface Handler {
        void handle(Socket socket) throws IOException;
    }

    static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(10);

    private ServerLoop() {
    }

    /** Runs until the lifetime ends. {@code extraReady} fields are added to the ready line. */
    static int serve(Args args, Events events, Map<String, Object> extraReady, Handler handler) throws IOException {
        InetAddress bind = args.address("bind");
        int port = args.port("port");
        Duration lifetime = args.seconds("lifetime-seconds", DEFAULT_LIFETIME);
        args.checkAllUsed();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peer-lifetime");
            t.setDaemon(true);
            return t;
        });
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(bind, port), 4096);
            timer.schedule(() -> closeQuietly(server), lifetime.toMillis(), TimeUnit.MILLISECONDS);
            Map<String, Object> ready = Events.event("ready");
            ready.put("command", args.command());
            ready.put("bind", bind.getHostAddress());
            ready.put("port", server.getLocalPort());
            ready.put("pid", ProcessHandle.current().pid());
            ready.putAll(extraReady);
            events.emit(ready);
            while (true) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    if (server.isClosed()) {
                        Map<String, Object> exit = Events.event("exit");
                        exit.put("reason", "lifetime of " + lifetime.toSeconds() + " s over");
                        events.emit(exit);
                        return 0;
                    }
                    // E.g. out of file descriptors under load: report it and keep serving, without spinning.
                    Map<String, Object> err = Events.event("accept_error");
                    err.put("message", e.toString());
                    events.emit(err);
                    backOff();
                    continue;
                }
                Map<String, Object> accept = Events.event("accept");
                accept.put("remote", Events.endpoint(s.getRemoteSocketAddress()));
                accept.put("local", Events.endpoint(s.getLocalSocketAddress()));
                events.emit(accept);
                Thread.ofVirtual().name("conn-" + Events.endpoint(s.getRemoteSocketAddress())).start(() -> {
                    try {
                        handler.handle(s);
                    } catch (IOException | RuntimeException e) {
                        Map<String, Object> err = Events.event("error");
                        err.put("remote", Events.endpoint(s.getRemoteSocketAddress()));
                        err.put("message", e.toString());
                        events.emit(err);
                    } finally {
                        closeQuietly(s);
                    }
                });
            }
        } finally {
            timer.shutdownNow();
        }
    }

    private static void backOff() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Closing is best effort; the outcome was already recorded.
        }
    }
}
