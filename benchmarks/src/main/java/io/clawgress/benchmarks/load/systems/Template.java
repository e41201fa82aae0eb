package io.clawgress.benchmarks.load.systems;

import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.Netns;
import io.clawgress.testing.netns.Repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Config templates under {@code benchmarks/systems/}, and waiting for a listener. */
final class Template {

    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Z_]+)}");

    private Template() {
    }

    /** Reads {@code benchmarks/systems/<relative>}, replaces every {@code ${NAME}}, writes it to {@code out}. */
    static Path render(String relative, Map<String, String> values, Path out) throws IOException {
        String text = Files.readString(Repo.root().resolve("benchmarks/systems").resolve(relative));
        Matcher m = VAR.matcher(text);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException(relative + ": no value for ${" + m.group(1) + "}");
            }
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        return Files.writeString(out, b.toString());
    }

    /** Waits until something listens on TCP {@code port} in {@code ns}. */
    static void awaitListening(Netns ns, int port, Duration timeout, java.util.function.Supplier<String> why) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            ExecResult r = ns.exec(Duration.ofSeconds(5), "ss", "-Htln", "sport = :" + port);
            if (r.ok() && !r.stdout().isBlank()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("nothing listens on port " + port + " in " + ns.name() + " after "
                + timeout + "\n" + why.get());
    }

    /** First line of {@code cmd}'s output (a version banner). */
    static String firstLine(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out.lines().findFirst().orElse("?").trim();
        } catch (IOException e) {
            return "? (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
