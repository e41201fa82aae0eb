package io.clawgress.enforcement.bundle;

/**
 * Bounds applied while reading a bundle, before any signature is looked at: an unauthenticated archive must not be able
 * to make the gateway allocate or inflate more than these.
 *
 * @param maxCompressedBytes   the gzip stream as received
 * @param maxUncompressedBytes the inflated tar stream (every file's bytes plus tar headers and padding); inflation
 *                             stops as soon as this is passed, so a gzip bomb costs at most this much memory
 * @param maxEntries           tar entries (files, directories and {@code .signatures.json})
 * @param maxFileBytes         one file
 * @param maxPathLength        one path, in chars after UTF-8 decoding
 * @param maxSignaturesBytes   {@code .signatures.json}
 */
public record Limits(long maxCompressedBytes, long maxUncompressedBytes, int maxEntries, long maxFileBytes,
                     int maxPathLength, int maxSignaturesBytes) {

    public static final long MIB = 1024L * 1024L;
    /** Hard ceiling for any in-memory buffer: the bundle is held in memory as byte arrays. */
    public static final long CEILING = 1024L * MIB;

    /** 32 MiB compressed and uncompressed, 1000 entries, 16 MiB per file, 256-char paths, 64 KiB signatures. */
    public static final Limits DEFAULTS = new Limits(32 * MIB, 32 * MIB, 1000, 16 * MIB, 256, 64 * 1024);

    public Limits {
        positive("maxCompressedBytes", maxCompressedBytes, CEILING);
        positive("maxUncompressedBytes", maxUncompressedBytes, CEILING);
        positive("maxEntries", maxEntries, 1_000_000);
        positive("maxFileBytes", maxFileBytes, maxUncompressedBytes);
        positive("maxPathLength", maxPathLength, 4096);
        positive("maxSignaturesBytes", maxSignaturesBytes, maxFileBytes);
    }

    private static void positive(String name, long value, long max) {
        if (value <= 0 || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0 and <= " + max + ")");
        }
    }
}
