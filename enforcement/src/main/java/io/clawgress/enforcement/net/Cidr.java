package io.clawgress.enforcement.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * An IPv4 or IPv6 prefix such as {@code 10.0.0.0/8}. Host bits must be zero, so a typo such as {@code 10.0.0.1/8}
 * is an error rather than a silently wider rule.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefixLength;

    private Cidr(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code address/prefix} or a bare address (a host prefix). Only IP literals are accepted: never a
     * name, which would need a DNS lookup.
     *
     * @throws IllegalArgumentException with a message saying what was expected
     */
    public static Cidr parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = literal(addr, text);
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("\\d{1,3}")) {
                throw new IllegalArgumentException("'" + text + "' (expected: prefix length 0.." + max + ")");
            }
            prefix = Integer.parseInt(p);
            if (prefix > max) {
                throw new IllegalArgumentException("'" + text + "' (expected: prefix length 0.." + max + ")");
            }
        }
        for (int bit = prefix; bit < max; bit++) {
            if ((bytes[bit >>> 3] & (0x80 >>> (bit & 7))) != 0) {
                throw new IllegalArgumentException("'" + text + "' has host bits set (expected: "
                        + new Cidr(mask(bytes, prefix), prefix) + ")");
            }
        }
        return new Cidr(bytes, prefix);
    }

    private static byte[] literal(String addr, String original) {
        // No leading zeros: "010.0.0.1" is 10.0.0.1 to Java but 8.0.0.1 to inet_aton(3); refuse the ambiguity.
        boolean v4 = addr.matches("(0|[1-9]\\d{0,2})(\\.(0|[1-9]\\d{0,2})){3}");
        boolean v6 = addr.contains(":") && addr.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("'" + original + "' (expected: an IPv4 or IPv6 address or CIDR)");
        }
        try {
            // Safe: the pattern above admits only literals, so InetAddress does no name lookup.
            byte[] b = InetAddress.getByName(addr).getAddress();
            if (v6 && b.length == 4) {
                throw new IllegalArgumentException("'" + original + "' (expected: IPv6 in IPv6 notation)");
            }
            return b;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + original + "' (expected: an IPv4 or IPv6 address or CIDR)");
        }
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int bit = prefix; bit < out.length * 8; bit++) {
            out[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        return out;
    }

    /** Whether {@code address} lies in this prefix (an IPv4 address never matches an IPv6 prefix). */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        int full = prefixLength >>> 3;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rem = prefixLength & 7;
        if (rem == 0) {
            return true;
        }
        int m = (0xFF << (8 - rem)) & 0xFF;
        return (a[full] & m) == (network[full] & m);
    }

    public int prefixLength() {
        return prefixLength;
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString() {
        try {
            return Addresses.text(InetAddress.getByAddress(network)) + "/" + prefixLength;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
