package io.clawgress.tproxy.flow;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Flow ids unique across restarts and gateways in practice: a random 32-bit prefix per daemon run and a counter,
 * e.g. {@code 9f3a0c12-000000000000001b}. Cheap on the event loop: one atomic increment.
 */
public final class FlowIds {

    private final String prefix;
    private final AtomicLong counter = new AtomicLong();

    public FlowIds() {
        this(new SecureRandom().nextInt());
    }

    FlowIds(int prefix) {
        this.prefix = HexFormat.of().toHexDigits(prefix) + "-";
    }

    public String next() {
        return prefix + HexFormat.of().toHexDigits(counter.incrementAndGet());
    }
}
