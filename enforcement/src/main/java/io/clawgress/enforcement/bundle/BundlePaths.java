package io.clawgress.enforcement.bundle;

import io.clawgress.enforcement.bundle.BundleException.Reason;

/**
 * The one path rule for bundle members, applied to tar entry names, to the manifest's file list and by the builder.
 * A path is canonical or refused; nothing is silently normalised, so two spellings of one file cannot both exist.
 * Accepted: relative, {@code /}-separated, non-empty segments that are not {@code .} or {@code ..}, no backslash,
 * no NUL or other control character, no U+FFFD (a name that was not valid UTF-8), at most the configured length.
 */
public final class BundlePaths {

    private BundlePaths() {
    }

    /** Returns {@code path} when canonical, else throws {@link Reason#BAD_PATH} saying which rule it broke. */
    public static String requireValid(String path, int maxLength) throws BundleException {
        if (path == null || path.isEmpty()) {
            throw bad(path, "empty path");
        }
        if (path.length() > maxLength) {
            throw new BundleException(Reason.BAD_PATH, "path of " + path.length() + " chars starting "
                    + quote(path.substring(0, 40)) + " (expected: at most " + maxLength + ")");
        }
        if (path.startsWith("/")) {
            throw bad(path, "absolute path (expected: relative to the bundle root)");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\') {
                throw bad(path, "backslash (expected: '/' as the only separator)");
            }
            if (c < 0x20 || c == 0x7f) {
                throw bad(path, "control character 0x" + Integer.toHexString(c));
            }
            if (c == '\uFFFD') {
                throw bad(path, "not valid UTF-8");
            }
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                throw bad(path, "empty segment (expected: no leading, trailing or doubled '/')");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw bad(path, "'" + segment + "' segment (expected: no '.' or '..')");
            }
        }
        return path;
    }

    private static BundleException bad(String path, String why) {
        return new BundleException(Reason.BAD_PATH, "path " + quote(path) + ": " + why);
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().limit(300).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || cp == '"' || cp == '\\') {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.append('"').toString();
    }
}
