package io.clawgress.enforcement.bundle;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The regular files of a bundle archive that passed every bound in {@link BundleReader}, not yet verified.
 *
 * @param files          path (validated by {@link BundlePaths}) to content, sorted by path (the map is unmodifiable;
 *                       the arrays are shared, use {@link #file(String)} for a copy); excludes
 *                       {@code .signatures.json}
 * @param signaturesJson the raw bytes of {@code .signatures.json}
 */
public record UnpackedBundle(Map<String, byte[]> files, byte[] signaturesJson) {

    public UnpackedBundle {
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(signaturesJson, "signaturesJson");
        TreeMap<String, byte[]> copy = new TreeMap<>();
        files.forEach((path, bytes) -> copy.put(Objects.requireNonNull(path, "path"),
                Objects.requireNonNull(bytes, "bytes of " + path).clone()));
        if (copy.containsKey(BundleFormat.SIGNATURES_FILE)) {
            throw new IllegalArgumentException("files: contains " + BundleFormat.SIGNATURES_FILE
                    + " (expected: it only in signaturesJson)");
        }
        files = Collections.unmodifiableMap(copy);
        signaturesJson = signaturesJson.clone();
    }

    /** A copy of one file's bytes, or {@code null} when absent. */
    public byte[] file(String path) {
        byte[] bytes = files.get(path);
        return bytes == null ? null : bytes.clone();
    }

    @Override
    public byte[] signaturesJson() {
        return signaturesJson.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof UnpackedBundle other) || !files.keySet().equals(other.files.keySet())) {
            return false;
        }
        for (var e : files.entrySet()) {
            if (!Arrays.equals(e.getValue(), other.files.get(e.getKey()))) {
                return false;
            }
        }
        return Arrays.equals(signaturesJson, other.signaturesJson);
    }

    @Override
    public int hashCode() {
        return files.keySet().hashCode() * 31 + Arrays.hashCode(signaturesJson);
    }

    @Override
    public String toString() {
        return "UnpackedBundle[files=" + files.keySet() + ", signaturesJson=" + signaturesJson.length + " bytes]";
    }
}
