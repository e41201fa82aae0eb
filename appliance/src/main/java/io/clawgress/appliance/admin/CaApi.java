package io.clawgress.appliance.admin;

import io.clawgress.appliance.agents.CaExport;
import io.clawgress.intercept.ca.CaException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The gateway's CA certificates (docs/admin-api.md#ca), as {@code clawgressctl ca export} prints them: read routes,
 * PEM bodies. Only certificates are read, never a key, and nothing is created.
 */
public final class CaApi {

    private CaApi() {
    }

    /**
     * {@code GET /v1/ca/intercept} (the root agents must trust) and {@code GET /v1/ca/agents} (the agents' CA that
     * client certificates chain to), from {@code stateDir/intercept-ca}.
     */
    public static void register(AdminRoutes routes, Path stateDir) {
        routes.read("GET", "/v1/ca/intercept", r -> pem(stateDir, false))
                .read("GET", "/v1/ca/agents", r -> pem(stateDir, true));
    }

    /** On an admin worker thread (reads a file). */
    private static AdminResponse pem(Path stateDir, boolean agents) throws AdminException {
        try {
            return AdminResponse.text(AdminResponse.PEM, CaExport.pem(stateDir, agents));
        } catch (CaException e) {
            if (!Files.exists(CaExport.certFile(stateDir, agents))) {
                throw AdminException.notFound(e.getMessage());
            }
            throw new AdminException(500, "ca_error", e.getMessage());
        }
    }
}
