package io.clawgress.appliance.ctl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A minimal HTTP/1.1 client for the admin socket, on the JDK's own unix-domain SocketChannel: one request per
 * connection ({@code Connection: close}), bodies framed by Content-Length (the server always sends one). Kept free of
 * Netty so {@code clawgressctl status} starts fast.
 */
final class AdminClient {

    /** Largest response read (a long flows list); more is an error rather than memory exhaustion. */
    static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

    /** A response: status, lower-cased headers, body. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Path socket;
    private final Duration timeout;

    AdminClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    Path socket() {
        return socket;
    }

    /**
     * Sends one request and reads the whole response.
     *
     * @throws IOException connecting (the caller maps ENOENT, ECONNREFUSED, EACCES to exit codes), a timeout or a
     *                     malformed response
     */
    Response send(String method, String path, String contentType, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: localhost\r\nUser-Agent: clawgressctl\r\nAccept: application/json\r\n")
                .append("Connection: close\r\n");
        if (body != null) {
            head.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(body.length)
                    .append("\r\n");
        }
        head.append("\r\n");
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "clawgressctl-timeout");
            t.setDaemon(true);
            return t;
        });
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // A blocking channel has no read timeout: closing it from the timer ends a read that would hang.
            timer.schedule(() -> {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing is all we wanted
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            ch.connect(UnixDomainSocketAddress.of(socket));
            try {
                writeAll(ch, ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1)));
                if (body != null) {
                    writeAll(ch, ByteBuffer.wrap(body));
                }
                return read(ch);
            } catch (java.nio.channels.AsynchronousCloseException e) {
                throw new IOException("no answer from " + socket + " within " + timeout.toSeconds() + " s");
            }
        } finally {
            timer.shutdownNow();
        }
    }

    private static void writeAll(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Reads until the server closes (the request said {@code Connection: close}), then parses: the head, and a body
     * of exactly Content-Length bytes when the answer has one.
     */
    private static Response read(SocketChannel ch) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        while (ch.read(buf.clear()) >= 0) {
            all.write(buf.array(), 0, buf.position());
            if (all.size() > MAX_RESPONSE_BYTES) {
                throw new IOException("response larger than " + MAX_RESPONSE_BYTES + " bytes");
            }
        }
        byte[] bytes = all.toByteArray();
        int headEnd = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (headEnd < 0) {
            throw new IOException("connection closed before a complete response");
        }
        String[] lines = new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + lines[0]);
        }
        int status;
        try {
            status = Integer.parseInt(statusLine[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: " + lines[0]);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        int bodyStart = headEnd + 4;
        int bodyLength = bytes.length - bodyStart;
        String cl = headers.get("content-length");
        if (cl != null) {
            long declared;
            try {
                declared = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + cl);
            }
            if (declared > bodyLength) {
                throw new IOException("connection closed after " + bodyLength + " of " + declared + " body bytes");
            }
            bodyLength = (int) declared;
        }
        return new Response(status, headers, java.util.Arrays.copyOfRange(bytes, bodyStart, bodyStart + bodyLength));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
