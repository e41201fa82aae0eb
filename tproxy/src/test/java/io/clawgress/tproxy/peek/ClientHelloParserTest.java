package io.clawgress.tproxy.peek;

import io.clawgress.api.Termination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static io.clawgress.tproxy.peek.ClientHelloBuilder.GREASE_1;
import static io.clawgress.tproxy.peek.ClientHelloBuilder.bytes;
import static io.clawgress.tproxy.peek.ClientHelloBuilder.concat;
import static io.clawgress.tproxy.peek.ClientHelloBuilder.hex;
import static io.clawgress.tproxy.peek.ClientHelloBuilder.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** ClientHello bytes → what the peek stage learns from them, or the termination code and reason. */
class ClientHelloParserTest {

    private static final int LIMIT = 16 * 1024;
    private static final List<Integer> TLS13_12 = List.of(0x0304, 0x0303);
    private static final List<Integer> CURL_VERSIONS = List.of(0x0304, 0x0303, 0x0302, 0x0301);
    private static final List<String> H2_H1 = List.of("h2", "http/1.1");

    /** A small TLS 1.3 hello to vary: SNI example.com, ALPN h2, versions 1.3 and 1.2, an x25519 key share. */
    private static ClientHelloBuilder base() {
        return new ClientHelloBuilder().sni("example.com").alpn("h2").supportedVersions(0x0304, 0x0303)
                .keyShareX25519();
    }

    static Stream<Arguments> validHellos() {
        return Stream.of(
                arguments(ClientHelloBuilder.curlLike("example.com"),
                        tls("example.com", H2_H1, CURL_VERSIONS, 0x0303, false)),
                arguments(ClientHelloBuilder.greasy("www.example.org"),
                        tls("www.example.org", H2_H1, TLS13_12, 0x0303, false)),
                arguments(ClientHelloBuilder.curlLike("public.example.net").ech().padTo(700),
                        tls("public.example.net", H2_H1, CURL_VERSIONS, 0x0303, true)),
                arguments(ClientHelloBuilder.tls12Only("legacy.example.com"),
                        tls("legacy.example.com", List.of(), List.of(), 0x0303, false)),
                arguments(new ClientHelloBuilder().alpn("h2").supportedVersions(0x0304).keyShareX25519()
                        .describedAs("no server_name"), tls(null, List.of("h2"), List.of(0x0304), 0x0303, false)),
                arguments(new ClientHelloBuilder().legacyVersion(0x0301).cipherSuites(0x002f).sessionId(new byte[0])
                        .withoutExtensionBlock(), tls(null, List.of(), List.of(), 0x0301, false)),
                arguments(new ClientHelloBuilder().describedAs("empty extension block"),
                        tls(null, List.of(), List.of(), 0x0303, false)),
                arguments(new ClientHelloBuilder().legacyVersion(0x0300).recordHeader(22, 0x0300)
                        .compression((byte) 1, (byte) 0).sni("ssl3.example"),
                        tls("ssl3.example", List.of(), List.of(), 0x0300, false)),
                arguments(new ClientHelloBuilder().sni("WWW.Example.COM"),
                        tls("www.example.com", List.of(), List.of(), 0x0303, false)),
                arguments(new ClientHelloBuilder().serverNameList(concat(hex("07" + "0003"), bytes("abc"),
                        hex("00" + "000b"), bytes("example.com"))).describedAs("unknown name_type, then host_name"),
                        tls("example.com", List.of(), List.of(), 0x0303, false)),
                arguments(new ClientHelloBuilder().serverNameList(concat(hex("07" + "0003"), bytes("abc")))
                        .describedAs("only an unknown name_type"), tls(null, List.of(), List.of(), 0x0303, false)),
                arguments(new ClientHelloBuilder().sni("xn--bcher-kva.example"),
                        tls("xn--bcher-kva.example", List.of(), List.of(), 0x0303, false)),
                arguments(new ClientHelloBuilder().sni("localhost"),
                        tls("localhost", List.of(), List.of(), 0x0303, false)),
                arguments(new ClientHelloBuilder().sni(longestName()).describedAs("253-byte SNI, 63-byte labels"),
                        tls(longestName(), List.of(), List.of(), 0x0303, false)),
                arguments(new ClientHelloBuilder().sni("a-1.b--c.example").alpn("acme-tls/1", "http/1.0", "spdy/3")
                        .supportedVersions(0x7f1c, 0x0304).extension(0x4469, hex("0003026832")),
                        tls("a-1.b--c.example", List.of("acme-tls/1", "http/1.0", "spdy/3"), List.of(0x7f1c, 0x0304),
                                0x0303, false)),
                arguments(ClientHelloBuilder.curlLike("pq.example.com").padTo(1700).describedAs("1700-byte hello"),
                        tls("pq.example.com", H2_H1, CURL_VERSIONS, 0x0303, false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validHellos")
    void parsesAWholeHello(ClientHelloBuilder hello, PeekResult.Tls expected) {
        byte[] bytes = hello.record();
        assertThat(parse(bytes, LIMIT)).isEqualTo(withHelloBytes(expected, bytes.length));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validHellos")
    void everyPrefixNeedsMoreAndEverySplitGivesTheSameResult(ClientHelloBuilder hello, PeekResult.Tls expected) {
        for (int records = 1; records <= 5; records++) {
            byte[] bytes = hello.records(records);
            assertThat(parseByteByByte(bytes, LIMIT)).as("%s in %d records", hello, records)
                    .isEqualTo(withHelloBytes(expected, bytes.length));
        }
    }

    @Test
    void curlLikeHelloIsOneRecordOf517Bytes() {
        byte[] bytes = ClientHelloBuilder.curlLike("example.com").record();
        assertThat(bytes).hasSize(517);
        assertThat(parse(bytes, 517)).isInstanceOf(PeekResult.Tls.class);
    }

    @Test
    void aHelloOf1700BytesInTwoRecords() {
        byte[] bytes = ClientHelloBuilder.curlLike("pq.example.com").padTo(1700).fragments(1200, 500);
        assertThat(bytes).hasSize(1710);
        assertThat(parseByteByByte(bytes, LIMIT))
                .isEqualTo(new PeekResult.Tls("pq.example.com", H2_H1, CURL_VERSIONS, 0x0303, false, 1710));
    }

    @Test
    void aHelloLargerThanOneRecordSpansSeveral() {
        ClientHelloBuilder hello = ClientHelloBuilder.curlLike("big.example.com").padTo(20_000);
        byte[] bytes = hello.fragments(16_384, 3_616);
        assertThat(parse(bytes, 20_010)).isEqualTo(
                new PeekResult.Tls("big.example.com", H2_H1, CURL_VERSIONS, 0x0303, false, 20_010));
        assertThat(parse(bytes, 20_009)).isEqualTo(new PeekResult.Malformed(Termination.CLIENT_HELLO_TOO_LARGE,
                "ClientHello of 20000 handshake bytes need at least 20010 bytes (limit: 20009)"));
    }

    @Test
    void exactlyTheLimitIsAcceptedAndOneByteMoreIsTooLarge() {
        ClientHelloBuilder hello = ClientHelloBuilder.curlLike("example.com").padTo(LIMIT - 5);
        byte[] one = hello.record();
        assertThat(one).hasSize(LIMIT);
        assertThat(parse(one, LIMIT)).isInstanceOf(PeekResult.Tls.class);
        assertThat(parse(one, LIMIT - 1)).isEqualTo(new PeekResult.Malformed(Termination.CLIENT_HELLO_TOO_LARGE,
                "ClientHello of 16379 handshake bytes need at least 16384 bytes (limit: 16383)"));

        byte[] two = ClientHelloBuilder.curlLike("example.com").records(2);
        assertThat(parse(two, two.length)).isInstanceOf(PeekResult.Tls.class);
        assertThat(parse(two, two.length - 1)).isInstanceOf(PeekResult.Malformed.class)
                .extracting(r -> ((PeekResult.Malformed) r).termination())
                .isEqualTo(Termination.CLIENT_HELLO_TOO_LARGE);
    }

    @Test
    void tooLargeIsKnownFromTheHeadersAlone() {
        ClientHelloBuilder big = ClientHelloBuilder.curlLike("example.com").padTo(1700);
        // one record: its header already says the ClientHello cannot fit
        byte[] one = big.record();
        assertThat(parse(Arrays.copyOf(one, 4), 1000)).isEqualTo(PeekResult.NeedMore.INSTANCE);
        assertThat(parse(Arrays.copyOf(one, 5), 1000)).isEqualTo(new PeekResult.Malformed(
                Termination.CLIENT_HELLO_TOO_LARGE, "ClientHello records need at least 1705 bytes (limit: 1000)"));
        // small records: the handshake header says how many more records must follow
        byte[] three = big.fragments(600, 600, 500);
        assertThat(parse(Arrays.copyOf(three, 8), 1000)).isEqualTo(PeekResult.NeedMore.INSTANCE);
        assertThat(parse(Arrays.copyOf(three, 9), 1000)).isEqualTo(new PeekResult.Malformed(
                Termination.CLIENT_HELLO_TOO_LARGE,
                "ClientHello of 1700 handshake bytes need at least 1710 bytes (limit: 1000)"));
        // a first record with only msg_type: the second record alone already passes the limit
        ClientHelloBuilder small = new ClientHelloBuilder().sni("example.com");
        int length = small.message().length;
        byte[] split = small.fragments(1, length - 1);
        assertThat(parse(Arrays.copyOf(split, 11), 1000)).isEqualTo(PeekResult.NeedMore.INSTANCE);
        assertThat(parse(Arrays.copyOf(split, 11), 10)).isEqualTo(new PeekResult.Malformed(
                Termination.CLIENT_HELLO_TOO_LARGE, "ClientHello records need at least " + (length + 10)
                        + " bytes (limit: 10)"));
    }

    @Test
    void recordsAfterTheHelloAreNotLookedAt() {
        byte[] hello = base().record();
        byte[] bytes = concat(hello, record(20, 0x0303, hex("01")), record(23, 0x0303, bytes("early data")));
        assertThat(parse(bytes, LIMIT)).isEqualTo(
                new PeekResult.Tls("example.com", List.of("h2"), TLS13_12, 0x0303, false, hello.length));
    }

    static Stream<Arguments> malformedHellos() {
        byte[] message = base().message();
        return Stream.of(
                // record layer, RFC 8446 §5.1
                bad("record length over 2^14", record(22, 0x0301, 17_000, Arrays.copyOf(message, 50)),
                        Termination.CLIENT_HELLO_MALFORMED, "record length 17000 exceeds 2^14 (RFC 8446 §5.1)"),
                bad("zero-length first record", concat(record(22, 0x0301, new byte[0]), base().record()),
                        Termination.CLIENT_HELLO_MALFORMED, "record 1 has length 0 (RFC 8446 §5.1: implementations "
                                + "MUST NOT send zero-length fragments of Handshake types)"),
                bad("zero-length record mid-way", concat(record(22, 0x0301, slice(message, 0, 10)),
                                record(22, 0x0301, new byte[0]),
                                record(22, 0x0301, slice(message, 10, message.length))),
                        Termination.CLIENT_HELLO_MALFORMED, "record 2 has length 0"),
                bad("alert record first", base().recordHeader(21, 0x0301).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "record 1 has content type 21 (expected: handshake(22) "
                                + "until the ClientHello is complete, RFC 8446 §5.1)"),
                bad("change_cipher_spec record mid-way", concat(record(22, 0x0301, slice(message, 0, 40)),
                                record(20, 0x0303, hex("01")), record(22, 0x0301, slice(message, 40, message.length))),
                        Termination.CLIENT_HELLO_MALFORMED, "record 2 has content type 20"),
                bad("record version 0x0200", base().recordHeader(22, 0x0200).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "record 1 has version 0x0200 (expected: 0x0300..0x0304"),
                bad("record version 0x0305", base().recordHeader(22, 0x0305).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "has version 0x0305"),
                bad("server_hello instead of client_hello", base().messageType(2).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "handshake msg_type 2 (expected: client_hello(1), "
                                + "RFC 8446 §4)"),
                bad("another handshake message after the hello in its record",
                        record(22, 0x0301, concat(message, hex("14000000"))), Termination.CLIENT_HELLO_MALFORMED,
                        "the record that ends the ClientHello carries 4 more bytes (RFC 8446 §5.1"),
                bad("over the limit", ClientHelloBuilder.curlLike("example.com").padTo(LIMIT).record(),
                        Termination.CLIENT_HELLO_TOO_LARGE, "need at least 16389 bytes (limit: 16384)"),
                // ClientHello body, RFC 8446 §4.1.2
                bad("legacy_version 0x0200", base().legacyVersion(0x0200).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "ClientHello legacy_version 0x0200 (expected: 0x03xx"),
                bad("session id of 33 bytes", base().sessionId(new byte[33]).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "legacy_session_id length 33 (expected: <= 32"),
                bad("odd cipher_suites length", base().cipherSuiteBytes(hex("130113")).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "cipher_suites length 3 (expected: even, 2..2^16-2"),
                bad("empty cipher_suites", base().cipherSuiteBytes(new byte[0]).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "cipher_suites length 0"),
                bad("empty compression methods", base().compression().record(),
                        Termination.CLIENT_HELLO_MALFORMED, "legacy_compression_methods is empty"),
                bad("handshake length shorter than the fixed fields", record(22, 0x0301, hex("01000003030301")),
                        Termination.CLIENT_HELLO_MALFORMED, "ClientHello body of 3 bytes ends before "
                                + "legacy_session_id"),
                bad("extensions length past the end", base().extensionsLength(500).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "extensions length 500 exceeds the"),
                bad("extensions length short of the end", base().extensionsLength(4).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "bytes after the extensions block of 4 bytes, inside the "
                                + "ClientHello"),
                bad("garbage after the extensions", base().trailing((byte) 0).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "1 bytes after the extensions block"),
                bad("one byte after compression methods", new ClientHelloBuilder().withoutExtensionBlock()
                        .trailing((byte) 0).record(), Termination.CLIENT_HELLO_MALFORMED,
                        "1 byte after legacy_compression_methods"),
                bad("truncated extension", base().extension(0x1234, 100, new byte[10]).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "extension 0x1234 length 100 exceeds the 10 bytes left "
                                + "in its parent (RFC 8446 §4.2)"),
                bad("truncated extension header", base().extensionBytes((byte) 0, (byte) 5).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "extension header truncated: 2 bytes left of 4"),
                bad("duplicate ALPN", base().alpn("http/1.1").record(), Termination.CLIENT_HELLO_MALFORMED,
                        "duplicate extension application_layer_protocol_negotiation(16) (RFC 8446 §4.2: there MUST "
                                + "NOT be more than one extension of the same type)"),
                bad("duplicate server_name", base().sni("example.org").record(),
                        Termination.CLIENT_HELLO_MALFORMED, "duplicate extension server_name(0)"),
                bad("duplicate type above 63", base().extension(0x4469).extension(0xff01, hex("00"))
                        .extension(0x4469).record(), Termination.CLIENT_HELLO_MALFORMED, "duplicate extension 0x4469"),
                bad("duplicate GREASE extension", base().extension(GREASE_1).extension(GREASE_1).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "duplicate extension 0x0a0a"),
                // server_name, RFC 6066 §3
                bad("SNI empty list", new ClientHelloBuilder().serverNameList(new byte[0]).record(),
                        Termination.SNI_INVALID, "server_name has an empty ServerNameList (RFC 6066 §3: "
                                + "ServerNameList<1..2^16-1>)"),
                bad("SNI empty extension", new ClientHelloBuilder().extension(0).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "server_name extension of 0 bytes has no ServerNameList "
                                + "length (RFC 6066 §3)"),
                bad("SNI zero-length host_name", new ClientHelloBuilder().sniRaw(new byte[0]).record(),
                        Termination.SNI_INVALID, "server_name has an empty HostName"),
                bad("SNI two host_names", new ClientHelloBuilder().sni("a.example", "b.example").record(),
                        Termination.SNI_INVALID, "server_name has more than one host_name (RFC 6066 §3: the "
                                + "ServerNameList MUST NOT contain more than one name of the same name_type)"),
                bad("SNI list length off by one", new ClientHelloBuilder().extension(0, hex("000f" + "00000b"
                                + "6578616d706c652e636f6d")).record(), Termination.CLIENT_HELLO_MALFORMED,
                        "ServerNameList length 15 does not match the 14 bytes after it"),
                bad("SNI name past its list", new ClientHelloBuilder().serverNameList(hex("00002061")).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "ServerName length 32 exceeds the 1 bytes left"),
                // ALPN, RFC 7301 §3.1
                bad("ALPN empty protocol name", new ClientHelloBuilder().alpnRaw(bytes("h2"), new byte[0]).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "ALPN has an empty ProtocolName (RFC 7301 §3.1"),
                bad("ALPN empty list", new ClientHelloBuilder().alpnRaw().record(),
                        Termination.CLIENT_HELLO_MALFORMED, "ALPN ProtocolNameList length 0 (expected: 2..2^16-1"),
                bad("ALPN list length mismatch", new ClientHelloBuilder().extension(16, hex("0004" + "026832"))
                        .record(), Termination.CLIENT_HELLO_MALFORMED, "ALPN ProtocolNameList length 4 does not "
                                + "match the 3 bytes after it"),
                bad("ALPN name past its list", new ClientHelloBuilder().extension(16, hex("0003" + "056832"))
                        .record(), Termination.CLIENT_HELLO_MALFORMED, "ALPN ProtocolName length 5 exceeds"),
                // supported_versions, RFC 8446 §4.2.1
                bad("supported_versions odd length", new ClientHelloBuilder().extension(43, hex("03030403"))
                        .record(), Termination.CLIENT_HELLO_MALFORMED, "supported_versions length 3 (expected: "
                                + "even, 2..254, RFC 8446 §4.2.1)"),
                bad("supported_versions empty list", new ClientHelloBuilder().extension(43, hex("00")).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "supported_versions length 0 (expected: even"),
                bad("supported_versions length mismatch", new ClientHelloBuilder().extension(43, hex("040304"))
                        .record(), Termination.CLIENT_HELLO_MALFORMED, "supported_versions length 4 does not match "
                                + "the 2 bytes after it"),
                bad("supported_versions without data", new ClientHelloBuilder().extension(43).record(),
                        Termination.CLIENT_HELLO_MALFORMED, "supported_versions extension is empty"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHellos")
    void refusesMalformedHellos(String name, byte[] bytes, Termination termination, String reason) {
        PeekResult result = parse(bytes, LIMIT);
        assertThat(result).isInstanceOf(PeekResult.Malformed.class);
        PeekResult.Malformed malformed = (PeekResult.Malformed) result;
        assertThat(malformed.termination()).isEqualTo(termination);
        assertThat(malformed.reason()).contains(reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHellos")
    void aTrickleReachesTheSameVerdictNoLater(String name, byte[] bytes, Termination termination, String reason) {
        PeekResult first = PeekResult.NeedMore.INSTANCE;
        for (int n = 0; n <= bytes.length && first instanceof PeekResult.NeedMore; n++) {
            first = parsePrefix(bytes, n, LIMIT);
        }
        assertThat(first).isInstanceOfSatisfying(PeekResult.Malformed.class,
                m -> assertThat(m.termination()).isEqualTo(termination));
    }

    static Stream<Arguments> invalidHostNames() {
        return Stream.of(
                arguments("exa mple.com", "contains the byte 0x20"),
                arguments("bad..com", "has an empty label"),
                arguments(".example.com", "has an empty label"),
                arguments("exämple.com", "contains the non-ASCII byte 0xc3 (expected: an A-label"),
                arguments("例え.jp", "non-ASCII byte 0xe4"),
                arguments("example.com.", "has a trailing dot"),
                arguments("1.2.3.4", "is an IPv4 address literal"),
                arguments("::1", "is an IPv6 address literal"),
                arguments("[2001:db8::1]", "is an IPv6 address literal"),
                arguments("example.com:443", "contains ':'"),
                arguments("a".repeat(64) + ".com", "has a label longer than 63 bytes"),
                arguments(longestName() + "a", "is 254 bytes long (expected: <= 253"),
                arguments("-bad.example", "has a label starting with '-'"),
                arguments("bad-.example", "has a label ending with '-'"),
                arguments("example.com-", "has a label ending with '-'"),
                arguments("under_score.example", "contains '_'"),
                arguments("exa%2dmple.com", "contains '%'"),
                arguments("example\u0000.com", "contains the byte 0x00"),
                arguments("example.123", "has a numeric rightmost label"),
                arguments("1.2.3.256", "has a numeric rightmost label"),
                arguments("foo.0x1f", "has a numeric rightmost label"),
                arguments(".", "has an empty label"));
    }

    @ParameterizedTest(name = "SNI \"{0}\" -> {1}")
    @MethodSource("invalidHostNames")
    void refusesInvalidSniHostNames(String name, String reason) {
        byte[] bytes = new ClientHelloBuilder().sniRaw(name.getBytes(StandardCharsets.UTF_8)).record();
        PeekResult result = parse(bytes, LIMIT);
        assertThat(result).isInstanceOf(PeekResult.Malformed.class);
        assertThat(((PeekResult.Malformed) result).termination()).isEqualTo(Termination.SNI_INVALID);
        assertThat(((PeekResult.Malformed) result).reason()).startsWith("server_name host_name \"")
                .contains(reason).endsWith("(RFC 6066 §3)");
    }

    @Test
    void reasonsQuoteHostileNamesSafelyAndShortly() {
        byte[] name = concat(bytes("evil\"\n"), new byte[200]);
        PeekResult result = parse(new ClientHelloBuilder().sniRaw(name).record(), LIMIT);
        assertThat(((PeekResult.Malformed) result).reason())
                .startsWith("server_name host_name \"evil\\x22\\x0a\\x00").contains("...\" ").doesNotContain("\n");
    }

    @Test
    void greaseIsSkippedEverywhere() {
        PeekResult result = parse(ClientHelloBuilder.greasy("example.com").record(), LIMIT);
        assertThat(result).isInstanceOfSatisfying(PeekResult.Tls.class, tls -> {
            assertThat(tls.supportedVersions()).containsExactly(0x0304, 0x0303);
            assertThat(tls.alpn()).containsExactly("h2", "http/1.1");
        });
        for (int v = 0x0a0a; v <= 0xfafa; v += 0x1010) {
            assertThat(ClientHelloParser.isGrease(v)).as(Integer.toHexString(v)).isTrue();
        }
        assertThat(ClientHelloParser.isGrease(0x0a1a)).isFalse();
        assertThat(ClientHelloParser.isGrease(0x0304)).isFalse();
    }

    @Test
    void theBufferIsLeftAsItWas() {
        byte[] bytes = base().record();
        ByteBuf buf = Unpooled.directBuffer(bytes.length + 10);
        try {
            buf.writeBytes(new byte[7]).writeBytes(bytes).writeBytes(new byte[3]);
            buf.readerIndex(7);
            buf.writerIndex(7 + bytes.length);
            assertThat(ClientHelloParser.parse(buf, LIMIT)).isInstanceOf(PeekResult.Tls.class);
            assertThat(buf.readerIndex()).isEqualTo(7);
            assertThat(buf.writerIndex()).isEqualTo(7 + bytes.length);
            assertThat(buf.refCnt()).isEqualTo(1);
        } finally {
            buf.release();
        }
    }

    @Test
    void nothingYetNeedsMore() {
        assertThat(parse(new byte[0], LIMIT)).isEqualTo(PeekResult.NeedMore.INSTANCE);
        assertThat(parse(hex("16"), LIMIT)).isEqualTo(PeekResult.NeedMore.INSTANCE);
        assertThat(parse(hex("17"), LIMIT)).isInstanceOf(PeekResult.Malformed.class);
        assertThat(parse(hex("160301"), LIMIT)).isEqualTo(PeekResult.NeedMore.INSTANCE);
        assertThat(parse(hex("160202"), LIMIT)).isInstanceOf(PeekResult.Malformed.class);
    }

    @Test
    void aLimitBelowOneIsABug() {
        ByteBuf buf = Unpooled.directBuffer(1);
        try {
            assertThatThrownBy(() -> ClientHelloParser.parse(buf, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxBytes: 0 (expected: > 0)");
        } finally {
            buf.release();
        }
    }

    @Test
    void mutatedAndTruncatedHellosAreAnsweredNeverThrown() {
        byte[][] seeds = {ClientHelloBuilder.curlLike("example.com").record(),
                ClientHelloBuilder.greasy("www.example.org").records(3),
                ClientHelloBuilder.curlLike("public.example.net").ech().records(2),
                ClientHelloBuilder.tls12Only("legacy.example.com").record()};
        Random random = new Random(8446);
        ByteBuf buf = Unpooled.directBuffer(2048);
        try {
            for (int i = 0; i < 20_000; i++) {
                byte[] bytes = seeds[i % seeds.length].clone();
                for (int m = random.nextInt(4); m >= 0; m--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                int length = random.nextInt(4) == 0 ? random.nextInt(bytes.length + 1) : bytes.length;
                buf.clear().writeBytes(bytes, 0, length);
                PeekResult result = ClientHelloParser.parse(buf.slice(0, length), LIMIT);
                assertThat(result).as("mutation %d", i).isNotNull();
                if (result instanceof PeekResult.Tls tls) {
                    assertThat(tls.helloBytes()).isLessThanOrEqualTo(length);
                    if (tls.sni() != null) {
                        assertThat(tls.sni()).matches("[a-z0-9.-]{1,253}");
                    }
                }
            }
        } finally {
            buf.release();
        }
    }

    // --- helpers

    private static PeekResult.Tls tls(String sni, List<String> alpn, List<Integer> versions, int legacy,
                                      boolean ech) {
        return new PeekResult.Tls(sni, alpn, versions, legacy, ech, 0);
    }

    private static PeekResult.Tls withHelloBytes(PeekResult.Tls t, int helloBytes) {
        return new PeekResult.Tls(t.sni(), t.alpn(), t.supportedVersions(), t.legacyVersion(), t.echOffered(),
                helloBytes);
    }

    private static Arguments bad(String name, byte[] bytes, Termination termination, String reason) {
        return arguments(name, bytes, termination, reason);
    }

    private static String longestName() {
        String label = "a".repeat(63);
        return label + "." + label + "." + label + "." + "b".repeat(61); // 63*3 + 3 + 61 = 253
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        return Arrays.copyOfRange(bytes, from, to);
    }

    /** Parses {@code bytes} from a direct buffer, checking the parser left its indices and refCnt alone. */
    static PeekResult parse(byte[] bytes, int maxBytes) {
        return parsePrefix(bytes, bytes.length, maxBytes);
    }

    /**
     * Parses the first {@code n} bytes as they would sit in a cumulation buffer after some bytes were already read:
     * a direct buffer whose readerIndex is not 0 and whose capacity ends at the last byte received, so reading
     * past the received bytes fails.
     */
    static PeekResult parsePrefix(byte[] bytes, int n, int maxBytes) {
        int skipped = 3;
        ByteBuf buf = Unpooled.directBuffer(skipped + n, skipped + n);
        try {
            buf.writeBytes(new byte[] {1, 2, 3}).writeBytes(bytes, 0, n).readerIndex(skipped);
            PeekResult result = ClientHelloParser.parse(buf, maxBytes);
            assertThat(buf.readerIndex()).isEqualTo(skipped);
            assertThat(buf.writerIndex()).isEqualTo(skipped + n);
            assertThat(buf.refCnt()).isEqualTo(1);
            return result;
        } finally {
            buf.release();
        }
    }

    /** Delivers {@code bytes} one at a time; every proper prefix must need more. Returns the final result. */
    private static PeekResult parseByteByByte(byte[] bytes, int maxBytes) {
        ByteBuf all = Unpooled.directBuffer(bytes.length, bytes.length);
        try {
            all.writeBytes(bytes);
            for (int n = 0; n < bytes.length; n++) {
                // a slice's capacity is its length: reading past the n received bytes would throw
                assertThat(ClientHelloParser.parse(all.slice(0, n), maxBytes)).as("prefix of %d bytes", n)
                        .isEqualTo(PeekResult.NeedMore.INSTANCE);
            }
            return ClientHelloParser.parse(all.slice(0, bytes.length), maxBytes);
        } finally {
            all.release();
        }
    }
}
