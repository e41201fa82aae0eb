package io.clawgress.appliance.daemon;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.Version;
import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.appliance.config.ConfigException;
import io.clawgress.appliance.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code clawgressd [--config FILE] [--check-config]}. */
@Command(name = "clawgressd", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Clawgress transparent egress gateway daemon.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped cleanly, or --check-config found the config valid",
                "1:could not start (listener, audit log, flow log, state_dir or policy store), see the message",
                "2:bad command-line arguments",
                "78:the configuration is invalid (each error names file:line:column, key and expectation)"})
public final class ClawgressdCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ClawgressdCommand.class);
    public static final Path DEFAULT_CONFIG = Path.of("/etc/clawgress/clawgress.yaml");

    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: ${DEFAULT-VALUE}).")
    Path config = DEFAULT_CONFIG;

    @Option(names = "--check-config", description = "Validate the config and exit.")
    boolean checkConfig;

    private final PrintWriter out;
    private final PrintWriter err;
    private final CountDownLatch stopSignal;

    /**
     * @param stopSignal counted down to stop a running daemon (the shutdown hook in production, a test otherwise)
     */
    public ClawgressdCommand(PrintWriter out, PrintWriter err, CountDownLatch stopSignal) {
        this.out = out;
        this.err = err;
        this.stopSignal = stopSignal;
    }

    @Override
    public Integer call() {
        ClawgressConfig cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.flush();
            return ExitCodes.CONFIG;
        }
        if (checkConfig) {
            out.println("config OK: " + config);
            out.flush();
            return ExitCodes.OK;
        }
        try (Clawgressd daemon = Clawgressd.start(cfg)) {
            stopSignal.await();
        } catch (Clawgressd.StartException e) {
            log.error("clawgressd cannot start: {}", e.getMessage());
            return ExitCodes.FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ExitCodes.OK;
    }
}
