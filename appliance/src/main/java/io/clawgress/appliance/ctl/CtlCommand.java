package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.yaml.YamlError;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A {@code clawgressctl} verb: output goes to the command line's streams (so tests capture it), the clock comes from
 * the root command, and every expected failure is a {@link Failure} with its exit code and message, never a stack
 * trace. Argument problems are {@link CommandLine.ParameterException}s: picocli prints them with the usage and
 * exits {@value ExitCodes#USAGE}.
 */
abstract class CtlCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** The verb's work; returns the exit code. */
    protected abstract int run() throws Failure;

    @Override
    public final Integer call() {
        try {
            return run();
        } catch (Failure f) {
            for (String line : f.lines()) {
                err().println(line);
            }
            if (jsonOutput()) {
                ObjectNode o = Json.object();
                o.put("ok", false);
                o.put("exit_code", f.exitCode());
                o.set("errors", Json.errors(f));
                out().println(Json.write(o));
            }
            return f.exitCode();
        } catch (CommandLine.ParameterException e) {
            throw e;
        } catch (RuntimeException e) {
            err().println(spec.qualifiedName(" ") + ": internal error: " + e);
            return ExitCodes.FAILURE;
        } finally {
            out().flush();
            err().flush();
        }
    }

    /** Whether {@code --json} was asked for: a failure is then also printed as JSON on stdout. */
    protected boolean jsonOutput() {
        return false;
    }

    /**
     * Prints {@code pem} to stdout, or with {@code out} writes it there (mode 0644, replaced atomically) and says
     * "wrote {@code what} to FILE". Exit 1 when the file cannot be written.
     */
    protected int printOrWrite(java.nio.file.Path out, String pem, String what) throws Failure {
        if (out == null) {
            out().print(pem);
            return ExitCodes.OK;
        }
        try {
            OutputFiles.write(out, pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII), OutputFiles.PUBLIC,
                    true);
        } catch (java.io.IOException e) {
            throw new Failure(ExitCodes.FAILURE, out + ": cannot write: " + OutputFiles.why(e));
        }
        out().println("wrote " + what + " to " + out);
        return ExitCodes.OK;
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** The root command's clock: the system clock, or a fixed one in tests. */
    protected Clock clock() {
        return spec.root().userObject() instanceof ClawgressctlCommand root ? root.clock() : Clock.systemUTC();
    }

    protected CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * An expected failure: what to print on stderr and the exit code. {@code errors} are the YAML problems behind it,
     * when there are any (for {@code --json}).
     */
    static class Failure extends Exception {

        private static final long serialVersionUID = 1L;

        private final int exitCode;
        private final transient List<YamlError> errors;

        Failure(int exitCode, String message) {
            this(exitCode, message, List.of());
        }

        Failure(int exitCode, String message, List<YamlError> errors) {
            super(message);
            this.exitCode = exitCode;
            this.errors = List.copyOf(errors);
        }

        int exitCode() {
            return exitCode;
        }

        List<YamlError> errors() {
            return errors;
        }

        List<String> lines() {
            return List.of(getMessage().split("\n"));
        }
    }
}
