package io.clawgress.enforcement.bundle;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Crafts tar and gzip bytes exactly as told, including what a bundle must never contain. */
final class Tars {

    record Entry(String name, byte type, byte[] content, String linkName) {
        static Entry file(String name, String content) {
            return new Entry(name, TarConstants.LF_NORMAL, content.getBytes(StandardCharsets.UTF_8), "");
        }

        static Entry file(String name, byte[] content) {
            return new Entry(name, TarConstants.LF_NORMAL, content, "");
        }

        static Entry dir(String name) {
            return new Entry(name, TarConstants.LF_DIR, new byte[0], "");
        }

        static Entry special(String name, byte type, String linkName) {
            return new Entry(name, type, new byte[0], linkName);
        }
    }

    private Tars() {
    }

    /** The entries of an unpacked bundle, {@code .signatures.json} first, ready to be altered and re-packed. */
    static List<Entry> entriesOf(UnpackedBundle bundle) {
        List<Entry> entries = new ArrayList<>();
        entries.add(Entry.file(BundleFormat.SIGNATURES_FILE, bundle.signaturesJson()));
        bundle.files().forEach((name, bytes) -> entries.add(Entry.file(name, bytes.clone())));
        return entries;
    }

    static List<Entry> entries(byte[] signatures, Map<String, byte[]> files) {
        List<Entry> entries = new ArrayList<>();
        entries.add(Entry.file(BundleFormat.SIGNATURES_FILE, signatures));
        files.forEach((name, bytes) -> entries.add(Entry.file(name, bytes)));
        return entries;
    }

    static byte[] tar(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry entry = new TarArchiveEntry(e.name(), e.type(), true);
                if (!e.linkName().isEmpty()) {
                    entry.setLinkName(e.linkName());
                }
                entry.setSize(e.type() == TarConstants.LF_NORMAL ? e.content().length : 0);
                tar.putArchiveEntry(entry);
                if (e.type() == TarConstants.LF_NORMAL) {
                    tar.write(e.content());
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] tarGz(List<Entry> entries) {
        return gzip(tar(entries));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
