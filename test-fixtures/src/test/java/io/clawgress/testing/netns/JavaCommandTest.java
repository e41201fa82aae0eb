package io.clawgress.testing.netns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

class JavaCommandTest {

    @TempDir
    Path dir;

    @Test
    void usesThisJvmsJavaAndAClassPathWithTheFixtures() {
        List<String> cmd = JavaCommand.of("a.Main", List.of("x"));
        assertThat(cmd.get(0)).endsWith("/java");
        assertThat(Path.of(cmd.get(0))).isExecutable();
        assertThat(cmd).endsWith("-cp", JavaCommand.classPath(), "a.Main", "x");
        assertThat(JavaCommand.classPath().split(File.pathSeparator))
                .anyMatch(e -> e.contains("test-fixtures"));
    }

    @Test
    void expandsAManifestOnlyJar() throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib dir"));
        Path a = Files.createFile(lib.resolve("a.jar"));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH,
                a.toUri() + " " + dir.relativize(classes) + "/");
        Path booter = dir.resolve("booter.jar");
        try (OutputStream out = Files.newOutputStream(booter); JarOutputStream jar = new JarOutputStream(out, m)) {
            jar.flush();
        }
        assertThat(JavaCommand.manifestClassPath(booter)).containsExactly(a.toString(), classes.toString());
    }
}
