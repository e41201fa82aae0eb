package io.clawgress.appliance.daemon;

import io.clawgress.appliance.admin.AdminAudit;
import io.clawgress.appliance.admin.AdminResponse;
import io.clawgress.appliance.admin.AdminRoutes;
import io.clawgress.appliance.admin.AdminServer;
import io.clawgress.appliance.config.AdminSettings;
import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.enforcement.audit.AdminRecord;
import io.clawgress.enforcement.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;

/**
 * Wires the admin API (docs/admin-api.md): which endpoints exist and what each one reaches in the running daemon.
 * Every change call becomes an {@code admin} audit record with the caller's uid.
 */
final class AdminService {

    private static final Logger log = LoggerFactory.getLogger(AdminService.class);
    /** Request bodies beyond the largest bundle are refused (413) before they are buffered. */
    private static final int BODY_HEADROOM = 64 * 1024;

    private AdminService() {
    }

    /** The endpoints of the running daemon {@code d}. */
    static AdminRoutes routes(Clawgressd d, StatusReport status) {
        AdminRoutes routes = new AdminRoutes();
        routes.read("GET", "/v1/status", r -> AdminResponse.ok(status.build()));
        routes.read("GET", "/v1/endpoints", r -> AdminResponse.ok(index(routes)));
        routes.read("GET", "/v1/metrics", r -> AdminResponse.text(AdminResponse.PROMETHEUS, d.metrics().scrape()));
        routes.change("POST", "/v1/reload", "reload", r -> {
            ReloadResult result = d.reload();
            return AdminResponse.json(result.ok() ? 200 : 422, reload(result));
        });
        io.clawgress.appliance.admin.AgentsApi.register(routes, d::agentRegistry, d.stateDir(), d.trustDomain(),
                Clock.systemUTC());
        io.clawgress.appliance.admin.CaApi.register(routes, d.stateDir());
        io.clawgress.appliance.admin.FlowsApi.register(routes, d.proxy(), Clock.systemUTC());
        io.clawgress.appliance.admin.QuotaApi.register(routes, d.rateLimiter(), System::nanoTime, Clock.systemUTC());
        PolicyService policy = d.policyService();
        io.clawgress.appliance.admin.BundlesApi.register(routes, policy::active, policy.activator(),
                policy.settings().maxBundleBytes(), Clock.systemUTC());
        io.clawgress.appliance.admin.PolicyApi.register(routes, policy::active);
        return routes;
    }

    /** A reload's result as JSON (also status's {@code last_reload}). */
    static com.fasterxml.jackson.databind.node.ObjectNode reload(ReloadResult r) {
        var o = io.clawgress.appliance.admin.AdminJson.object();
        o.put("time", r.time().toString());
        o.put("ok", r.ok());
        if (r.configSha256() == null) {
            o.putNull("config_sha256");
        } else {
            o.put("config_sha256", r.configSha256());
        }
        o.put("summary", r.summary());
        var applied = o.putArray("applied");
        r.applied().forEach(applied::add);
        var restart = o.putArray("needs_restart");
        r.needsRestart().forEach(restart::add);
        var errors = o.putArray("errors");
        r.errors().forEach(errors::add);
        return o;
    }

    /** Every endpoint with its kind: scripts and the tests find the change endpoints here. */
    private static com.fasterxml.jackson.databind.node.ObjectNode index(AdminRoutes routes) {
        var o = io.clawgress.appliance.admin.AdminJson.object();
        var list = o.putArray("endpoints");
        for (AdminRoutes.Route r : routes.routes()) {
            var e = list.addObject();
            e.put("method", r.method());
            e.put("path", r.pattern());
            e.put("kind", r.change() ? "change" : "read");
            if (r.change()) {
                e.put("action", r.action());
            }
        }
        return o;
    }

    /** Starts serving {@code routes} on the configured socket, or returns null when the admin API is disabled. */
    static AdminServer start(ClawgressConfig config, AdminRoutes routes, AuditLog audit, Clock clock)
            throws Clawgressd.StartException {
        AdminSettings s = config.admin();
        if (!s.enabled()) {
            log.warn("admin.enabled is false: no admin socket; clawgressctl's online verbs cannot reach this daemon");
            return null;
        }
        int readGid;
        int adminGid;
        try {
            readGid = resolve(s.group(), "admin.group");
            adminGid = resolve(s.adminGroup(), "admin.admin_group");
        } catch (IOException e) {
            throw new Clawgressd.StartException(e.getMessage(), e);
        }
        long maxBody = Math.min(Integer.MAX_VALUE - BODY_HEADROOM, config.policy().maxBundleBytes()) + BODY_HEADROOM;
        AdminAudit auditor = audit == null
                ? (caller, method, path, action, target, status, outcome, detail) -> { }
                : (caller, method, path, action, target, status, outcome, detail) -> audit.admin(new AdminRecord(
                        clock.instant(), caller.uid(), caller.gid(), caller.pid(), method, path, action, target,
                        status, detail));
        try {
            return AdminServer.start(s.socket(), readGid, adminGid, (int) maxBody, routes, auditor);
        } catch (IOException e) {
            throw new Clawgressd.StartException(e.getMessage(), e);
        }
    }

    private static int resolve(String group, String key) throws IOException {
        return io.clawgress.appliance.admin.AdminServer.resolveGroup(group, key);
    }
}
