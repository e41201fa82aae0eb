package io.clawgress.benchmarks.load.systems;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One of the systems the load benchmark compares. Each runs in the gateway namespace behind the same TPROXY rules
 * (the rules' {@code --on-port} pointed at its port), except {@code direct}, for which the rules are removed and the
 * gateway namespace simply routes.
 */
public interface SystemUnderTest extends AutoCloseable {

    /** How a scenario's TLS is handled by the system. */
    enum Mode {
        /** Decide on the ClientHello's SNI, then relay the bytes (Clawgress relay, HAProxy tcp, Squid splice). */
        PASSTHROUGH,
        /** Terminate the agent's TLS with a certificate minted for the SNI and open a verified upstream TLS. */
        INTERCEPT
    }

    /** The name in reports: {@code direct}, {@code clawgress-epoll}, ... */
    String name();

    /** The TPROXY target port for {@code mode}; empty for direct (no capture). */
    OptionalInt port(Mode mode);

    /** The processes whose CPU and memory are the system's (empty for direct). */
    List<Long> pids();

    /** Version, settings and anything a reader of the report needs to know about this system. */
    Map<String, String> describe();

    /** Heap in use in bytes where the system has a managed heap (the JVM), else -1. */
    default long heapUsedBytes() {
        return -1;
    }

    /** Stops the system's processes. */
    @Override
    void close();
}
