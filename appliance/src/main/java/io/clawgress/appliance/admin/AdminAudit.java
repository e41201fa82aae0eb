package io.clawgress.appliance.admin;

/** Where the admin server reports every change call, allowed or not (the audit log, as an {@code admin} record). */
@FunctionalInterface
public interface AdminAudit {

    /**
     * Called on an admin worker thread after the answer is known; must not block for long or throw.
     *
     * @param target  what the call acted on (an agent id, a flow id, a revision), or {@code null}
     * @param outcome {@code ok}, {@code forbidden}, {@code refused} (a 4xx other than 403) or {@code failed} (5xx)
     * @param detail  the error message when it did not succeed, or {@code null}
     */
    void change(Caller caller, String method, String path, String action, String target, int status, String outcome,
                String detail);

    static String outcome(int status) {
        if (status < 400) {
            return "ok";
        }
        if (status == 403) {
            return "forbidden";
        }
        return status < 500 ? "refused" : "failed";
    }
}
