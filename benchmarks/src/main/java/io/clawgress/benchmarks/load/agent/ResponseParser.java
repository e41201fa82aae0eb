package io.clawgress.benchmarks.load.agent;

import io.netty.buffer.ByteBuf;

/**
 * A push parser for HTTP/1.1 responses (RFC 9112) that only frames them: status, {@code Content-Length} or chunked
 * body, {@code Connection: close}. Bodies are counted, never copied, so a 1 GiB download costs no allocation. One
 * instance per connection, used on that connection's event loop.
 *
 * <p>The responses come from our own {@code BenchServer} through the system under test, which may add fields (Squid
 * adds {@code Via}) or re-frame the body, so both framings are handled.
 */
final class ResponseParser {

    /** What a complete response looked like. */
    interface Listener {
        void onResponse(int status, long bodyBytes, boolean close);
    }

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILERS, UNTIL_CLOSE }

    private static final int MAX_HEAD = 16 * 1024;

    private final Listener listener;
    private final byte[] line = new byte[MAX_HEAD];
    private int lineLength;
    private State state = State.HEAD;
    private int status;
    private long contentLength;
    private boolean chunked;
    private boolean close;
    private boolean firstLine = true;
    private long remaining;
    private long bodyBytes;

    ResponseParser(Listener listener) {
        this.listener = listener;
    }

    /** Consumes every readable byte of {@code in} (the caller keeps ownership of the buffer). */
    void feed(ByteBuf in) throws MalformedResponse {
        while (in.isReadable()) {
            switch (state) {
                case HEAD, CHUNK_SIZE, TRAILERS -> {
                    if (!readLine(in)) {
                        return;
                    }
                    onLine();
                }
                case BODY, CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, in.readableBytes());
                    in.skipBytes(n);
                    remaining -= n;
                    bodyBytes += n;
                    if (remaining == 0) {
                        if (state == State.BODY) {
                            complete();
                        } else {
                            state = State.CHUNK_CRLF;
                            remaining = 2;
                        }
                    }
                }
                case CHUNK_CRLF -> {
                    int n = (int) Math.min(remaining, in.readableBytes());
                    in.skipBytes(n);
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.CHUNK_SIZE;
                    }
                }
                case UNTIL_CLOSE -> {
                    bodyBytes += in.readableBytes();
                    in.skipBytes(in.readableBytes());
                }
            }
        }
    }

    /** The connection ended: completes a response framed by the close (RFC 9112 §6.3 rule 8). */
    void onClose() {
        if (state == State.UNTIL_CLOSE) {
            listener.onResponse(status, bodyBytes, true);
            reset();
        }
    }

    /** Whether a response has begun and not ended. */
    boolean inProgress() {
        return state != State.HEAD || lineLength > 0 || !firstLine;
    }

    private boolean readLine(ByteBuf in) throws MalformedResponse {
        int end = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
        int upTo = end < 0 ? in.writerIndex() : end + 1;
        int n = upTo - in.readerIndex();
        if (lineLength + n > MAX_HEAD) {
            throw new MalformedResponse("response line longer than " + MAX_HEAD + " bytes");
        }
        in.readBytes(line, lineLength, n);
        lineLength += n;
        return end >= 0;
    }

    private void onLine() throws MalformedResponse {
        int len = lineLength;
        lineLength = 0;
        // Strip CRLF (or a bare LF, RFC 9112 §2.2).
        len--;
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        switch (state) {
            case HEAD -> headLine(len);
            case CHUNK_SIZE -> chunkSize(len);
            case TRAILERS -> {
                if (len == 0) {
                    complete();
                }
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void headLine(int len) throws MalformedResponse {
        if (firstLine) {
            // "HTTP/1.1 200 OK"
            if (len < 12 || line[0] != 'H' || line[8] != ' ') {
                throw new MalformedResponse("not a status line: " + new String(line, 0, Math.min(len, 80),
                        java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
            close = line[7] == '0'; // HTTP/1.0 closes unless keep-alive
            firstLine = false;
            contentLength = -1;
            chunked = false;
            return;
        }
        if (len == 0) {
            endOfHead();
            return;
        }
        if (startsWithIgnoreCase(len, "content-length:")) {
            contentLength = parseLong(len, "content-length:".length());
        } else if (startsWithIgnoreCase(len, "transfer-encoding:")) {
            chunked = containsIgnoreCase(len, "chunked");
        } else if (startsWithIgnoreCase(len, "connection:")) {
            if (containsIgnoreCase(len, "close")) {
                close = true;
            } else if (containsIgnoreCase(len, "keep-alive")) {
                close = false;
            }
        }
    }

    private void endOfHead() {
        bodyBytes = 0;
        boolean noBody = status == 204 || status == 304 || (status >= 100 && status < 200);
        if (status >= 100 && status < 200) {
            firstLine = true; // an interim response: the real one follows
            return;
        }
        if (noBody || (!chunked && contentLength == 0)) {
            complete();
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (contentLength > 0) {
            state = State.BODY;
            remaining = contentLength;
        } else {
            state = State.UNTIL_CLOSE;
            close = true;
        }
    }

    private void chunkSize(int len) throws MalformedResponse {
        long size = 0;
        int i = 0;
        for (; i < len; i++) {
            int d = Character.digit(line[i], 16);
            if (d < 0) {
                break; // chunk extensions or whitespace follow
            }
            size = size * 16 + d;
            if (size > (1L << 40)) {
                throw new MalformedResponse("chunk size too large");
            }
        }
        if (i == 0) {
            throw new MalformedResponse("bad chunk size line");
        }
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            state = State.CHUNK_DATA;
            remaining = size;
        }
    }

    private void complete() {
        int s = status;
        long b = bodyBytes;
        boolean c = close;
        reset();
        listener.onResponse(s, b, c);
    }

    private void reset() {
        state = State.HEAD;
        firstLine = true;
        lineLength = 0;
        bodyBytes = 0;
        remaining = 0;
    }

    private boolean startsWithIgnoreCase(int len, String prefix) {
        if (len < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (Character.toLowerCase(line[i]) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean containsIgnoreCase(int len, String word) {
        String s = new String(line, 0, len, java.nio.charset.StandardCharsets.ISO_8859_1).toLowerCase();
        return s.contains(word);
    }

    private long parseLong(int len, int from) throws MalformedResponse {
        long v = 0;
        boolean digits = false;
        for (int i = from; i < len; i++) {
            byte b = line[i];
            if (b >= '0' && b <= '9') {
                v = v * 10 + (b - '0');
                digits = true;
            } else if (b != ' ' && b != '\t') {
                throw new MalformedResponse("bad content-length");
            }
        }
        if (!digits) {
            throw new MalformedResponse("empty content-length");
        }
        return v;
    }

    /** The bytes are not an HTTP/1.1 response: the connection is closed and the request counted as an error. */
    static final class MalformedResponse extends Exception {
        MalformedResponse(String message) {
            super(message, null, false, false);
        }
    }
}
