package io.clawgress.appliance.admin;

import java.util.Arrays;

/**
 * Who is on the other end of an admin connection, from the kernel (SO_PEERCRED at connect time) and, for the
 * supplementary groups, {@code /proc/PID/status} of that process.
 *
 * @param uid  effective uid when it connected
 * @param gid  effective gid when it connected
 * @param pid  its process id, or 0 when unknown (another pid namespace)
 * @param role what it may do
 */
public record Caller(int uid, int gid, int pid, Role role) {

    /** What a caller may do: root and the admin group change things, the socket's group reads, others nothing. */
    public enum Role {
        ADMIN, READER, NONE;

        public boolean mayRead() {
            return this != NONE;
        }

        public boolean mayChange() {
            return this == ADMIN;
        }
    }

    /**
     * The role of a caller: uid 0 is always an admin; otherwise membership of {@code adminGid} (primary or
     * supplementary), then of {@code readGid}.
     */
    public static Role roleOf(int uid, int[] groups, int adminGid, int readGid) {
        if (uid == 0) {
            return Role.ADMIN;
        }
        if (Arrays.stream(groups).anyMatch(g -> g == adminGid)) {
            return Role.ADMIN;
        }
        if (Arrays.stream(groups).anyMatch(g -> g == readGid)) {
            return Role.READER;
        }
        return Role.NONE;
    }
}
