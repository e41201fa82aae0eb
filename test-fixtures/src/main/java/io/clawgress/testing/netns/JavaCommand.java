package io.clawgress.testing.netns;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Builds a command line that starts another JVM with the same java binary and class path as the current one, so a
 * test can run a main class from its own class path (the peers) in a network namespace.
 *
 * <p>Under Maven Surefire/Failsafe the forked JVM may have been started from a manifest-only "booter" jar whose
 * {@code Class-Path} manifest attribute holds the real class path. Surefire normally restores
 * {@code java.class.path} to the real list, but if the class path is a single jar with a {@code Class-Path}
 * attribute, its entries are expanded here, so the child does not depend on reading the booter jar's manifest.
 */
public final class JavaCommand {

    /** JVM options used by {@link #of(String, List)}: small, quick to start, dies on OOM instead of limping. */
    public static final List<String> DEFAULT_JVM_OPTIONS =
            List.of("-XX:+UseSerialGC", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError");

    private JavaCommand() {
    }

    /** The java binary of the current JVM. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** {@code java <default options> -cp <class path> mainClass args...}. */
    public static List<String> of(String mainClass, List<String> args) {
        return of(DEFAULT_JVM_OPTIONS, mainClass, args);
    }

    /** {@code java <jvmOptions> -cp <class path> mainClass args...}. */
    public static List<String> of(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** The current JVM's class path as a {@code File.pathSeparator} list of existing paths. */
    public static String classPath() {
        String raw = System.getProperty("java.class.path", "");
        List<String> entries = new ArrayList<>();
        for (String e : raw.split(File.pathSeparator)) {
            if (!e.isBlank()) {
                entries.add(e);
            }
        }
        if (entries.size() == 1 && entries.get(0).endsWith(".jar")) {
            // The jar itself may hold classes too; a booter jar on the list is harmless.
            entries.addAll(manifestClassPath(Path.of(entries.get(0))));
        }
        Set<String> existing = new LinkedHashSet<>();
        for (String e : entries) {
            if (e.endsWith("*")) {
                existing.add(e); // a wildcard entry, expanded by the child's launcher
            } else if (Files.exists(Path.of(e))) {
                existing.add(Path.of(e).toAbsolutePath().toString());
            }
        }
        if (existing.isEmpty()) {
            throw new IllegalStateException("cannot determine the class path to start a child JVM from "
                    + "java.class.path=" + raw);
        }
        return String.join(File.pathSeparator, existing);
    }

    /** The jar's manifest {@code Class-Path} entries resolved against the jar's location; empty if it has none. */
    static List<String> manifestClassPath(Path jar) {
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest m = jf.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp == null || cp.isBlank()) {
                return List.of();
            }
            URI base = jar.toAbsolutePath().toUri();
            List<String> out = new ArrayList<>();
            for (String entry : cp.trim().split("\\s+")) {
                out.add(Path.of(base.resolve(entry)).toString());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the manifest of " + jar, e);
        }
    }
}
