package io.clawgress.tproxy.l7;

/** The two HTTP versions the framers accept (RFC 9112 §2.3); anything else is refused. */
public enum HttpVersion {
    HTTP_1_0("HTTP/1.0"),
    HTTP_1_1("HTTP/1.1");

    private final String text;

    HttpVersion(String text) {
        this.text = text;
    }

    /** As on the wire: {@code HTTP/1.0} or {@code HTTP/1.1}. */
    public String text() {
        return text;
    }
}
