package io.clawgress.appliance.daemon;

import io.clawgress.api.FlowDecider;
import io.clawgress.appliance.Version;
import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.enforcement.flowlog.JsonLinesFlowLog;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.enforcement.staticpolicy.StaticPolicyDecider;
import io.clawgress.tproxy.TransparentProxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;

/**
 * The running daemon: the only place that wires concrete classes together. Start order: flow log (records must
 * have somewhere to go), decider, listener; stop order is the reverse, so every flow's record is written.
 */
public final class Clawgressd implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Clawgressd.class);
    public static final String READY_MESSAGE = "clawgressd ready";
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final JsonLinesFlowLog flowLog;
    private final TransparentProxy proxy;

    private Clawgressd(JsonLinesFlowLog flowLog, TransparentProxy proxy) {
        this.flowLog = flowLog;
        this.proxy = proxy;
    }

    /**
     * Starts everything or nothing.
     *
     * @param policyRevision names the static policy in every decision
     * @throws StartException with an operator-readable reason
     */
    public static Clawgressd start(ClawgressConfig config, String policyRevision) throws StartException {
        JsonLinesFlowLog flowLog;
        try {
            flowLog = JsonLinesFlowLog.open(config.flowLog(), Clock.systemUTC());
        } catch (IOException e) {
            throw new StartException(e.getMessage(), e);
        }
        FlowDecider decider = new StaticPolicyDecider(config.staticPolicy(), policyRevision);
        if (config.staticPolicy().bindings().isEmpty() || config.staticPolicy().rules().isEmpty()) {
            log.warn("static_policy has no bindings or no rules: every connection will be denied");
        }
        TransparentProxy proxy;
        try {
            proxy = TransparentProxy.start(config.proxy(), decider, flowLog);
        } catch (TransparentProxy.ListenerException e) {
            flowLog.close();
            throw new StartException(e.getMessage(), e);
        }
        log.info("{}: version {}, listening on {} ({}), policy {}, flow log {}", READY_MESSAGE, Version.get(),
                Addresses.hostPort(config.proxy().listen()), proxy.transport().code(), policyRevision,
                config.flowLog().path());
        return new Clawgressd(flowLog, proxy);
    }

    public TransparentProxy proxy() {
        return proxy;
    }

    /** Stops accepting, ends open flows ({@code shutdown}), writes their records, closes the flow log. */
    @Override
    public void close() {
        log.info("clawgressd stopping: {} open connection(s)", proxy.openConnections());
        proxy.stop(STOP_GRACE);
        flowLog.close(STOP_GRACE.toMillis());
        if (flowLog.dropped() > 0) {
            log.error("flow log dropped {} record(s) (queue full)", flowLog.dropped());
        }
        log.info("clawgressd stopped: {} flow record(s) written; flows by termination: {}", flowLog.written(),
                proxy.terminationCounts().summary());
    }

    /** The daemon could not start. */
    public static final class StartException extends Exception {
        public StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
