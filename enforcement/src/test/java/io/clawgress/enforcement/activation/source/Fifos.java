package io.clawgress.enforcement.activation.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import static org.assertj.core.api.Assertions.assertThat;

/** Named pipes for tests, with coreutils' mkfifo (the JDK cannot make one). */
final class Fifos {

    private Fifos() {
    }

    static Path create(Path path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assertThat(p.waitFor()).as("mkfifo exit status").isZero();
        assertThat(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther())
                .as("%s is a FIFO", path).isTrue();
        return path;
    }
}
