package io.clawgress.testing.peer;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes one JSON object per line, flushed at once, from any thread. Values may be strings, numbers, booleans,
 * null, nested maps, or lists of any of these.
 */
final class Events {

    private final PrintStream out;

    Events(PrintStream out) {
        this.out = out;
    }

    /** Starts an event object with its {@code "event"} field. */
    static Map<String, Object> event(String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", name);
        return m;
    }

    void emit(Map<String, ?> fields) {
        String line = toJson(fields);
        synchronized (out) {
            out.print(line);
            out.print('\n');
            out.flush();
        }
    }

    static String toJson(Map<String, ?> fields) {
        StringBuilder sb = new StringBuilder(128);
        writeObject(sb, fields);
        return sb.toString();
    }

    private static void writeObject(StringBuilder sb, Map<?, ?> m) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            writeString(sb, String.valueOf(e.getKey()));
            sb.append(':');
            writeValue(sb, e.getValue());
        }
        sb.append('}');
    }

    private static void writeValue(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            writeObject(sb, m);
        } else if (v instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object item : c) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeValue(sb, item);
            }
            sb.append(']');
        } else {
            writeString(sb, v.toString());
        }
    }

    private static void writeString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** {@code ip:port} of a socket address ({@code [ip]:port} for IPv6). */
    static String endpoint(SocketAddress a) {
        if (a instanceof InetSocketAddress isa && isa.getAddress() != null) {
            String host = isa.getAddress().getHostAddress();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + isa.getPort();
        }
        return String.valueOf(a);
    }
}
