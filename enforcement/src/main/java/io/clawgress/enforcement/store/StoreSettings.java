package io.clawgress.enforcement.store;

/**
 * Sizing of a {@link PolicyStore}.
 *
 * @param mapSizeBytes the LMDB map size: the most the data file may grow to. It must hold every retained generation
 *                     plus one more while a commit is in flight (LMDB copies on write), plus the history
 * @param generations  bundles kept, newest by activation first; the active one is never deleted
 * @param maxHistory   activation history entries kept; the oldest are deleted in the transaction that appends
 */
public record StoreSettings(long mapSizeBytes, int generations, int maxHistory) {

    public static final long MIB = 1024L * 1024L;

    /** 256 MiB map, 5 generations, 1000 history entries. */
    public static final StoreSettings DEFAULTS = new StoreSettings(256 * MIB, 5, 1000);

    public StoreSettings {
        if (mapSizeBytes < MIB || mapSizeBytes > 64L * 1024 * MIB) {
            throw new IllegalArgumentException(
                    "mapSizeBytes: " + mapSizeBytes + " (expected: >= " + MIB + " and <= " + 64L * 1024 * MIB + ")");
        }
        if (generations < 1 || generations > 1000) {
            throw new IllegalArgumentException("generations: " + generations + " (expected: >= 1 and <= 1000)");
        }
        if (maxHistory < 1 || maxHistory > 1_000_000) {
            throw new IllegalArgumentException("maxHistory: " + maxHistory + " (expected: >= 1 and <= 1000000)");
        }
    }
}
