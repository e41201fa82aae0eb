package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.audit.AuditEntry;
import io.clawgress.enforcement.audit.AuditQuery;
import io.clawgress.enforcement.audit.AuditReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code clawgressctl audit export}: the matching records as JSON Lines (each record's line as written) or CSV with a
 * fixed column list, streamed into a file or stdout. A file is created new (or with {@code --force} replaced
 * atomically) with the segments' mode, 0640: who called what is not for every local user.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export the decision records (with --type, others too, such as admin API calls) that match every"
                + " filter given, oldest first, as JSON Lines (the records as written) or CSV (a fixed column list,"
                + " RFC 4180)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:exported (possibly no record)",
                "1:the output exists (without --force) or cannot be written", "2:bad arguments",
                "78:the directory cannot be read"})
final class AuditExportCommand extends AuditVerb {

    /** The mode of an exported file: that of the segments it comes from. */
    static final Set<PosixFilePermission> EXPORT_MODE = PosixFilePermissions.fromString("rw-r-----");

    enum Format {
        JSONL, CSV
    }

    @Mixin
    AuditFilters filters;

    @Option(names = "--format", required = true, paramLabel = "jsonl|csv", converter = FormatConverter.class,
            description = "jsonl: each record's JSON line as written; csv: the columns of docs/clawgressctl.md.")
    Format format;

    @Option(names = "--out", required = true, paramLabel = "FILE|-",
            description = "Where to write: a new file (mode 0640), or - for stdout.")
    String out;

    @Option(names = "--force", description = "Replace an existing --out file (atomically).")
    boolean force;

    @Override
    protected int run() throws Failure {
        AuditQuery query = filters.query(clock().instant(), this);
        requireDir();
        AuditReader reader = new AuditReader(dir);
        long count;
        if (out.equals("-")) {
            try {
                count = export(reader, query, out());
            } catch (IOException e) {
                throw new Failure(ExitCodes.FAILURE, "stdout: cannot write: " + OutputFiles.why(e));
            }
            out().flush();
        } else {
            count = exportToFile(reader, query, Path.of(out));
            out().println("exported " + count + (count == 1 ? " record" : " records") + " to " + out + " ("
                    + format.name().toLowerCase(Locale.ROOT) + ")");
        }
        warnSkipped(reader.skippedLines());
        return ExitCodes.OK;
    }

    /**
     * Streams into {@code file}: created new (O_EXCL) with its final mode, or with {@code --force} written to a
     * temporary file beside it and renamed over it. A failed export leaves nothing behind.
     */
    private long exportToFile(AuditReader reader, AuditQuery query, Path file) throws Failure {
        Path abs = file.toAbsolutePath();
        Path target;
        try {
            target = force ? Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(EXPORT_MODE))
                    : Files.createFile(abs, PosixFilePermissions.asFileAttribute(EXPORT_MODE));
        } catch (FileAlreadyExistsException e) {
            throw new Failure(ExitCodes.FAILURE, file + ": exists (expected: a new file; --force replaces it)");
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILURE, file + ": cannot write: " + OutputFiles.why(e));
        }
        boolean done = false;
        try {
            long count;
            try (Writer w = new BufferedWriter(new OutputStreamWriter(
                    Files.newOutputStream(target, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
                    StandardCharsets.UTF_8), 1 << 16)) {
                count = export(reader, query, w);
            } catch (IOException e) {
                throw new Failure(ExitCodes.FAILURE, file + ": cannot write: " + OutputFiles.why(e));
            }
            try {
                Files.setPosixFilePermissions(target, EXPORT_MODE); // the umask may have taken bits; never adds any
                if (force) {
                    Files.move(target, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw new Failure(ExitCodes.FAILURE, file + ": cannot write: " + OutputFiles.why(e));
            }
            done = true;
            return count;
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(target);
                } catch (IOException e) {
                    err().println(target + ": cannot remove the incomplete export: " + OutputFiles.why(e));
                }
            }
        }
    }

    /**
     * Writes the header (CSV) and every matching record to {@code w}; returns how many records.
     *
     * @throws Failure when the audit directory cannot be read (78)
     * @throws IOException when {@code w} cannot be written
     */
    private long export(AuditReader reader, AuditQuery query, Writer w) throws Failure, IOException {
        Stream<AuditEntry> records;
        try {
            records = reader.read(query);
        } catch (IOException e) {
            throw unreadable(e);
        }
        long count = 0;
        try (records) {
            if (format == Format.CSV) {
                w.write(AuditFormat.csvHeader());
            }
            for (Iterator<AuditEntry> it = records.iterator(); it.hasNext(); count++) {
                ObjectNode r = it.next().record();
                w.write(format == Format.CSV ? AuditFormat.csvRow(r) : AuditFormat.jsonLine(r) + "\n");
            }
        } catch (UncheckedIOException e) {
            throw unreadable(e);
        }
        return count;
    }

    /** {@code jsonl} or {@code csv}, case-insensitive. */
    static final class FormatConverter implements ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "jsonl" -> Format.JSONL;
                case "csv" -> Format.CSV;
                default -> throw new TypeConversionException("'" + value + "' (expected: jsonl or csv)");
            };
        }
    }
}
