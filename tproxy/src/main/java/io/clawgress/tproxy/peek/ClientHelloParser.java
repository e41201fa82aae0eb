package io.clawgress.tproxy.peek;

import io.clawgress.api.Termination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Parses a TLS ClientHello from the first bytes of a flow (DESIGN.md §3 step 3).
 *
 * <p>Stateless and called again whenever more bytes arrive, so an incomplete hello costs only a walk over the
 * record headers (RFC 8446 §5.1) received so far: O(records) per call however slowly the bytes trickle in. The
 * body is parsed once, when the whole handshake message is there: in place when one record carries it (the common
 * case), else from a copy of the fragments.
 *
 * <p>Fails closed: anything RFC 8446 / RFC 6066 / RFC 7301 does not allow is {@link PeekResult.Malformed} with a
 * reason that cites the rule, never an exception. That includes a ClientHello that does not end at a record
 * boundary (RFC 8446 §5.1), so {@code helloBytes} is always whole records. Lenient only where real clients differ
 * from TLS 1.3: record versions 0x0300..0x0304, TLS 1.0-1.2 hellos without extensions or with an empty extension
 * block (RFC 5246 §7.4.1.2), any compression method list, unknown extensions, name types and versions. GREASE
 * values (RFC 8701) are skipped. Records after the ClientHello (change_cipher_spec, early data) are not looked at.
 */
public final class ClientHelloParser {

    static final int RECORD_HEADER_BYTES = 5;
    static final int MAX_FRAGMENT = 1 << 14;
    static final int HANDSHAKE_HEADER_BYTES = 4;
    static final int CONTENT_TYPE_HANDSHAKE = 22;
    static final int CLIENT_HELLO = 1;
    static final int EXT_SERVER_NAME = 0;
    static final int EXT_ALPN = 16;
    static final int EXT_SUPPORTED_VERSIONS = 43;
    static final int EXT_ECH = 0xfe0d;

    private static final int RANDOM_BYTES = 32;
    private static final int MAX_SESSION_ID = 32;
    private static final int NAME_TYPE_HOST_NAME = 0;

    private static final String H2 = "h2";
    private static final String HTTP_1_1 = "http/1.1";
    private static final String HTTP_1_0 = "http/1.0";
    private static final short H2_BYTES = 'h' << 8 | '2';
    private static final long HTTP_1_1_BYTES = 0x687474702f312e31L; // "http/1.1"
    private static final long HTTP_1_0_BYTES = 0x687474702f312e30L; // "http/1.0"
    private static final List<String> ALPN_H2 = List.of(H2);
    private static final List<String> ALPN_HTTP_1_1 = List.of(HTTP_1_1);
    private static final List<String> ALPN_H2_HTTP_1_1 = List.of(H2, HTTP_1_1);
    private static final List<Integer> VERSIONS_13 = List.of(0x0304);
    private static final List<Integer> VERSIONS_13_12 = List.of(0x0304, 0x0303);
    private static final List<Integer> VERSIONS_13_TO_10 = List.of(0x0304, 0x0303, 0x0302, 0x0301);

    private ClientHelloParser() {
    }

    /**
     * Looks at the readable bytes of {@code in} (never moves its indices, never retains it) and says what they
     * are so far.
     *
     * @param maxBytes the peek limit: a ClientHello whose records exceed it is {@code client_hello_too_large}
     * @return {@link PeekResult.NeedMore}, {@link PeekResult.Tls} or {@link PeekResult.Malformed}; never
     *         Http/Opaque (the caller checks the first byte is 0x16 first)
     */
    public static PeekResult parse(ByteBuf in, int maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
        }
        final int start = in.readerIndex();
        final int end = in.writerIndex();
        int pos = start;        // the next record header
        int header = 0;         // handshake header bytes read so far (msg_type, uint24 length)
        int headerBytes = 0;
        int total = -1;         // handshake message bytes (header + body), once the header is complete
        int seen = 0;           // handshake bytes carried by the complete records walked so far
        int records = 0;
        for (;;) {
            int avail = end - pos;
            if (avail < RECORD_HEADER_BYTES) {
                PeekResult bad = partialRecordHeader(in, pos, avail, records);
                if (bad != null) {
                    return bad;
                }
                long remaining = total < 0 ? HANDSHAKE_HEADER_BYTES - headerBytes : total - seen;
                long needed = atLeast(pos - start, remaining);
                return needed > maxBytes ? tooLarge(total, needed, maxBytes) : PeekResult.NeedMore.INSTANCE;
            }
            int length = in.getUnsignedShort(pos + 3);
            PeekResult bad = recordHeader(in.getUnsignedByte(pos), in.getUnsignedShort(pos + 1), length, records);
            if (bad != null) {
                return bad;
            }
            int fragment = pos + RECORD_HEADER_BYTES;
            int present = Math.min(length, end - fragment);
            for (int i = 0; headerBytes < HANDSHAKE_HEADER_BYTES && i < present; i++) {
                int b = in.getUnsignedByte(fragment + i);
                if (headerBytes == 0 && b != CLIENT_HELLO) {
                    // RFC 8446 §4: the client's first handshake message is a ClientHello (msg_type 1)
                    return malformed("handshake msg_type " + b + " (expected: client_hello(1), RFC 8446 §4)");
                }
                header = header << 8 | b;
                headerBytes++;
            }
            if (total < 0 && headerBytes == HANDSHAKE_HEADER_BYTES) {
                total = HANDSHAKE_HEADER_BYTES + (header & 0xffffff);
            }
            long through = (long) fragment + length - start; // record bytes up to the end of this record
            if (total >= 0) {
                long later = (long) total - seen - length;    // handshake bytes that later records must carry
                if (later < 0) {
                    // RFC 8446 §5.1: a ClientHello can precede a key change, so it MUST end at a record boundary
                    return malformed("the record that ends the ClientHello carries " + -later
                            + " more bytes (RFC 8446 §5.1: ClientHello must be aligned with a record boundary)");
                }
                long needed = atLeast(through, later);
                if (needed > maxBytes) {
                    return tooLarge(total, needed, maxBytes);
                }
            } else if (through > maxBytes) {
                return tooLarge(total, through, maxBytes);
            }
            if (present < length) {
                return PeekResult.NeedMore.INSTANCE;
            }
            records++;
            seen += length;
            pos = fragment + length;
            if (seen == total) {
                break;
            }
        }
        int helloBytes = pos - start;
        int bodyLength = total - HANDSHAKE_HEADER_BYTES;
        if (records == 1) {
            int body = start + RECORD_HEADER_BYTES + HANDSHAKE_HEADER_BYTES;
            return parseBody(in, body, body + bodyLength, helloBytes);
        }
        // Owned here: a heap copy of the fragments, released before returning (nothing keeps a view of it).
        ByteBuf joined = Unpooled.wrappedBuffer(joinFragments(in, start, records, bodyLength));
        try {
            return parseBody(joined, 0, bodyLength, helloBytes);
        } finally {
            joined.release();
        }
    }

    /** Record bytes needed at least: {@code through} so far, plus {@code later} handshake bytes in full records. */
    private static long atLeast(long through, long later) {
        return through + later + RECORD_HEADER_BYTES * ((later + MAX_FRAGMENT - 1) / MAX_FRAGMENT);
    }

    /** Checks the part of a record header that has arrived ({@code avail} < 5 bytes). */
    private static PeekResult partialRecordHeader(ByteBuf in, int pos, int avail, int records) {
        if (avail >= 1 && in.getUnsignedByte(pos) != CONTENT_TYPE_HANDSHAKE) {
            return recordHeader(in.getUnsignedByte(pos), 0x0303, 1, records);
        }
        if (avail >= 3) {
            return recordHeader(CONTENT_TYPE_HANDSHAKE, in.getUnsignedShort(pos + 1), 1, records);
        }
        return null;
    }

    /** RFC 8446 §5.1 TLSPlaintext header of record number {@code records} (0-based); null when acceptable. */
    private static PeekResult recordHeader(int type, int version, int length, int records) {
        if (type != CONTENT_TYPE_HANDSHAKE) {
            // RFC 8446 §5.1: the handshake is not complete until the ClientHello is; nothing else may interleave
            return malformed("record " + (records + 1) + " has content type " + type
                    + " (expected: handshake(22) until the ClientHello is complete, RFC 8446 §5.1)");
        }
        if (version < 0x0300 || version > 0x0304) {
            // RFC 8446 §5.1 legacy_record_version: 0x0301 for an initial ClientHello, 0x0303 otherwise; older
            // stacks send 0x0300..0x0303, which is accepted
            return malformed("record " + (records + 1) + " has version " + HostNames.hex4(version)
                    + " (expected: 0x0300..0x0304, RFC 8446 §5.1)");
        }
        if (length == 0) {
            return malformed("record " + (records + 1) + " has length 0 (RFC 8446 §5.1: implementations MUST NOT "
                    + "send zero-length fragments of Handshake types)");
        }
        if (length > MAX_FRAGMENT) {
            return malformed("record length " + length + " exceeds 2^14 (RFC 8446 §5.1)");
        }
        return null;
    }

    private static byte[] joinFragments(ByteBuf in, int start, int records, int bodyLength) {
        byte[] body = new byte[bodyLength];
        int skip = HANDSHAKE_HEADER_BYTES;
        int written = 0;
        int pos = start;
        for (int r = 0; r < records; r++) {
            int length = in.getUnsignedShort(pos + 3);
            int fragment = pos + RECORD_HEADER_BYTES;
            int skipped = Math.min(skip, length);
            skip -= skipped;
            in.getBytes(fragment + skipped, body, written, length - skipped);
            written += length - skipped;
            pos = fragment + length;
        }
        return body;
    }

    /** RFC 8446 §4.1.2 ClientHello body in {@code [from, end)} of {@code b}; also the TLS 1.0-1.2 forms. */
    private static PeekResult parseBody(ByteBuf b, int from, int end, int helloBytes) {
        if (end - from < 2 + RANDOM_BYTES + 1) {
            return malformed("ClientHello body of " + (end - from)
                    + " bytes ends before legacy_session_id (RFC 8446 §4.1.2)");
        }
        int legacyVersion = b.getUnsignedShort(from);
        if (legacyVersion >>> 8 != 3) {
            // RFC 8446 §4.1.2 and Appendix D: 0x0303 for TLS 1.2 and later, 0x0300..0x0302 from older clients
            return malformed("ClientHello legacy_version " + HostNames.hex4(legacyVersion)
                    + " (expected: 0x03xx, RFC 8446 §4.1.2)");
        }
        int p = from + 2 + RANDOM_BYTES;
        int sessionId = b.getUnsignedByte(p++);
        if (sessionId > MAX_SESSION_ID) {
            return malformed("legacy_session_id length " + sessionId + " (expected: <= 32, RFC 8446 §4.1.2)");
        }
        if (sessionId > end - p) {
            return overrun("legacy_session_id", sessionId, end - p, "RFC 8446 §4.1.2");
        }
        p += sessionId;
        if (end - p < 2) {
            return malformed("ClientHello ends before cipher_suites (RFC 8446 §4.1.2)");
        }
        int suites = b.getUnsignedShort(p);
        p += 2;
        if (suites < 2 || (suites & 1) != 0) {
            return malformed("cipher_suites length " + suites + " (expected: even, 2..2^16-2, RFC 8446 §4.1.2)");
        }
        if (suites > end - p) {
            return overrun("cipher_suites", suites, end - p, "RFC 8446 §4.1.2");
        }
        p += suites;
        if (end - p < 1) {
            return malformed("ClientHello ends before legacy_compression_methods (RFC 8446 §4.1.2)");
        }
        int compression = b.getUnsignedByte(p++);
        if (compression == 0) {
            return malformed("legacy_compression_methods is empty (expected: 1..2^8-1 bytes, RFC 8446 §4.1.2)");
        }
        if (compression > end - p) {
            return overrun("legacy_compression_methods", compression, end - p, "RFC 8446 §4.1.2");
        }
        p += compression;
        if (p == end) {
            // RFC 5246 §7.4.1.2: a TLS 1.0-1.2 ClientHello may end here, without an extensions block
            return new PeekResult.Tls(null, List.of(), List.of(), legacyVersion, false, helloBytes);
        }
        if (end - p < 2) {
            return malformed("1 byte after legacy_compression_methods (expected: none or an extensions block, "
                    + "RFC 8446 §4.1.2)");
        }
        int extensionsLength = b.getUnsignedShort(p);
        p += 2;
        if (extensionsLength != end - p) {
            // RFC 8446 §4.1.2: every length must fit its parent; nothing may follow the extensions
            return extensionsLength > end - p
                    ? overrun("extensions", extensionsLength, end - p, "RFC 8446 §4.1.2")
                    : malformed((end - p - extensionsLength) + " bytes after the extensions block of "
                            + extensionsLength + " bytes, inside the ClientHello (RFC 8446 §4.1.2)");
        }
        return parseExtensions(b, p, end, legacyVersion, helloBytes);
    }

    private static PeekResult parseExtensions(ByteBuf b, int from, int end, int legacyVersion, int helloBytes) {
        long seenLow = 0;   // extension types 0..63, one bit each
        long seenHigh = 0;  // other types, hashed; a hit is confirmed by a rescan
        String sni = null;
        int alpn = -1;
        int alpnEnd = 0;
        int versions = -1;
        int versionsEnd = 0;
        boolean ech = false;
        int p = from;
        while (p < end) {
            if (end - p < 4) {
                return malformed("extension header truncated: " + (end - p) + " bytes left of 4 (RFC 8446 §4.2)");
            }
            int header = b.getInt(p); // extension_type(2), length(2)
            int type = header >>> 16;
            int length = header & 0xffff;
            int data = p + 4;
            if (length > end - data) {
                return overrun("extension " + extensionName(type), length, end - data, "RFC 8446 §4.2");
            }
            boolean duplicate;
            if (type < 64) {
                long bit = 1L << type;
                duplicate = (seenLow & bit) != 0;
                seenLow |= bit;
            } else {
                long bit = 1L << ((type ^ type >>> 6 ^ type >>> 12) & 63);
                duplicate = (seenHigh & bit) != 0 && occursIn(b, from, p, type);
                seenHigh |= bit;
            }
            if (duplicate) {
                return malformed("duplicate extension " + extensionName(type)
                        + " (RFC 8446 §4.2: there MUST NOT be more than one extension of the same type)");
            }
            int dataEnd = data + length;
            switch (type) {
                case EXT_SERVER_NAME -> {
                    Object name = serverName(b, data, dataEnd);
                    if (name instanceof PeekResult.Malformed bad) {
                        return bad;
                    }
                    sni = (String) name;
                }
                case EXT_ALPN -> {
                    PeekResult bad = checkAlpn(b, data, dataEnd);
                    if (bad != null) {
                        return bad;
                    }
                    alpn = data;
                    alpnEnd = dataEnd;
                }
                case EXT_SUPPORTED_VERSIONS -> {
                    PeekResult bad = checkSupportedVersions(b, data, dataEnd);
                    if (bad != null) {
                        return bad;
                    }
                    versions = data;
                    versionsEnd = dataEnd;
                }
                case EXT_ECH -> ech = true; // RFC 9849 §5: the outer ClientHello's SNI is the public name
                default -> {
                    // unknown and GREASE (RFC 8701 §3) extensions: skipped, as RFC 8446 §4.2 tells servers
                }
            }
            p = dataEnd;
        }
        return new PeekResult.Tls(
                sni,
                alpn < 0 ? List.of() : alpnList(b, alpn, alpnEnd),
                versions < 0 ? List.of() : versionList(b, versions, versionsEnd),
                legacyVersion, ech, helloBytes);
    }

    /** Whether an extension of {@code type} starts in {@code [from, to)}, walking extension headers. */
    private static boolean occursIn(ByteBuf b, int from, int to, int type) {
        for (int p = from; p < to; p += 4 + b.getUnsignedShort(p + 2)) {
            if (b.getUnsignedShort(p) == type) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 6066 §3 server_name extension_data: the host_name lower-cased, {@code null} when the list holds only
     * unknown name types, or the {@link PeekResult.Malformed} saying what is wrong (one pass, no holder object).
     */
    private static Object serverName(ByteBuf b, int from, int end) {
        if (end - from < 2) {
            return malformed("server_name extension of " + (end - from)
                    + " bytes has no ServerNameList length (RFC 6066 §3)");
        }
        int listLength = b.getUnsignedShort(from);
        if (listLength != end - from - 2) {
            return malformed("ServerNameList length " + listLength + " does not match the " + (end - from - 2)
                    + " bytes after it in the server_name extension (RFC 6066 §3)");
        }
        if (listLength == 0) {
            return sniInvalid("server_name has an empty ServerNameList (RFC 6066 §3: ServerNameList<1..2^16-1>)");
        }
        String hostName = null;
        for (int p = from + 2; p < end; ) {
            if (end - p < 3) {
                return malformed("ServerName entry truncated: " + (end - p) + " bytes left of 3 (RFC 6066 §3)");
            }
            int nameType = b.getUnsignedByte(p);
            int length = b.getUnsignedShort(p + 1);
            p += 3;
            if (length > end - p) {
                return overrun("ServerName", length, end - p, "RFC 6066 §3");
            }
            // RFC 6066 §3: future name types also begin with a 16-bit length, so unknown ones are skipped
            if (nameType == NAME_TYPE_HOST_NAME) {
                if (hostName != null) {
                    return sniInvalid("server_name has more than one host_name (RFC 6066 §3: the ServerNameList "
                            + "MUST NOT contain more than one name of the same name_type)");
                }
                if (length == 0) {
                    return sniInvalid("server_name has an empty HostName (RFC 6066 §3: HostName<1..2^16-1>)");
                }
                byte[] name = length > HostNames.MAX_NAME ? null : HostNames.copy(b, p, length);
                String error = name == null ? HostNames.tooLong(length) : HostNames.dnsNameError(name);
                if (error != null) {
                    // RFC 6066 §3: a fully qualified DNS hostname in ASCII, without a trailing dot; literal IPv4
                    // and IPv6 addresses are not permitted
                    return sniInvalid("server_name host_name " + HostNames.quote(b, p, length) + " " + error
                            + " (RFC 6066 §3)");
                }
                hostName = HostNames.lowerCase(name, 0, length);
            }
            p += length;
        }
        return hostName;
    }

    /** RFC 7301 §3.1 application_layer_protocol_negotiation extension_data; null when valid. */
    private static PeekResult checkAlpn(ByteBuf b, int from, int end) {
        if (end - from < 2) {
            return malformed("ALPN extension of " + (end - from)
                    + " bytes has no ProtocolNameList length (RFC 7301 §3.1)");
        }
        int listLength = b.getUnsignedShort(from);
        if (listLength != end - from - 2) {
            return malformed("ALPN ProtocolNameList length " + listLength + " does not match the "
                    + (end - from - 2) + " bytes after it (RFC 7301 §3.1)");
        }
        if (listLength < 2) {
            return malformed("ALPN ProtocolNameList length " + listLength
                    + " (expected: 2..2^16-1, RFC 7301 §3.1)");
        }
        for (int p = from + 2; p < end; ) {
            int length = b.getUnsignedByte(p++);
            if (length == 0) {
                return malformed("ALPN has an empty ProtocolName (RFC 7301 §3.1: ProtocolName<1..2^8-1>, "
                        + "empty strings MUST NOT be included)");
            }
            if (length > end - p) {
                return overrun("ALPN ProtocolName", length, end - p, "RFC 7301 §3.1");
            }
            p += length;
        }
        return null;
    }

    /** The offered protocols without GREASE; the common lists without allocating. */
    private static List<String> alpnList(ByteBuf b, int from, int end) {
        int count = 0;
        String first = null;
        String second = null;
        for (int p = from + 2; p < end; p += 1 + b.getUnsignedByte(p)) {
            int length = b.getUnsignedByte(p);
            if (!isGreaseAlpn(b, p + 1, length) && ++count <= 2) {
                if (count == 1) {
                    first = protocolName(b, p + 1, length);
                } else {
                    second = protocolName(b, p + 1, length);
                }
            }
        }
        if (count == 0) {
            return List.of();
        }
        if (count == 1) {
            return first == H2 ? ALPN_H2 : first == HTTP_1_1 ? ALPN_HTTP_1_1 : List.of(first);
        }
        if (count == 2) {
            return first == H2 && second == HTTP_1_1 ? ALPN_H2_HTTP_1_1 : List.of(first, second);
        }
        String[] names = new String[count];
        int i = 0;
        for (int p = from + 2; p < end; p += 1 + b.getUnsignedByte(p)) {
            int length = b.getUnsignedByte(p);
            if (!isGreaseAlpn(b, p + 1, length)) {
                names[i++] = protocolName(b, p + 1, length);
            }
        }
        return List.of(names);
    }

    /** RFC 8701 §2: GREASE ALPN identifiers are the two bytes of a GREASE value, {0x?A, 0x?A}. */
    private static boolean isGreaseAlpn(ByteBuf b, int p, int length) {
        return length == 2 && isGrease(b.getUnsignedShort(p));
    }

    /** The protocol name as ISO-8859-1 (RFC 7301 §3.1: opaque bytes); the common ones without allocating. */
    private static String protocolName(ByteBuf b, int p, int length) {
        if (length == 2 && b.getShort(p) == H2_BYTES) {
            return H2;
        }
        if (length == 8) {
            long name = b.getLong(p);
            if (name == HTTP_1_1_BYTES) {
                return HTTP_1_1;
            }
            if (name == HTTP_1_0_BYTES) {
                return HTTP_1_0;
            }
        }
        return b.toString(p, length, StandardCharsets.ISO_8859_1);
    }

    /** RFC 8446 §4.2.1 supported_versions extension_data in a ClientHello; null when valid. */
    private static PeekResult checkSupportedVersions(ByteBuf b, int from, int end) {
        if (end - from < 1) {
            return malformed("supported_versions extension is empty (RFC 8446 §4.2.1: versions<2..254>)");
        }
        int length = b.getUnsignedByte(from);
        if (length != end - from - 1) {
            return malformed("supported_versions length " + length + " does not match the " + (end - from - 1)
                    + " bytes after it (RFC 8446 §4.2.1)");
        }
        if (length < 2 || length > 254 || (length & 1) != 0) {
            return malformed("supported_versions length " + length
                    + " (expected: even, 2..254, RFC 8446 §4.2.1)");
        }
        return null;
    }

    /** The offered versions without GREASE; the common lists without allocating. */
    private static List<Integer> versionList(ByteBuf b, int from, int end) {
        int count = 0;
        long packed = 0; // the first four versions, 16 bits each
        for (int p = from + 1; p < end; p += 2) {
            int version = b.getUnsignedShort(p);
            if (!isGrease(version) && ++count <= 4) {
                packed = packed << 16 | version;
            }
        }
        if (count == 1 && packed == 0x0304L) {
            return VERSIONS_13;
        }
        if (count == 2 && packed == 0x0304_0303L) {
            return VERSIONS_13_12;
        }
        if (count == 4 && packed == 0x0304_0303_0302_0301L) {
            return VERSIONS_13_TO_10;
        }
        Integer[] versions = new Integer[count];
        int i = 0;
        for (int p = from + 1; p < end; p += 2) {
            int version = b.getUnsignedShort(p);
            if (!isGrease(version)) {
                versions[i++] = version;
            }
        }
        return List.of(versions);
    }

    /** RFC 8701 §2: GREASE values are 0x0A0A, 0x1A1A, ... 0xFAFA. */
    static boolean isGrease(int value) {
        return (value & 0x0f0f) == 0x0a0a && (value >>> 8) == (value & 0xff);
    }

    private static String extensionName(int type) {
        return switch (type) {
            case EXT_SERVER_NAME -> "server_name(0)";
            case EXT_ALPN -> "application_layer_protocol_negotiation(16)";
            case EXT_SUPPORTED_VERSIONS -> "supported_versions(43)";
            case EXT_ECH -> "encrypted_client_hello(0xfe0d)";
            default -> HostNames.hex4(type);
        };
    }

    private static PeekResult overrun(String what, int length, int left, String rfc) {
        return malformed(what + " length " + length + " exceeds the " + left + " bytes left in its parent ("
                + rfc + ")");
    }

    private static PeekResult tooLarge(int total, long needed, int maxBytes) {
        return new PeekResult.Malformed(Termination.CLIENT_HELLO_TOO_LARGE, (total < 0
                ? "ClientHello records"
                : "ClientHello of " + total + " handshake bytes") + " need at least " + needed
                + " bytes (limit: " + maxBytes + ")");
    }

    private static PeekResult malformed(String reason) {
        return new PeekResult.Malformed(Termination.CLIENT_HELLO_MALFORMED, reason);
    }

    private static PeekResult sniInvalid(String reason) {
        return new PeekResult.Malformed(Termination.SNI_INVALID, reason);
    }
}
