package io.clawgress.enforcement.policy;

import io.clawgress.enforcement.net.Cidr;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Bit-level views of prefixes and addresses for the compiled tables (compile time, except {@link #ipv4}). */
final class CidrBits {

    private CidrBits() {
    }

    /** The prefix's network address. */
    static InetAddress network(Cidr cidr) {
        String text = cidr.toString();
        try {
            // Safe: Cidr renders an IP literal, so no name lookup happens.
            return InetAddress.getByName(text.substring(0, text.indexOf('/')));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cidr: " + text, e);
        }
    }

    /**
     * The IPv4 address as a big-endian int, without copying its bytes: {@link Inet4Address#hashCode()} is that int
     * (it has been since JDK 1.0; {@code PrefixTableTest} checks it, so a JDK that changed it fails the build).
     */
    static int ipv4(Inet4Address a) {
        return a.hashCode();
    }

    static long high(byte[] b) {
        return b.length == 4 ? ((b[0] & 0xffL) << 24 | (b[1] & 0xffL) << 16 | (b[2] & 0xffL) << 8 | (b[3] & 0xffL))
                : word(b, 0);
    }

    static long low(byte[] b) {
        return b.length == 4 ? 0 : word(b, 8);
    }

    private static long word(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xffL);
        }
        return v;
    }

    /** {@code hi:lo} with the bits after {@code prefix} cleared; IPv4 lives in the low 32 bits of {@code hi}. */
    static long maskHigh(long hi, int prefix, boolean v4) {
        if (v4) {
            return prefix == 0 ? 0 : hi & (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        }
        return prefix >= 64 ? hi : prefix == 0 ? 0 : hi & (-1L << (64 - prefix));
    }

    static long maskLow(long lo, int prefix, boolean v4) {
        if (v4 || prefix <= 64) {
            return 0;
        }
        return prefix == 128 ? lo : lo & (-1L << (128 - prefix));
    }
}
