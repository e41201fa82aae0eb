package io.clawgress.appliance.ctl;

import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Runs clawgressctl in-process with captured output and a fixed clock; writes policy fixtures. */
final class Ctl {

    static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    /** What one run printed and returned. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Ctl() {
    }

    static Run run(String... args) {
        return run(CLOCK, args);
    }

    static Run run(Clock clock, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = ClawgressctlCommand.commandLine(new ClawgressctlCommand(clock), args);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static final String BINDINGS = """
            apiVersion: clawgress.io/v1
            kind: IdentityBindings
            id: lab
            bindings:
              - subnet: 10.10.1.0/24
                identity: {agent_id: research-bot, team_id: research, environment: dev}
              - subnet: 10.10.2.0/24
                identity: {agent_id: billing-bot, team_id: billing, environment: prod}
            """;

    static final String POLICIES = """
            apiVersion: clawgress.io/v1
            kind: Policy
            id: guardrails
            priority: 1000
            subjects: {}
            rules:
              - id: no-metadata
                action: deny
                destinations: [{cidr: 169.254.0.0/16}]
            ---
            apiVersion: clawgress.io/v1
            kind: Policy
            id: research-llm
            priority: 100
            subjects: {team_id: [research]}
            rules:
              - id: llm-apis
                action: allow
                destinations:
                  - {host: api.openai.com, ports: [443]}
                  - {host: "*.anthropic.com", ports: [443]}
              - id: llm-http
                action: allow
                destinations: [{host: api.example-llm.com, ports: [80]}]
                http: {methods: [POST], paths: ["/v1/"]}
            """;

    /** A bundle directory: bindings and policies in subdirectories, and a file that is not policy. */
    static Path policyDir(Path parent, String name) {
        Path dir = parent.resolve(name);
        write(dir.resolve("identity/subnets.yaml"), BINDINGS);
        write(dir.resolve("policies/research.yaml"), POLICIES);
        write(dir.resolve("README.txt"), "not policy\n");
        return dir;
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
