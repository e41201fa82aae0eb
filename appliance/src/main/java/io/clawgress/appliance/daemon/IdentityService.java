package io.clawgress.appliance.daemon;

import io.clawgress.api.AuthMethod;
import io.clawgress.appliance.config.IdentitySettings;
import io.clawgress.enforcement.activation.ActivePolicy;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtSettings;
import io.clawgress.enforcement.identity.jwt.JwtVerifier;
import io.clawgress.intercept.ca.AgentCertIssuer;
import io.clawgress.intercept.ca.AgentIdentities;
import io.clawgress.intercept.ca.AgentIdentityResult;
import io.clawgress.intercept.ca.CaException;
import io.clawgress.intercept.ca.InterceptCa;
import io.clawgress.intercept.ca.InterceptIssuer;
import io.clawgress.intercept.ca.InterceptNames;
import io.clawgress.intercept.ca.LeafMinter;
import io.clawgress.tproxy.gate.CryptoPool;
import io.clawgress.tproxy.gate.GateSettings;
import io.clawgress.tproxy.identity.ClientCertIdentifier;
import io.clawgress.tproxy.identity.IdentityCheck;
import io.clawgress.tproxy.identity.TokenIdentifier;
import io.clawgress.tproxy.intercept.InterceptServices;
import io.clawgress.tproxy.intercept.LeafSource;
import io.clawgress.tproxy.intercept.ServerTls;
import io.clawgress.tproxy.intercept.UpstreamTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Agent identity and TLS interception for the data path, wired from {@link IdentitySettings} and kept in step with
 * the active policy:
 * <ul>
 *   <li>JWTs: a {@link JwtVerifier} over the active bundle's key set ({@code identity/jwt-keys.json}), rebuilt when
 *       a bundle with other keys is activated;</li>
 *   <li>client certificates: chained to the agents' CA in {@code state_dir/intercept-ca} (created at first start),
 *       naming an agent the registry knows;</li>
 *   <li>leaves: an intermediate whose nameConstraints are exactly the names the active bundle intercepts,
 *       re-issued when they change (and checked hourly for half life), minting leaves off the event loops.</li>
 * </ul>
 */
final class IdentityService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IdentityService.class);
    private static final Duration INTERMEDIATE_CHECK = Duration.ofHours(1);

    private final IdentitySettings settings;
    private final Clock clock;
    private final ExecutorService crypto;
    private final InterceptIssuer issuer;
    /** The agents' CA and the checker built on it, swapped together by a reload; null when not requested. */
    private volatile AgentsCa agentsCa;
    private final Path caDir;
    private final Supplier<AgentDirectory> agents;
    private final UpstreamTls upstreamTls;
    private final ScheduledExecutorService timer;
    private volatile JwtVerifier jwt;
    private volatile InterceptNames intercepted = InterceptNames.NONE;

    private record AgentsCa(X509Certificate certificate, AgentIdentities identities) {
    }

    private IdentityService(IdentitySettings settings, Clock clock, ExecutorService crypto, InterceptIssuer issuer,
                            AgentIdentities agentCerts, X509Certificate agentsCa, Supplier<AgentDirectory> agents,
                            UpstreamTls upstreamTls, Path caDir) {
        this.agentsCa = agentCerts == null ? null : new AgentsCa(agentsCa, agentCerts);
        this.caDir = caDir;
        this.settings = settings;
        this.clock = clock;
        this.crypto = crypto;
        this.issuer = issuer;
        this.agents = agents;
        this.upstreamTls = upstreamTls;
        this.jwt = new JwtVerifier(JwtKeySet.EMPTY, jwtSettings(settings));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "clawgress-intercept-ca");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the intercept CA and the agents' CA in {@code stateDir} (creating them at first start), builds the
     * upstream TLS client, and takes the active policy's JWT keys and intercepted names. Blocking: call at start.
     */
    static IdentityService start(IdentitySettings settings, Path stateDir, Supplier<AgentDirectory> agents,
                                 ActivePolicy active, Clock clock) throws Clawgressd.StartException {
        Path caDir = InterceptCa.directoryIn(stateDir);
        InterceptCa ca;
        AgentIdentities agentCerts = null;
        X509Certificate agentsCaCert = null;
        try {
            ca = InterceptCa.openOrCreate(caDir, clock);
            if (settings.clientCertificates()) {
                AgentCertIssuer agentsCa = AgentCertIssuer.openOrCreate(caDir, settings.trustDomain(), clock);
                agentsCaCert = agentsCa.caCertificate();
                agentCerts = new AgentIdentities(agentsCaCert, settings.trustDomain(), clock);
            }
        } catch (CaException e) {
            throw new Clawgressd.StartException("intercept CA " + caDir + ": " + e.getMessage(), e);
        }
        UpstreamTls upstream;
        try {
            upstream = UpstreamTls.create(new UpstreamTls.Settings(settings.upstreamCa(),
                    settings.upstreamHandshakeTimeout()));
        } catch (SSLException e) {
            throw new Clawgressd.StartException("intercept.upstream_ca " + settings.upstreamCa() + ": "
                    + e.getMessage(), e);
        }
        InterceptIssuer issuer = new InterceptIssuer(ca, LeafMinter.Settings.DEFAULTS,
                InterceptCa.DEFAULT_INTERMEDIATE_LIFETIME, clock);
        IdentityService service = new IdentityService(settings, clock, CryptoPool.create("clawgress-crypto"), issuer,
                agentCerts, agentsCaCert, agents, upstream, caDir);
        service.policyActivated(active);
        service.timer.scheduleWithFixedDelay(service::checkIntermediate, INTERMEDIATE_CHECK.toMillis(),
                INTERMEDIATE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        log.info("identity: JWT header {}, client certificates {} (trust domain {}), upstream TLS via {} ({}),"
                        + " intercepting {}", settings.jwtHeader(), settings.clientCertificates() ? "requested" : "off",
                settings.trustDomain(), upstream.provider(),
                settings.upstreamCa() != null ? "CA " + settings.upstreamCa() : "system trust store",
                service.intercepted.isEmpty() ? "nothing" : service.intercepted.patterns());
        return service;
    }

    private static JwtSettings jwtSettings(IdentitySettings s) {
        return JwtSettings.DEFAULTS.withHeader(s.jwtHeader(), JwtSettings.DEFAULT_SCHEME)
                .withClockSkew(s.jwtClockSkew());
    }

    /**
     * A new policy is active (activation thread, or start): new JWT keys, and an intermediate for the names it
     * intercepts. Key generation happens here, off the event loops.
     */
    void policyActivated(ActivePolicy active) {
        JwtKeySet keys = active.jwtKeys();
        if (keys != jwt.keySet()) {
            jwt = new JwtVerifier(keys, jwtSettings(settings));
        }
        InterceptNames names;
        try {
            names = InterceptNames.of(active.snapshot().interceptPatterns());
        } catch (IllegalArgumentException e) {
            log.error("revision {}: its intercepted names cannot go into an intermediate ({}); nothing is"
                    + " intercepted (intercept verdicts fail closed)", active.revision(), e.getMessage());
            names = InterceptNames.NONE;
        }
        intercepted = names;
        try {
            if (issuer.refresh(names)) {
                log.info("intercept intermediate {} for {}", names.isEmpty() ? "dropped" : "issued",
                        names.isEmpty() ? "revision " + active.revision() : names.patterns());
            }
        } catch (RuntimeException e) {
            log.error("cannot issue the intercept intermediate for {}: intercept verdicts fail closed",
                    names.patterns(), e);
        }
    }

    private void checkIntermediate() {
        try {
            if (issuer.refresh(intercepted)) {
                log.info("intercept intermediate re-issued at half life for {}", intercepted.patterns());
            }
        } catch (RuntimeException e) {
            log.error("cannot re-issue the intercept intermediate", e);
        }
    }

    /** The L7 gate's settings: token verification with the active keys, the configured header. */
    GateSettings gateSettings() {
        return GateSettings.defaults(crypto).withTokens(new Tokens());
    }

    /** The SPIFFE trust domain of agent certificates ({@code identity.trust_domain}; a change needs a restart). */
    String trustDomain() {
        return settings.trustDomain();
    }

    /** What interception needs. */
    InterceptServices interceptServices() {
        ServerTls server = new ServerTls(this::leaf, agentsCa == null ? null : new ClientCerts());
        return new InterceptServices(upstreamTls, server, crypto);
    }

    private CompletableFuture<LeafSource.Leaf> leaf(String sni, java.util.concurrent.Executor offLoop) {
        return issuer.current()
                .map(m -> m.mint(sni, offLoop).thenApply(l -> new LeafSource.Leaf(l.privateKey(), l.chain())))
                .orElseGet(() -> CompletableFuture.failedFuture(new IllegalStateException(
                        "no intercept intermediate: the active policy intercepts no name")));
    }

    private final class Tokens implements TokenIdentifier {
        @Override
        public String headerName() {
            return settings.jwtHeader();
        }

        @Override
        public IdentityCheck cached(String headerValue) {
            JwtVerifier.Verified v = jwt.cached(headerValue, clock.instant());
            return v == null ? null : new IdentityCheck.Proven(v.identity());
        }

        @Override
        public IdentityCheck verify(String headerValue) {
            return switch (jwt.verify(headerValue, clock.instant())) {
                case JwtVerifier.Verified v -> new IdentityCheck.Proven(v.identity());
                case JwtVerifier.Refused r -> new IdentityCheck.Refused(r.reasonCode(), r.message());
            };
        }
    }

    private final class ClientCerts implements ClientCertIdentifier {
        @Override
        public X509Certificate[] acceptedIssuers() {
            return new X509Certificate[] {agentsCa.certificate()};
        }

        @Override
        public IdentityCheck identify(Certificate[] chain) {
            return switch (agentsCa.identities().identify(chain)) {
                case AgentIdentityResult.Identified id -> {
                    AgentRecord agent = agents.get().lookup(id.agentId());
                    if (agent == null) {
                        yield new IdentityCheck.Refused("agent_unknown", "the client certificate names agent "
                                + id.agentId() + ", which is not registered on this gateway");
                    }
                    yield new IdentityCheck.Proven(agent.identity(AuthMethod.MTLS));
                }
                case AgentIdentityResult.Rejected r -> {
                    log.debug("client certificate rejected: {}: {}", r.reason(), r.detail());
                    yield new IdentityCheck.Refused(r.reason(), "the client certificate was not accepted ("
                            + r.reason() + ")");
                }
            };
        }
    }

    /**
     * Reload (reload thread): re-reads the upstream CA file (or the system trust store) with {@code next}'s
     * {@code upstream_ca} and handshake timeout, and the agents' CA certificate in {@code state_dir/intercept-ca}.
     * Both apply to connections made after this; open ones keep what they were verified with. Client certificates
     * are checked against a new agents' CA at once; the CA name the gateway advertises in its CertificateRequest
     * follows as minted leaves' contexts are rebuilt.
     *
     * @return what took effect
     * @throws Reloader.PartFailure when a file cannot be used; then nothing changed
     */
    synchronized java.util.List<String> reload(IdentitySettings next) throws Reloader.PartFailure {
        AgentsCa current = agentsCa;
        AgentsCa fresh = null;
        if (current != null) {
            X509Certificate ca;
            try {
                ca = AgentCertIssuer.readCaCertificate(caDir);
            } catch (CaException e) {
                throw new Reloader.PartFailure("agents' CA " + caDir.resolve(AgentCertIssuer.CERT_FILE) + ": "
                        + e.getMessage());
            }
            if (!ca.equals(current.certificate())) {
                fresh = new AgentsCa(ca, new AgentIdentities(ca, settings.trustDomain(), clock));
            }
        }
        UpstreamTls.Settings upstream = new UpstreamTls.Settings(next.upstreamCa(), next.upstreamHandshakeTimeout());
        try {
            upstreamTls.reload(upstream);
        } catch (SSLException | RuntimeException e) {
            throw new Reloader.PartFailure("intercept.upstream_ca " + (next.upstreamCa() != null ? next.upstreamCa()
                    : "(system trust store)") + ": " + e.getMessage());
        }
        java.util.List<String> applied = new java.util.ArrayList<>();
        applied.add("intercept.upstream_ca re-read for new upstream connections: " + (next.upstreamCa() != null
                ? next.upstreamCa().toString() : "system trust store"));
        if (fresh != null) {
            agentsCa = fresh;
            applied.add("agents' CA " + caDir.resolve(AgentCertIssuer.CERT_FILE) + " changed: client certificates"
                    + " are now checked against " + fresh.certificate().getSubjectX500Principal().getName());
        }
        return applied;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        crypto.shutdownNow();
    }
}
