package io.clawgress.appliance.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The admin API on a unix socket (docs/admin-api.md): HTTP/1.1 + JSON, authorised by the caller's credentials
 * (SO_PEERCRED). The socket file is mode 0660, owned by {@code group}; members of {@code group} may read, members of
 * {@code adminGroup} (and root) may also change things. A group is a name or a numeric gid.
 *
 * @param enabled    false: no socket at all (clawgressctl's online verbs then fail with "daemon not reachable")
 * @param socket     the socket's path; its directory is created (mode 0755) when missing
 * @param group      the socket file's group: its members may read
 * @param adminGroup its members may also change things
 */
public record AdminSettings(boolean enabled, Path socket, String group, String adminGroup) {

    public static final Path DEFAULT_SOCKET = Path.of("/run/clawgress/admin.sock");
    public static final String DEFAULT_GROUP = "clawgress";
    public static final String DEFAULT_ADMIN_GROUP = "clawgress-admin";
    /** POSIX portable group names (and numeric gids); useradd's default NAME_REGEX allows a trailing '$'. */
    static final Pattern GROUP = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?|[0-9]{1,10}");
    /** sun_path is 108 bytes including the terminating NUL. */
    public static final int MAX_SOCKET_PATH_BYTES = 107;

    public AdminSettings {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(adminGroup, "adminGroup");
        if (!socket.isAbsolute()) {
            throw new IllegalArgumentException("socket: " + socket + " (expected: an absolute path)");
        }
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("socket: " + socket + " (expected: at most " + MAX_SOCKET_PATH_BYTES
                    + " bytes, the limit of a unix socket address)");
        }
        if (!GROUP.matcher(group).matches()) {
            throw new IllegalArgumentException("group: " + group + " (expected: a group name or a numeric gid)");
        }
        if (!GROUP.matcher(adminGroup).matches()) {
            throw new IllegalArgumentException("adminGroup: " + adminGroup
                    + " (expected: a group name or a numeric gid)");
        }
    }

    public static AdminSettings defaults() {
        return new AdminSettings(true, DEFAULT_SOCKET, DEFAULT_GROUP, DEFAULT_ADMIN_GROUP);
    }
}
