package io.clawgress.testing.peer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link DnsZone} fed hand-built datagrams: what each query gets back, and why. */
class DnsZoneTest {

    private static final int A = 1;
    private static final int MX = 15;
    private static final int AAAA = 28;
    private static final int HTTPS = 65;

    private final DnsZone zone = DnsZone.parse(List.of("allowed.test=198.18.2.2",
            "Multi.Test.=198.18.2.2,198.18.2.3", "multi.test=198.18.2.4,198.18.2.2"), 7);

    private static DnsWire.Response send(DnsZone zone, byte[] query) {
        DnsZone.Reply reply = zone.answer(query, query.length);
        assertThat(reply.response()).as("a response to " + reply).isNotNull();
        return DnsWire.parse(reply.response());
    }

    @Test
    void answersEveryAddressOfAKnownNameAuthoritatively() {
        DnsWire.Response r = send(zone, DnsWire.query(0xbeef, "multi.test", A));
        assertThat(r.id()).isEqualTo(0xbeef);
        assertThat(r.qr()).isTrue();
        assertThat(r.aa()).isTrue();
        assertThat(r.rd()).as("RD copied").isTrue();
        assertThat(r.ra()).as("no recursion offered").isFalse();
        assertThat(r.tc()).isFalse();
        assertThat(r.rcode()).isZero();
        assertThat(r.questionName()).isEqualTo("multi.test");
        assertThat(r.questionType()).isEqualTo(A);
        // Both --record values for the name, in order, duplicates dropped.
        assertThat(r.addresses()).containsExactly("198.18.2.2", "198.18.2.3", "198.18.2.4");
        assertThat(r.ttls()).containsOnly(7L);
        assertThat(r.optPayload()).as("no OPT without EDNS in the query").isNull();
    }

    @Test
    void matchesNamesCaseInsensitivelyAndEchoesTheQuestionAsSent() {
        byte[] query = DnsWire.query(1, "AlLoWeD.TeSt", A);
        DnsZone.Reply reply = zone.answer(query, query.length);
        DnsWire.Response r = DnsWire.parse(reply.response());
        assertThat(r.addresses()).containsExactly("198.18.2.2");
        assertThat(r.questionName()).isEqualTo("AlLoWeD.TeSt");
        assertThat(reply.name()).isEqualTo("allowed.test");
        assertThat(reply.type()).isEqualTo("A");
    }

    @ParameterizedTest(name = "{0} for {1} -> rcode {2}, {3} answers")
    @CsvSource({
            "AAAA,  allowed.test, 0, 0",   // NODATA: the name exists, the type does not (RFC 2308 §2.2)
            "MX,    allowed.test, 0, 0",
            "HTTPS, allowed.test, 0, 0",
            "ANY,   allowed.test, 0, 1",
            "A,     nope.test,    3, 0",   // NXDOMAIN
            "AAAA,  nope.test,    3, 0",
            "A,     test,         3, 0",   // a parent of a configured name is not configured
            "A,     x.allowed.test, 3, 0",
    })
    void answersTypesAndUnknownNames(String type, String name, int rcode, int answers) {
        int t = switch (type) {
            case "AAAA" -> AAAA;
            case "MX" -> MX;
            case "HTTPS" -> HTTPS;
            case "ANY" -> 255;
            default -> A;
        };
        DnsWire.Response r = send(zone, DnsWire.query(2, name, t));
        assertThat(r.rcode()).isEqualTo(rcode);
        assertThat(r.ancount()).isEqualTo(answers);
        assertThat(r.aa()).isTrue();
        assertThat(r.questionName()).isEqualTo(name);
    }

    @Test
    void refusesClassesItIsNotAuthoritativeFor() {
        byte[] chaos = DnsWire.message(3, 0, 1, DnsWire.question("version.bind", 16, 3), new byte[0], 0);
        assertThat(send(zone, chaos).rcode()).isEqualTo(DnsZone.REFUSED);
    }

    @Test
    void answersEdnsWithOptAndBadversForUnknownVersions() {
        DnsWire.Response r = send(zone, DnsWire.ednsQuery(4, "allowed.test", A, 4096, 0));
        assertThat(r.addresses()).containsExactly("198.18.2.2");
        assertThat(r.optPayload()).isEqualTo(DnsZone.EDNS_PAYLOAD);
        assertThat(r.optExtendedRcode()).isZero();
        assertThat(r.arcount()).isEqualTo(1);

        DnsWire.Response bad = send(zone, DnsWire.ednsQuery(5, "allowed.test", A, 4096, 1));
        // RFC 6891 §6.1.3: BADVERS = 16 is 1 in the OPT's upper bits and 0 in the header.
        assertThat(bad.rcode()).isZero();
        assertThat(bad.optExtendedRcode()).isEqualTo(1);
        assertThat(bad.addresses()).isEmpty();
    }

    @Test
    void setsTcWhenTheAnswersDoNotFit() {
        String many = "many.test=" + String.join(",", java.util.stream.IntStream.range(1, 41)
                .mapToObj(i -> "198.18.2." + i).toList());
        DnsZone big = DnsZone.parse(List.of(many), 5);
        DnsWire.Response classic = send(big, DnsWire.query(6, "many.test", A));
        assertThat(classic.tc()).as("40 answers are more than 512 bytes").isTrue();
        assertThat(classic.ancount()).isZero();
        DnsWire.Response edns = send(big, DnsWire.ednsQuery(7, "many.test", A, 1232, 0));
        assertThat(edns.tc()).isFalse();
        assertThat(edns.addresses()).hasSize(40);
    }

    @Test
    void ignoresDatagramsItCannotOrMustNotAnswer() {
        byte[] shortHeader = new byte[11];
        assertThat(zone.answer(shortHeader, shortHeader.length).response()).isNull();
        byte[] response = DnsWire.message(8, 0x8000, 1, DnsWire.question("allowed.test", A, 1), new byte[0], 0);
        DnsZone.Reply r = zone.answer(response, response.length);
        assertThat(r.response()).isNull();
        assertThat(r.problem()).contains("QR is set");
    }

    @Test
    void answersMalformedQueriesWithFormerrAndOtherOpcodesWithNotimp() {
        byte[] good = DnsWire.query(9, "allowed.test", A);
        assertFormerr(Arrays.copyOf(good, good.length - 1), "truncated after the name");
        assertFormerr(Arrays.copyOf(good, 16), "truncated inside a label");
        assertFormerr(Arrays.copyOf(good, 12 + 13), "name truncated");
        assertFormerr(DnsWire.message(10, 0, 2, concat(DnsWire.question("a.test", A, 1),
                DnsWire.question("b.test", A, 1)), new byte[0], 0), "QDCOUNT 2");
        assertFormerr(DnsWire.message(11, 0, 0, new byte[0], new byte[0], 0), "QDCOUNT 0");
        byte[] pointer = {(byte) 0xc0, 12, 0, 1, 0, 1};
        assertFormerr(DnsWire.message(12, 0, 1, pointer, new byte[0], 0), "label type 0xc0");
        byte[] longName = DnsWire.question(String.join(".", java.util.Collections.nCopies(5, "x".repeat(63))), A, 1);
        assertFormerr(DnsWire.message(13, 0, 1, longName, new byte[0], 0), "longer than 255");
        byte[] twoOpts = concat(DnsWire.ednsQuery(14, "allowed.test", A, 1232, 0), new byte[]{0, 0, 41, 4, 0, 0,
                0, 0, 0, 0, 0});
        ByteBuffer.wrap(twoOpts).putShort(10, (short) 2);
        assertFormerr(twoOpts, "repeated OPT");

        byte[] notify = DnsWire.message(15, 4 << 11, 1, DnsWire.question("allowed.test", 6, 1), new byte[0], 0);
        DnsZone.Reply r = zone.answer(notify, notify.length);
        DnsWire.Response parsed = DnsWire.parse(r.response());
        assertThat(parsed.rcode()).isEqualTo(DnsZone.NOTIMP);
        assertThat(parsed.opcode()).isEqualTo(4);
        assertThat(parsed.id()).isEqualTo(15);
    }

    private void assertFormerr(byte[] query, String problem) {
        DnsZone.Reply r = zone.answer(query, query.length);
        assertThat(r.problem()).contains(problem);
        DnsWire.Response parsed = DnsWire.parse(r.response());
        assertThat(parsed.rcode()).isEqualTo(DnsZone.FORMERR);
        assertThat(parsed.qr()).isTrue();
        assertThat(parsed.id()).isEqualTo(ByteBuffer.wrap(query).getShort(0) & 0xffff);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void rejectsRecordsItCouldNotServe() {
        assertThatThrownBy(() -> DnsZone.parse(List.of("allowed.test"), 5)).hasMessageContaining("name=ip");
        assertThatThrownBy(() -> DnsZone.parse(List.of("allowed.test=::1"), 5)).hasMessageContaining("IPv4");
        assertThatThrownBy(() -> DnsZone.parse(List.of("allowed.test=198.18.2.256"), 5))
                .hasMessageContaining("0..255");
        assertThatThrownBy(() -> DnsZone.parse(List.of("bad name.test=198.18.2.2"), 5))
                .hasMessageContaining("labels");
        assertThatThrownBy(() -> DnsZone.parse(List.of("a..test=198.18.2.2"), 5)).hasMessageContaining("labels");
        assertThatThrownBy(() -> DnsZone.parse(List.of("a.test=198.18.2.2,"), 5)).hasMessageContaining("IPv4");
        assertThatThrownBy(() -> DnsZone.parse(List.of(), -1)).hasMessageContaining("ttl: -1");
    }
}
