package io.clawgress.enforcement.policy.scenario;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Address literals as written in scenarios and on the command line: {@code 198.18.1.2}, {@code 104.18.6.192:443},
 * {@code 2001:db8::7}, {@code [2001:db8::1]:443}. Only IP literals: a name would need a DNS lookup, and the flow's
 * original destination is an address.
 */
public final class Endpoints {

    // No leading zeros: "010.0.0.1" is 10.0.0.1 to Java but 8.0.0.1 to inet_aton(3); refuse the ambiguity.
    private static final Pattern V4 = Pattern.compile("(0|[1-9]\\d{0,2})(\\.(0|[1-9]\\d{0,2})){3}");
    private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    public static final String EXPECTED_ENDPOINT = "an IP address and port such as 104.18.6.192:443 or"
            + " [2001:db8::1]:443 (names are not resolved)";
    public static final String EXPECTED_SOURCE = "an IP address, optionally with a port, such as 198.18.1.2 or"
            + " [2001:db8::7]:40000";

    private Endpoints() {
    }

    /**
     * @param portRequired whether {@code text} must carry a port; without one, the port is 0
     * @throws IllegalArgumentException saying what was expected
     */
    public static InetSocketAddress parse(String text, boolean portRequired) {
        String expected = portRequired ? EXPECTED_ENDPOINT : EXPECTED_SOURCE;
        String host;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw invalid(text, expected);
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw invalid(text, expected);
                }
                port = rest.substring(1);
            }
            if (!host.contains(":")) {
                throw invalid(text, expected);
            }
        } else if (text.indexOf(':') != text.lastIndexOf(':')) {
            host = text; // a bare IPv6 address: no port can follow without brackets
        } else {
            int colon = text.indexOf(':');
            host = colon < 0 ? text : text.substring(0, colon);
            port = colon < 0 ? null : text.substring(colon + 1);
            if (!V4.matcher(host).matches()) {
                throw invalid(text, expected);
            }
        }
        if (port == null && portRequired) {
            throw invalid(text, expected);
        }
        int p = 0;
        if (port != null) {
            if (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new IllegalArgumentException("'" + text + "' has port '" + port + "' (expected: 1..65535)");
            }
            p = Integer.parseInt(port);
        }
        return new InetSocketAddress(address(host, text, expected), p);
    }

    /** An IPv4 or IPv6 literal, without a port. */
    public static InetAddress address(String text) {
        return address(text, text, "an IPv4 or IPv6 address");
    }

    private static InetAddress address(String host, String text, String expected) {
        boolean v4 = V4.matcher(host).matches();
        if (!v4 && !V6.matcher(host).matches()) {
            throw invalid(text, expected);
        }
        try {
            // Safe: the patterns above admit only literals, so InetAddress does no name lookup.
            InetAddress a = InetAddress.getByName(host);
            if (!v4 && a instanceof Inet4Address) {
                throw new IllegalArgumentException("'" + text + "' (expected: IPv4 in IPv4 notation)");
            }
            return a;
        } catch (UnknownHostException e) {
            throw invalid(text, expected);
        }
    }

    private static IllegalArgumentException invalid(String text, String expected) {
        return new IllegalArgumentException("'" + text + "' (expected: " + expected + ")");
    }
}
