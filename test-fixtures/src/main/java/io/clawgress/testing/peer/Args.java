package io.clawgress.testing.peer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} options of a peer subcommand; every option must be known to the subcommand. An option may be
 * repeated only where the subcommand reads it with {@link #strings(String)}.
 */
final class Args {

    private final String command;
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();

    private Args(String command) {
        this.command = command;
    }

    static Args parse(String command, List<String> args) {
        Args a = new Args(command);
        for (int i = 0; i < args.size(); i++) {
            String key = args.get(i);
            if (!key.startsWith("--") || i + 1 >= args.size()) {
                throw new UsageException(command + ": expected --option value pairs, got: " + String.join(" ", args));
            }
            a.values.computeIfAbsent(key.substring(2), k -> new ArrayList<>()).add(args.get(++i));
        }
        return a;
    }

    String command() {
        return command;
    }

    String string(String name) {
        List<String> v = values.get(name);
        if (v == null) {
            throw new UsageException(command + ": missing --" + name);
        }
        if (v.size() > 1) {
            throw new UsageException(command + ": --" + name + " given " + v.size() + " times (expected: once)");
        }
        used.add(name);
        return v.get(0);
    }

    /** Every value of a repeatable option, in command-line order; empty when it was not given. */
    List<String> strings(String name) {
        used.add(name);
        return List.copyOf(values.getOrDefault(name, List.of()));
    }

    String string(String name, String dflt) {
        return values.containsKey(name) ? string(name) : dflt;
    }

    /** A byte count; accepts the suffixes k/K, m/M, g/G (optionally followed by iB or B), binary multiples. */
    long bytes(String name, long dflt) {
        if (!values.containsKey(name)) {
            return dflt;
        }
        String v = string(name).trim();
        String digits = v.replaceFirst("(?i)(i?b)$", "");
        long mult = 1;
        char last = digits.isEmpty() ? ' ' : Character.toLowerCase(digits.charAt(digits.length() - 1));
        switch (last) {
            case 'k' -> mult = 1L << 10;
            case 'm' -> mult = 1L << 20;
            case 'g' -> mult = 1L << 30;
            default -> {
            }
        }
        if (mult > 1) {
            digits = digits.substring(0, digits.length() - 1);
        }
        try {
            long n = Math.multiplyExact(Long.parseLong(digits), mult);
            if (n < 0) {
                throw new NumberFormatException("negative");
            }
            return n;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new UsageException(command + ": --" + name + " " + v + " (expected: a byte count like 8M)");
        }
    }

    long number(String name, long dflt) {
        if (!values.containsKey(name)) {
            return dflt;
        }
        String v = string(name);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " " + v + " (expected: an integer)");
        }
    }

    Duration seconds(String name, Duration dflt) {
        return values.containsKey(name) ? Duration.ofSeconds(number(name, 0)) : dflt;
    }

    int port(String name) {
        long p = number(name, -1);
        if (p < 0 || p > 65_535) {
            throw new UsageException(command + ": --" + name + " " + p + " (expected: 0..65535)");
        }
        return (int) p;
    }

    InetAddress address(String name) {
        String v = string(name);
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            throw new UsageException(command + ": --" + name + " " + v + " (expected: an IP address)");
        }
    }

    /** {@code host:port} (IPv6 as {@code [addr]:port}). */
    InetSocketAddress endpoint(String name) {
        String v = string(name);
        int colon = v.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException(command + ": --" + name + " " + v + " (expected: host:port)");
        }
        String host = v.substring(0, colon).replace("[", "").replace("]", "");
        try {
            int port = Integer.parseInt(v.substring(colon + 1));
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException | IllegalArgumentException e) {
            throw new UsageException(command + ": --" + name + " " + v + " (expected: host:port)");
        }
    }

    /** Fails on options the subcommand never asked for (typos must not be silently ignored). */
    void checkAllUsed() {
        Set<String> unknown = new HashSet<>(values.keySet());
        unknown.removeAll(used);
        if (!unknown.isEmpty()) {
            throw new UsageException(command + ": unknown option(s) " + unknown);
        }
    }

    /** A command line the peer cannot run. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
