package io.clawgress.appliance.config;

import io.clawgress.enforcement.yaml.YamlError;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Broken configs and the exact lines the operator sees: file:line:column: key.path: found (expected: ...). */
class ConfigErrorsTest {

    static List<String> errors(String yaml) {
        try {
            ConfigLoader.parse(yaml, "cfg.yaml");
        } catch (ConfigException e) {
            List<String> lines = e.errors().stream().map(YamlError::toString).toList();
            assertThat(e.getMessage()).isEqualTo(String.join("\n", lines));
            // Nothing of the parser's or the JDK's internals reaches the operator.
            assertThat(e.getMessage()).doesNotContain("org.yaml", "java.io", "java.nio", "Exception", "\tat ");
            assertThat(e.getCause()).isNull();
            return lines;
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }

    /** Dynamic tests rather than a parameterized one: the leak-check extension's GC runs once, not per case. */
    @TestFactory
    Stream<DynamicTest> reportsExactly() {
        return brokenConfigs().map(c -> DynamicTest.dynamicTest(c.name(),
                () -> assertThat(errors(c.yaml())).containsExactlyElementsOf(c.expected())));
    }

    private record Case(String name, String yaml, List<String> expected) {
    }

    static Stream<Case> brokenConfigs() {
        return Stream.of(
                // ---- listener
                broken("port not a number", """
                        listener:
                          port: abc
                        """, "cfg.yaml:2:9: listener.port: 'abc' (expected: an integer 1..65535)"),
                broken("port quoted", """
                        listener:
                          port: "15001"
                        """, "cfg.yaml:2:9: listener.port: '15001' (expected: an integer 1..65535, without quotes)"),
                broken("port zero", "listener: {port: 0}\n",
                        "cfg.yaml:1:18: listener.port: 0 (expected: an integer 1..65535)"),
                broken("port too large", "listener: {port: 65536}\n",
                        "cfg.yaml:1:18: listener.port: 65536 (expected: an integer 1..65535)"),
                broken("port huge", "listener: {port: 123456789012345678901234567890}\n",
                        "cfg.yaml:1:18: listener.port: 123456789012345678901234567890 (expected: an integer 1..65535)"),
                broken("port YAML 1.1 octal", "listener: {port: 017}\n",
                        "cfg.yaml:1:18: listener.port: 017 (expected: a decimal integer 1..65535)"),
                broken("port hex", "listener: {port: 0x3A99}\n",
                        "cfg.yaml:1:18: listener.port: 0x3A99 (expected: a decimal integer 1..65535)"),
                broken("port float", "listener: {port: 15001.0}\n",
                        "cfg.yaml:1:18: listener.port: 15001.0 (expected: an integer 1..65535)"),
                broken("port empty", "listener:\n  port:\n",
                        "cfg.yaml:2:8: listener.port: an empty value (expected: an integer 1..65535)"),
                broken("port explicit str tag", "listener: {port: !!str 15001}\n",
                        "cfg.yaml:1:18: listener.port: '15001' (expected: an integer 1..65535, without quotes)"),
                broken("address host name", "listener: {address: localhost}\n",
                        "cfg.yaml:1:21: listener.address: 'localhost' (expected: an IPv4 or IPv6 address literal"
                                + " such as 0.0.0.0 or '::' (not a host name))"),
                broken("address bad octet", "listener: {address: 10.0.0.256}\n",
                        "cfg.yaml:1:21: listener.address: '10.0.0.256' (expected: an IPv4 or IPv6 address literal"
                                + " such as 0.0.0.0 or '::' (not a host name))"),
                broken("address bad IPv6", "listener: {address: '1::2::3'}\n",
                        "cfg.yaml:1:21: listener.address: '1::2::3' (expected: an IPv4 or IPv6 address literal"
                                + " such as 0.0.0.0 or '::' (not a host name))"),
                broken("address with prefix", "listener: {address: 10.0.0.0/8}\n",
                        "cfg.yaml:1:21: listener.address: '10.0.0.0/8' (expected: an IPv4 or IPv6 address literal"
                                + " such as 0.0.0.0 or '::' (not a host name))"),
                broken("transport unknown", "listener: {transport: kqueue}\n",
                        "cfg.yaml:1:23: listener.transport: 'kqueue' (expected: one of: epoll, io_uring, nio)"),
                broken("transport case", "listener: {transport: EPOLL}\n",
                        "cfg.yaml:1:23: listener.transport: 'EPOLL' (expected: one of: epoll, io_uring, nio)"),
                broken("backlog zero", "listener: {backlog: 0}\n",
                        "cfg.yaml:1:21: listener.backlog: 0 (expected: an integer >= 1)"),
                broken("backlog beyond int", "listener: {backlog: 2147483648}\n",
                        "cfg.yaml:1:21: listener.backlog: 2147483648 (expected: an integer >= 1)"),
                broken("event loop threads", "listener: {event_loop_threads: 1025}\n",
                        "cfg.yaml:1:32: listener.event_loop_threads: 1025 (expected: an integer 0..1024)"),
                broken("event loop threads negative", "listener: {event_loop_threads: -1}\n",
                        "cfg.yaml:1:32: listener.event_loop_threads: -1 (expected: an integer 0..1024)"),
                broken("listener is a scalar", "listener: 15001\n",
                        "cfg.yaml:1:11: listener: 15001 (expected: a mapping with keys: address, port, transport,"
                                + " backlog, event_loop_threads)"),
                broken("listener is a list", "listener:\n  - port: 1\n",
                        "cfg.yaml:2:3: listener: a list (expected: a mapping with keys: address, port, transport,"
                                + " backlog, event_loop_threads)"),
                broken("connection limit quoted", "connection_limit: 'many'\n",
                        "cfg.yaml:1:19: connection_limit: 'many' (expected: an integer >= 1)"),
                broken("connection limit zero", "connection_limit: 0\n",
                        "cfg.yaml:1:19: connection_limit: 0 (expected: an integer >= 1)"),

                // ---- durations
                broken("duration bare number", "timeouts: {idle: 300}\n",
                        "cfg.yaml:1:18: timeouts.idle: 300 (expected: a duration 100ms..168h: an integer and a unit"
                                + " ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("duration with space", "timeouts: {upstream_connect: 5 s}\n",
                        "cfg.yaml:1:30: timeouts.upstream_connect: '5 s' (expected: a duration 10ms..5m: an integer"
                                + " and a unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("duration unit days", "timeouts: {idle: 1d}\n",
                        "cfg.yaml:1:18: timeouts.idle: '1d' (expected: a duration 100ms..168h: an integer and a unit"
                                + " ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("duration fraction", "timeouts: {idle: 1.5m}\n",
                        "cfg.yaml:1:18: timeouts.idle: '1.5m' (expected: a duration 100ms..168h: an integer and a"
                                + " unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("duration too short", "timeouts: {upstream_connect: 9ms}\n",
                        "cfg.yaml:1:30: timeouts.upstream_connect: '9ms' (expected: a duration 10ms..5m: an integer"
                                + " and a unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("duration too long", "timeouts: {upstream_connect: 301s}\n",
                        "cfg.yaml:1:30: timeouts.upstream_connect: '301s' (expected: a duration 10ms..5m: an integer"
                                + " and a unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("duration idle beyond 7 days", "timeouts: {idle: 169h}\n",
                        "cfg.yaml:1:18: timeouts.idle: '169h' (expected: a duration 100ms..168h: an integer and a"
                                + " unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),

                // ---- flow_log
                broken("flow log relative path", "flow_log: {path: flows.jsonl}\n",
                        "cfg.yaml:1:18: flow_log.path: 'flows.jsonl' (expected: an absolute file path, or '-' for"
                                + " standard output)"),
                broken("flow log empty path", "flow_log: {path: ''}\n",
                        "cfg.yaml:1:18: flow_log.path: '' (expected: an absolute file path, or '-' for standard"
                                + " output)"),
                broken("flow log directory path", "flow_log: {path: /var/log/}\n",
                        "cfg.yaml:1:18: flow_log.path: '/var/log/' (expected: an absolute file path, or '-' for"
                                + " standard output)"),
                broken("flow log null path", "flow_log: {path: null}\n",
                        "cfg.yaml:1:18: flow_log.path: null (expected: an absolute file path, or '-' for standard"
                                + " output)"),
                broken("flow log queue too small", "flow_log: {queue_capacity: 15}\n",
                        "cfg.yaml:1:28: flow_log.queue_capacity: 15 (expected: an integer 16..16777216)"),

                // ---- keys
                broken("unknown top-level key with suggestion", "timeout: 5s\n",
                        "cfg.yaml:1:1: unknown key 'timeout' (expected one of: listener, connection_limit, timeouts,"
                                + " flow_log, peek, dns, static_policy; did you mean 'timeouts'?)"),
                broken("unknown nested key", "listener:\n  port: 15001\n  timeout: 5s\n",
                        "cfg.yaml:3:3: listener: unknown key 'timeout' (expected one of: address, port, transport,"
                                + " backlog, event_loop_threads)"),
                broken("misspelt key", "listener:\n  prot: 15001\n",
                        "cfg.yaml:2:3: listener: unknown key 'prot' (expected one of: address, port, transport,"
                                + " backlog, event_loop_threads; did you mean 'port'?)"),
                broken("dashed key", "connection-limit: 5\n",
                        "cfg.yaml:1:1: unknown key 'connection-limit' (expected one of: listener, connection_limit,"
                                + " timeouts, flow_log, peek, dns, static_policy; did you mean 'connection_limit'?)"),
                broken("duplicate key", """
                        listener:
                          port: 15001
                          transport: epoll
                          port: 15002
                        """, "cfg.yaml:4:3: listener: duplicate key 'port' (expected: each key once; first at line 2)"),
                broken("duplicate section", "listener: {}\nflow_log: {}\nlistener: {}\n",
                        "cfg.yaml:3:1: duplicate key 'listener' (expected: each key once; first at line 1)"),
                broken("merge key", "listener:\n  <<: {port: 1}\n",
                        "cfg.yaml:2:3: listener: merge key '<<' is not supported (expected: the keys written out)"),
                broken("list as a key", "? [a, b]\n: 1\n",
                        "cfg.yaml:1:3: a list as a key (expected one of: listener, connection_limit, timeouts,"
                                + " flow_log, peek, dns, static_policy)"),
                broken("top level is a list", "- listener\n",
                        "cfg.yaml:1:1: a list (expected: a mapping with any of: listener, connection_limit, timeouts,"
                                + " flow_log, peek, dns, static_policy)"),
                broken("top level is a scalar", "hello\n",
                        "cfg.yaml:1:1: 'hello' (expected: a mapping with any of: listener, connection_limit,"
                                + " timeouts, flow_log, peek, dns, static_policy)"),

                // ---- bindings
                broken("binding subnet host bits", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.1/24
                              identity: {agent_id: a1}
                        """, "cfg.yaml:3:15: static_policy.bindings[0].subnet: '10.10.1.1/24' has host bits set"
                                + " (expected: 10.10.1.0/24)"),
                broken("binding subnet not a CIDR", """
                        static_policy:
                          bindings:
                            - subnet: lab-net
                              identity: {agent_id: a1}
                        """, "cfg.yaml:3:15: static_policy.bindings[0].subnet: 'lab-net' (expected: an IPv4 or IPv6"
                                + " address or CIDR)"),
                broken("binding prefix too long", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.0/33
                              identity: {agent_id: a1}
                        """, "cfg.yaml:3:15: static_policy.bindings[0].subnet: '10.10.1.0/33' (expected: prefix"
                                + " length 0..32)"),
                broken("binding subnet twice", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.0/24
                              identity: {agent_id: a1}
                            - subnet: 10.10.1.0/24
                              identity: {agent_id: a2}
                        """, "cfg.yaml:5:15: static_policy.bindings[1].subnet: 10.10.1.0/24 bound twice (expected:"
                                + " each subnet once; first at line 3)"),
                broken("binding without identity", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.0/24
                        """, "cfg.yaml:3:7: static_policy.bindings[0].identity: missing (expected: a mapping with"
                                + " at least agent_id)"),
                broken("identity without agent_id", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.0/24
                              identity: {team_id: research}
                        """, "cfg.yaml:4:17: static_policy.bindings[0].identity.agent_id: missing (expected: an agent"
                                + " id such as research-bot)"),
                broken("identity with auth", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.0/24
                              identity: {agent_id: a1, auth: mtls}
                        """, "cfg.yaml:4:32: static_policy.bindings[0].identity: unknown key 'auth' (expected one of:"
                                + " agent_id, team_id, project_id, environment, trust_tier, active)"),
                broken("identity active yes", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.0/24
                              identity: {agent_id: a1, active: yes}
                        """, "cfg.yaml:4:40: static_policy.bindings[0].identity.active: yes (expected: true or"
                                + " false)"),
                broken("identity active quoted", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.0/24
                              identity: {agent_id: a1, active: "false"}
                        """, "cfg.yaml:4:40: static_policy.bindings[0].identity.active: 'false' (expected: true or"
                                + " false)"),
                broken("identity bad team id", """
                        static_policy:
                          bindings:
                            - subnet: 10.10.1.0/24
                              identity: {agent_id: a1, team_id: "re search"}
                        """, "cfg.yaml:4:41: static_policy.bindings[0].identity.team_id: 're search' (expected: 1-128"
                                + " characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit)"),
                broken("binding is a scalar", """
                        static_policy:
                          bindings:
                            - 10.10.1.0/24
                        """, "cfg.yaml:3:7: static_policy.bindings[0]: '10.10.1.0/24' (expected: a mapping with"
                                + " keys: subnet, identity)"),
                broken("bindings is a mapping", """
                        static_policy:
                          bindings: {subnet: 10.10.1.0/24}
                        """, "cfg.yaml:2:13: static_policy.bindings: a mapping (expected: a list of bindings, each"
                                + " {subnet: CIDR, identity: {...}})"),

                // ---- rules
                broken("rule duplicate ids", """
                        static_policy:
                          rules:
                            - {id: web, action: allow, destinations: [198.51.100.0/24]}
                            - {id: web, action: deny, destinations: [203.0.113.0/24]}
                        """, "cfg.yaml:4:12: static_policy.rules[1].id: 'web' (expected: a unique rule id; first"
                                + " used at line 3)"),
                broken("rule id reserved", """
                        static_policy:
                          rules:
                            - {id: default, action: allow, destinations: [0.0.0.0/0]}
                        """, "cfg.yaml:3:12: static_policy.rules[0].id: 'default' (expected: another id; default,"
                                + " unbound_source, agent_disabled, sni_missing, peek, loop_guard, connection_limit"
                                + " name the built-in denials)"),
                broken("rule id reserved for unbound sources", """
                        static_policy:
                          rules:
                            - {id: unbound_source, action: allow, destinations: [0.0.0.0/0]}
                        """, "cfg.yaml:3:12: static_policy.rules[0].id: 'unbound_source' (expected: another id;"
                                + " default, unbound_source, agent_disabled, sni_missing, peek, loop_guard,"
                                + " connection_limit name the built-in denials)"),
                broken("bare wildcard host", """
                        static_policy:
                          rules:
                            - {id: all, action: allow, hosts: ["*"]}
                        """, "cfg.yaml:3:40: static_policy.rules[0].hosts[0]: '*' (expected: a host name, or *.domain"
                                + " for its subdomains; never a bare *)"),
                broken("dial on an address rule", """
                        static_policy:
                          rules:
                            - {id: web, action: allow, destinations: [198.51.100.0/24], dial: resolved}
                        """, "cfg.yaml:3:71: static_policy.rules[0].dial: 'resolved' (expected: no dial key on an"
                                + " address rule (it dials the original destination); dial applies to rules with"
                                + " hosts)"),
                broken("unknown dial mode", """
                        static_policy:
                          rules:
                            - {id: web, action: allow, hosts: [a.example], dial: anywhere}
                        """, "cfg.yaml:3:58: static_policy.rules[0].dial: 'anywhere' (expected: one of:"
                                + " resolved, original_if_resolved)"),
                broken("peek limit too large", """
                        peek: {max_bytes: 70000}
                        """, "cfg.yaml:1:19: peek.max_bytes: 70000 (expected: an integer 1024..65536)"),
                broken("dns server as a name", """
                        dns: {servers: [resolver.example]}
                        """, "cfg.yaml:1:17: dns.servers[0]: 'resolver.example' (expected: an IP address literal,"
                                + " optionally with :port (IPv6 with port as [2001:db8::53]:53), never a host name)"),
                broken("rule id bad characters", """
                        static_policy:
                          rules:
                            - {id: "allow web", action: allow, destinations: [198.51.100.0/24]}
                        """, "cfg.yaml:3:12: static_policy.rules[0].id: 'allow web' (expected: 1-64 of A-Z a-z 0-9 ."
                                + " _ -)"),
                broken("rule missing everything", """
                        static_policy:
                          rules:
                            - {}
                        """,
                        "cfg.yaml:3:7: static_policy.rules[0].id: missing (expected: a rule id such as allow-web)",
                        "cfg.yaml:3:7: static_policy.rules[0].action: missing (expected: allow or deny)",
                        "cfg.yaml:3:7: static_policy.rules[0].destinations: missing (expected: a list of CIDRs or IP"
                                + " addresses (or hosts: for a rule on names))"),
                broken("rule action unknown", """
                        static_policy:
                          rules:
                            - {id: web, action: permit, destinations: [198.51.100.0/24]}
                        """, "cfg.yaml:3:25: static_policy.rules[0].action: 'permit' (expected: one of: allow, deny)"),
                broken("rule no destinations", """
                        static_policy:
                          rules:
                            - {id: web, action: allow, destinations: []}
                        """, "cfg.yaml:3:46: static_policy.rules[0].destinations: [] (expected: at least one CIDR"
                                + " or IP address)"),
                broken("rule destinations scalar", """
                        static_policy:
                          rules:
                            - {id: web, action: allow, destinations: 198.51.100.0/24}
                        """, "cfg.yaml:3:46: static_policy.rules[0].destinations: '198.51.100.0/24' (expected: a list"
                                + " of CIDRs or IP addresses, e.g. [198.51.100.0/24])"),
                broken("rule destination host bits", """
                        static_policy:
                          rules:
                            - id: web
                              action: allow
                              destinations:
                                - 198.51.100.0/24
                                - 203.0.113.7/24
                        """, "cfg.yaml:7:11: static_policy.rules[0].destinations[1]: '203.0.113.7/24' has host bits"
                                + " set (expected: 203.0.113.0/24)"),
                broken("rule destination host name", """
                        static_policy:
                          rules:
                            - {id: web, action: allow, destinations: [example.com]}
                        """, "cfg.yaml:3:47: static_policy.rules[0].destinations[0]: 'example.com' (expected: an IPv4"
                                + " or IPv6 address or CIDR)"),
                broken("rule ports bad items", """
                        static_policy:
                          rules:
                            - id: web
                              action: allow
                              destinations: [198.51.100.0/24]
                              ports: [0, 65536, "9000-8000", "443", 1.5, "80-x", [1]]
                        """,
                        "cfg.yaml:6:15: static_policy.rules[0].ports[0]: 0 (expected: an integer 1..65535)",
                        "cfg.yaml:6:18: static_policy.rules[0].ports[1]: 65536 (expected: an integer 1..65535)",
                        "cfg.yaml:6:25: static_policy.rules[0].ports[2]: '9000-8000' (expected: low-high with low"
                                + " <= high)",
                        "cfg.yaml:6:38: static_policy.rules[0].ports[3]: '443' (expected: a port 1..65535, or a range"
                                + " 'low-high' such as '8000-8100')",
                        "cfg.yaml:6:45: static_policy.rules[0].ports[4]: 1.5 (expected: a port 1..65535, or a range"
                                + " 'low-high' such as '8000-8100')",
                        "cfg.yaml:6:50: static_policy.rules[0].ports[5]: '80-x' (expected: a port 1..65535 or a range"
                                + " low-high)",
                        "cfg.yaml:6:58: static_policy.rules[0].ports[6]: a list (expected: a port 1..65535, or a range"
                                + " 'low-high' such as '8000-8100')"),
                broken("rule ports empty", """
                        static_policy:
                          rules:
                            - {id: web, action: allow, destinations: [198.51.100.0/24], ports: []}
                        """, "cfg.yaml:3:72: static_policy.rules[0].ports: [] (expected: at least one port; omit"
                                + " the key to match any port)"),
                broken("rule agents empty", """
                        static_policy:
                          bindings:
                            - {subnet: 10.10.1.0/24, identity: {agent_id: a1}}
                          rules:
                            - {id: web, action: allow, destinations: [198.51.100.0/24], agents: []}
                        """, "cfg.yaml:5:73: static_policy.rules[0].agents: [] (expected: at least one agent id;"
                                + " omit the key to match every agent)"),
                broken("rule agent not bound", """
                        static_policy:
                          bindings:
                            - {subnet: 10.10.1.0/24, identity: {agent_id: research-bot}}
                          rules:
                            - {id: web, action: allow, destinations: [198.51.100.0/24], agents: [reserch-bot]}
                        """, "cfg.yaml:5:74: static_policy.rules[0].agents[0]: 'reserch-bot' (expected: an agent_id"
                                + " bound in static_policy.bindings: research-bot)"),
                broken("rule agent without any binding", """
                        static_policy:
                          rules:
                            - {id: web, action: allow, destinations: [198.51.100.0/24], agents: [a1]}
                        """, "cfg.yaml:3:74: static_policy.rules[0].agents[0]: 'a1' (expected: an agent_id bound in"
                                + " static_policy.bindings (there are none))"),
                broken("rules is a scalar", "static_policy: {rules: deny-all}\n",
                        "cfg.yaml:1:24: static_policy.rules: 'deny-all' (expected: a list of rules, each {id, action,"
                                + " destinations, ...})"),
                broken("static policy empty", "static_policy:\n",
                        "cfg.yaml:1:15: static_policy: an empty value (expected: a mapping with keys: bindings,"
                                + " rules)"),

                // ---- all errors at once, sorted by line although read in schema order
                broken("several errors sorted by line", """
                        static_policy:
                          rules:
                            - {id: web, action: maybe, destinations: [198.51.100.0/24]}
                        flow_log:
                          queue_capacity: 1
                        listener:
                          port: 0
                          transport: epol
                        bogus: 1
                        """,
                        "cfg.yaml:3:25: static_policy.rules[0].action: 'maybe' (expected: one of: allow, deny)",
                        "cfg.yaml:5:19: flow_log.queue_capacity: 1 (expected: an integer 16..16777216)",
                        "cfg.yaml:7:9: listener.port: 0 (expected: an integer 1..65535)",
                        "cfg.yaml:8:14: listener.transport: 'epol' (expected: one of: epoll, io_uring, nio)",
                        "cfg.yaml:9:1: unknown key 'bogus' (expected one of: listener, connection_limit, timeouts,"
                                + " flow_log, peek, dns, static_policy)"),

                // ---- YAML itself
                broken("syntax: tab indentation", "listener:\n\tport: 1\n",
                        "cfg.yaml:2:1: invalid YAML: found character '\\t(TAB)' that cannot start any token. (Do not"
                                + " use \\t(TAB) for indentation)"),
                broken("syntax: unclosed flow list", "static_policy:\n  rules: [1,\n",
                        "cfg.yaml:3:1: invalid YAML: expected the node content, but found '<stream end>'"),
                broken("syntax: bad indentation", "listener:\n  port: 1\n transport: nio\n",
                        "cfg.yaml:3:2: invalid YAML: expected <block end>, but found '<block mapping start>'"),
                broken("syntax: unquoted IPv6 wildcard", "listener:\n  address: ::\n",
                        "cfg.yaml:2:13: invalid YAML: mapping values are not allowed here"),
                broken("two documents", "listener: {}\n---\nlistener: {}\n",
                        "cfg.yaml:2:1: invalid YAML: but found another document (expected a single document in the"
                                + " stream)"),
                broken("control character", "listener: {transport: \"nio\"}\nflow_log: \u0001\n",
                        "cfg.yaml:2:11: character U+0001 is not allowed (expected: printable text)"),
                broken("global java tag", "listener: !!java.lang.Object {}\n",
                        "cfg.yaml:1:11: tag '!!java.lang.Object' is not allowed (expected: plain YAML values without"
                                + " tags)"),
                broken("global python tag", "flow_log: {path: !!python/object:os.system x}\n",
                        "cfg.yaml:1:18: tag '!!python/object:os.system' is not allowed (expected: plain YAML values"
                                + " without tags)"),
                broken("local tags, all reported", "listener: {port: !port 1, transport: !t nio}\nfoo: !<x> 1\n",
                        "cfg.yaml:1:18: listener.port: tag '!port' is not allowed (expected: plain YAML values"
                                + " without tags)",
                        "cfg.yaml:1:38: listener.transport: tag '!t' is not allowed (expected: plain YAML values"
                                + " without tags)",
                        "cfg.yaml:2:6: foo: tag '!<x>' is not allowed (expected: plain YAML values without tags)"),
                broken("verbatim global tag", "listener: !<tag:clawgress.io,2024:listener> {}\n",
                        "cfg.yaml:1:11: listener: tag '!<tag:clawgress.io,2024:listener>' is not allowed (expected:"
                                + " plain YAML values without tags)"),
                broken("standard tag of the wrong type", "listener: !!set {port}\n",
                        "cfg.yaml:1:11: listener: a mapping (expected: a mapping with keys: address, port, transport,"
                                + " backlog, event_loop_threads)"),
                broken("empty document", "",
                        "cfg.yaml: empty file (expected: a YAML mapping with any of: listener, connection_limit,"
                                + " timeouts, flow_log, peek, dns, static_policy; see docs/config.md)"),
                broken("only comments", "# nothing here\n\n# yet\n",
                        "cfg.yaml: empty file (expected: a YAML mapping with any of: listener, connection_limit,"
                                + " timeouts, flow_log, peek, dns, static_policy; see docs/config.md)"),
                broken("explicit null document", "~\n",
                        "cfg.yaml:1:1: ~ (expected: a mapping with any of: listener, connection_limit, timeouts,"
                                + " flow_log, peek, dns, static_policy)"));
    }

    private static Case broken(String name, String yaml, String... expected) {
        return new Case(name, yaml, List.of(expected));
    }

    @Test
    void aliasBombIsRefused() {
        StringBuilder yaml = new StringBuilder("a0: &a0 [x, x]\n");
        for (int i = 1; i < 30; i++) {
            yaml.append("a").append(i).append(": &a").append(i).append(" [*a").append(i - 1).append(", *a")
                    .append(i - 1).append("]\n");
        }
        assertThat(errors(yaml.toString())).containsExactly(
                "cfg.yaml: too many aliases (expected: at most 50 aliases of lists or mappings)");
    }

    @Test
    void deepNestingIsRefused() {
        String yaml = "listener: " + "[".repeat(40) + "]".repeat(40) + "\n";
        assertThat(errors(yaml)).containsExactly(
                "cfg.yaml: lists and mappings nested too deep (expected: at most 32 levels)");
    }

    @Test
    void recursiveAndUndefinedAliases() {
        assertThat(errors("static_policy: &s {rules: *s}\n")).containsExactly(
                "cfg.yaml:1:16: static_policy.rules: a mapping (expected: a list of rules, each {id, action,"
                        + " destinations, ...})");
        assertThat(errors("static_policy:\n  rules: &r [*r]\n")).containsExactly(
                "cfg.yaml:2:10: static_policy.rules[0]: a list (expected: a mapping with keys: id, action,"
                        + " hosts, destinations, ports, agents, dial)");
        assertThat(errors("listener: *nope\n")).containsExactly(
                "cfg.yaml:1:11: invalid YAML: found undefined alias nope");
    }

    @Test
    void errorsAreCappedSoAHugeBrokenFileStaysReadable() {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            yaml.append("key").append(i).append(": 1\n");
        }
        List<String> errors = errors(yaml.toString());
        assertThat(errors).hasSize(101);
        assertThat(errors.get(0)).startsWith("cfg.yaml:1:1: unknown key 'key0'");
        assertThat(errors.get(99)).startsWith("cfg.yaml:100:1: unknown key 'key99'");
        assertThat(errors.get(100)).isEqualTo("cfg.yaml: ... and 50 more errors (fix the ones above first)");
    }

    @Test
    void controlCharactersInValuesAreEscapedInMessages() {
        assertThat(errors("listener: {transport: \"ep\\toll\\u202e\"}\n")).containsExactly(
                "cfg.yaml:1:23: listener.transport: 'ep\\toll\\u202E' (expected: one of: epoll, io_uring, nio)");
    }

    @Test
    void longValuesAreCut() {
        String value = "x".repeat(200);
        assertThat(errors("listener: {transport: " + value + "}\n")).containsExactly(
                "cfg.yaml:1:23: listener.transport: '" + "x".repeat(60) + "...' (expected: one of: epoll, io_uring,"
                        + " nio)");
    }
}
