package io.clawgress.appliance.daemon;

import io.clawgress.appliance.config.PolicySettings;
import io.clawgress.enforcement.activation.ActivationResult;
import io.clawgress.enforcement.activation.Activator;
import io.clawgress.enforcement.activation.ActivePolicy;
import io.clawgress.enforcement.activation.source.BundleFileSource;
import io.clawgress.enforcement.activation.source.BundleUrlSource;
import io.clawgress.enforcement.activation.source.DropDirectorySource;
import io.clawgress.enforcement.activation.source.SslContexts;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentDirectoryWatcher;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.BundleException;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.TrustedKey;
import io.clawgress.enforcement.bundle.TrustedKeys;
import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.identity.jwt.JwtKeySetException;
import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicyException;
import io.clawgress.enforcement.policy.PolicyParser;
import io.clawgress.enforcement.policy.PolicySet;
import io.clawgress.enforcement.policy.PolicySnapshot;
import io.clawgress.enforcement.store.PolicyStore;
import io.clawgress.enforcement.store.StoreException;
import io.clawgress.enforcement.store.StoreSettings;
import io.clawgress.intercept.ca.CaException;
import io.clawgress.intercept.ca.InterceptCa;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The daemon's policy: the store, the activator and the bundle sources, wired from {@link PolicySettings}. Three
 * ways to run, chosen by the config:
 * <ul>
 *   <li>signed (trusted keys set): last-known-good restored from the store, then the configured bundle file, the
 *       drop directory and the bundle URL feed the activator;</li>
 *   <li>no policy section: deny everything (fail closed), loudly;</li>
 *   <li>{@code unsafe_unsigned_policy_dir}: development only, a directory enforced without signature, louder.</li>
 * </ul>
 */
final class PolicyService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PolicyService.class);

    private final AtomicReference<ActivePolicy> fixed;
    private final Activator activator;
    private final PolicyStore store;
    /** As configured; a reload replaces it (trusted keys and sources only: {@link #reloadSources}). */
    private volatile PolicySettings settings;
    private final Clock clock;
    /** The running bundle sources; replaced as a whole by a reload while status may read it. */
    private final List<AutoCloseable> sources = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AgentRegistry registry;
    private final AgentDirectoryWatcher agents;
    private volatile Consumer<Set<String>> onAgentsDisabled = ids -> { };

    private PolicyService(PolicySettings settings, Clock clock, AtomicReference<ActivePolicy> fixed,
                          Activator activator, PolicyStore store, AgentRegistry registry,
                          AgentDirectoryWatcher agents) {
        this.settings = settings;
        this.clock = clock;
        this.fixed = fixed;
        this.activator = activator;
        this.store = store;
        this.registry = registry;
        this.agents = agents;
    }

    /**
     * Opens the store and enforces the last-known-good (or deny-all) before anything listens. Blocks the caller.
     *
     * @throws Clawgressd.StartException when the state directory or the store cannot be opened, or the unsafe
     *                                   directory does not parse
     */
    static PolicyService start(PolicySettings settings, Clock clock) throws Clawgressd.StartException {
        Objects.requireNonNull(settings, "settings");
        if (settings.unsafeDir().isPresent()) {
            ActivePolicy unsigned = unsigned(settings.unsafeDir().get(), clock);
            AgentRegistry registry = openRegistry(settings);
            return withAgents(registry, r -> new PolicyService(settings, clock, new AtomicReference<>(unsigned), null,
                    null, registry, r));
        }
        if (settings.trustedKeys() == null) {
            log.warn("no policy.trusted_keys in the config: no signed bundle can be activated and every connection"
                    + " will be denied (docs/config.md#policy)");
            return new PolicyService(settings, clock, new AtomicReference<>(ActivePolicy.denyAll(clock.instant())),
                    null, null, null, null);
        }
        try {
            TrustedKeys keys = TrustedKeys.read(settings.trustedKeys());
            if (keys.size() == 0) {
                // The package ships an empty key set: nothing can be activated until the operator adds a key.
                log.warn("trusted keys {}: no keys, so every bundle is refused and every connection denied until"
                        + " a key is added (re-read for every activation, no restart needed; docs/bundles.md)",
                        settings.trustedKeys());
            } else {
                log.info("trusted keys {}: {} key(s) {}; re-read for every activation", settings.trustedKeys(),
                        keys.size(), keys.keys().stream().map(TrustedKey::kid).toList());
            }
        } catch (IOException | BundleException e) {
            throw new Clawgressd.StartException("policy.trusted_keys " + settings.trustedKeys() + ": "
                    + e.getMessage(), e);
        }
        PolicyStore store = openStore(settings);
        AgentRegistry registry;
        try {
            registry = openRegistry(settings);
        } catch (Clawgressd.StartException e) {
            store.close();
            throw e;
        }
        Activator activator = new Activator(store, settings.trustedKeys(), limits(settings), clock);
        ActivationResult restored = activator.restore();
        log.info("policy store {}: {}", settings.storeDir(), restored);
        try {
            return withAgents(registry, r -> new PolicyService(settings, clock, null, activator, store, registry, r));
        } catch (Clawgressd.StartException e) {
            activator.close();
            store.close();
            throw e;
        }
    }

    private static void createStateDir(PolicySettings settings) throws Clawgressd.StartException {
        Path stateDir = settings.stateDir();
        try {
            if (!Files.isDirectory(stateDir)) {
                Files.createDirectories(stateDir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new Clawgressd.StartException("cannot create state_dir " + stateDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The intercept CA lives in the state directory from the first start on, so operators can hand it to agents
     * ({@code clawgressctl ca export}) before any rule intercepts. Key generation: called at start, never on a loop.
     */
    private static void ensureInterceptCa(PolicySettings settings, Clock clock) throws Clawgressd.StartException {
        Path dir = InterceptCa.directoryIn(settings.stateDir());
        try {
            InterceptCa ca = InterceptCa.openOrCreate(dir, clock);
            if (ca.created()) {
                log.info("intercept CA created in {}: give agents its certificate (clawgressctl ca export) before"
                        + " any rule intercepts their TLS", dir);
            }
        } catch (CaException e) {
            throw new Clawgressd.StartException("intercept CA " + dir + ": " + e.getMessage(), e);
        }
    }

    private static AgentRegistry openRegistry(PolicySettings settings) throws Clawgressd.StartException {
        createStateDir(settings);
        ensureInterceptCa(settings, Clock.systemUTC());
        Path dir = AgentRegistry.directoryIn(settings.stateDir());
        try {
            return AgentRegistry.open(dir);
        } catch (AgentRegistryException e) {
            throw new Clawgressd.StartException("cannot open the agent registry " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Starts the registry watcher, whose listener reaches the service once it exists. */
    private static PolicyService withAgents(AgentRegistry registry,
                                            java.util.function.Function<AgentDirectoryWatcher, PolicyService> make)
            throws Clawgressd.StartException {
        AtomicReference<PolicyService> self = new AtomicReference<>();
        AgentDirectoryWatcher watcher;
        try {
            watcher = AgentDirectoryWatcher.start(registry, AgentDirectoryWatcher.DEFAULT_PERIOD, (before, now) -> {
                PolicyService s = self.get();
                if (s != null) {
                    s.agentsChanged(before, now);
                }
            });
        } catch (AgentRegistryException e) {
            registry.close();
            throw new Clawgressd.StartException("cannot read the agent registry " + registry.directory() + ": "
                    + e.getMessage(), e);
        }
        PolicyService service = make.apply(watcher);
        self.set(service);
        log.info("agent registry {}: {} agent(s), generation {}; polled every {} ms", registry.directory(),
                watcher.current().size(), watcher.current().generation(),
                AgentDirectoryWatcher.DEFAULT_PERIOD.toMillis());
        return service;
    }

    /** On the watcher's thread: agents newly disabled (or removed) are denied from now on, open flows included. */
    private void agentsChanged(AgentDirectory before, AgentDirectory now) {
        Set<String> off = now.deactivatedSince(before);
        if (!off.isEmpty()) {
            log.info("agent registry generation {}: disabled {}", now.generation(), off);
            onAgentsDisabled.accept(off);
        }
    }

    /** What decisions read for agent status: the registry's latest directory, or none. */
    Supplier<AgentDirectory> agentDirectory() {
        AgentDirectoryWatcher w = agents;
        return w != null ? w::current : () -> AgentDirectory.EMPTY;
    }

    private static PolicyStore openStore(PolicySettings settings) throws Clawgressd.StartException {
        createStateDir(settings);
        // Room for every kept generation at the largest size, plus history and LMDB's own pages.
        long mapSize = (settings.generations() + 2L) * settings.maxBundleBytes() + 64L * StoreSettings.MIB;
        try {
            return PolicyStore.open(settings.storeDir(), new StoreSettings(mapSize, settings.generations(),
                    StoreSettings.DEFAULTS.maxHistory()));
        } catch (StoreException e) {
            throw new Clawgressd.StartException("cannot open the policy store " + settings.storeDir() + ": "
                    + e.getMessage(), e);
        }
    }

    private static Limits limits(PolicySettings s) {
        long max = s.maxBundleBytes();
        Limits d = Limits.DEFAULTS;
        return new Limits(max, max, d.maxEntries(), Math.min(d.maxFileBytes(), max), d.maxPathLength(),
                (int) Math.min(d.maxSignaturesBytes(), max));
    }

    private static ActivePolicy unsigned(Path dir, Clock clock) throws Clawgressd.StartException {
        Map<String, byte[]> files;
        PolicySet set;
        try {
            // Read like a bundle (every *.yaml at any depth), as `clawgressctl bundle build --dir` would pack it.
            files = BundleBuilder.readDirectory(dir.toRealPath());
            set = PolicyParser.parseBundleFiles(files);
        } catch (IOException e) {
            throw new Clawgressd.StartException("unsafe_unsigned_policy_dir " + dir + ": " + e.getMessage(), e);
        } catch (PolicyException e) {
            throw new Clawgressd.StartException("unsafe_unsigned_policy_dir " + dir + " is invalid:\n"
                    + e.getMessage(), e);
        }
        byte[] jwt = files.get(JwtKeySet.BUNDLE_PATH);
        JwtKeySet jwtKeys;
        try {
            jwtKeys = jwt == null ? JwtKeySet.EMPTY : JwtKeySet.parse(jwt);
        } catch (JwtKeySetException e) {
            throw new Clawgressd.StartException("unsafe_unsigned_policy_dir " + dir + ": " + JwtKeySet.BUNDLE_PATH
                    + ": " + e.getMessage(), e);
        }
        PolicySnapshot snapshot = PolicyCompiler.compile(set, "unsafe-unsigned");
        for (int i = 0; i < 3; i++) {
            log.warn("UNSAFE: enforcing UNSIGNED policies from {} (unsafe_unsigned_policy_dir). Anyone who can write"
                    + " there controls this gateway. For development only; never in production.", dir);
        }
        return new ActivePolicy(snapshot, jwtKeys, 0, null, "unsafe_unsigned:" + dir, null, clock.instant(), null);
    }

    /** What decisions read: the active snapshot, swapped atomically. */
    Supplier<PolicySnapshot> snapshots() {
        if (activator != null) {
            return activator.snapshots();
        }
        return () -> fixed.get().snapshot();
    }

    ActivePolicy active() {
        return activator != null ? activator.active() : fixed.get();
    }

    Optional<Activator> activator() {
        return Optional.ofNullable(activator);
    }

    /** The agent registry (the admin API's agent endpoints write to it; the watcher picks the changes up). */
    AgentRegistry registry() {
        return registry;
    }

    PolicySettings settings() {
        return settings;
    }

    /** The bundle URL source's health, when one is configured (for status). */
    Optional<BundleUrlSource> urlSource() {
        return sources.stream().filter(BundleUrlSource.class::isInstance).map(BundleUrlSource.class::cast)
                .findFirst();
    }

    /**
     * Registers {@code onActivated}, then starts the sources: the configured bundle file is activated before this
     * returns (so "ready" means it is enforced, when valid and newer); the drop directory and URL run on their own
     * threads.
     */
    void startSources(Consumer<ActivePolicy> onActivated, Consumer<Set<String>> agentsDisabled)
            throws Clawgressd.StartException {
        onAgentsDisabled = Objects.requireNonNull(agentsDisabled, "agentsDisabled");
        if (activator == null) {
            return;
        }
        SSLContext urlTrust;
        try {
            urlTrust = urlTrust(settings);
        } catch (IOException | GeneralSecurityException e) {
            throw new Clawgressd.StartException("policy.bundle_url_ca " + settings.bundleUrlCa() + ": "
                    + e.getMessage(), e);
        }
        activator.onActivated(onActivated);
        openSources(settings, urlTrust);
    }

    private static SSLContext urlTrust(PolicySettings s) throws IOException, GeneralSecurityException {
        if (s.bundleUrl() == null) {
            return null;
        }
        return s.bundleUrlCa() != null ? SslContexts.trustingPemFile(s.bundleUrlCa()) : SslContexts.systemDefault();
    }

    /** Starts the sources {@code s} names; the bundle file is read and its activation awaited. Calling thread. */
    private String openSources(PolicySettings s, SSLContext urlTrust) {
        String fileOutcome = null;
        if (s.bundleFile() != null) {
            BundleFileSource file = new BundleFileSource(s.bundleFile(), s.maxBundleBytes(), activator, clock);
            Optional<io.clawgress.enforcement.activation.source.BundleCandidate> candidate = file.readOnce();
            if (candidate.isPresent()) {
                ActivationResult result = Activator.join(activator.submit(candidate.get(), false));
                log.info("bundle file {}: {}", s.bundleFile(), result);
                fileOutcome = result.toString();
            } else {
                fileOutcome = "not read (" + file.lastRefusal() + ")";
            }
        }
        if (s.dropDir() != null) {
            DropDirectorySource drop = new DropDirectorySource(new DropDirectorySource.Settings(s.dropDir(),
                    s.maxBundleBytes(), DropDirectorySource.Settings.DEFAULT_RESCAN_INTERVAL,
                    DropDirectorySource.Settings.DEFAULT_KEEP), activator, clock);
            drop.start();
            sources.add(drop);
        }
        if (s.bundleUrl() != null) {
            BundleUrlSource url = new BundleUrlSource(new BundleUrlSource.Settings(s.bundleUrl(),
                    s.bundleUrlInterval(), BundleUrlSource.Settings.DEFAULT_MAX_BACKOFF,
                    BundleUrlSource.Settings.DEFAULT_CONNECT_TIMEOUT, BundleUrlSource.Settings.DEFAULT_REQUEST_TIMEOUT,
                    s.maxBundleBytes()), urlTrust, activator);
            sources.add(url);
            url.start();
        }
        return fileOutcome;
    }

    /**
     * Reload (reload thread): checks the trusted keys and the URL's CA of {@code next} first, and only when both read
     * does it switch the activator to the new key set, stop the running sources and start {@code next}'s. The bundle
     * file is read again (that is how a reload delivers a new one); the drop directory is rescanned and the URL
     * polled at once. Open connections are not touched: a bundle that activates reaches them as any activation does.
     *
     * @return what took effect, one line each
     * @throws Reloader.PartFailure when the new keys or CA cannot be used; nothing was changed
     */
    synchronized List<String> reloadSources(PolicySettings next) throws Reloader.PartFailure {
        if (activator == null) {
            throw new Reloader.PartFailure("no signed policy sources run (restart to enable them)");
        }
        TrustedKeys keys;
        try {
            keys = TrustedKeys.read(next.trustedKeys());
        } catch (IOException | BundleException e) {
            throw new Reloader.PartFailure("policy.trusted_keys " + next.trustedKeys() + ": " + e.getMessage());
        }
        SSLContext urlTrust;
        try {
            urlTrust = urlTrust(next);
        } catch (IOException | GeneralSecurityException e) {
            throw new Reloader.PartFailure("policy.bundle_url_ca " + next.bundleUrlCa() + ": " + e.getMessage());
        }
        List<String> applied = new ArrayList<>();
        activator.useTrustedKeys(next.trustedKeys());
        applied.add("policy.trusted_keys " + next.trustedKeys() + " re-read: " + keys.size() + " key(s) "
                + keys.keys().stream().map(TrustedKey::kid).toList());
        List<AutoCloseable> old = List.copyOf(sources);
        sources.clear();
        closeAll(old);
        settings = next;
        String fileOutcome = openSources(next, urlTrust);
        if (next.bundleFile() != null) {
            applied.add("policy.bundle " + next.bundleFile() + " re-read: " + fileOutcome);
        }
        if (next.dropDir() != null) {
            applied.add("policy.drop_dir " + next.dropDir() + " watched again (rescanned now)");
        }
        if (next.bundleUrl() != null) {
            applied.add("policy.bundle_url " + next.bundleUrl() + " polled again (now, then every "
                    + ConfigDiff.duration(next.bundleUrlInterval()) + ")");
        }
        return applied;
    }

    private static void closeAll(List<AutoCloseable> list) {
        for (AutoCloseable s : list) {
            try {
                s.close();
            } catch (Exception e) {
                log.warn("closing bundle source {}: {}", s, e.toString());
            }
        }
    }

    /** Stops the sources, lets a running activation finish, closes the store. */
    @Override
    public synchronized void close() {
        closeAll(List.copyOf(sources));
        if (agents != null) {
            agents.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (activator != null) {
            activator.close();
        }
        if (store != null) {
            store.close();
        }
    }
}
