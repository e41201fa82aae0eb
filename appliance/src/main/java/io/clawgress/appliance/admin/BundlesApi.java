package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.activation.ActivationResult;
import io.clawgress.enforcement.activation.Activator;
import io.clawgress.enforcement.activation.ActivePolicy;
import io.clawgress.enforcement.activation.source.BundleCandidate;
import io.clawgress.enforcement.bundle.BundleException;
import io.clawgress.enforcement.store.HistoryEntry;
import io.clawgress.enforcement.store.StoreException;
import io.clawgress.enforcement.store.StoredBundle;
import io.clawgress.enforcement.store.StoredGeneration;

import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Signed policy bundles on the running gateway (docs/admin-api.md#bundles): push one, list the stored generations and
 * the activation history, roll back. A push and a rollback go through the {@link Activator} like a bundle from the
 * file, the drop directory or the URL, on its one activation thread: bounded, verified with the trusted keys of now,
 * revision checked, compiled, committed, swapped. The handler waits for the result (an admin worker thread, never a
 * data-plane event loop).
 *
 * <p>Status codes of a refusal, with the activator's reason code as the error code:
 * <ul>
 *   <li>400 {@code bad_request}: an empty push body, a rollback body that is not {@code {"revision": N}};</li>
 *   <li>404 {@value Activator#REVISION_NOT_STORED}: a rollback to a revision the store does not keep;</li>
 *   <li>409 {@code revision_not_newer} (a stale push), {@value Activator#NO_PREVIOUS_GENERATION} (nothing to roll
 *       back to), {@value #NO_SIGNED_POLICY} (this gateway activates no signed bundles);</li>
 *   <li>413 {@code too_large}: a body larger than {@code policy.max_bundle_size};</li>
 *   <li>422 any other rejection of the bundle itself: {@code bad_signature}, {@code unknown_kid}, {@code expired},
 *       {@code digest_mismatch}, {@code policy_invalid}, {@code malformed_archive} ... (docs/bundles.md);</li>
 *   <li>503 the gateway cannot activate anything now: {@code malformed_key_set},
 *       {@value Activator#TRUSTED_KEYS_UNREADABLE}, {@value Activator#STORE_FAILED};</li>
 *   <li>500 {@value Activator#INTERNAL_ERROR}.</li>
 * </ul>
 */
public final class BundlesApi {

    /** No activator: no trusted keys configured, or the unsafe unsigned directory is enforced. */
    public static final String NO_SIGNED_POLICY = "no_signed_policy";
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 1000;

    /** Rejections that say the gateway, not the bundle, is in no state to activate. */
    private static final Set<String> UNAVAILABLE = Set.of(BundleException.Reason.MALFORMED_KEY_SET.code(),
            Activator.TRUSTED_KEYS_UNREADABLE, Activator.STORE_FAILED);
    private static final Set<String> CONFLICT = Set.of(BundleException.Reason.REVISION_NOT_NEWER.code(),
            Activator.NO_PREVIOUS_GENERATION);

    private final Supplier<ActivePolicy> active;
    private final Activator activator;
    private final long maxBundleBytes;
    private final Clock clock;

    private BundlesApi(Supplier<ActivePolicy> active, Activator activator, long maxBundleBytes, Clock clock) {
        this.active = Objects.requireNonNull(active, "active");
        this.activator = activator;
        this.maxBundleBytes = maxBundleBytes;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * {@code POST /v1/bundles} ({@code bundle.push}), {@code GET /v1/bundles} and {@code POST /v1/bundles/rollback}
     * ({@code bundle.rollback}).
     *
     * @param active         the policy enforced now
     * @param activator      the daemon's activator; empty when it enforces no signed policy (deny-all without
     *                       trusted keys, or the unsafe unsigned directory): then pushes and rollbacks are refused
     * @param maxBundleBytes {@code policy.max_bundle_size}: a larger push is refused before it is looked at
     */
    public static void register(AdminRoutes routes, Supplier<ActivePolicy> active, Optional<Activator> activator,
                                long maxBundleBytes, Clock clock) {
        if (maxBundleBytes < 1) {
            throw new IllegalArgumentException("maxBundleBytes: " + maxBundleBytes + " (expected: >= 1)");
        }
        BundlesApi api = new BundlesApi(active, activator.orElse(null), maxBundleBytes, clock);
        routes.change("POST", "/v1/bundles", "bundle.push", api::push)
                .read("GET", "/v1/bundles", api::history)
                .change("POST", "/v1/bundles/rollback", "bundle.rollback", api::rollback);
    }

    /** On an admin worker thread: waits for the activation thread's result. */
    private AdminResponse push(AdminRequest req) throws AdminException {
        Activator a = activator();
        byte[] body = req.body();
        if (body.length == 0) {
            throw AdminException.badRequest("request body: empty (expected: a signed bundle, .tar.gz, as"
                    + " application/gzip)");
        }
        if (body.length > maxBundleBytes) {
            throw new AdminException(413, BundleException.Reason.TOO_LARGE.code(), "bundle: " + body.length
                    + " bytes (expected: at most policy.max_bundle_size, " + maxBundleBytes + " bytes)");
        }
        String source = "push:uid=" + req.caller().uid();
        ActivationResult r = Activator.join(a.submit(new BundleCandidate(body, source, clock.instant()), false));
        return answer(r, StoredBundle.sha256Hex(body));
    }

    /** On an admin worker thread: waits for the activation thread's result. */
    private AdminResponse rollback(AdminRequest req) throws AdminException {
        Activator a = activator();
        ObjectNode body = req.json();
        OptionalLong revision = OptionalLong.empty();
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("revision")) {
                throw AdminException.badRequest("request body: unknown field '" + name + "' (expected: {\"revision\":"
                        + " N} or an empty body for the previous generation)");
            }
        }
        JsonNode n = body.get("revision");
        if (n != null && !n.isNull()) {
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 1) {
                throw AdminException.badRequest("revision: " + n + " (expected: an integer >= 1)");
            }
            revision = OptionalLong.of(n.asLong());
        }
        ActivationResult r = Activator.join(a.rollback(revision, "rollback:uid=" + req.caller().uid()));
        return answer(r, null);
    }

    private AdminResponse answer(ActivationResult r, String sha256) throws AdminException {
        if (!r.accepted()) {
            String code = r.reasonCode();
            int status = switch (code) {
                case Activator.REVISION_NOT_STORED -> 404;
                case Activator.INTERNAL_ERROR -> 500;
                default -> CONFLICT.contains(code) ? 409 : UNAVAILABLE.contains(code) ? 503
                        : code.equals(BundleException.Reason.TOO_LARGE.code()) ? 413 : 422;
            };
            throw new AdminException(status, code, (r.revision() > 0 ? "revision " + r.revision() + ": " : "")
                    + (r.message() != null ? r.message() : code));
        }
        ObjectNode o = activation(r);
        if (sha256 != null) {
            o.put("sha256", sha256);
        }
        o.set("active", active(active.get()));
        return AdminResponse.ok(o);
    }

    /** On an admin worker thread (reads the store). */
    private AdminResponse history(AdminRequest req) throws AdminException {
        int limit = limit(req.query("limit"));
        ObjectNode o = AdminJson.object();
        o.set("active", active(active.get()));
        o.put("signed_bundles", activator != null);
        ArrayNode generations = o.putArray("generations");
        ArrayNode activations = o.putArray("activations");
        if (activator == null) {
            o.putNull("last_result");
            return AdminResponse.ok(o);
        }
        ActivationResult last = activator.lastResult();
        o.set("last_result", last == null ? null : activation(last));
        List<StoredGeneration> stored;
        List<HistoryEntry> entries;
        try {
            stored = activator.generations();
            entries = activator.history(limit);
        } catch (StoreException e) {
            throw new AdminException(503, Activator.STORE_FAILED, "cannot read the policy store: " + e.getMessage());
        }
        for (StoredGeneration g : stored) {
            ObjectNode x = generations.addObject();
            x.put("revision", g.revision());
            x.put("active", g.active());
            x.put("activated_at", g.activatedAt().toString());
            x.put("kid", g.kid());
            x.put("source", g.source());
            x.put("sha256", g.sha256());
            x.put("bytes", g.byteCount());
        }
        for (HistoryEntry h : entries) {
            ObjectNode x = activations.addObject();
            x.put("at", h.at().toString());
            x.put("result", h.result());
            x.put("revision", h.revision());
            x.put("kid", h.kid());
            x.put("source", h.source());
            x.put("reason_code", h.reasonCode());
            x.put("message", h.message());
        }
        return AdminResponse.ok(o);
    }

    private Activator activator() throws AdminException {
        if (activator == null) {
            ActivePolicy p = active.get();
            throw new AdminException(409, NO_SIGNED_POLICY, "this gateway activates no signed bundles ("
                    + (p.source().startsWith("unsafe_unsigned:") ? "it enforces " + p.source()
                    : "policy.trusted_keys is not set") + "; docs/config.md#policy)");
        }
        return activator;
    }

    private static int limit(String text) throws AdminException {
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 0 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw AdminException.badRequest("limit: '" + text + "' (expected: 0.." + MAX_LIMIT + ")");
    }

    /** An activation's result: {@code outcome}, {@code revision}, {@code kid}, {@code source}, codes. */
    public static ObjectNode activation(ActivationResult r) {
        ObjectNode o = AdminJson.object();
        o.put("outcome", r.outcome().code());
        o.put("revision", r.revision());
        o.put("kid", r.kid());
        o.put("source", r.source());
        o.put("reason_code", r.reasonCode());
        o.put("message", r.message());
        return o;
    }

    /** The policy enforced now: its signed revision (0: none), the revision decisions carry, where it came from. */
    public static ObjectNode active(ActivePolicy p) {
        ObjectNode o = AdminJson.object();
        o.put("revision", p.revision());
        o.put("policy_revision", p.snapshot().revision());
        o.put("signed", p.signed());
        o.put("kid", p.kid());
        o.put("source", p.source());
        o.put("sha256", p.sha256());
        o.put("activated_at", p.activatedAt().toString());
        o.put("expires", text(p.expires()));
        return o;
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
