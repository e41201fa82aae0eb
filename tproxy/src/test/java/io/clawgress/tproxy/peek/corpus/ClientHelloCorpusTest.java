package io.clawgress.tproxy.peek.corpus;

import io.clawgress.tproxy.peek.ClientHelloParser;
import io.clawgress.tproxy.peek.PeekResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ClientHellos of real clients (curl, openssl s_client, Python, Node, Java, Chromium), captured on 127.0.0.1 by
 * {@code tproxy/scripts/capture-clienthellos.sh} into {@code src/test/resources/clienthello/}. The expected values in
 * {@code manifest.tsv} are what each client was told to send, so the parser is checked against the clients, not
 * against itself; every file goes through whole, in the chunks the capture read, and byte by byte.
 */
class ClientHelloCorpusTest {

    private static final String DIR = "/clienthello/";
    private static final int MAX_BYTES = 16384;
    private static final int COLUMNS = 12;

    /** One manifest row; {@code -} in the file means none (no SNI, no ALPN, no supported_versions). */
    record Entry(String file, String client, String clientVersion, String sni, List<String> alpn,
                 List<Integer> supportedVersions, boolean ech, int recordCount, int tcpReads, List<Integer> readSizes,
                 int totalBytes, String notes) {

        static Entry parse(String line) {
            String[] f = line.split("\t", -1);
            if (f.length != COLUMNS) {
                throw new IllegalArgumentException("manifest row has " + f.length + " columns (expected: "
                        + COLUMNS + "): " + line);
            }
            if (!f[6].equals("yes") && !f[6].equals("no")) {
                throw new IllegalArgumentException("ech: " + f[6] + " (expected: yes or no): " + line);
            }
            return new Entry(f[0], f[1], f[2], f[3].equals("-") ? null : f[3], list(f[4]),
                    list(f[5]).stream().map(Integer::decode).toList(), f[6].equals("yes"), Integer.parseInt(f[7]),
                    Integer.parseInt(f[8]), list(f[9]).stream().map(Integer::valueOf).toList(),
                    Integer.parseInt(f[10]), f[11]);
        }

        private static List<String> list(String field) {
            return field.equals("-") ? List.of() : List.of(field.split(","));
        }

        byte[] bytes() {
            try (InputStream in = ClientHelloCorpusTest.class.getResourceAsStream(DIR + file)) {
                assertThat(in).as("%s on the test classpath", file).isNotNull();
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return file;
        }
    }

    static List<Entry> corpus() {
        try (InputStream in = ClientHelloCorpusTest.class.getResourceAsStream(DIR + "manifest.tsv")) {
            assertThat(in).as("manifest.tsv on the test classpath").isNotNull();
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .toList();
            assertThat(lines.getFirst()).startsWith("file\tclient\tclient_version\texpected_sni\t");
            return lines.stream().skip(1).map(Entry::parse).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void manifestListsEveryCapturedFileAndEveryClient() throws IOException, URISyntaxException {
        List<Entry> corpus = corpus();
        URL manifest = ClientHelloCorpusTest.class.getResource(DIR + "manifest.tsv");
        Set<String> binFiles;
        try (Stream<Path> files = Files.list(Path.of(manifest.toURI()).getParent())) {
            binFiles = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bin"))
                    .collect(Collectors.toSet());
        }
        assertThat(corpus).extracting(Entry::file).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(binFiles);
        assertThat(corpus).extracting(Entry::client).contains("curl", "openssl", "python", "node", "java", "chromium");
        assertThat(corpus).as("a ClientHello spread over several records").anyMatch(e -> e.recordCount() > 1);
        assertThat(corpus).as("a ClientHello that reached the reader in several reads").anyMatch(e -> e.tcpReads() > 1);
        assertThat(corpus).as("a ClientHello without SNI").anyMatch(e -> e.sni() == null);
        assertThat(corpus).as("a TLS 1.2-only ClientHello").anyMatch(e -> e.supportedVersions().isEmpty());
    }

    /** The capture kept exactly the records that carry one ClientHello (RFC 8446 §5.1, §4), nothing else. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void fileHoldsExactlyTheRecordsOfOneClientHello(Entry entry) {
        byte[] b = entry.bytes();
        assertThat(b).hasSize(entry.totalBytes());
        assertThat(entry.readSizes()).hasSize(entry.tcpReads());
        assertThat(entry.readSizes().stream().mapToInt(Integer::intValue).sum()).isEqualTo(entry.totalBytes());
        assertThat(b.length).isGreaterThan(9);
        assertThat(Arrays.copyOf(b, 2)).as("handshake record, TLS major version 3").containsExactly(0x16, 0x03);

        int off = 0;
        int records = 0;
        int payload = 0;
        while (off < b.length) {
            assertThat(b.length - off).as("record header at %d", off).isGreaterThanOrEqualTo(5);
            assertThat(b[off]).as("content type at %d", off).isEqualTo((byte) 0x16);
            assertThat(b[off + 1]).as("record version major at %d", off).isEqualTo((byte) 0x03);
            int length = u16(b, off + 3);
            assertThat(length).as("record length at %d", off).isBetween(1, 16384);
            off += 5 + length;
            payload += length;
            records++;
        }
        assertThat(off).as("records end where the file ends").isEqualTo(b.length);
        assertThat(records).isEqualTo(entry.recordCount());
        assertThat(b[5]).as("handshake type client_hello").isEqualTo((byte) 0x01);
        int helloLength = (b[6] & 0xff) << 16 | u16(b, 7);
        assertThat(4 + helloLength).as("the records carry exactly one ClientHello").isEqualTo(payload);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void wholeHelloGivesWhatTheClientWasToldToSend(Entry entry) {
        ByteBuf buf = Unpooled.directBuffer(entry.totalBytes()).writeBytes(entry.bytes());
        try {
            PeekResult result = ClientHelloParser.parse(buf, MAX_BYTES);

            assertThat(buf.readerIndex()).as("parse leaves the indices alone").isZero();
            assertThat(buf.writerIndex()).isEqualTo(entry.totalBytes());
            assertThat(buf.refCnt()).as("parse does not retain or release").isOne();
            assertThat(result).isInstanceOf(PeekResult.Tls.class);
            PeekResult.Tls tls = (PeekResult.Tls) result;
            assertThat(tls.sni()).isEqualTo(entry.sni());
            assertThat(tls.alpn()).containsExactlyElementsOf(entry.alpn());
            assertThat(tls.supportedVersions()).as("supported_versions without GREASE")
                    .containsExactlyElementsOf(entry.supportedVersions());
            assertThat(tls.legacyVersion()).isEqualTo(0x0303);
            assertThat(tls.echOffered()).isEqualTo(entry.ech());
            assertThat(tls.helloBytes()).isEqualTo(entry.totalBytes());
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void helloInTheCapturedReadsNeedsMoreUntilTheLastOne(Entry entry) {
        assertIncrementalDeliveryMatchesWhole(entry, entry.readSizes());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void helloByteByByteNeedsMoreUntilTheLastByte(Entry entry) {
        assertIncrementalDeliveryMatchesWhole(entry, Collections.nCopies(entry.totalBytes(), 1));
    }

    /** Every proper prefix is NeedMore; the complete bytes give the same result as one delivery of them all. */
    private static void assertIncrementalDeliveryMatchesWhole(Entry entry, List<Integer> chunks) {
        byte[] bytes = entry.bytes();
        PeekResult whole;
        ByteBuf all = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        try {
            whole = ClientHelloParser.parse(all, MAX_BYTES);
        } finally {
            all.release();
        }

        ByteBuf growing = Unpooled.directBuffer(bytes.length);
        try {
            PeekResult last = null;
            for (int chunk : chunks) {
                growing.writeBytes(bytes, growing.writerIndex(), chunk);
                last = ClientHelloParser.parse(growing, MAX_BYTES);
                assertThat(growing.readerIndex()).isZero();
                if (growing.writerIndex() < bytes.length) {
                    assertThat(last).as("after %d of %d bytes", growing.writerIndex(), bytes.length)
                            .isInstanceOf(PeekResult.NeedMore.class);
                }
            }
            assertThat(growing.writerIndex()).isEqualTo(bytes.length);
            assertThat(last).isInstanceOf(PeekResult.Tls.class).isEqualTo(whole);
        } finally {
            growing.release();
        }
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }
}
