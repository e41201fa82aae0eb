package io.clawgress.enforcement.flowlog;

/** The one set of field names of a flow record (the audit record will reuse them). */
public final class FlowRecordFields {
    public static final String TYPE = "type";
    public static final String TIME = "time";
    public static final String FLOW_ID = "flow_id";
    public static final String START = "start";
    public static final String SOURCE = "source";
    public static final String ORIGINAL_DESTINATION = "original_destination";
    public static final String IDENTITY = "identity";
    public static final String AGENT_ID = "agent_id";
    public static final String TEAM_ID = "team_id";
    public static final String PROJECT_ID = "project_id";
    public static final String ENVIRONMENT = "environment";
    public static final String TRUST_TIER = "trust_tier";
    public static final String AUTH = "auth";
    public static final String VERDICT = "verdict";
    public static final String REASON = "reason";
    public static final String RULE = "rule";
    public static final String POLICY_REVISION = "policy_revision";
    public static final String BYTES_UP = "bytes_up";
    public static final String BYTES_DOWN = "bytes_down";
    public static final String DURATION_MS = "duration_ms";
    public static final String TERMINATION = "termination";
    public static final String DETAIL = "detail";
    public static final String DROPPED = "dropped";
    public static final String PEEK = "peek";
    public static final String SNI = "sni";
    public static final String ALPN = "alpn";
    public static final String ECH_OFFERED = "ech_offered";
    public static final String HTTP_HOST = "http_host";
    public static final String HTTP_METHOD = "http_method";
    public static final String HTTP_TARGET = "http_target";
    public static final String DIALLED = "dialled";

    public static final String TYPE_FLOW = "flow";
    public static final String TYPE_GAP = "gap";
    public static final String TYPE_REQUEST = "request";
    public static final String POLICY = "policy";
    public static final String MODE = "mode";
    public static final String WOULD_DENY = "would_deny";
    public static final String WOULD_LIMIT = "would_limit";
    public static final String SEQUENCE = "sequence";
    public static final String STATUS = "status";
    public static final String UPSTREAM_STATUS = "upstream_status";
    public static final String CODE = "code";

    private FlowRecordFields() {
    }
}
