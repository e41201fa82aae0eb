package io.clawgress.appliance.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Group names to gids (through {@code getent}, so NSS sources such as LDAP count, as they do for file permissions),
 * and the groups of a connected process (its {@code /proc/PID/status}). Runs at start and on admin worker threads.
 */
final class Groups {

    private Groups() {
    }

    /** A numeric gid as is; a name through {@code getent group NAME}. */
    static int resolve(String group, String key) throws IOException {
        if (group.chars().allMatch(Character::isDigit)) {
            try {
                return Integer.parseUnsignedInt(group);
            } catch (NumberFormatException e) {
                throw new IOException(key + ": " + group + " (expected: a gid below 2^32)");
            }
        }
        Process p = new ProcessBuilder("getent", "group", group).redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8).trim();
        }
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(key + ": looking up group '" + group + "' timed out (getent)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(key + ": interrupted looking up group '" + group + "'", e);
        }
        if (p.exitValue() == 2) {
            throw new IOException(key + ": no group '" + group + "' on this system (create it: groupadd --system "
                    + group + "; or name another group, or a numeric gid)");
        }
        String[] fields = out.split(":", -1);
        if (p.exitValue() != 0 || fields.length < 3) {
            throw new IOException(key + ": cannot look up group '" + group + "' (getent exit " + p.exitValue() + ": "
                    + out.lines().findFirst().orElse("") + ")");
        }
        try {
            return Integer.parseUnsignedInt(fields[2]);
        } catch (NumberFormatException e) {
            throw new IOException(key + ": getent gave group '" + group + "' the gid '" + fields[2] + "'");
        }
    }

    /**
     * The effective and supplementary groups of process {@code pid}, if it still runs as {@code uid}; otherwise only
     * {@code gid} (fail closed: a process that exited or changed identity gets no supplementary groups).
     */
    static int[] of(int pid, int uid, int gid, Path proc) {
        if (pid <= 0) {
            return new int[] {gid};
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(proc.resolve(Integer.toString(pid)).resolve("status"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new int[] {gid}; // exited (NoSuchFileException) or unreadable: no supplementary groups
        }
        int[] uids = null;
        int[] groups = null;
        for (String line : lines) {
            if (line.startsWith("Uid:")) {
                uids = numbers(line.substring(4));
            } else if (line.startsWith("Groups:")) {
                groups = numbers(line.substring(7));
            }
        }
        // Uid: real, effective, saved, filesystem. SO_PEERCRED reports the effective uid at connect time.
        if (uids == null || uids.length < 2 || uids[1] != uid || groups == null) {
            return new int[] {gid};
        }
        int[] all = new int[groups.length + 1];
        all[0] = gid;
        System.arraycopy(groups, 0, all, 1, groups.length);
        return all;
    }

    private static int[] numbers(String text) {
        List<Integer> out = new ArrayList<>();
        for (String s : text.trim().split("\\s+")) {
            if (s.isEmpty()) {
                continue;
            }
            try {
                out.add(Integer.parseUnsignedInt(s));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
