package io.clawgress.api;

/** How an agent's identity was established, weakest first (policies can demand a minimum). */
public enum AuthMethod {
    SUBNET("subnet"),
    API_KEY("api_key"),
    JWT("jwt"),
    MTLS("mtls");

    private final String code;

    AuthMethod(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
