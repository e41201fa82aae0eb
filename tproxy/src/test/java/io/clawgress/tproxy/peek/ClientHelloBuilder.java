package io.clawgress.tproxy.peek;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the bytes of a TLS ClientHello: the handshake message (RFC 8446 §4.1.2, §4 header) via {@link #message()},
 * and the TLS records carrying it (RFC 8446 §5.1) via {@link #record()}, {@link #records(int)} or
 * {@link #fragments(int...)}. Extensions are emitted in the order they were added. Knobs that break the framing
 * ({@code declaredLength}, {@link #extensionsLength(int)}, {@link #trailing(byte...)}) produce malformed hellos
 * on purpose. {@link #toString()} says what was built.
 */
final class ClientHelloBuilder {

    static final int GREASE_1 = 0x0a0a;
    static final int GREASE_2 = 0x3a3a;
    static final int EXT_SERVER_NAME = 0;
    static final int EXT_SUPPORTED_GROUPS = 10;
    static final int EXT_EC_POINT_FORMATS = 11;
    static final int EXT_SIGNATURE_ALGORITHMS = 13;
    static final int EXT_ALPN = 16;
    static final int EXT_PADDING = 21;
    static final int EXT_ENCRYPT_THEN_MAC = 22;
    static final int EXT_EXTENDED_MASTER_SECRET = 23;
    static final int EXT_SESSION_TICKET = 35;
    static final int EXT_SUPPORTED_VERSIONS = 43;
    static final int EXT_PSK_KEY_EXCHANGE_MODES = 45;
    static final int EXT_POST_HANDSHAKE_AUTH = 49;
    static final int EXT_KEY_SHARE = 51;
    static final int EXT_RENEGOTIATION_INFO = 0xff01;
    static final int EXT_ECH = 0xfe0d;

    /** OpenSSL 3's default list, TLS 1.3 suites first, as curl sends it. */
    static final int[] OPENSSL3_SUITES = {0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa,
            0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009,
            0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};

    private final List<String> description = new ArrayList<>();
    private final ByteArrayOutputStream extensions = new ByteArrayOutputStream();
    private int messageType = 1;
    private int legacyVersion = 0x0303;
    private byte[] sessionId = filled(32, 0x5e);
    private int[] cipherSuites = {0x1301, 0xc02f};
    private byte[] rawSuites;
    private byte[] compression = {0};
    private boolean extensionBlock = true;
    private int extensionsLength = -1;
    private byte[] trailing = new byte[0];
    private int recordType = 22;
    private int recordVersion = 0x0301;
    private int padTo = -1;

    /** A ClientHello like curl 7.88 with OpenSSL 3.0 sends for https://{sni}/ (517 bytes in one record). */
    static ClientHelloBuilder curlLike(String sni) {
        return new ClientHelloBuilder()
                .cipherSuites(OPENSSL3_SUITES)
                .sni(sni)
                .extension(EXT_EC_POINT_FORMATS, hex("03000102"))
                .extension(EXT_SUPPORTED_GROUPS, hex("0014001d0017001e0019001801000101010201030104"))
                .alpn("h2", "http/1.1")
                .extension(EXT_ENCRYPT_THEN_MAC)
                .extension(EXT_EXTENDED_MASTER_SECRET)
                .extension(EXT_POST_HANDSHAKE_AUTH)
                .extension(EXT_SIGNATURE_ALGORITHMS, hex("0028" + "040305030603080708080809080a080b080408050806"
                        + "040105010601030303010302040205020602"))
                .supportedVersions(0x0304, 0x0303, 0x0302, 0x0301)
                .extension(EXT_PSK_KEY_EXCHANGE_MODES, hex("0101"))
                .keyShareX25519()
                .padTo(512)
                .describedAs("curl/OpenSSL 3 to " + sni);
    }

    /** A TLS 1.2-only ClientHello: no supported_versions, no key_share. */
    static ClientHelloBuilder tls12Only(String sni) {
        return new ClientHelloBuilder()
                .cipherSuites(0xc02f, 0xc030, 0x009e, 0x00ff)
                .sni(sni)
                .extension(EXT_EC_POINT_FORMATS, hex("0100"))
                .extension(EXT_SUPPORTED_GROUPS, hex("0004001d0017"))
                .extension(EXT_SESSION_TICKET)
                .extension(EXT_SIGNATURE_ALGORITHMS, hex("000404010403"))
                .describedAs("TLS 1.2 only to " + sni);
    }

    /** Like Chromium: GREASE in the suites, groups, key shares, versions, ALPN and first and last extensions. */
    static ClientHelloBuilder greasy(String sni) {
        return new ClientHelloBuilder()
                .cipherSuites(GREASE_1, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f)
                .extension(GREASE_1)
                .sni(sni)
                .extension(EXT_SUPPORTED_GROUPS, hex("0006" + "3a3a" + "001d0017"))
                .alpnRaw(new byte[][] {{0x2a, 0x2a}, bytes("h2"), bytes("http/1.1")})
                .supportedVersions(0x6a6a, 0x0304, 0x0303)
                .extension(EXT_KEY_SHARE, hex("0029" + "3a3a" + "0001" + "00" + "001d" + "0020" + "11".repeat(32)))
                .extension(EXT_RENEGOTIATION_INFO, hex("00"))
                .extension(GREASE_2, hex("00"))
                .describedAs("GREASE everywhere to " + sni);
    }

    ClientHelloBuilder describedAs(String text) {
        description.clear();
        description.add(text);
        return this;
    }

    ClientHelloBuilder messageType(int type) {
        this.messageType = type;
        return note("msg_type " + type);
    }

    ClientHelloBuilder legacyVersion(int version) {
        this.legacyVersion = version;
        return note("legacy_version " + Integer.toHexString(version));
    }

    ClientHelloBuilder sessionId(byte[] id) {
        this.sessionId = id.clone();
        return note("session_id of " + id.length);
    }

    ClientHelloBuilder cipherSuites(int... suites) {
        this.cipherSuites = suites.clone();
        return this;
    }

    /** Raw cipher_suites bytes (may be odd, may be empty), written after a 2-byte length of their size. */
    ClientHelloBuilder cipherSuiteBytes(byte[] raw) {
        this.cipherSuites = null;
        this.rawSuites = raw.clone();
        return note("cipher_suites of " + raw.length + " bytes");
    }

    ClientHelloBuilder compression(byte... methods) {
        this.compression = methods.clone();
        return note("compression of " + methods.length);
    }

    /** No extensions block at all (a TLS 1.0-1.2 hello may end after compression_methods). */
    ClientHelloBuilder withoutExtensionBlock() {
        this.extensionBlock = false;
        return note("no extension block");
    }

    /** Overrides the 2-byte extensions length (the extensions themselves are still written). */
    ClientHelloBuilder extensionsLength(int declared) {
        this.extensionsLength = declared;
        return note("extensions length " + declared);
    }

    /** Bytes after the extensions block, still inside the handshake message. */
    ClientHelloBuilder trailing(byte... bytes) {
        this.trailing = bytes.clone();
        return note(bytes.length + " trailing bytes");
    }

    /** The record header fields used by {@link #record()} and friends. */
    ClientHelloBuilder recordHeader(int type, int version) {
        this.recordType = type;
        this.recordVersion = version;
        return note("records " + type + "/" + Integer.toHexString(version));
    }

    /** server_name with one host_name per name (ASCII), RFC 6066 §3. */
    ClientHelloBuilder sni(String... names) {
        byte[][] raw = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            raw[i] = names[i].getBytes(StandardCharsets.UTF_8);
        }
        return sniRaw(raw).note("sni " + Arrays.toString(names));
    }

    /** server_name with one host_name entry per byte string. */
    ClientHelloBuilder sniRaw(byte[]... names) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (byte[] name : names) {
            list.write(0);
            u16(list, name.length);
            list.writeBytes(name);
        }
        return serverNameList(list.toByteArray());
    }

    /** server_name whose ServerNameList holds exactly these entry bytes. */
    ClientHelloBuilder serverNameList(byte[] entries) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        u16(data, entries.length);
        data.writeBytes(entries);
        return extension(EXT_SERVER_NAME, data.toByteArray());
    }

    ClientHelloBuilder alpn(String... protocols) {
        byte[][] raw = new byte[protocols.length][];
        for (int i = 0; i < protocols.length; i++) {
            raw[i] = bytes(protocols[i]);
        }
        return alpnRaw(raw).note("alpn " + Arrays.toString(protocols));
    }

    ClientHelloBuilder alpnRaw(byte[]... protocols) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (byte[] protocol : protocols) {
            list.write(protocol.length);
            list.writeBytes(protocol);
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        u16(data, list.size());
        data.writeBytes(list.toByteArray());
        return extension(EXT_ALPN, data.toByteArray());
    }

    ClientHelloBuilder supportedVersions(int... versions) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(versions.length * 2);
        for (int v : versions) {
            u16(data, v);
        }
        return extension(EXT_SUPPORTED_VERSIONS, data.toByteArray());
    }

    /** key_share with one x25519 share (RFC 8446 §4.2.8). */
    ClientHelloBuilder keyShareX25519() {
        return extension(EXT_KEY_SHARE, hex("0024" + "001d0020" + "de".repeat(32)));
    }

    /** encrypted_client_hello, outer form (RFC 9849 §5): config 1, HPKE x25519/SHA256/AES-128-GCM. */
    ClientHelloBuilder ech() {
        return extension(EXT_ECH, hex("00" + "0001" + "0001" + "07" + "0020" + "ab".repeat(32) + "0040"
                + "cd".repeat(64))).note("ech");
    }

    ClientHelloBuilder extension(int type) {
        return extension(type, new byte[0]);
    }

    ClientHelloBuilder extension(int type, byte[] data) {
        return extension(type, data.length, data);
    }

    /** An extension whose length field says {@code declaredLength}, followed by {@code data}. */
    ClientHelloBuilder extension(int type, int declaredLength, byte[] data) {
        u16(extensions, type);
        u16(extensions, declaredLength);
        extensions.writeBytes(data);
        return this;
    }

    /** Raw bytes appended to the extension block, e.g. a truncated extension header. */
    ClientHelloBuilder extensionBytes(byte... raw) {
        extensions.writeBytes(raw);
        return note(raw.length + " raw extension bytes");
    }

    /** Appends a padding extension (RFC 7685) so the handshake message is {@code bytes} long. */
    ClientHelloBuilder padTo(int bytes) {
        this.padTo = bytes;
        return note("padded to " + bytes);
    }

    /** The handshake message: msg_type, uint24 length, ClientHello body. */
    byte[] message() {
        byte[] body = body();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(messageType);
        u24(out, body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private byte[] body() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        u16(out, legacyVersion);
        out.writeBytes(filled(32, 0x42));
        out.write(sessionId.length);
        out.writeBytes(sessionId);
        if (cipherSuites != null) {
            u16(out, cipherSuites.length * 2);
            for (int suite : cipherSuites) {
                u16(out, suite);
            }
        } else {
            u16(out, rawSuites.length);
            out.writeBytes(rawSuites);
        }
        out.write(compression.length);
        out.writeBytes(compression);
        if (extensionBlock) {
            byte[] ext = extensions.toByteArray();
            if (padTo >= 0) {
                int pad = padTo - (4 + out.size() + 2 + ext.length + trailing.length) - 4;
                if (pad < 0) {
                    throw new IllegalStateException("cannot pad to " + padTo + ": already " + (padTo - pad - 4));
                }
                ByteArrayOutputStream padded = new ByteArrayOutputStream();
                padded.writeBytes(ext);
                u16(padded, EXT_PADDING);
                u16(padded, pad);
                padded.writeBytes(new byte[pad]);
                ext = padded.toByteArray();
            }
            u16(out, extensionsLength >= 0 ? extensionsLength : ext.length);
            out.writeBytes(ext);
        }
        out.writeBytes(trailing);
        return out.toByteArray();
    }

    /** The message in one record. */
    byte[] record() {
        return records(1);
    }

    /** The message split into {@code n} records of nearly equal size (the first ones one byte longer). */
    byte[] records(int n) {
        int length = message().length;
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = length / n + (i < length % n ? 1 : 0);
        }
        return fragments(sizes);
    }

    /** The message split into records with these fragment lengths; they must add up to the message length. */
    byte[] fragments(int... lengths) {
        byte[] message = message();
        if (Arrays.stream(lengths).sum() != message.length) {
            throw new IllegalArgumentException("fragments " + Arrays.toString(lengths) + " do not add up to "
                    + message.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int offset = 0;
        for (int length : lengths) {
            out.writeBytes(record(recordType, recordVersion, Arrays.copyOfRange(message, offset, offset + length)));
            offset += length;
        }
        return out.toByteArray();
    }

    /** One TLS record: type, version, 2-byte length of {@code fragment}, fragment. */
    static byte[] record(int type, int version, byte[] fragment) {
        return record(type, version, fragment.length, fragment);
    }

    /** One TLS record whose length field says {@code declaredLength}. */
    static byte[] record(int type, int version, int declaredLength, byte[] fragment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(type);
        u16(out, version);
        u16(out, declaredLength);
        out.writeBytes(fragment);
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static byte[] hex(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        return out;
    }

    static String toHex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            sb.append(Character.forDigit(b >> 4 & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }

    static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] filled(int n, int value) {
        byte[] out = new byte[n];
        Arrays.fill(out, (byte) value);
        return out;
    }

    private ClientHelloBuilder note(String text) {
        description.add(text);
        return this;
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }

    private static void u24(ByteArrayOutputStream out, int v) {
        out.write(v >> 16);
        out.write(v >> 8);
        out.write(v);
    }

    @Override
    public String toString() {
        return description.isEmpty() ? "ClientHello" : "ClientHello(" + String.join(", ", description) + ")";
    }
}
