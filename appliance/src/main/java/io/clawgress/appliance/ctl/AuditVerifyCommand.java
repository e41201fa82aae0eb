package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.audit.AuditKey;
import io.clawgress.enforcement.audit.AuditVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code clawgressctl audit verify}: {@link AuditVerifier} on the audit directory, with the node's public audit key.
 * A broken log is an answer (1) naming the first bad record; a torn last line is a crash boundary (0, said plainly);
 * a directory or key that cannot be used is trouble (78).
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify the audit log offline: every record's hash, the chain from record to record and"
                + " segment to segment, and every checkpoint's Ed25519 signature. Names the first record that was"
                + " edited, deleted, moved or forged. A torn last line (a crash while writing) is not tampering:"
                + " it is reported, and the log still verifies."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the log verifies (also with a torn last line: a crash boundary, not tampering)",
                "1:the log is broken: the first bad record is named (hash_mismatch, chain_broken, ...)",
                "2:bad arguments", "78:the directory or a key file cannot be used"})
final class AuditVerifyCommand extends AuditVerb {

    /** Where {@code --state-dir} finds the key when no {@code --key} is given. */
    static final Path DEFAULT_STATE_DIR = AgentVerb.DEFAULT_STATE_DIR;
    /** A public key PEM is about 113 bytes; anything much larger is not one. */
    static final long MAX_KEY_FILE_BYTES = 64 * 1024;

    @Option(names = {"--key", "--public-key"}, paramLabel = "PUB.pem",
            description = {"A trusted audit public key (audit-key.pub.pem; best a copy kept off the gateway). Repeat"
                    + " it for keys the log was signed with before a key change."})
    List<Path> keys;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Without --key: take the key from DIR/audit-key/audit-key.pub.pem (default DIR:"
                    + " /var/lib/clawgress).")
    Path stateDir;

    @Option(names = "--no-key", description = "Check everything but checkpoint signatures, and say so. A log edited"
            + " and re-hashed is then not detected.")
    boolean noKey;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        if (keys != null && stateDir != null) {
            throw usage("--key and --state-dir: give one (--key names the public key file, --state-dir the"
                    + " directory that holds audit-key/" + AuditKey.PUBLIC_FILE + ")");
        }
        if (noKey && (keys != null || stateDir != null)) {
            throw usage("--no-key with " + (keys != null ? "--key" : "--state-dir") + " (expected: one of them)");
        }
        requireDir();
        Map<Path, PublicKey> trusted = trustedKeys();
        AuditVerifier.Result r;
        try {
            r = new AuditVerifier(trusted.values()).verify(dir);
        } catch (IOException e) {
            throw unreadable(e);
        }
        if (json) {
            out().println(Json.write(json(r, trusted)));
        } else {
            print(r, trusted);
        }
        return r.ok() ? ExitCodes.OK : ExitCodes.FAILURE;
    }

    /** The keys to check signatures with, by file; empty with {@code --no-key}. */
    private Map<Path, PublicKey> trustedKeys() throws Failure {
        Map<Path, PublicKey> out = new LinkedHashMap<>();
        if (noKey) {
            return out;
        }
        if (keys != null) {
            for (Path k : keys) {
                out.put(k, readKey(k, null));
            }
            return out;
        }
        Path sd = stateDir != null ? stateDir : DEFAULT_STATE_DIR;
        Path file = sd.resolve(AuditKey.DIRECTORY).resolve(AuditKey.PUBLIC_FILE);
        out.put(file, readKey(file, " (expected: the node's audit public key, which clawgressd creates at its first"
                + " start; give --key PUB.pem for a copy, --state-dir DIR for another state_dir, or --no-key to check"
                + " everything but signatures)"));
        return out;
    }

    /** Reads an Ed25519 public key PEM; anything else is an unusable input (78). */
    static PublicKey readKey(Path file, String missingHint) throws Failure {
        String pem;
        try {
            long size = Files.size(file);
            if (size > MAX_KEY_FILE_BYTES) {
                throw new Failure(ExitCodes.CONFIG, file + ": " + size + " bytes (expected: an Ed25519 public key"
                        + " PEM, " + AuditKey.PUBLIC_FILE + ")");
            }
            pem = Files.readString(file, StandardCharsets.ISO_8859_1); // never fails to decode; the parser judges
        } catch (NoSuchFileException e) {
            throw new Failure(ExitCodes.CONFIG, file + ": no such file" + (missingHint == null ? "" : missingHint));
        } catch (IOException e) {
            throw new Failure(ExitCodes.CONFIG, file + ": cannot read: " + OutputFiles.why(e));
        }
        try {
            return AuditKey.readPublicKeyPem(pem);
        } catch (GeneralSecurityException e) {
            String why = String.valueOf(e.getMessage()).replaceFirst("^public key PEM: ", "");
            throw new Failure(ExitCodes.CONFIG, file + ": not an Ed25519 public key PEM: " + why);
        }
    }

    private void print(AuditVerifier.Result r, Map<Path, PublicKey> trusted) {
        AuditVerifier.Finding f = r.finding();
        switch (r.outcome()) {
            case OK -> out().println("OK");
            case OK_TRUNCATED -> {
                out().println("OK (truncated tail: crash boundary, not tampering)");
                out().println("  torn line:   " + f);
            }
            case BROKEN -> out().println("BROKEN: " + f);
        }
        boolean broken = r.outcome() == AuditVerifier.Outcome.BROKEN;
        out().println("  directory:   " + dir);
        out().println("  segments:    " + r.segments());
        out().println("  records:     " + r.records() + (broken ? " verified before it" : "")
                + (r.records() > 0 ? " (seq " + r.firstSeq() + ".." + r.lastSeq() + ")" : ""));
        if (!r.types().isEmpty()) {
            out().println("  by type:     " + byType(r));
        }
        if (r.lastHash() != null) {
            out().println("  last hash:   " + r.lastHash());
        }
        out().println("  checkpoints: " + r.checkpoints() + (r.signaturesChecked()
                ? ", signatures checked with " + keyList(trusted)
                : ", signatures NOT checked (--no-key): only their form was"));
        out().println("  unsigned:    " + r.unsignedRecords() + (r.unsignedRecords() == 1 ? " record" : " records")
                + " after the last checkpoint (chained, not yet signed)");
    }

    /** {@code 30 flow, 5 request, 2 admin, 8 checkpoint}: known types in {@link AuditFilters#TYPES} order first. */
    private static String byType(AuditVerifier.Result r) {
        List<String> parts = new ArrayList<>();
        for (String type : orderedTypes(r)) {
            parts.add(r.types().get(type) + " " + AuditFormat.safe(type));
        }
        return String.join(", ", parts);
    }

    private static List<String> orderedTypes(AuditVerifier.Result r) {
        List<String> out = new ArrayList<>();
        AuditFilters.TYPES.stream().filter(r.types()::containsKey).forEach(out::add);
        r.types().keySet().stream().filter(t -> !AuditFilters.TYPES.contains(t)).forEach(out::add);
        return out;
    }

    private static String keyList(Map<Path, PublicKey> trusted) {
        List<String> parts = new ArrayList<>();
        trusted.forEach((file, key) -> parts.add("key " + AuditKey.keyId(key) + " (" + file + ")"));
        return String.join(", ", parts);
    }

    private ObjectNode json(AuditVerifier.Result r, Map<Path, PublicKey> trusted) {
        ObjectNode o = Json.object();
        o.put("dir", dir.toString());
        o.put("valid", r.ok());
        o.put("outcome", switch (r.outcome()) {
            case OK -> "ok";
            case OK_TRUNCATED -> "ok-with-truncation";
            case BROKEN -> "broken";
        });
        AuditVerifier.Finding f = r.finding();
        if (f == null) {
            o.putNull("finding");
        } else {
            ObjectNode x = o.putObject("finding");
            x.put("code", f.code().code());
            x.put("segment", f.segment().getFileName().toString());
            x.put("line", f.line());
            if (f.seq() >= 0) {
                x.put("seq", f.seq());
            } else {
                x.putNull("seq");
            }
            x.put("detail", f.detail());
        }
        o.put("segments", r.segments());
        o.put("records", r.records());
        if (r.records() > 0) {
            o.put("first_seq", r.firstSeq());
            o.put("last_seq", r.lastSeq());
        } else {
            o.putNull("first_seq");
            o.putNull("last_seq");
        }
        o.put("last_hash", r.lastHash());
        o.put("checkpoints", r.checkpoints());
        o.put("unsigned_records", r.unsignedRecords());
        ObjectNode types = o.putObject("types");
        orderedTypes(r).forEach(t -> types.put(t, r.types().get(t)));
        o.put("signatures_checked", r.signaturesChecked());
        ArrayNode k = o.putArray("keys");
        trusted.forEach((file, key) -> {
            ObjectNode x = k.addObject();
            x.put("file", file.toString());
            x.put("key_id", AuditKey.keyId(key));
        });
        return o;
    }
}
