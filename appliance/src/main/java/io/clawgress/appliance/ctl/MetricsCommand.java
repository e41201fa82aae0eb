package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;

/** {@code clawgressctl metrics}: the Prometheus text of the running daemon, through the admin socket. */
@Command(name = "metrics", mixinStandardHelpOptions = true,
        description = {"Print the daemon's metrics in the Prometheus text format (the same text the scrape endpoint"
                + " serves; docs/metrics.md), through the admin socket: works with the TCP endpoint off."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:printed", "1:the daemon answered with an error", "2:bad arguments",
                "69:the daemon cannot be reached (not running, or no admin socket)",
                "77:not allowed (the socket's group is needed to read)"})
final class MetricsCommand extends ApiVerb {

    @Override
    protected int run() throws Failure {
        AdminClient.Response r = request("GET", "/v1/metrics", null, null);
        if (r.status() != 200) {
            throw apiFailure(r);
        }
        out().print(r.text());
        return ExitCodes.OK;
    }
}
