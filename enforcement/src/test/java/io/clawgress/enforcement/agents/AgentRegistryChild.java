package io.clawgress.enforcement.agents;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Run by {@link AgentRegistryCrossProcessTest} in a child JVM: opens the registry in {@code args[0]}, prints
 * {@code ready GENERATION}, then runs one command per stdin line and answers each on stdout after its commit returned:
 * <pre>
 * add ID                 -> generation G
 * disable ID REASON...   -> generation G
 * burst PREFIX COUNT     -> generation G        (COUNT adds, one transaction each)
 * fill PREFIX COUNT      -> generation G        (as burst, each agent with a 1000-char note)
 * get ID                 -> agent ID STATUS G   (or: missing ID G)
 * exit
 * </pre>
 */
public final class AgentRegistryChild {

    private AgentRegistryChild() {
    }

    public static void main(String[] args) throws Exception {
        try (AgentRegistry registry = AgentRegistry.open(Path.of(args[0]));
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            System.out.println("ready " + registry.generation());
            for (String line; (line = in.readLine()) != null; ) {
                String[] w = line.split(" ", 3);
                switch (w[0]) {
                    case "add" -> System.out.println("generation " + registry.add(AgentFixture.agent(w[1])));
                    case "disable" -> System.out.println("generation "
                            + registry.setStatus(w[1], AgentStatus.DISABLED, w[2]).generation());
                    case "burst" -> {
                        long g = 0;
                        for (int i = 0; i < Integer.parseInt(w[2]); i++) {
                            g = registry.add(AgentFixture.agent(w[1] + "-" + i));
                        }
                        System.out.println("generation " + g);
                    }
                    case "fill" -> {
                        long g = 0;
                        for (int i = 0; i < Integer.parseInt(w[2]); i++) {
                            g = registry.add(AgentRecord.newAgent(w[1] + "-" + i, null, null, null, null,
                                    "n".repeat(1000), AgentFixture.T0));
                        }
                        System.out.println("generation " + g);
                    }
                    case "get" -> {
                        AgentDirectory d = registry.snapshot();
                        AgentRecord a = d.lookup(w[1]);
                        System.out.println((a == null ? "missing " + w[1] : "agent " + w[1] + " " + a.status().code())
                                + " " + d.generation());
                    }
                    case "exit" -> {
                        return;
                    }
                    default -> throw new IllegalArgumentException("command: " + line);
                }
            }
        }
    }
}
