package io.clawgress.appliance.admin;

/**
 * An expected failure of an admin call, answered as {@code {"error":{"status":S,"code":C,"message":M}}}: a code
 * scripts can test and a message people can read.
 */
public final class AdminException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    public AdminException(int status, String code, String message) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 400..599)");
        }
        this.status = status;
        this.code = java.util.Objects.requireNonNull(code, "code");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static AdminException badRequest(String message) {
        return new AdminException(400, "bad_request", message);
    }

    public static AdminException notFound(String message) {
        return new AdminException(404, "not_found", message);
    }

    public static AdminException conflict(String message) {
        return new AdminException(409, "conflict", message);
    }

    public static AdminException unavailable(String message) {
        return new AdminException(503, "unavailable", message);
    }
}
