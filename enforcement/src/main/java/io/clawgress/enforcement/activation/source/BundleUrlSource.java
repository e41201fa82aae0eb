package io.clawgress.enforcement.activation.source;

import io.clawgress.enforcement.activation.source.CappedBodySubscriber.TooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * Polls an HTTPS URL for the bundle.
 *
 * <p>Each poll is a GET with {@code If-None-Match} carrying the last ETag (RFC 9110 §13.1.2). {@code 304} offers
 * nothing; {@code 200} streams the body with the size cap (a larger {@code Content-Length} is refused before reading,
 * a longer body is aborted one byte past the cap) and offers it, unless it is byte for byte the body offered last
 * (same SHA-256), for servers that send no ETag. Every other status is a failure, redirects included: they are not
 * followed, so a redirect can never lead to plain {@code http://} (configure the final URL instead).
 *
 * <p>Only {@code https://} URLs are accepted. Trust comes from the {@link SSLContext} given (see {@link SslContexts}:
 * the system store, or the CAs of one PEM file); the HTTP client verifies the host name.
 *
 * <p>Schedule: after a success the next poll is {@code interval} later. After the n-th failure in a row it is
 * {@link #nextDelay}: exponential backoff with full jitter, {@code max(1 s, random(0, min(maxBackoff,
 * base * 2^(n-1))))} with {@code base = max(1 s, interval / 4)}; a success resets it. {@link #health()} says how the
 * last attempts went.
 *
 * <h2>Threads</h2>
 * One daemon thread, {@code clawgress-bundle-url}, started by {@link #start()}, runs the polls and calls the sink;
 * the HTTP client adds its own selector and worker threads. Nothing a server sends stops the polling: failures are
 * logged, counted and retried.
 */
public final class BundleUrlSource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BundleUrlSource.class);

    static final String THREAD_NAME = "clawgress-bundle-url";
    static final Duration MIN_RETRY_DELAY = Duration.ofSeconds(1);
    /** An entity tag longer than this is not remembered (no server needs one that long). */
    static final int MAX_ETAG_CHARS = 256;
    private static final int MAX_ERROR_CHARS = 400;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /**
     * @param url            {@code https://host[:port]/path}; no user info (it would end up in logs), no fragment
     * @param interval       between polls while all is well
     * @param maxBackoff     the longest wait after failures
     * @param connectTimeout for the TCP and TLS connection
     * @param requestTimeout for one whole exchange, headers and body
     * @param maxBytes       largest body accepted
     */
    public record Settings(URI url, Duration interval, Duration maxBackoff, Duration connectTimeout,
                           Duration requestTimeout, long maxBytes) {

        public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
        public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(15);
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
        public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);

        public Settings {
            Objects.requireNonNull(url, "url");
            if (!url.isAbsolute() || !"https".equals(url.getScheme().toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("url: " + url + " (expected: an https:// URL)");
            }
            if (url.getHost() == null) {
                throw new IllegalArgumentException("url: " + url + " (expected: a host name or address)");
            }
            if (url.getRawUserInfo() != null) {
                throw new IllegalArgumentException("url: user info is not supported (it would be logged)");
            }
            if (url.getRawFragment() != null) {
                throw new IllegalArgumentException("url: " + url + " (expected: no #fragment)");
            }
            SourceChecks.positive("interval", interval, Duration.ofSeconds(1));
            SourceChecks.positive("maxBackoff", maxBackoff, MIN_RETRY_DELAY);
            SourceChecks.positive("connectTimeout", connectTimeout, Duration.ofMillis(1));
            SourceChecks.positive("requestTimeout", requestTimeout, Duration.ofMillis(1));
            SourceChecks.maxBytes(maxBytes);
        }

        /** Every 60 s, backoff up to 15 min, 10 s to connect, 60 s per exchange, 32 MiB cap. */
        public static Settings of(URI url) {
            return new Settings(url, DEFAULT_INTERVAL, DEFAULT_MAX_BACKOFF, DEFAULT_CONNECT_TIMEOUT,
                    DEFAULT_REQUEST_TIMEOUT, BundleFileSource.DEFAULT_MAX_BYTES);
        }
    }

    /**
     * How polling goes, for the status command. Immutable; replaced after each attempt.
     *
     * @param lastAttempt         start of the last poll, null before the first
     * @param lastSuccess         end of the last poll answered with 200 or 304, null if none was
     * @param lastError           why the last poll failed, null if it succeeded
     * @param consecutiveFailures failed polls since the last success
     * @param etag                the entity tag sent with the next poll, null if none
     */
    public record Health(Instant lastAttempt, Instant lastSuccess, String lastError, int consecutiveFailures,
                         String etag) {

        public static final Health NEVER_POLLED = new Health(null, null, null, 0, null);

        public Health {
            if (consecutiveFailures < 0) {
                throw new IllegalArgumentException("consecutiveFailures: " + consecutiveFailures + " (expected: >= 0)");
            }
        }
    }

    /** A poll that did not end in 200 or 304; the message goes into {@link Health#lastError()}. */
    private static final class PollFailure extends Exception {
        private static final long serialVersionUID = 1L;

        PollFailure(String message) {
            super(message, null, false, false);
        }
    }

    private final Settings settings;
    private final BundleSink sink;
    private final Clock clock;
    private final DoubleSupplier jitter;
    private final String source;
    private final HttpClient client;
    private final ScheduledExecutorService scheduler;
    private final LongAdder offered = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private volatile Health health = Health.NEVER_POLLED;
    private volatile boolean closed;
    private boolean started;
    /** SHA-256 of the last body offered; poll thread only. */
    private String lastOfferedSha256;

    public BundleUrlSource(Settings settings, SSLContext sslContext, BundleSink sink) {
        this(settings, sslContext, sink, Clock.systemUTC(), () -> ThreadLocalRandom.current().nextDouble());
    }

    /** @param jitter a value in [0, 1] for each backoff; tests fix it */
    BundleUrlSource(Settings settings, SSLContext sslContext, BundleSink sink, Clock clock, DoubleSupplier jitter) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.jitter = Objects.requireNonNull(jitter, "jitter");
        this.source = "url:" + settings.url();
        this.client = HttpClient.newBuilder()
                .sslContext(Objects.requireNonNull(sslContext, "sslContext"))
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name(THREAD_NAME).daemon(true).factory());
    }

    /** Starts polling on the source thread; the first poll runs at once. */
    public synchronized void start() {
        if (started || closed) {
            throw new IllegalStateException("start: already " + (closed ? "closed" : "started"));
        }
        started = true;
        scheduler.execute(this::tick);
    }

    /** Readable from any thread. */
    public Health health() {
        return health;
    }

    public Settings settings() {
        return settings;
    }

    public long offeredCount() {
        return offered.sum();
    }

    /** Failed polls, all told. */
    public long refusedCount() {
        return failed.sum();
    }

    /**
     * Stops polling: interrupts a poll in progress (its download is cancelled and nothing more is offered), waits up
     * to 5 s for the source thread, then shuts the HTTP client down. Call before closing the sink's owner.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("bundle url source did not stop within {}", CLOSE_WAIT);
            }
            client.shutdownNow();
            client.awaitTermination(CLOSE_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- source thread ----

    private void tick() {
        if (closed) {
            return;
        }
        Duration delay = pollOnce();
        if (closed) {
            return;
        }
        try {
            scheduler.schedule(this::tick, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("bundle url source closed while scheduling the next poll");
        }
    }

    /**
     * One poll on the calling thread; returns the delay until the next one. Used by the source thread and by tests
     * (never both on one instance).
     */
    Duration pollOnce() {
        Instant attempt = clock.instant();
        Health before = health;
        try {
            String etag = fetch(before.etag());
            if (before.consecutiveFailures() > 0) {
                LOG.info("bundle url {}: reachable again after {} failed polls", settings.url(),
                        before.consecutiveFailures());
            }
            health = new Health(attempt, clock.instant(), null, 0, etag);
            return settings.interval();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return settings.interval();
        } catch (PollFailure | RuntimeException e) {
            String error = e instanceof PollFailure ? e.getMessage() : describe(e);
            int failures = before.consecutiveFailures() == Integer.MAX_VALUE
                    ? Integer.MAX_VALUE : before.consecutiveFailures() + 1;
            failed.increment();
            health = new Health(attempt, before.lastSuccess(), error, failures, before.etag());
            Duration delay = nextDelay(settings.interval(), settings.maxBackoff(), failures, jitter.getAsDouble());
            if (e instanceof PollFailure) {
                LOG.warn("bundle url {}: {} (failure {} in a row); next poll in {}", settings.url(), error, failures,
                        delay);
            } else {
                LOG.error("bundle url {}: poll failed (failure {} in a row); next poll in {}", settings.url(),
                        failures, delay, e);
            }
            return delay;
        }
    }

    /** GET, and offer a new body; returns the entity tag to send next time. */
    private String fetch(String etag) throws PollFailure, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.url())
                .timeout(settings.requestTimeout())
                .header("Accept", "application/gzip, application/octet-stream;q=0.9, */*;q=0.1")
                .GET();
        if (etag != null) {
            request.header("If-None-Match", etag);
        }
        CompletableFuture<HttpResponse<byte[]>> exchange = client.sendAsync(request.build(), this::bodySubscriber);
        HttpResponse<byte[]> response;
        try {
            // The request timeout covers the response headers only; this bounds the body too.
            response = exchange.get(settings.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new PollFailure("no complete response within " + settings.requestTimeout());
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof TooLargeException) {
                throw new PollFailure("refused: " + cause.getMessage());
            }
            throw new PollFailure(describe(cause));
        }
        int status = response.statusCode();
        if (status == 304 && etag != null) {
            LOG.debug("bundle url {}: not modified (ETag {})", settings.url(), etag);
            return etag;
        }
        if (status == 304) {
            throw new PollFailure("HTTP 304 to a request without If-None-Match (expected: 200)");
        }
        if (status >= 300 && status < 400) {
            throw new PollFailure("HTTP " + status + " to " + response.headers().firstValue("Location").orElse("?")
                    + ": redirects are not followed (expected: 200, or 304 to If-None-Match; configure the final "
                    + "https URL)");
        }
        if (status != 200) {
            throw new PollFailure("HTTP " + status + " (expected: 200, or 304 to If-None-Match)");
        }
        String newEtag = response.headers().firstValue("ETag").map(BundleUrlSource::validEtag).orElse(null);
        byte[] body = response.body();
        String sha256 = BundleCandidate.sha256Hex(body);
        if (sha256.equals(lastOfferedSha256)) {
            LOG.debug("bundle url {}: body unchanged since last offered (sha256 {})", settings.url(), sha256);
            return newEtag;
        }
        if (closed) {
            return etag;
        }
        BundleCandidate candidate = new BundleCandidate(body, source, clock.instant());
        if (!SourceChecks.offer(sink, candidate, LOG, offered)) {
            // Keep the old tag, so the next poll fetches this body again.
            throw new PollFailure("the bundle sink threw on the candidate (see the error logged)");
        }
        lastOfferedSha256 = sha256;
        return newEtag;
    }

    /** HTTP client thread. A 200 body is collected with the cap; any other is drained and dropped. */
    private BodySubscriber<byte[]> bodySubscriber(HttpResponse.ResponseInfo info) {
        if (info.statusCode() != 200) {
            return BodySubscribers.replacing(new byte[0]);
        }
        long declared;
        try {
            declared = info.headers().firstValueAsLong("Content-Length").orElse(-1L);
        } catch (NumberFormatException e) {
            declared = -1; // the client refuses a malformed length itself; the streaming cap applies regardless
        }
        return new CappedBodySubscriber(settings.maxBytes(), declared);
    }

    /**
     * The delay before the next poll, a pure function. No failures: {@code interval}. After {@code n >= 1} failures
     * in a row: {@code max(1 s, jitter * min(maxBackoff, base * 2^(n-1)))} with {@code base = max(1 s, interval / 4)}:
     * "full jitter", so that gateways that failed together do not retry together.
     *
     * @param jitter uniform in [0, 1]; out-of-range values are clamped
     */
    static Duration nextDelay(Duration interval, Duration maxBackoff, int consecutiveFailures, double jitter) {
        if (consecutiveFailures <= 0) {
            return interval;
        }
        long base = Math.max(MIN_RETRY_DELAY.toNanos(), interval.toNanos() / 4);
        long max = maxBackoff.toNanos();
        int shift = consecutiveFailures - 1;
        long cap = shift < Long.SIZE - 1 && base <= (max >> shift) ? base << shift : max;
        double j = Double.isNaN(jitter) ? 1.0 : Math.min(1.0, Math.max(0.0, jitter));
        return Duration.ofNanos(Math.max(MIN_RETRY_DELAY.toNanos(), (long) (cap * j)));
    }

    /**
     * The tag if it is a well-formed entity-tag, {@code [W/] DQUOTE *etagc DQUOTE} with {@code etagc} visible ASCII
     * other than DQUOTE (RFC 9110 §8.8.3; obs-text refused), at most {@value #MAX_ETAG_CHARS} chars; else null, and
     * the next poll goes without {@code If-None-Match}.
     */
    static String validEtag(String tag) {
        if (tag == null || tag.length() > MAX_ETAG_CHARS) {
            return null;
        }
        int open = tag.startsWith("W/") ? 2 : 0;
        if (tag.length() < open + 2 || tag.charAt(open) != '"' || tag.charAt(tag.length() - 1) != '"') {
            return null;
        }
        for (int i = open + 1; i < tag.length() - 1; i++) {
            char c = tag.charAt(i);
            if (c < 0x21 || c == '"' || c > 0x7e) {
                return null;
            }
        }
        return tag;
    }

    /** The exception and, if it says something more, its root cause; bounded for the status output. */
    static String describe(Throwable t) {
        String s = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != t && root.getMessage() != null && !s.contains(root.getMessage())) {
            s += " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return s.length() <= MAX_ERROR_CHARS ? s : s.substring(0, MAX_ERROR_CHARS) + "...";
    }
}
