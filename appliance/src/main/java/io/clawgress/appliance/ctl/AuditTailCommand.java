package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.audit.AuditEntry;
import io.clawgress.enforcement.audit.AuditQuery;
import io.clawgress.enforcement.audit.AuditReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

/**
 * {@code clawgressctl audit tail [-f]}: the last N matching records, then (with {@code -f}) new ones as the writer
 * completes them, across rotation, until interrupted. Polls the directory: no inotify, so it works on any filesystem
 * and never holds a segment open between polls.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print the last N decision records (flows and requests; --type admin for admin API calls), one"
                + " line each, oldest first. With -f, go on printing new records as they are written, across segment"
                + " rotation, until interrupted (Ctrl-C)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:printed (possibly nothing)", "2:bad arguments", "78:the directory cannot be read"})
final class AuditTailCommand extends AuditVerb {

    /** How often {@code -f} looks for new lines. */
    static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    @Option(names = "-n", paramLabel = "N",
            description = "How many records to print first (default: ${DEFAULT-VALUE}).")
    int n = 20;

    @Option(names = {"-f", "--follow"}, description = "Go on printing new records until interrupted.")
    boolean follow;

    @Mixin
    AuditFilters filters;

    @Option(names = "--json", description = "Print each record as its JSON line in the log (JSON Lines).")
    boolean json;

    /** For tests and scripts: stop following after this many new records (0: never). */
    @Option(names = "--max-records", hidden = true, paramLabel = "N")
    long maxRecords;

    /** For tests and scripts: stop following after this long. */
    @Option(names = "--for", hidden = true, paramLabel = "DURATION", converter = Converters.DurationConverter.class)
    Duration followFor;

    @Override
    protected int run() throws Failure {
        if (n < 0) {
            throw usage("-n " + n + " (expected: >= 0)");
        }
        if (maxRecords < 0) {
            throw usage("--max-records " + maxRecords + " (expected: >= 0)");
        }
        AuditQuery query = filters.query(clock().instant(), this);
        requireDir();
        AuditReader reader = new AuditReader(dir);
        try {
            // The follower starts at the end before the tail is read, so nothing written in between is missed; what
            // both see is printed once (the tail's, by seq).
            AuditReader.Follower follower = follow ? reader.follow(query, true) : null;
            List<AuditEntry> last = reader.tail(n, query);
            last.forEach(this::print);
            out().flush();
            warnSkipped(reader.skippedLines());
            if (follower == null) {
                return ExitCodes.OK;
            }
            return follow(reader, follower, last.isEmpty() ? 0 : last.getLast().seq());
        } catch (IOException e) {
            throw unreadable(e);
        } catch (UncheckedIOException e) {
            throw unreadable(e);
        }
    }

    private int follow(AuditReader reader, AuditReader.Follower follower, long printedUpTo) throws IOException {
        long deadline = followFor == null ? 0 : System.nanoTime() + followFor.toNanos();
        long skipped = reader.skippedLines();
        long printed = 0;
        while (!Thread.currentThread().isInterrupted()) {
            for (AuditEntry e : follower.poll()) {
                if (e.seq() <= printedUpTo) {
                    continue;
                }
                print(e);
                printed++;
                if (maxRecords > 0 && printed >= maxRecords) {
                    out().flush();
                    return ExitCodes.OK;
                }
            }
            out().flush();
            if (reader.skippedLines() > skipped) {
                warnSkipped(reader.skippedLines() - skipped);
                skipped = reader.skippedLines();
            }
            if (deadline != 0 && System.nanoTime() - deadline >= 0) {
                break;
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // Ctrl-C in-process, or a test stopping us: done
            }
        }
        return ExitCodes.OK;
    }

    private void print(AuditEntry e) {
        out().println(json ? AuditFormat.jsonLine(e.record()) : AuditFormat.line(e.record()));
    }
}
