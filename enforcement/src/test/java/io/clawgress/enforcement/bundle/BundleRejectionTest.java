package io.clawgress.enforcement.bundle;

import io.clawgress.enforcement.bundle.BundleException.Reason;
import io.clawgress.enforcement.bundle.Tars.Entry;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static io.clawgress.enforcement.bundle.BundleFixture.ACTIVE;
import static io.clawgress.enforcement.bundle.BundleFixture.EXPIRES;
import static io.clawgress.enforcement.bundle.BundleFixture.NOT_BEFORE;
import static io.clawgress.enforcement.bundle.BundleFixture.NOW;
import static io.clawgress.enforcement.bundle.BundleFixture.REVISION;
import static io.clawgress.enforcement.bundle.BundleFixture.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Every way a bundle is refused: bytes in, reason and message out. Read and verify run as the gateway runs them. */
class BundleRejectionTest {

    private static final BundleFixture FX = new BundleFixture();
    private static final Limits SMALL = new Limits(64 * 1024, 256 * 1024, 8, 4096, 64, 4096);

    /** What the gateway is handed and in which state it is. */
    record Input(byte[] gz, Limits limits, Instant now, long active, boolean rollback) {
        Input(byte[] gz) {
            this(gz, Limits.DEFAULTS, NOW, ACTIVE, false);
        }
    }

    record Case(String name, Input input, Reason reason, String messageContains) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        byte[] good = FX.buildEd();

        // Contents against the signed manifest
        for (String path : BundleFixture.files().keySet()) {
            c.add(new Case("one byte changed in " + path, new Input(alterFiles(good, files -> {
                byte[] b = files.get(path);
                files.put(path, b.length == 0 ? new byte[] {'x'} : flipLastByte(b));
                return files;
            })), Reason.DIGEST_MISMATCH, "\"" + path + "\""));
        }
        c.add(new Case("file added unsigned", new Input(alterFiles(good, files -> {
            files.put("policies/extra.yaml", utf8("rules: [{action: allow}]\n"));
            return files;
        })), Reason.FILE_NOT_SIGNED, "\"policies/extra.yaml\""));
        c.add(new Case("signed file removed", new Input(alterFiles(good, files -> {
            files.remove("policies/no-metadata.yaml");
            return files;
        })), Reason.SIGNED_FILE_MISSING, "\"policies/no-metadata.yaml\""));

        // Trust
        c.add(new Case("signed by an untrusted key under a trusted kid",
                new Input(FX.build(FX.key(FX.impostor), REVISION)), Reason.BAD_SIGNATURE, "ops-ed-2026"));
        c.add(new Case("unknown kid", new Input(FX.build(new SigningKey("stranger", SigningAlg.EDDSA,
                FX.key(FX.impostor).privateKey()), REVISION)), Reason.UNKNOWN_KID, "\"stranger\""));
        c.add(new Case("ES256 kid with an EdDSA token", new Input(FX.build(new SigningKey(FX.ec.kid(),
                SigningAlg.EDDSA, FX.key(FX.ed).privateKey()), REVISION)), Reason.ALG_MISMATCH,
                "trusted for ES256 but the signature claims EdDSA"));
        c.add(new Case("alg none", new Input(withJws(good, noneToken())), Reason.DISALLOWED_ALG, "\"none\""));
        c.add(new Case("HMAC keyed with the trusted public key", new Input(withJws(good, hmacToken())),
                Reason.DISALLOWED_ALG, "\"HS256\""));
        c.add(new Case("payload swapped under a valid signature", new Input(withJws(good, swappedPayload(good))),
                Reason.BAD_SIGNATURE, "does not verify"));

        // Validity window and revision
        c.add(new Case("expired", new Input(good, Limits.DEFAULTS, EXPIRES.plus(BundleFormat.CLOCK_SKEW), ACTIVE,
                false), Reason.EXPIRED, "expired at " + EXPIRES));
        c.add(new Case("not yet valid", new Input(good, Limits.DEFAULTS,
                NOT_BEFORE.minus(BundleFormat.CLOCK_SKEW).minusSeconds(1), ACTIVE, false), Reason.NOT_YET_VALID,
                "not valid before " + NOT_BEFORE));
        c.add(new Case("revision downgrade", new Input(good, Limits.DEFAULTS, NOW, REVISION + 1, false),
                Reason.REVISION_NOT_NEWER, "revision 7 is not newer than the active revision 8"));
        c.add(new Case("equal revision", new Input(good, Limits.DEFAULTS, NOW, REVISION, false),
                Reason.REVISION_NOT_NEWER, "active revision 7"));

        // Signatures file
        c.add(new Case("signatures not JSON", new Input(withSignatures(good, utf8("{\"signatures\": [\"a.b"))),
                Reason.MALFORMED_SIGNATURES, "not valid JSON"));
        c.add(new Case("signatures with a duplicate key", new Input(withSignatures(good,
                utf8("{\"signatures\": [\"a.b.c\"], \"signatures\": [\"a.b.c\"]}"))), Reason.MALFORMED_SIGNATURES,
                "Duplicate field"));
        c.add(new Case("two signatures",
                new Input(withSignatures(good, utf8("{\"signatures\": [\"a.b.c\", \"a.b.c\"]}"))),
                Reason.MALFORMED_SIGNATURES, "one compact JWS"));
        c.add(new Case("unknown field in signatures", new Input(withSignatures(good,
                utf8("{\"signatures\": [\"a.b.c\"], \"unsafe\": true}"))), Reason.MALFORMED_SIGNATURES,
                "unknown field \"unsafe\""));
        c.add(new Case("zip header (decompression bomb vector)", new Input(withJws(good, token(
                "{\"alg\":\"EdDSA\",\"kid\":\"ops-ed-2026\",\"typ\":\"clawgress-bundle+jws\",\"zip\":\"DEF\"}",
                "{}", ""))), Reason.MALFORMED_SIGNATURES, "unknown field \"zip\""));
        c.add(new Case("signatures missing", new Input(Tars.tarGz(List.of(Entry.file("a.yaml", "a: 1\n")))),
                Reason.MALFORMED_SIGNATURES, "no .signatures.json"));

        // Paths
        c.add(crafted("path traversal", Entry.file("../x", "x"), Reason.BAD_PATH, "'..' segment"));
        c.add(crafted("traversal inside", Entry.file("policies/../../x", "x"), Reason.BAD_PATH, "'..' segment"));
        c.add(crafted("absolute path", Entry.file("/etc/x", "x"), Reason.BAD_PATH, "absolute path"));
        c.add(crafted("dot segment", Entry.file("./x", "x"), Reason.BAD_PATH, "'.' segment"));
        c.add(crafted("empty segment", Entry.file("a//x", "x"), Reason.BAD_PATH, "empty segment"));
        c.add(crafted("backslash", Entry.file("a\\x", "x"), Reason.BAD_PATH, "backslash"));
        c.add(crafted("control character", Entry.file("a\nx", "x"), Reason.BAD_PATH, "control character"));
        c.add(crafted("path too long", Entry.file("p/" + "a".repeat(300), "x"), Reason.BAD_PATH,
                "(expected: at most 256)"));
        c.add(crafted("duplicate path", List.of(Entry.file("a.yaml", "1"), Entry.file("a.yaml", "2")),
                Reason.DUPLICATE_PATH, "\"a.yaml\" appears twice"));
        c.add(crafted("file and directory of one name", List.of(Entry.dir("a/"), Entry.file("a", "2")),
                Reason.DUPLICATE_PATH, "\"a\" appears twice"));
        c.add(crafted("file below a file", List.of(Entry.file("a", "1"), Entry.file("a/b", "2")),
                Reason.DUPLICATE_PATH, "below the file \"a\""));
        c.add(crafted("two signatures files", List.of(Entry.file(BundleFormat.SIGNATURES_FILE, "{}")),
                Reason.DUPLICATE_PATH, "appears twice"));

        // Entry types
        c.add(crafted("symlink", Entry.special("policies/evil.yaml", TarConstants.LF_SYMLINK, "/etc/shadow"),
                Reason.LINK_OR_DEVICE, "symbolic link"));
        c.add(crafted("hard link", Entry.special("policies/evil.yaml", TarConstants.LF_LINK, "policies/a.yaml"),
                Reason.LINK_OR_DEVICE, "hard link"));
        c.add(crafted("character device", Entry.special("dev/null", TarConstants.LF_CHR, ""),
                Reason.LINK_OR_DEVICE, "character device"));
        c.add(crafted("block device", Entry.special("dev/sda", TarConstants.LF_BLK, ""),
                Reason.LINK_OR_DEVICE, "block device"));
        c.add(crafted("FIFO", Entry.special("fifo", TarConstants.LF_FIFO, ""), Reason.LINK_OR_DEVICE, "FIFO"));
        c.add(crafted("unknown entry type", Entry.special("odd", (byte) 'Z', ""), Reason.MALFORMED_ARCHIVE,
                "type flag 'Z'"));

        // Sizes and counts
        c.add(new Case("oversized file", new Input(Tars.tarGz(List.of(Entry.file("big.yaml", new byte[4097]))),
                SMALL, NOW, ACTIVE, false), Reason.TOO_LARGE, "\"big.yaml\" has 4097 bytes (expected: at most 4096)"));
        c.add(new Case("oversized signatures file", new Input(Tars.tarGz(List.of(Entry.file(
                BundleFormat.SIGNATURES_FILE, new byte[4097]))), new Limits(64 * 1024, 256 * 1024, 8, 8192, 64,
                4096), NOW, ACTIVE, false), Reason.TOO_LARGE, "at most 4096"));
        c.add(new Case("too many files", new Input(Tars.tarGz(manyFiles(9)), SMALL, NOW, ACTIVE, false),
                Reason.TOO_MANY_FILES, "more than 8 entries"));
        c.add(new Case("compressed too large", new Input(good, new Limits(100, 256 * 1024, 8, 4096, 64, 4096), NOW,
                ACTIVE, false), Reason.TOO_LARGE, "compressed bundle larger than 100 bytes"));
        c.add(new Case("gzip bomb past the default limit", new Input(Tars.gzip(new byte[40 << 20])),
                Reason.TOO_LARGE, "uncompressed bundle larger than 33554432 bytes"));
        c.add(new Case("tar of many small files past a small limit", new Input(Tars.tarGz(List.of(
                Entry.file("a", new byte[200 * 1024]), Entry.file("b", new byte[200 * 1024]))),
                new Limits(64 * 1024, 256 * 1024, 8, 256 * 1024, 64, 4096), NOW, ACTIVE, false),
                Reason.TOO_LARGE, "uncompressed bundle larger than 262144"));

        // Framing
        c.add(new Case("garbage instead of gzip", new Input(utf8("PK\u0003\u0004 this is not a bundle at all")),
                Reason.MALFORMED_ARCHIVE, "not a gzip stream"));
        c.add(new Case("empty input", new Input(new byte[0]), Reason.MALFORMED_ARCHIVE, "not a gzip stream"));
        c.add(new Case("truncated gzip", new Input(java.util.Arrays.copyOf(good, good.length / 2)),
                Reason.MALFORMED_ARCHIVE, "truncated"));
        c.add(new Case("gzip trailer cut", new Input(java.util.Arrays.copyOf(good, good.length - 3)),
                Reason.MALFORMED_ARCHIVE, "trailer truncated"));
        c.add(new Case("gzip CRC wrong", new Input(corruptCrc(good)), Reason.MALFORMED_ARCHIVE, "CRC-32"));
        c.add(new Case("garbage after the gzip member", new Input(Tars.concat(good, utf8("junk"))),
                Reason.MALFORMED_ARCHIVE, "4 bytes after the gzip member"));
        c.add(new Case("second gzip member", new Input(Tars.concat(good, Tars.gzip(utf8("more")))),
                Reason.MALFORMED_ARCHIVE, "after the gzip member"));
        c.add(new Case("tar without end-of-archive marker", new Input(Tars.gzip(withoutEndMarker(good))),
                Reason.MALFORMED_ARCHIVE, "end-of-archive marker"));
        c.add(new Case("bytes after the tar end-of-archive marker", new Input(Tars.gzip(Tars.concat(
                BundleReader.gunzipForTest(good), new byte[] {'x'}))), Reason.MALFORMED_ARCHIVE,
                "after the tar end-of-archive marker"));
        c.add(new Case("tar header checksum wrong", new Input(Tars.gzip(corruptHeader(good))),
                Reason.MALFORMED_ARCHIVE, "invalid tar"));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refused(Case c) {
        Input in = c.input();
        BundleException e = catchThrowableOfType(BundleException.class, () -> BundleVerifier.verify(
                BundleReader.read(in.gz(), in.limits()), FX.trusted, in.now(), in.active(), in.rollback()));
        assertThat(e).as(c.name()).isNotNull();
        assertThat(e.reason()).as(c.name() + ": " + e.getMessage()).isEqualTo(c.reason());
        assertThat(e.getMessage()).startsWith(c.reason().code() + ": ").contains(c.messageContains());
    }

    private static Case crafted(String name, Entry bad, Reason reason, String message) {
        return crafted(name, List.of(bad), reason, message);
    }

    /** A well-formed signed bundle plus {@code extra} entries, so only the bad entries can be the reason. */
    private static Case crafted(String name, List<Entry> extra, Reason reason, String message) {
        UnpackedBundle good = read(FX.buildEd());
        List<Entry> entries = new ArrayList<>(Tars.entriesOf(good));
        entries.addAll(extra);
        return new Case(name, new Input(Tars.tarGz(entries)), reason, message);
    }

    private static List<Entry> manyFiles(int n) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entries.add(Entry.file("f" + i, "x"));
        }
        return entries;
    }

    private static UnpackedBundle read(byte[] gz) {
        try {
            return BundleReader.read(gz, Limits.DEFAULTS);
        } catch (BundleException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] alterFiles(byte[] gz, UnaryOperator<Map<String, byte[]>> change) {
        UnpackedBundle b = read(gz);
        Map<String, byte[]> files = new TreeMap<>();
        b.files().forEach((k, v) -> files.put(k, v.clone()));
        return Tars.tarGz(Tars.entries(b.signaturesJson(), change.apply(files)));
    }

    private static byte[] withSignatures(byte[] gz, byte[] signatures) {
        return Tars.tarGz(Tars.entries(signatures, read(gz).files()));
    }

    private static byte[] withJws(byte[] gz, String jws) {
        return withSignatures(gz, utf8("{\"signatures\":[\"" + jws + "\"]}"));
    }

    private static String jwsOf(byte[] gz) {
        String json = new String(read(gz).signaturesJson(), StandardCharsets.UTF_8);
        return json.substring(json.indexOf("[\"") + 2, json.indexOf("\"]"));
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(utf8(s));
    }

    private static String token(String header, String payload, String signature) {
        return b64(header) + "." + b64(payload) + "." + signature;
    }

    private static String payloadJson(byte[] gz) {
        String jws = jwsOf(gz);
        String[] parts = jws.split("\\.");
        return new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    }

    private static String noneToken() {
        return token("{\"alg\":\"none\",\"kid\":\"ops-ed-2026\",\"typ\":\"clawgress-bundle+jws\"}",
                payloadJson(FX.buildEd()), "");
    }

    /** The classic confusion attack: HMAC keyed with bytes of the gateway's own (public) key. */
    private static String hmacToken() {
        byte[] secret = FX.trusted.find("ops-ed-2026").orElseThrow().publicKey().getEncoded();
        byte[] padded = java.util.Arrays.copyOf(secret, 64);
        return Jwts.builder().header().keyId("ops-ed-2026").type(BundleFormat.JWS_TYPE).and()
                .content(utf8(payloadJson(FX.buildEd())), BundleFormat.JWS_CONTENT_TYPE)
                .signWith(Keys.hmacShaKeyFor(padded), Jwts.SIG.HS256).compact();
    }

    private static String swappedPayload(byte[] gz) {
        String[] parts = jwsOf(gz).split("\\.");
        String payload = payloadJson(gz).replace("\"revision\":7", "\"revision\":9999");
        return parts[0] + "." + b64(payload) + "." + parts[2];
    }

    private static byte[] flipLastByte(byte[] b) {
        byte[] copy = b.clone();
        copy[copy.length - 1] ^= 0x01;
        return copy;
    }

    private static byte[] corruptCrc(byte[] gz) {
        byte[] copy = gz.clone();
        copy[copy.length - 8] ^= 0x01;
        return copy;
    }

    private static byte[] withoutEndMarker(byte[] gz) {
        byte[] tar = BundleReader.gunzipForTest(gz);
        int end = tar.length;
        while (end > 0 && tar[end - 1] == 0) {
            end--;
        }
        return java.util.Arrays.copyOf(tar, (end + 511) / 512 * 512);
    }

    private static byte[] corruptHeader(byte[] gz) {
        byte[] tar = BundleReader.gunzipForTest(gz);
        tar[100] ^= 0x01; // mode field of the first header; its checksum no longer matches
        return tar;
    }
}
