package io.clawgress.testing.netns;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the repository checkout, so tests can run the real scripts and launchers in it
 * ({@code systemd/clawgress-tproxy}, {@code bin/clawgressd}).
 */
public final class Repo {

    /** System property that names the repository root explicitly (the POMs set it for failsafe). */
    public static final String ROOT_PROPERTY = "clawgress.repoRoot";

    private Repo() {
    }

    /**
     * The repository root: the {@value #ROOT_PROPERTY} system property when set, else the nearest directory at or
     * above the working directory that holds both {@code mvnw} and {@code systemd/}.
     *
     * @throws IllegalStateException when neither finds it
     */
    public static Path root() {
        String explicit = System.getProperty(ROOT_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit).toAbsolutePath().normalize();
            if (!Files.isDirectory(p)) {
                throw new IllegalStateException(ROOT_PROPERTY + "=" + explicit + " is not a directory");
            }
            return p;
        }
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("systemd"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository root (a directory with mvnw and systemd/) at or"
                + " above " + start + "; set -D" + ROOT_PROPERTY + "=<path>");
    }
}
