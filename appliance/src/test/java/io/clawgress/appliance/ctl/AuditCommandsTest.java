package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;
import io.clawgress.enforcement.audit.AdminRecord;
import io.clawgress.enforcement.audit.AuditKey;
import io.clawgress.enforcement.audit.AuditLog;
import io.clawgress.enforcement.audit.AuditSettings;
import io.clawgress.enforcement.audit.CanonicalJson;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * {@code clawgressctl audit verify|tail|query|export|key}, in-process, on real logs written by {@link AuditLog} into a
 * temp directory and then tampered with as an attacker would.
 */
class AuditCommandsTest {

    /** The records of the read tests are written from an hour before {@link Ctl#NOW}, ten minutes apart. */
    static final Instant T0 = Ctl.NOW.minus(Duration.ofHours(1));
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    Path state;
    Path dir;
    AuditKey key;
    Path pub;
    final MutableClock clock = new MutableClock(T0);

    @BeforeEach
    void setUp() throws Exception {
        state = Files.createDirectory(tmp.resolve("state"));
        dir = tmp.resolve("audit");
        key = AuditKey.openOrCreate(state);
        pub = state.resolve("audit-key/audit-key.pub.pem");
    }

    // ---- fixtures ----

    /** A clock the tests move by hand: the writer stamps flow records with it. */
    static final class MutableClock extends Clock {
        private final AtomicReference<Instant> now;

        MutableClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void set(Instant t) {
            now.set(t);
        }
    }

    static FlowRecord flow(String id, String agent, String verdict, String rule, String dstIp, int port,
                           PeekFacts peek) {
        InetSocketAddress dst = new InetSocketAddress(dstIp, port);
        boolean deny = verdict.equals("deny");
        return new FlowRecord(id, T0.minusSeconds(1), new InetSocketAddress("198.18.1.2", 40000), dst,
                agent == null ? Optional.empty()
                        : Optional.of(new Identity(agent, "research", null, "dev", null, AuthMethod.SUBNET, true)),
                verdict, deny ? "no rule allows it" : "allowed by rule " + rule, rule, "static:abc", 100, 2000,
                Duration.ofNanos(12_345_678), deny ? Termination.POLICY_DENIED : Termination.COMPLETED, null, peek,
                deny ? null : dst);
    }

    static FlowRecord tlsFlow(String id, String agent, String verdict, String rule, String dstIp, String sni) {
        return flow(id, agent, verdict, rule, dstIp, 443, PeekFacts.tls(sni, List.of("h2"), false));
    }

    static RequestRecord request(String flowId, Instant time, String agent, String method, String host,
                                 String target, String verdict, String rule, int status, String code) {
        return new RequestRecord(flowId, 1, time,
                agent == null ? Optional.empty()
                        : Optional.of(new Identity(agent, "research", null, "dev", null, AuthMethod.JWT, true)),
                method, host, target, verdict, verdict.equals("deny") ? "no rule allows it" : "allowed", rule, "1",
                status, code).ended(verdict.equals("deny") ? 0 : 200, 57, verdict.equals("deny") ? 431 : 1893,
                verdict.equals("deny") ? Duration.ZERO : Duration.ofMillis(41),
                verdict.equals("deny") ? io.clawgress.api.Termination.POLICY_DENIED
                        : io.clawgress.api.Termination.COMPLETED);
    }

    AuditLog open(AuditSettings settings) throws IOException {
        return AuditLog.open(settings, key, clock);
    }

    static AuditSettings settings(Path dir) {
        return AuditSettings.defaults(dir).withRetention(0, Duration.ZERO);
    }

    /** Offers each record and waits until it is on disk, so the clock at that moment is its {@code time}. */
    static void write(AuditLog log, Object... records) {
        for (Object r : records) {
            long before = log.written();
            switch (r) {
                case FlowRecord f -> log.record(f);
                case RequestRecord q -> log.request(q);
                case AdminRecord a -> log.admin(a);
                default -> throw new IllegalArgumentException(r.toString());
            }
            await("record written", () -> log.written() > before);
        }
    }

    static void close(AuditLog log) {
        assertThat(log.close(Duration.ofSeconds(10))).as("closed cleanly").isTrue();
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    /**
     * Six decision records, ten minutes apart from {@link #T0} (11:00 .. 11:50), with the checkpoints the writer adds
     * in between: TLS flows of three verdicts, a forwarded and a denied request (the latter with a comma and quotes
     * in its target, and no identity), and a plaintext HTTP flow.
     */
    void writeReadLog() throws IOException {
        AuditLog log = open(settings(dir));
        write(log, tlsFlow("f-1", "agent-a", "relay", "web", "198.18.2.2", "api.example.com"));
        clock.set(T0.plus(Duration.ofMinutes(10)));
        write(log, tlsFlow("f-2", "agent-b", "deny", "default", "198.18.3.3", "evil.example"));
        clock.set(T0.plus(Duration.ofMinutes(20)));
        write(log, tlsFlow("f-3", "agent-a", "intercept", "llm", "198.18.4.4", "api.openai.com"));
        write(log, request("f-3", T0.plus(Duration.ofMinutes(30)), "agent-a", "POST", "api.openai.com", "/v1/chat",
                "relay", "llm", 0, null));
        write(log, request("f-5", T0.plus(Duration.ofMinutes(40)), null, "GET", "api.test", "/search?q=\"a,b\"",
                "deny", "default", 403, "policy_denied"));
        clock.set(T0.plus(Duration.ofMinutes(50)));
        write(log, flow("f-6", "agent-b", "deny", "default", "198.18.5.5", 80,
                PeekFacts.http("api.test", "GET", "/x")));
        close(log);
    }

    static final String L1 = "2026-11-21T11:00:00Z flow    relay     agent=agent-a dst=198.18.2.2:443"
            + " sni=api.example.com rule=web completed";
    static final String L2 = "2026-11-21T11:10:00Z flow    deny      agent=agent-b dst=198.18.3.3:443"
            + " sni=evil.example rule=default policy_denied";
    static final String L3 = "2026-11-21T11:20:00Z flow    intercept agent=agent-a dst=198.18.4.4:443"
            + " sni=api.openai.com rule=llm completed";
    static final String L4 = "2026-11-21T11:30:00Z request relay     agent=agent-a host=api.openai.com POST /v1/chat"
            + " rule=llm forwarded 200";
    static final String L5 = "2026-11-21T11:40:00Z request deny      agent=- host=api.test GET /search?q=\"a,b\""
            + " rule=default 403 policy_denied";
    static final String L6 = "2026-11-21T11:50:00Z flow    deny      agent=agent-b dst=198.18.5.5:80 host=api.test"
            + " GET /x rule=default policy_denied";

    /** 40 flows in segments of at most 4 KiB (6-7 records each), a checkpoint every 5 records. */
    void writeSegmentedLog() throws IOException {
        AuditLog log = open(settings(dir).withSegment(4096, Duration.ofHours(1))
                .withCheckpoint(5, Duration.ofHours(1)));
        for (int i = 0; i < 40; i++) {
            log.record(tlsFlow("f-" + i, "agent-a", "relay", "web", "198.18.2.2", "api.example.com"));
        }
        close(log);
        assertThat(segments()).hasSizeGreaterThanOrEqualTo(5);
    }

    /** The segment files, oldest first. */
    List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("audit-\\d{20}\\.jsonl")).sorted().toList();
        }
    }

    /** Every line of every segment, in order. */
    List<String> allLines() throws IOException {
        List<String> out = new ArrayList<>();
        for (Path s : segments()) {
            out.addAll(Files.readAllLines(s, StandardCharsets.UTF_8));
        }
        return out;
    }

    static List<String> lines(Path segment) throws IOException {
        return new ArrayList<>(Files.readAllLines(segment, StandardCharsets.UTF_8));
    }

    static void writeLines(Path segment, List<String> lines) throws IOException {
        Files.writeString(segment, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    static ObjectNode parse(String line) throws IOException {
        return (ObjectNode) JSON.readTree(line);
    }

    static long seq(String line) throws IOException {
        return parse(line).get("seq").asLong();
    }

    static String type(String line) throws IOException {
        return parse(line).get("type").asText();
    }

    static int firstLineOfType(List<String> lines, String type) throws IOException {
        for (int i = 0; i < lines.size(); i++) {
            if (type(lines.get(i)).equals(type)) {
                return i + 1;
            }
        }
        throw new AssertionError("no " + type + " line");
    }

    /** The line an attacker who knows the format writes for {@code record}: re-hashed, canonical. */
    static String reseal(ObjectNode record) throws Exception {
        ObjectNode body = record.deepCopy();
        body.remove("hash");
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(CanonicalJson.bytes(body)));
        ObjectNode full = record.deepCopy();
        full.put("hash", hash);
        return new String(CanonicalJson.bytes(full), StandardCharsets.UTF_8);
    }

    static JsonNode json(Ctl.Run run) throws IOException {
        return JSON.readTree(run.out());
    }

    Ctl.Run audit(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "audit";
        System.arraycopy(args, 0, all, 1, args.length);
        return Ctl.run(all);
    }

    Ctl.Run verify(String... args) {
        List<String> all = new ArrayList<>(List.of("verify", "--dir", dir.toString()));
        all.addAll(List.of(args));
        if (!all.contains("--key") && !all.contains("--no-key") && !all.contains("--state-dir")) {
            all.addAll(List.of("--key", pub.toString()));
        }
        return audit(all.toArray(String[]::new));
    }

    // ---- verify ----

    @Nested
    class Verify {

        @BeforeEach
        void log() throws Exception {
            writeSegmentedLog();
        }

        @Test
        void anIntactLogIsOkWithItsCounts() throws Exception {
            List<String> all = allLines();
            long checkpoints = all.stream().filter(l -> l.contains("\"type\":\"checkpoint\"")).count();

            Ctl.Run run = verify();

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.err()).isEmpty();
            assertThat(run.out()).isEqualTo("OK\n"
                    + "  directory:   " + dir + "\n"
                    + "  segments:    " + segments().size() + "\n"
                    + "  records:     " + all.size() + " (seq 1.." + all.size() + ")\n"
                    + "  by type:     40 flow, " + checkpoints + " checkpoint\n"
                    + "  last hash:   " + parse(all.getLast()).get("hash").asText() + "\n"
                    + "  checkpoints: " + checkpoints + ", signatures checked with key " + key.keyId() + " (" + pub
                    + ")\n"
                    + "  unsigned:    0 records after the last checkpoint (chained, not yet signed)\n");
        }

        @Test
        void jsonOfAnIntactLog() throws Exception {
            List<String> all = allLines();
            Ctl.Run run = verify("--json");

            assertThat(run.exit()).as(run.toString()).isZero();
            JsonNode o = json(run);
            assertThat(o.get("dir").asText()).isEqualTo(dir.toString());
            assertThat(o.get("valid").asBoolean()).isTrue();
            assertThat(o.get("outcome").asText()).isEqualTo("ok");
            assertThat(o.get("finding").isNull()).isTrue();
            assertThat(o.get("segments").asInt()).isEqualTo(segments().size());
            assertThat(o.get("records").asLong()).isEqualTo(all.size());
            assertThat(o.get("first_seq").asLong()).isEqualTo(1);
            assertThat(o.get("last_seq").asLong()).isEqualTo(all.size());
            assertThat(o.get("last_hash").asText()).isEqualTo(parse(all.getLast()).get("hash").asText());
            assertThat(o.get("unsigned_records").asLong()).isZero();
            assertThat(o.get("types").toString()).isEqualTo("{\"flow\":40,\"checkpoint\":" + (all.size() - 40) + "}");
            assertThat(o.get("signatures_checked").asBoolean()).isTrue();
            assertThat(o.get("keys").get(0).get("file").asText()).isEqualTo(pub.toString());
            assertThat(o.get("keys").get(0).get("key_id").asText()).isEqualTo(key.keyId());
        }

        @Test
        void theKeyDefaultsToTheOneInTheStateDir() {
            Ctl.Run run = verify("--state-dir", state.toString());

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).startsWith("OK\n")
                    .contains("signatures checked with key " + key.keyId() + " (" + pub + ")");
        }

        @Test
        void oneByteEditedIsAHashMismatchAtThatRecord() throws Exception {
            Path seg = segments().get(2);
            List<String> lines = lines(seg);
            int lineNo = firstLineOfType(lines, "flow");
            long seq = seq(lines.get(lineNo - 1));
            lines.set(lineNo - 1, lines.get(lineNo - 1).replace("\"agent-a\"", "\"agent-b\""));
            writeLines(seg, lines);

            Ctl.Run run = verify();

            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.out()).startsWith("BROKEN: hash_mismatch at " + seg.getFileName() + ":" + lineNo + " (seq "
                    + seq + "): the record hashes to ")
                    .contains("  records:     " + (seq - 1) + " verified before it (seq 1.." + (seq - 1) + ")");
        }

        @Test
        void aDeletedRecordBreaksTheChainAtTheRecordAfterIt() throws Exception {
            Path seg = segments().get(2);
            List<String> lines = lines(seg);
            long nextSeq = seq(lines.get(2));
            lines.remove(1);
            writeLines(seg, lines);

            Ctl.Run run = verify();

            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.out()).startsWith("BROKEN: chain_broken at " + seg.getFileName() + ":2 (seq " + nextSeq
                    + "): prev_hash ");
        }

        @Test
        void twoSwappedRecordsBreakTheChainAtTheFirstOfThem() throws Exception {
            Path seg = segments().get(3);
            List<String> lines = lines(seg);
            String second = lines.get(1);
            lines.set(1, lines.get(2));
            lines.set(2, second);
            writeLines(seg, lines);

            Ctl.Run run = verify();

            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.out()).startsWith("BROKEN: chain_broken at " + seg.getFileName() + ":2 (seq "
                    + seq(lines.get(1)) + "): ");
        }

        @Test
        void aDeletedMiddleSegmentIsNamedAtTheStartOfTheNextOne() throws Exception {
            List<Path> segs = segments();
            Files.delete(segs.get(2));

            Ctl.Run run = verify("--json");

            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            JsonNode o = json(run);
            assertThat(o.get("valid").asBoolean()).isFalse();
            assertThat(o.get("outcome").asText()).isEqualTo("broken");
            JsonNode f = o.get("finding");
            assertThat(f.get("code").asText()).isEqualTo("segment_missing");
            assertThat(f.get("segment").asText()).isEqualTo(segs.get(3).getFileName().toString());
            assertThat(f.get("line").asLong()).isEqualTo(1);
            assertThat(f.get("seq").asLong()).isEqualTo(seq(lines(segs.get(3)).getFirst()));
            assertThat(f.get("detail").asText()).contains("are missing");
            assertThat(o.get("last_seq").asLong()).isEqualTo(seq(lines(segs.get(1)).getLast()));
        }

        @Test
        void aForgedCheckpointSignatureIsInvalid() throws Exception {
            AuditKey attacker = AuditKey.openOrCreate(Files.createDirectory(tmp.resolve("attacker")));
            Path seg = segments().get(2);
            List<String> lines = lines(seg);
            int lineNo = firstLineOfType(lines, "checkpoint");
            ObjectNode cp = parse(lines.get(lineNo - 1));
            JsonNode of = cp.get("checkpoint_of");
            byte[] message = AuditKey.checkpointMessage(of.get("seq").asLong(), of.get("hash").asText());
            cp.put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(attacker.sign(message)));
            lines.set(lineNo - 1, reseal(cp)); // re-hashed: only the signature can tell
            writeLines(seg, lines);

            Ctl.Run run = verify();

            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.out()).startsWith("BROKEN: checkpoint_invalid at " + seg.getFileName() + ":" + lineNo
                    + " (seq " + cp.get("seq").asLong() + "): the signature does not verify with key " + key.keyId());
        }

        @Test
        void aLogSignedByAnotherNodesKeyIsNotTrusted() throws Exception {
            AuditKey other = AuditKey.openOrCreate(Files.createDirectory(tmp.resolve("other")));

            Ctl.Run run = verify("--key", tmp.resolve("other/audit-key/audit-key.pub.pem").toString());

            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.out()).startsWith("BROKEN: checkpoint_invalid at ")
                    .contains("signed with key " + key.keyId() + ", which is not one of the trusted keys ["
                            + other.keyId() + "]");
        }

        @Test
        void aTruncatedLastLineIsACrashBoundaryNotTampering() throws Exception {
            List<Path> segs = segments();
            Path seg = segs.getLast();
            List<String> lines = lines(seg);
            long lastSeq = seq(lines.getLast());
            String torn = lines.removeLast();
            Files.writeString(seg, String.join("\n", lines) + "\n" + torn.substring(0, torn.length() / 2),
                    StandardCharsets.UTF_8);

            Ctl.Run run = verify();

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).startsWith("OK (truncated tail: crash boundary, not tampering)\n"
                    + "  torn line:   truncated_tail at " + seg.getFileName() + ":" + (lines.size() + 1) + " (seq "
                    + lastSeq + "): ")
                    .contains("  records:     " + (lastSeq - 1) + " (seq 1.." + (lastSeq - 1) + ")")
                    .doesNotContain("BROKEN");

            JsonNode o = json(verify("--json"));
            assertThat(o.get("valid").asBoolean()).isTrue();
            assertThat(o.get("outcome").asText()).isEqualTo("ok-with-truncation");
            assertThat(o.get("finding").get("code").asText()).isEqualTo("truncated_tail");
        }

        @Test
        void theFinalCheckpointRemovedLeavesUnsignedRecordsThatVerifySays() throws Exception {
            Path seg = segments().getLast();
            List<String> lines = lines(seg);
            assertThat(type(lines.getLast())).isEqualTo("checkpoint");
            lines.removeLast();
            writeLines(seg, lines);

            Ctl.Run run = verify();

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).containsPattern("unsigned: +[1-9][0-9]* records? after the last checkpoint");
        }

        @Test
        void withNoKeyEverythingButSignaturesIsCheckedAndItSaysSo() {
            Ctl.Run run = verify("--no-key");

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).startsWith("OK\n").contains("signatures NOT checked (--no-key)");
        }

        @Test
        void aMissingKeyInTheStateDirIsTroubleWithAHint() throws Exception {
            Path empty = Files.createDirectory(tmp.resolve("empty-state"));

            Ctl.Run run = verify("--state-dir", empty.toString());

            assertThat(run.exit()).as(run.toString()).isEqualTo(78);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).isEqualTo(empty.resolve("audit-key/audit-key.pub.pem") + ": no such file"
                    + " (expected: the node's audit public key, which clawgressd creates at its first start; give"
                    + " --key PUB.pem for a copy, --state-dir DIR for another state_dir, or --no-key to check"
                    + " everything but signatures)\n");
        }

        @Test
        void aKeyFileThatIsNotAPublicKeyIsTrouble() throws Exception {
            Path garbage = tmp.resolve("garbage.pem");
            Files.writeString(garbage, "hello\n");
            Ctl.Run run = verify("--key", garbage.toString());
            assertThat(run.exit()).as(run.toString()).isEqualTo(78);
            assertThat(run.err()).isEqualTo(garbage + ": not an Ed25519 public key PEM: expected exactly one PEM"
                    + " block '-----BEGIN PUBLIC KEY-----'\n");

            Ctl.Run priv = verify("--key", state.resolve("audit-key/audit-key.pem").toString());
            assertThat(priv.exit()).as(priv.toString()).isEqualTo(78);
            assertThat(priv.err()).contains("contains private key material");

            Ctl.Run missing = verify("--key", tmp.resolve("nope.pem").toString());
            assertThat(missing.exit()).as(missing.toString()).isEqualTo(78);
            assertThat(missing.err()).isEqualTo(tmp.resolve("nope.pem") + ": no such file\n");
        }

        @Test
        void aMissingDirectoryIsTroubleNotAnEmptyLog() throws Exception {
            Ctl.Run run = audit("verify", "--dir", tmp.resolve("nope").toString(), "--key", pub.toString());
            assertThat(run.exit()).as(run.toString()).isEqualTo(78);
            assertThat(run.err()).isEqualTo(tmp.resolve("nope") + ": no such directory (expected: the audit"
                    + " directory, audit.dir; --dir DIR names another)\n");

            Ctl.Run file = audit("verify", "--dir", pub.toString(), "--key", pub.toString(), "--json");
            assertThat(file.exit()).as(file.toString()).isEqualTo(78);
            assertThat(file.err()).contains("not a directory");
            JsonNode o = json(file);
            assertThat(o.get("ok").asBoolean()).isFalse();
            assertThat(o.get("exit_code").asInt()).isEqualTo(78);
            assertThat(o.get("errors").get(0).get("message").asText()).contains("not a directory");
        }

        @Test
        void anEmptyDirectoryIsAnEmptyLog() throws Exception {
            Path empty = Files.createDirectory(tmp.resolve("empty"));
            Ctl.Run run = audit("verify", "--dir", empty.toString(), "--key", pub.toString());
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).startsWith("OK\n").contains("  records:     0\n").doesNotContain("by type");
        }

        @Test
        void conflictingKeyOptionsAreUsageErrors() {
            Ctl.Run both = verify("--key", pub.toString(), "--state-dir", state.toString());
            assertThat(both.exit()).as(both.toString()).isEqualTo(2);
            assertThat(both.err()).contains("--key and --state-dir: give one");

            Ctl.Run noKey = verify("--no-key", "--key", pub.toString());
            assertThat(noKey.exit()).as(noKey.toString()).isEqualTo(2);
            assertThat(noKey.err()).contains("--no-key with --key");
        }
    }

    // ---- tail ----

    @Nested
    class Tail {

        @BeforeEach
        void log() throws Exception {
            writeReadLog();
        }

        @Test
        void theLastNDecisionRecordsOneLineEach() {
            Ctl.Run run = audit("tail", "--dir", dir.toString(), "-n", "2");
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo(L5 + "\n" + L6 + "\n");
            assertThat(run.err()).isEmpty();

            Ctl.Run all = audit("tail", "--dir", dir.toString());
            assertThat(all.out()).isEqualTo(String.join("\n", L1, L2, L3, L4, L5, L6) + "\n");
        }

        @Test
        void filtersApplyBeforeCounting() {
            Ctl.Run run = audit("tail", "--dir", dir.toString(), "-n", "2", "--agent", "agent-a");
            assertThat(run.out()).isEqualTo(L3 + "\n" + L4 + "\n");
        }

        @Test
        void jsonPrintsTheLinesAsWritten() throws Exception {
            List<String> decisions = new ArrayList<>();
            for (String l : allLines()) {
                if (type(l).equals("flow") || type(l).equals("request")) {
                    decisions.add(l);
                }
            }
            Ctl.Run run = audit("tail", "--dir", dir.toString(), "-n", "3", "--json");
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo(String.join("\n", decisions.subList(3, 6)) + "\n");
        }

        @Test
        void followPrintsNewRecordsAcrossRotation() throws Exception {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = ClawgressctlCommand.commandLine(new ClawgressctlCommand(Ctl.CLOCK), "audit");
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("audit", "tail",
                    "--dir", dir.toString(), "-n", "1", "-f", "--max-records", "8", "--for", "60s"));
            await("the initial tail", () -> out.toString().equals(L6 + "\n"));

            List<Path> before = segments();
            clock.set(Ctl.NOW);
            AuditLog log = open(settings(dir).withSegment(4096, Duration.ofHours(1)));
            for (int i = 0; i < 8; i++) {
                write(log, tlsFlow("g-" + i, "agent-c", "relay", "web", "198.18.9.9", "new.example"));
            }
            close(log);

            assertThat(exit.get(30, TimeUnit.SECONDS)).as(err.toString()).isZero();
            assertThat(segments().size()).as("rotated while following").isGreaterThan(before.size());
            List<String> printed = out.toString().lines().toList();
            assertThat(printed).hasSize(9);
            assertThat(printed.getFirst()).isEqualTo(L6);
            for (int i = 0; i < 8; i++) {
                assertThat(printed.get(i + 1)).startsWith("2026-11-21T12:00:00Z flow    relay     agent=agent-c")
                        .contains(" sni=new.example ");
            }
            assertThat(err.toString()).isEmpty();
            assertThat(verify().exit()).as("the chain continued across the reopen").isZero();
        }

        @Test
        void followEndsAfterForWithoutNewRecords() {
            Ctl.Run run = audit("tail", "--dir", dir.toString(), "-n", "1", "-f", "--for", "PT0.3S");
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo(L6 + "\n");
        }

        @Test
        void badCountIsAUsageError() {
            Ctl.Run run = audit("tail", "--dir", dir.toString(), "-n", "-1");
            assertThat(run.exit()).as(run.toString()).isEqualTo(2);
            assertThat(run.err()).contains("-n -1 (expected: >= 0)");
        }

        @Test
        void aMissingDirectoryIsTrouble() {
            Ctl.Run run = audit("tail", "--dir", tmp.resolve("nope").toString());
            assertThat(run.exit()).as(run.toString()).isEqualTo(78);
            assertThat(run.err()).contains("no such directory");
        }
    }

    // ---- query ----

    @Nested
    class Query {

        @BeforeEach
        void log() throws Exception {
            writeReadLog();
        }

        private Ctl.Run query(String... args) {
            List<String> all = new ArrayList<>(List.of("query", "--dir", dir.toString()));
            all.addAll(List.of(args));
            return audit(all.toArray(String[]::new));
        }

        private void assertLines(Ctl.Run run, String... lines) {
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo(lines.length == 0 ? "0 records\n" : String.join("\n", lines) + "\n"
                    + lines.length + (lines.length == 1 ? " record" : " records") + "\n");
            assertThat(run.err()).isEmpty();
        }

        @Test
        void everyDecisionRecordWithoutFilters() {
            assertLines(query(), L1, L2, L3, L4, L5, L6);
        }

        @Test
        void byAgent() {
            assertLines(query("--agent", "agent-a"), L1, L3, L4);
            assertLines(query("--agent", "nobody"));
        }

        @Test
        void byVerdict() {
            assertLines(query("--verdict", "deny"), L2, L5, L6);
            assertLines(query("--verdict", "INTERCEPT"), L3);
        }

        @Test
        void byTimeRangeAbsoluteAndRelative() {
            assertLines(query("--since", "2026-11-21T11:10:00Z", "--until", "2026-11-21T11:30:00Z"), L2, L3);
            assertLines(query("--since", "30m"), L4, L5, L6); // now is 12:00
            assertLines(query("--until", "55m"), L1); // before 11:05
            assertLines(query("--since", "2026-11-21T12:30:00+01:00", "--until", "2026-11-21T11:35:00Z"), L4);
            assertLines(query("--until", "2026-11-21"));
        }

        @Test
        void byRule() {
            assertLines(query("--rule", "llm"), L3, L4);
        }

        @Test
        void byDestinationAddressOrName() {
            assertLines(query("--destination", "198.18.2.2"), L1);
            assertLines(query("--destination", "198.18.2.2:443"), L1);
            assertLines(query("--destination", "API.OpenAI.com"), L3, L4);
            assertLines(query("--destination", "api.test"), L5, L6);
        }

        @Test
        void filtersCombine() {
            assertLines(query("--agent", "agent-b", "--verdict", "deny", "--destination", "api.test"), L6);
        }

        @Test
        void limitSaysWhenMoreMatch() {
            Ctl.Run run = query("--limit", "2");
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo(L1 + "\n" + L2 + "\n2 records; more match (--limit 2)\n");
        }

        @Test
        void otherTypesOnRequest() throws Exception {
            Ctl.Run run = query("--type", "all");
            assertThat(run.exit()).as(run.toString()).isZero();
            List<String> out = run.out().lines().toList();
            assertThat(out).hasSize(allLines().size() + 1);
            assertThat(out).anyMatch(l -> l.matches("\\S+ checkpoint seq=\\d+ signs_seq=\\d+ key_id=" + key.keyId()));

            Ctl.Run cps = query("--type", "checkpoint");
            assertThat(cps.out().lines().filter(l -> l.contains(" checkpoint ")).count())
                    .isEqualTo(allLines().stream().filter(l -> l.contains("\"type\":\"checkpoint\"")).count());
        }

        @Test
        void jsonStreamsAnObjectWithTheRecords() throws Exception {
            Ctl.Run run = query("--since", "30m", "--limit", "2", "--json");

            assertThat(run.exit()).as(run.toString()).isZero();
            JsonNode o = json(run);
            assertThat(o.get("dir").asText()).isEqualTo(dir.toString());
            JsonNode filters = o.get("filters");
            assertThat(filters.get("types").toString()).isEqualTo("[\"flow\",\"request\"]");
            assertThat(filters.get("since").asText()).isEqualTo("2026-11-21T11:30:00Z");
            assertThat(filters.get("until").isNull()).isTrue();
            assertThat(filters.get("agent").isNull()).isTrue();
            assertThat(o.get("limit").asInt()).isEqualTo(2);
            assertThat(o.get("count").asInt()).isEqualTo(2);
            assertThat(o.get("more").asBoolean()).isTrue();
            assertThat(o.get("skipped_lines").asInt()).isZero();
            assertThat(o.get("records").get(0).get("type").asText()).isEqualTo("request");
            assertThat(o.get("records").get(0).get("http_target").asText()).isEqualTo("/v1/chat");
            assertThat(o.get("records").get(1).get("http_target").asText()).isEqualTo("/search?q=\"a,b\"");
        }

        @Test
        void badFiltersAreUsageErrors() {
            Ctl.Run time = query("--since", "yesterday");
            assertThat(time.exit()).as(time.toString()).isEqualTo(2);
            assertThat(time.err()).contains("'yesterday' (expected: an ISO-8601 instant such as");

            Ctl.Run range = query("--since", "10m", "--until", "1h");
            assertThat(range.exit()).as(range.toString()).isEqualTo(2);
            assertThat(range.err()).contains("--since 10m: 2026-11-21T11:50:00Z (expected: before --until 1h:"
                    + " 2026-11-21T11:00:00Z)");

            Ctl.Run verdict = query("--verdict", "allow");
            assertThat(verdict.exit()).as(verdict.toString()).isEqualTo(2);
            assertThat(verdict.err()).contains("'allow' (expected: relay, intercept or deny)");

            Ctl.Run type = query("--type", "flows");
            assertThat(type.exit()).as(type.toString()).isEqualTo(2);
            assertThat(type.err()).contains("'flows' (expected: flow, request, admin, gap, checkpoint, retention or"
                    + " all)");

            assertThat(query("--limit", "0").exit()).isEqualTo(2);
        }

        @Test
        void aLineThatIsNotARecordIsSkippedWithAWarning() throws Exception {
            Path seg = segments().getFirst();
            List<String> lines = lines(seg);
            lines.add(1, "not json");
            writeLines(seg, lines);

            Ctl.Run run = query();

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).endsWith("6 records\n");
            assertThat(run.err()).isEqualTo("warning: 1 line in " + dir + " is not a JSON record and skipped; run"
                    + " 'clawgressctl audit verify'\n");
        }

        @Test
        void controlCharactersInRecordsAreEscaped() throws Exception {
            Path seg = segments().getLast();
            List<String> lines = lines(seg);
            String f6 = lines.stream().filter(l -> l.contains("\"f-6\"")).findFirst().orElseThrow();
            lines.add(f6.replace("\"/x\"", "\"/\\u001b[2Jx\""));
            writeLines(seg, lines);

            Ctl.Run run = query("--verdict", "deny");
            assertThat(run.out()).contains(" GET /\\u001b[2Jx rule=").doesNotContain("\u001b");
        }
    }

    // ---- export ----

    @Nested
    class Export {

        @BeforeEach
        void log() throws Exception {
            writeReadLog();
        }

        private List<String> decisionLines() throws IOException {
            List<String> out = new ArrayList<>();
            for (String l : allLines()) {
                if (type(l).equals("flow") || type(l).equals("request")) {
                    out.add(l);
                }
            }
            return out;
        }

        @Test
        void jsonLinesAreTheRecordsAsWritten() throws Exception {
            Path file = tmp.resolve("export.jsonl");

            Ctl.Run run = audit("export", "--dir", dir.toString(), "--format", "jsonl", "--out", file.toString());

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo("exported 6 records to " + file + " (jsonl)\n");
            assertThat(Files.readString(file)).isEqualTo(String.join("\n", decisionLines()) + "\n");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r-----");
            for (String line : Files.readAllLines(file)) { // each line still carries its chain fields and hash
                assertThat(parse(line).get("hash").asText()).hasSize(64);
            }
        }

        @Test
        void jsonLinesToStdout() throws Exception {
            Ctl.Run run = audit("export", "--dir", dir.toString(), "--format", "jsonl", "--out", "-", "--agent",
                    "agent-b");
            assertThat(run.exit()).as(run.toString()).isZero();
            List<String> expected = decisionLines().stream().filter(l -> l.contains("\"agent_id\":\"agent-b\""))
                    .toList();
            assertThat(expected).hasSize(2);
            assertThat(run.out()).isEqualTo(String.join("\n", expected) + "\n");
        }

        @Test
        void csvHasTheHeaderAndRfc4180Quoting() throws Exception {
            Path file = tmp.resolve("export.csv");

            Ctl.Run run = audit("export", "--dir", dir.toString(), "--format", "csv", "--out", file.toString());

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(Files.readString(file)).isEqualTo(""
                    + "time,type,flow_id,sequence,agent_id,auth,source,original_destination,sni,http_host,http_method,"
                    + "http_target,verdict,rule,policy_revision,termination,bytes_up,bytes_down,duration_ms,status,"
                    + "code,upstream_status,uid,gid,pid,method,path,action,target,outcome,detail\r\n"
                    + "2026-11-21T11:00:00Z,flow,f-1,,agent-a,subnet,198.18.1.2:40000,198.18.2.2:443,api.example.com,"
                    + ",,,relay,web,static:abc,completed,100,2000,12.345,,,,,,,,,,,,\r\n"
                    + "2026-11-21T11:10:00Z,flow,f-2,,agent-b,subnet,198.18.1.2:40000,198.18.3.3:443,evil.example,"
                    + ",,,deny,default,static:abc,policy_denied,100,2000,12.345,,,,,,,,,,,,\r\n"
                    + "2026-11-21T11:20:00Z,flow,f-3,,agent-a,subnet,198.18.1.2:40000,198.18.4.4:443,api.openai.com,"
                    + ",,,intercept,llm,static:abc,completed,100,2000,12.345,,,,,,,,,,,,\r\n"
                    + "2026-11-21T11:30:00Z,request,f-3,1,agent-a,jwt,,,,api.openai.com,POST,/v1/chat,relay,llm,1,"
                    + "completed,57,1893,41,,,200,,,,,,,,,\r\n"
                    + "2026-11-21T11:40:00Z,request,f-5,1,,,,,,api.test,GET,\"/search?q=\"\"a,b\"\"\",deny,default,1,"
                    + "policy_denied,57,431,0,403,policy_denied,,,,,,,,,,\r\n"
                    + "2026-11-21T11:50:00Z,flow,f-6,,agent-b,subnet,198.18.1.2:40000,198.18.5.5:80,,api.test,GET,/x,"
                    + "deny,default,static:abc,policy_denied,100,2000,12.345,,,,,,,,,,,,\r\n");
        }

        @Test
        void csvFieldQuoting() {
            assertThat(AuditFormat.csvField("plain")).isEqualTo("plain");
            assertThat(AuditFormat.csvField("a,b")).isEqualTo("\"a,b\"");
            assertThat(AuditFormat.csvField("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
            assertThat(AuditFormat.csvField("two\nlines")).isEqualTo("\"two\nlines\"");
            assertThat(AuditFormat.csvField("cr\r")).isEqualTo("\"cr\r\"");
        }

        @Test
        void csvWithFilters() throws Exception {
            Ctl.Run run = audit("export", "--dir", dir.toString(), "--format", "CSV", "--out", "-", "--rule", "llm");
            assertThat(run.exit()).as(run.toString()).isZero();
            List<String> rows = List.of(run.out().split("\r\n"));
            assertThat(rows).hasSize(3);
            assertThat(rows.get(1)).startsWith("2026-11-21T11:20:00Z,flow,f-3,");
            assertThat(rows.get(2)).startsWith("2026-11-21T11:30:00Z,request,f-3,");
        }

        @Test
        void anExistingFileIsRefusedUnlessForced() throws Exception {
            Path file = tmp.resolve("export.jsonl");
            Files.writeString(file, "keep me\n");

            Ctl.Run refused = audit("export", "--dir", dir.toString(), "--format", "jsonl", "--out", file.toString());
            assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
            assertThat(refused.err()).isEqualTo(file + ": exists (expected: a new file; --force replaces it)\n");
            assertThat(Files.readString(file)).isEqualTo("keep me\n");

            Ctl.Run forced = audit("export", "--dir", dir.toString(), "--format", "jsonl", "--out", file.toString(),
                    "--force");
            assertThat(forced.exit()).as(forced.toString()).isZero();
            assertThat(Files.readString(file)).isEqualTo(String.join("\n", decisionLines()) + "\n");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r-----");
            try (Stream<Path> s = Files.list(tmp)) {
                assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
            }
        }

        @Test
        void aMissingDirectoryLeavesNoFile() {
            Path file = tmp.resolve("export.csv");
            Ctl.Run run = audit("export", "--dir", tmp.resolve("nope").toString(), "--format", "csv", "--out",
                    file.toString());
            assertThat(run.exit()).as(run.toString()).isEqualTo(78);
            assertThat(run.err()).contains("no such directory");
            assertThat(file).doesNotExist();
        }

        @Test
        void anUnwritableOutputIsAFailure() {
            Path file = tmp.resolve("no-such-dir/export.csv");
            Ctl.Run run = audit("export", "--dir", dir.toString(), "--format", "csv", "--out", file.toString());
            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.err()).startsWith(file + ": cannot write: no such file or directory");
        }

        @Test
        void badArgumentsAreUsageErrors() {
            Ctl.Run format = audit("export", "--dir", dir.toString(), "--format", "xml", "--out", "-");
            assertThat(format.exit()).as(format.toString()).isEqualTo(2);
            assertThat(format.err()).contains("'xml' (expected: jsonl or csv)");

            Ctl.Run noOut = audit("export", "--dir", dir.toString(), "--format", "csv");
            assertThat(noOut.exit()).as(noOut.toString()).isEqualTo(2);
            assertThat(noOut.err()).contains("--out");
        }
    }

    // ---- key ----

    // ---- admin records ----

    @Nested
    class Admin {

        static final String F1 = "2026-11-21T11:00:00Z flow    relay     agent=agent-a dst=198.18.2.2:443"
                + " sni=api.example.com rule=web completed";
        static final String A1 = "2026-11-21T11:10:00Z admin   uid=1001 agent.disable target=agent-a forbidden 403"
                + " detail=uid 1001 is not in group clawgress-admin";
        static final String A2 = "2026-11-21T11:20:00Z admin   uid=0 agent.disable target=agent-a ok 200";
        static final String A3 = "2026-11-21T11:30:00Z admin   uid=0 flows.kill target=f-9 refused 404"
                + " detail=no open flow 'f-9'";
        static final String A4 = "2026-11-21T11:40:00Z admin   uid=4294967294 reload failed 500";
        static final String F2 = "2026-11-21T11:50:00Z flow    deny      agent=agent-b dst=198.18.3.3:443"
                + " sni=evil.example rule=default policy_denied";

        /** Two flows around four admin calls: refused for want of the group, done, an unknown flow, a failure. */
        @BeforeEach
        void log() throws Exception {
            AuditLog log = open(settings(dir));
            write(log, tlsFlow("f-1", "agent-a", "relay", "web", "198.18.2.2", "api.example.com"));
            write(log, new AdminRecord(T0.plus(Duration.ofMinutes(10)), 1001, 1001, 4242, "POST",
                    "/v1/agents/agent-a/disable", "agent.disable", "agent-a", 403,
                    "uid 1001 is not in group clawgress-admin"));
            write(log, new AdminRecord(T0.plus(Duration.ofMinutes(20)), 0, 0, 4243, "POST",
                    "/v1/agents/agent-a/disable", "agent.disable", "agent-a", 200, null));
            write(log, new AdminRecord(T0.plus(Duration.ofMinutes(30)), 0, 0, 4244, "POST", "/v1/flows/f-9/kill",
                    "flows.kill", "f-9", 404, "no open flow 'f-9'"));
            write(log, new AdminRecord(T0.plus(Duration.ofMinutes(40)), -2, -2, 0, "POST", "/v1/reload", "reload",
                    null, 500, null));
            clock.set(T0.plus(Duration.ofMinutes(50)));
            write(log, tlsFlow("f-2", "agent-b", "deny", "default", "198.18.3.3", "evil.example"));
            close(log);
        }

        private Ctl.Run query(String... args) {
            List<String> all = new ArrayList<>(List.of("query", "--dir", dir.toString()));
            all.addAll(List.of(args));
            return audit(all.toArray(String[]::new));
        }

        private static String printed(String... lines) {
            return String.join("\n", lines) + "\n" + lines.length + (lines.length == 1 ? " record" : " records")
                    + "\n";
        }

        @Test
        void queryPrintsAdminCallsOneLineEachWithTypeAdmin() {
            Ctl.Run run = query("--type", "admin");
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo(printed(A1, A2, A3, A4));
            assertThat(run.err()).isEmpty();

            assertThat(query().out()).as("decision records by default").isEqualTo(printed(F1, F2));
            assertThat(query("--type", "flow,admin").out()).isEqualTo(printed(F1, A1, A2, A3, A4, F2));
        }

        @Test
        void theAgentFilterFindsTheCallsOnThatAgentAndDecisionFiltersPassOverAdminRecords() {
            assertThat(query("--type", "flow,admin", "--agent", "agent-a").out()).isEqualTo(printed(F1, A1, A2));
            assertThat(query("--type", "admin", "--agent", "f-9").out()).isEqualTo("0 records\n");
            Ctl.Run deny = query("--type", "all", "--verdict", "deny");
            assertThat(deny.exit()).as(deny.toString()).isZero();
            assertThat(deny.out()).isEqualTo(printed(F2));
            assertThat(query("--type", "admin", "--rule", "web").out()).isEqualTo("0 records\n");
            assertThat(query("--type", "admin", "--destination", "api.example.com").out()).isEqualTo("0 records\n");
            assertThat(query("--type", "admin", "--since", "2026-11-21T11:20:00Z", "--until", "2026-11-21T11:40:00Z")
                    .out()).isEqualTo(printed(A2, A3));
        }

        @Test
        void queryJsonHasTheAdminRecordsAsWritten() throws Exception {
            Ctl.Run run = query("--type", "admin", "--limit", "1", "--json");
            assertThat(run.exit()).as(run.toString()).isZero();
            JsonNode o = json(run);
            assertThat(o.get("filters").get("types").toString()).isEqualTo("[\"admin\"]");
            JsonNode r = o.get("records").get(0);
            assertThat(r.get("type").asText()).isEqualTo("admin");
            assertThat(r.get("uid").asLong()).isEqualTo(1001);
            assertThat(r.get("action").asText()).isEqualTo("agent.disable");
            assertThat(r.get("outcome").asText()).isEqualTo("forbidden");
            assertThat(o.get("more").asBoolean()).isTrue();
        }

        @Test
        void tailPrintsTheLastAdminCallsAndJsonTheirLines() throws Exception {
            Ctl.Run run = audit("tail", "--dir", dir.toString(), "--type", "admin", "-n", "2");
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo(A3 + "\n" + A4 + "\n");

            String reload = allLines().stream().filter(l -> l.contains("\"action\":\"reload\"")).findFirst()
                    .orElseThrow();
            Ctl.Run json = audit("tail", "--dir", dir.toString(), "--type", "admin", "-n", "1", "--json");
            assertThat(json.out()).isEqualTo(reload + "\n");
            assertThat(parse(reload).get("uid").asLong()).as("unsigned").isEqualTo(4294967294L);
        }

        @Test
        void csvExportPutsAdminRecordsInTheColumnsNamedForTheirFields() throws Exception {
            Ctl.Run run = audit("export", "--dir", dir.toString(), "--format", "csv", "--out", "-", "--type",
                    "admin,flow", "--agent", "agent-a");
            assertThat(run.exit()).as(run.toString()).isZero();
            String empty17 = ",".repeat(18); // after type: flow_id .. duration_ms are empty for admin records
            assertThat(run.out()).isEqualTo(AuditFormat.csvHeader()
                    + "2026-11-21T11:00:00Z,flow,f-1,,agent-a,subnet,198.18.1.2:40000,198.18.2.2:443,"
                    + "api.example.com,,,,relay,web,static:abc,completed,100,2000,12.345,,,,,,,,,,,,\r\n"
                    + "2026-11-21T11:10:00Z,admin" + empty17 + "403,,,1001,1001,4242,POST,/v1/agents/agent-a/disable,"
                    + "agent.disable,agent-a,forbidden,uid 1001 is not in group clawgress-admin\r\n"
                    + "2026-11-21T11:20:00Z,admin" + empty17 + "200,,,0,0,4243,POST,/v1/agents/agent-a/disable,"
                    + "agent.disable,agent-a,ok,\r\n");
            assertThat(AuditFormat.csvHeader()).isEqualTo("time,type,flow_id,sequence,agent_id,auth,source,"
                    + "original_destination,sni,http_host,http_method,http_target,verdict,rule,policy_revision,"
                    + "termination,bytes_up,bytes_down,duration_ms,status,code,upstream_status,uid,gid,pid,method,"
                    + "path,action,target,outcome,detail\r\n");
        }

        @Test
        void jsonLinesExportHasTheAdminRecordsAsWritten() throws Exception {
            Ctl.Run run = audit("export", "--dir", dir.toString(), "--format", "jsonl", "--out", "-", "--type",
                    "admin");
            assertThat(run.exit()).as(run.toString()).isZero();
            List<String> admin = new ArrayList<>();
            for (String l : allLines()) {
                if (type(l).equals("admin")) {
                    admin.add(l);
                }
            }
            assertThat(admin).hasSize(4);
            assertThat(run.out()).isEqualTo(String.join("\n", admin) + "\n");
        }

        @Test
        void verifyCountsThemAndNamesAnEditedOne() throws Exception {
            Ctl.Run run = verify();
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).containsPattern("\n  by type:     2 flow, 4 admin, \\d+ checkpoint\n");
            assertThat(json(verify("--json")).get("types").get("admin").asLong()).isEqualTo(4);

            Path seg = segments().getFirst();
            List<String> lines = lines(seg);
            int lineNo = firstLineOfType(lines, "admin");
            lines.set(lineNo - 1, lines.get(lineNo - 1).replace("\"uid\":1001", "\"uid\":0"));
            writeLines(seg, lines);
            Ctl.Run broken = verify();
            assertThat(broken.exit()).as(broken.toString()).isEqualTo(1);
            assertThat(broken.out()).startsWith("BROKEN: hash_mismatch at " + seg.getFileName() + ":" + lineNo
                    + " (seq " + lineNo + "): ");
        }

        @Test
        void controlCharactersInAdminRecordsAreEscaped() throws Exception {
            Path seg = segments().getLast();
            List<String> lines = lines(seg);
            String a3 = lines.stream().filter(l -> l.contains("\"flows.kill\"")).findFirst().orElseThrow();
            lines.add(a3.replace("\"target\":\"f-9\"", "\"target\":\"f\\u001b[2J\\u202e9\""));
            writeLines(seg, lines);

            Ctl.Run all = query("--type", "admin");
            assertThat(all.exit()).as(all.toString()).isZero();
            assertThat(all.out()).contains(" flows.kill target=f\\u001b[2J\\u202e9 refused 404")
                    .doesNotContain("\u001b").doesNotContain("\u202e");
        }
    }

    @Nested
    class Key {

        @Test
        void printsThePublicKeyFile() throws Exception {
            Ctl.Run run = audit("key", "--state-dir", state.toString());

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo(Files.readString(pub)).isEqualTo(key.publicKeyPem());
            assertThat(run.err()).isEmpty();
        }

        @Test
        void writesItIntoAFile() throws Exception {
            Path out = tmp.resolve("node-a.audit.pub.pem");

            Ctl.Run run = audit("key", "--state-dir", state.toString(), "--out", out.toString());

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo("wrote the audit public key (key id " + key.keyId() + ") to " + out + "\n");
            assertThat(Files.readString(out)).isEqualTo(Files.readString(pub));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-r--r--");

            writeSegmentedLog();
            assertThat(verify("--key", out.toString()).exit()).as("a verifier elsewhere uses the copy").isZero();
        }

        @Test
        void noKeyYetIsTroubleThatSaysWhoCreatesIt() throws Exception {
            Path empty = Files.createDirectory(tmp.resolve("empty-state"));

            Ctl.Run run = audit("key", "--state-dir", empty.toString());

            assertThat(run.exit()).as(run.toString()).isEqualTo(78);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).isEqualTo(empty.resolve("audit-key/audit-key.pub.pem") + ": no such file (there is"
                    + " no audit key yet: clawgressd creates it at its first start)\n");
            assertThat(empty.resolve("audit-key")).doesNotExist(); // never creates one

            Ctl.Run missing = audit("key", "--state-dir", tmp.resolve("nope").toString());
            assertThat(missing.exit()).as(missing.toString()).isEqualTo(78);
            assertThat(missing.err()).contains("no such directory");
        }
    }

    @Test
    void auditWithoutVerbPrintsUsage() {
        Ctl.Run run = audit();
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("verify").contains("tail").contains("query").contains("export").contains("key");
    }
}
