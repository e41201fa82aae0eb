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
                // ---- audit
                broken("audit overflow mode unknown", "audit: {on_overflow: block}\n",
                        "cfg.yaml:1:22: audit.on_overflow: 'block' (expected: one of: drop_and_gap, refuse_new_flows)"),
                broken("audit dir relative", "audit: {dir: audit}\n",
                        "cfg.yaml:1:14: audit.dir: 'audit' (expected: an absolute directory path such as"
                                + " /var/log/clawgress/audit)"),
                // ---- identity and intercept
                broken("trust domain with upper case", "identity: {trust_domain: Agents.Example}\n",
                        "cfg.yaml:1:26: identity.trust_domain: Agents.Example (expected: a SPIFFE trust domain of"
                                + " lower-case a-z 0-9 . _ -, e.g. agents.example.com)"),
                broken("jwt header is Host", "identity: {jwt_header: Host}\n",
                        "cfg.yaml:1:24: identity.jwt_header: Host (expected: not Host, Content-Length or"
                                + " Transfer-Encoding: the gateway removes this field from every request)"),
                broken("clock skew too large", "identity: {jwt_clock_skew: 1h}\n",
                        "cfg.yaml:1:28: identity.jwt_clock_skew: '1h' (expected: a duration 0h..5m: an integer and a"
                                + " unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("relative upstream CA", "intercept: {upstream_ca: ca.pem}\n",
                        "cfg.yaml:1:26: intercept.upstream_ca: 'ca.pem' (expected: an absolute file path such as"
                                + " /etc/clawgress/upstream-ca.pem)"),
                broken("unknown intercept key", "intercept: {client_certs: true}\n",
                        "cfg.yaml:1:13: intercept: unknown key 'client_certs' (expected one of: client_certificates,"
                                + " upstream_ca, upstream_handshake_timeout)"),
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
                                + " flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics; did you mean 'timeouts'?)"),
                broken("unknown nested key", "listener:\n  port: 15001\n  timeout: 5s\n",
                        "cfg.yaml:3:3: listener: unknown key 'timeout' (expected one of: address, port, transport,"
                                + " backlog, event_loop_threads)"),
                broken("misspelt key", "listener:\n  prot: 15001\n",
                        "cfg.yaml:2:3: listener: unknown key 'prot' (expected one of: address, port, transport,"
                                + " backlog, event_loop_threads; did you mean 'port'?)"),
                broken("dashed key", "connection-limit: 5\n",
                        "cfg.yaml:1:1: unknown key 'connection-limit' (expected one of: listener, connection_limit,"
                                + " timeouts, flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics; did you mean"
                                + " 'connection_limit'?)"),
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
                                + " flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics)"),
                broken("top level is a list", "- listener\n",
                        "cfg.yaml:1:1: a list (expected: a mapping with any of: listener, connection_limit, timeouts,"
                                + " flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics)"),
                broken("top level is a scalar", "hello\n",
                        "cfg.yaml:1:1: 'hello' (expected: a mapping with any of: listener, connection_limit,"
                                + " timeouts, flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics)"),

                // ---- peek and dns
                broken("peek limit too large", """
                        peek: {max_bytes: 70000}
                        """, "cfg.yaml:1:19: peek.max_bytes: 70000 (expected: an integer 1024..65536)"),
                broken("dns server as a name", """
                        dns: {servers: [resolver.example]}
                        """, "cfg.yaml:1:17: dns.servers[0]: 'resolver.example' (expected: an IP address literal,"
                                + " optionally with :port (IPv6 with port as [2001:db8::53]:53), never a host name)"),
                broken("dns serve_stale beyond a day", "dns: {serve_stale: 25h}\n",
                        "cfg.yaml:1:20: dns.serve_stale: '25h' (expected: a duration 0h..24h: an integer and a unit"
                                + " ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                // ---- state_dir
                broken("state dir relative", "state_dir: var/lib/clawgress\n",
                        "cfg.yaml:1:12: state_dir: 'var/lib/clawgress' (expected: an absolute directory path such as"
                                + " /var/lib/clawgress)"),
                broken("state dir root", "state_dir: /\n",
                        "cfg.yaml:1:12: state_dir: '/' (expected: an absolute directory path such as"
                                + " /var/lib/clawgress)"),
                broken("state dir empty", "state_dir:\n",
                        "cfg.yaml:1:11: state_dir: an empty value (expected: an absolute directory path such as"
                                + " /var/lib/clawgress)"),
                broken("state dir home", "state_dir: ~/clawgress\n",
                        "cfg.yaml:1:12: state_dir: '~/clawgress' (expected: an absolute directory path such as"
                                + " /var/lib/clawgress)"),
                broken("state dir boolean", "state_dir: yes\n",
                        "cfg.yaml:1:12: state_dir: yes (expected: an absolute directory path such as"
                                + " /var/lib/clawgress)"),
                broken("state dir list", "state_dir: [/var/lib/clawgress]\n",
                        "cfg.yaml:1:12: state_dir: a list (expected: an absolute directory path such as"
                                + " /var/lib/clawgress)"),
                broken("state dir control character", "state_dir: \"/var/lib/claw\\tgress\"\n",
                        "cfg.yaml:1:12: state_dir: '/var/lib/claw\\tgress' (expected: an absolute directory path"
                                + " such as /var/lib/clawgress)"),

                // ---- policy: the section
                broken("policy empty", "policy:\n",
                        "cfg.yaml:1:8: policy: an empty value (expected: a mapping with keys: trusted_keys, bundle,"
                                + " drop_dir, bundle_url, bundle_url_ca, bundle_url_interval, generations,"
                                + " max_bundle_size, unsafe_unsigned_policy_dir)"),
                broken("policy a path", "policy: /etc/clawgress/bundle.tar.gz\n",
                        "cfg.yaml:1:9: policy: '/etc/clawgress/bundle.tar.gz' (expected: a mapping with keys:"
                                + " trusted_keys, bundle, drop_dir, bundle_url, bundle_url_ca, bundle_url_interval,"
                                + " generations, max_bundle_size, unsafe_unsigned_policy_dir)"),
                broken("policy misspelt key", "policy:\n  trusted_key: /etc/clawgress/trusted-keys.json\n",
                        "cfg.yaml:2:3: policy: unknown key 'trusted_key' (expected one of: trusted_keys, bundle,"
                                + " drop_dir, bundle_url, bundle_url_ca, bundle_url_interval, generations,"
                                + " max_bundle_size, unsafe_unsigned_policy_dir; did you mean 'trusted_keys'?)"),
                broken("policy dashed key", "policy:\n  drop-dir: /var/lib/clawgress/drop\n",
                        "cfg.yaml:2:3: policy: unknown key 'drop-dir' (expected one of: trusted_keys, bundle,"
                                + " drop_dir, bundle_url, bundle_url_ca, bundle_url_interval, generations,"
                                + " max_bundle_size, unsafe_unsigned_policy_dir; did you mean 'drop_dir'?)"),
                broken("the old static_policy section", "static_policy: {}\n",
                        "cfg.yaml:1:1: unknown key 'static_policy' (expected one of: listener, connection_limit,"
                                + " timeouts, flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics)"),

                // ---- policy: paths
                broken("trusted keys relative", "policy:\n  trusted_keys: trusted-keys.json\n",
                        "cfg.yaml:2:17: policy.trusted_keys: 'trusted-keys.json' (expected: an absolute file path"
                                + " such as /etc/clawgress/trusted-keys.json)"),
                broken("trusted keys a directory", "policy:\n  trusted_keys: /etc/clawgress/\n",
                        "cfg.yaml:2:17: policy.trusted_keys: '/etc/clawgress/' (expected: an absolute file path"
                                + " such as /etc/clawgress/trusted-keys.json)"),
                broken("trusted keys a number", "policy:\n  trusted_keys: 42\n",
                        "cfg.yaml:2:17: policy.trusted_keys: 42 (expected: an absolute file path such as"
                                + " /etc/clawgress/trusted-keys.json)"),
                broken("bundle relative", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          bundle: ./bundle.tar.gz
                        """, "cfg.yaml:3:11: policy.bundle: './bundle.tar.gz' (expected: an absolute file path such as"
                                + " /etc/clawgress/bundle.tar.gz)"),
                broken("bundle null", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          bundle: null
                        """, "cfg.yaml:3:11: policy.bundle: null (expected: an absolute file path such as"
                                + " /etc/clawgress/bundle.tar.gz)"),
                broken("drop dir relative", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          drop_dir: drop
                        """, "cfg.yaml:3:13: policy.drop_dir: 'drop' (expected: an absolute directory path such as"
                                + " /var/lib/clawgress/drop)"),
                broken("drop dir root", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          drop_dir: //
                        """, "cfg.yaml:3:13: policy.drop_dir: '//' (expected: an absolute directory path such as"
                                + " /var/lib/clawgress/drop)"),
                broken("bundle url CA relative", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          bundle_url: https://policy.example.com/bundle.tar.gz
                          bundle_url_ca: ca.pem
                        """, "cfg.yaml:4:18: policy.bundle_url_ca: 'ca.pem' (expected: an absolute file path such as"
                                + " /etc/clawgress/bundle-ca.pem)"),
                broken("unsafe dir relative", "policy:\n  unsafe_unsigned_policy_dir: policies\n",
                        "cfg.yaml:2:31: policy.unsafe_unsigned_policy_dir: 'policies' (expected: an absolute"
                                + " directory path such as /srv/clawgress/dev-policy)"),

                // ---- policy: bundle_url
                url("bundle url http", "http://policy.example.com/bundle.tar.gz",
                        "'http://policy.example.com/bundle.tar.gz' (expected: an https:// URL; plain http and other"
                                + " schemes are refused)"),
                url("bundle url ftp", "ftp://policy.example.com/bundle.tar.gz",
                        "'ftp://policy.example.com/bundle.tar.gz' (expected: an https:// URL; plain http and other"
                                + " schemes are refused)"),
                url("bundle url file", "file:///etc/clawgress/bundle.tar.gz",
                        "'file:///etc/clawgress/bundle.tar.gz' (expected: an https:// URL; plain http and other"
                                + " schemes are refused)"),
                url("bundle url without scheme", "policy.example.com/bundle.tar.gz",
                        "'policy.example.com/bundle.tar.gz' (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz)"),
                url("bundle url without host", "https:///bundle.tar.gz",
                        "'https:///bundle.tar.gz' (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz)"),
                url("bundle url opaque", "https:policy.example.com",
                        "'https:policy.example.com' (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz)"),
                url("bundle url host not a DNS name", "https://policy_server.example/bundle.tar.gz",
                        "'https://policy_server.example/bundle.tar.gz' (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz)"),
                url("bundle url with a space", "https://policy.example.com/my bundle.tar.gz",
                        "'https://policy.example.com/my bundle.tar.gz' (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz)"),
                url("bundle url port zero", "https://policy.example.com:0/bundle.tar.gz",
                        "'https://policy.example.com:0/bundle.tar.gz' (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz)"),
                url("bundle url port too large", "https://policy.example.com:65536/bundle.tar.gz",
                        "'https://policy.example.com:65536/bundle.tar.gz' (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz)"),
                url("bundle url with a fragment", "https://policy.example.com/bundle.tar.gz#latest",
                        "'https://policy.example.com/bundle.tar.gz#latest' (expected: an https:// URL without a"
                                + " #fragment)"),
                url("bundle url with an empty fragment", "https://policy.example.com/bundle.tar.gz#",
                        "'https://policy.example.com/bundle.tar.gz#' (expected: an https:// URL without a"
                                + " #fragment)"),
                // The value is not echoed: it holds a password.
                url("bundle url with user and password", "https://gw:s3cret@policy.example.com/bundle.tar.gz",
                        "a URL with user information (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz, without user:password@)"),
                url("bundle url with user", "https://gw@policy.example.com/bundle.tar.gz",
                        "a URL with user information (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz, without user:password@)"),
                url("bundle url with user and a bad host", "https://gw:s3cret@policy_server/bundle.tar.gz",
                        "a URL with user information (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz, without user:password@)"),
                broken("bundle url a list", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          bundle_url: [https://policy.example.com/bundle.tar.gz]
                        """, "cfg.yaml:3:15: policy.bundle_url: a list (expected: an https:// URL such as"
                                + " https://policy.example.com/bundle.tar.gz)"),

                // ---- policy: numbers
                broken("bundle url interval too short", "policy: {bundle_url_interval: 4s}\n",
                        "cfg.yaml:1:31: policy.bundle_url_interval: '4s' (expected: a duration 5s..24h: an integer"
                                + " and a unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("bundle url interval too long", "policy: {bundle_url_interval: 25h}\n",
                        "cfg.yaml:1:31: policy.bundle_url_interval: '25h' (expected: a duration 5s..24h: an integer"
                                + " and a unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("bundle url interval bare number", "policy: {bundle_url_interval: 60}\n",
                        "cfg.yaml:1:31: policy.bundle_url_interval: 60 (expected: a duration 5s..24h: an integer"
                                + " and a unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("bundle url interval in days", "policy: {bundle_url_interval: 1d}\n",
                        "cfg.yaml:1:31: policy.bundle_url_interval: '1d' (expected: a duration 5s..24h: an integer"
                                + " and a unit ms, s, m or h, e.g. 250ms, 5s, 2m)"),
                broken("generations zero", "policy: {generations: 0}\n",
                        "cfg.yaml:1:23: policy.generations: 0 (expected: an integer 1..100)"),
                broken("generations too many", "policy: {generations: 101}\n",
                        "cfg.yaml:1:23: policy.generations: 101 (expected: an integer 1..100)"),
                broken("generations quoted", "policy: {generations: \"5\"}\n",
                        "cfg.yaml:1:23: policy.generations: '5' (expected: an integer 1..100, without quotes)"),
                broken("max bundle size too small", "policy: {max_bundle_size: 1023}\n",
                        "cfg.yaml:1:27: policy.max_bundle_size: 1023 (expected: an integer 1024..1073741824)"),
                broken("max bundle size too large", "policy: {max_bundle_size: 1073741825}\n",
                        "cfg.yaml:1:27: policy.max_bundle_size: 1073741825 (expected: an integer"
                                + " 1024..1073741824)"),
                broken("max bundle size with a unit", "policy: {max_bundle_size: 32MiB}\n",
                        "cfg.yaml:1:27: policy.max_bundle_size: '32MiB' (expected: an integer 1024..1073741824)"),
                broken("max bundle size with underscores", "policy: {max_bundle_size: 33_554_432}\n",
                        "cfg.yaml:1:27: policy.max_bundle_size: 33_554_432 (expected: a decimal integer"
                                + " 1024..1073741824)"),

                // ---- policy: keys that need or exclude each other
                broken("bundle without trusted keys", """
                        policy:
                          bundle: /etc/clawgress/bundle.tar.gz
                        """, "cfg.yaml:2:3: policy.trusted_keys: missing (expected: the absolute path of the key set"
                                + " that verifies bundles; required with bundle)"),
                broken("drop dir without trusted keys", "policy: {drop_dir: /var/lib/clawgress/drop}\n",
                        "cfg.yaml:1:9: policy.trusted_keys: missing (expected: the absolute path of the key set"
                                + " that verifies bundles; required with drop_dir)"),
                broken("bundle url without trusted keys", """
                        state_dir: /var/lib/clawgress
                        policy:
                          bundle_url: https://policy.example.com/bundle.tar.gz
                        """, "cfg.yaml:3:3: policy.trusted_keys: missing (expected: the absolute path of the key set"
                                + " that verifies bundles; required with bundle_url)"),
                broken("every source without trusted keys", """
                        policy:
                          bundle_url: https://policy.example.com/bundle.tar.gz
                          drop_dir: /var/lib/clawgress/drop
                          bundle: /etc/clawgress/bundle.tar.gz
                        """, "cfg.yaml:2:3: policy.trusted_keys: missing (expected: the absolute path of the key set"
                                + " that verifies bundles; required with bundle, drop_dir, bundle_url)"),
                broken("a wrong source without trusted keys: both reported", """
                        policy:
                          bundle: bundle.tar.gz
                        """,
                        "cfg.yaml:2:3: policy.trusted_keys: missing (expected: the absolute path of the key set"
                                + " that verifies bundles; required with bundle)",
                        "cfg.yaml:2:11: policy.bundle: 'bundle.tar.gz' (expected: an absolute file path such as"
                                + " /etc/clawgress/bundle.tar.gz)"),
                broken("wrong trusted keys are reported once, not also as missing", """
                        policy:
                          trusted_keys: keys.json
                          bundle: /etc/clawgress/bundle.tar.gz
                        """, "cfg.yaml:2:17: policy.trusted_keys: 'keys.json' (expected: an absolute file path such as"
                                + " /etc/clawgress/trusted-keys.json)"),
                broken("unsafe dir with trusted keys", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          unsafe_unsigned_policy_dir: /home/dev/policies
                        """, "cfg.yaml:3:31: policy.unsafe_unsigned_policy_dir: '/home/dev/policies' together with"
                                + " trusted_keys (expected: either unsafe_unsigned_policy_dir alone, for development,"
                                + " or trusted_keys with signed bundle sources)"),
                broken("unsafe dir with a bundle and no keys: one error", """
                        policy:
                          unsafe_unsigned_policy_dir: /home/dev/policies
                          bundle: /etc/clawgress/bundle.tar.gz
                        """, "cfg.yaml:2:31: policy.unsafe_unsigned_policy_dir: '/home/dev/policies' together with"
                                + " bundle (expected: either unsafe_unsigned_policy_dir alone, for development, or"
                                + " trusted_keys with signed bundle sources)"),
                broken("unsafe dir with a drop dir", """
                        policy:
                          drop_dir: /var/lib/clawgress/drop
                          unsafe_unsigned_policy_dir: /home/dev/policies
                        """, "cfg.yaml:3:31: policy.unsafe_unsigned_policy_dir: '/home/dev/policies' together with"
                                + " drop_dir (expected: either unsafe_unsigned_policy_dir alone, for development, or"
                                + " trusted_keys with signed bundle sources)"),
                broken("unsafe dir with everything", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          bundle: /etc/clawgress/bundle.tar.gz
                          drop_dir: /var/lib/clawgress/drop
                          bundle_url: https://policy.example.com/bundle.tar.gz
                          unsafe_unsigned_policy_dir: /home/dev/policies
                        """, "cfg.yaml:6:31: policy.unsafe_unsigned_policy_dir: '/home/dev/policies' together with"
                                + " trusted_keys, bundle, drop_dir, bundle_url (expected: either"
                                + " unsafe_unsigned_policy_dir alone, for development, or trusted_keys with signed"
                                + " bundle sources)"),
                broken("bundle url CA without bundle url", """
                        policy:
                          trusted_keys: /etc/clawgress/trusted-keys.json
                          bundle: /etc/clawgress/bundle.tar.gz
                          bundle_url_ca: /etc/clawgress/policy-ca.pem
                        """, "cfg.yaml:4:18: policy.bundle_url_ca: '/etc/clawgress/policy-ca.pem' without bundle_url"
                                + " (expected: bundle_url_ca only together with the bundle_url whose server it"
                                + " verifies)"),
                broken("bundle url CA alone", "policy: {bundle_url_ca: /etc/clawgress/policy-ca.pem}\n",
                        "cfg.yaml:1:25: policy.bundle_url_ca: '/etc/clawgress/policy-ca.pem' without bundle_url"
                                + " (expected: bundle_url_ca only together with the bundle_url whose server it"
                                + " verifies)"),
                broken("bundle url CA with the unsafe dir", """
                        policy:
                          unsafe_unsigned_policy_dir: /home/dev/policies
                          bundle_url_ca: /etc/clawgress/policy-ca.pem
                        """, "cfg.yaml:3:18: policy.bundle_url_ca: '/etc/clawgress/policy-ca.pem' without bundle_url"
                                + " (expected: bundle_url_ca only together with the bundle_url whose server it"
                                + " verifies)"),

                // ---- all errors at once, sorted by line although read in schema order
                broken("several errors sorted by line", """
                        policy:
                          generations: many
                          bundle: bundle.tar.gz
                        flow_log:
                          queue_capacity: 1
                        listener:
                          port: 0
                          transport: epol
                        bogus: 1
                        """,
                        "cfg.yaml:2:3: policy.trusted_keys: missing (expected: the absolute path of the key set"
                                + " that verifies bundles; required with bundle)",
                        "cfg.yaml:2:16: policy.generations: 'many' (expected: an integer 1..100)",
                        "cfg.yaml:3:11: policy.bundle: 'bundle.tar.gz' (expected: an absolute file path such as"
                                + " /etc/clawgress/bundle.tar.gz)",
                        "cfg.yaml:5:19: flow_log.queue_capacity: 1 (expected: an integer 16..16777216)",
                        "cfg.yaml:7:9: listener.port: 0 (expected: an integer 1..65535)",
                        "cfg.yaml:8:14: listener.transport: 'epol' (expected: one of: epoll, io_uring, nio)",
                        "cfg.yaml:9:1: unknown key 'bogus' (expected one of: listener, connection_limit, timeouts,"
                                + " flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics)"),

                // ---- YAML itself
                broken("syntax: tab indentation", "listener:\n\tport: 1\n",
                        "cfg.yaml:2:1: invalid YAML: found character '\\t(TAB)' that cannot start any token. (Do not"
                                + " use \\t(TAB) for indentation)"),
                broken("syntax: unclosed flow list", "peek:\n  server_first_ports: [1,\n",
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
                                + " timeouts, flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics; see docs/config.md)"),
                broken("only comments", "# nothing here\n\n# yet\n",
                        "cfg.yaml: empty file (expected: a YAML mapping with any of: listener, connection_limit,"
                                + " timeouts, flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics; see docs/config.md)"),
                broken("explicit null document", "~\n",
                        "cfg.yaml:1:1: ~ (expected: a mapping with any of: listener, connection_limit, timeouts,"
                                + " flow_log, peek, dns, state_dir, policy, identity, intercept, audit, admin, metrics)"));
    }

    private static Case broken(String name, String yaml, String... expected) {
        return new Case(name, yaml, List.of(expected));
    }

    /** A bad bundle_url, with valid trusted_keys; the error is always at line 3, column 15. */
    private static Case url(String name, String url, String expected) {
        String yaml = "policy:\n  trusted_keys: /etc/clawgress/trusted-keys.json\n  bundle_url: '" + url + "'\n";
        return new Case(name, yaml, List.of("cfg.yaml:3:15: policy.bundle_url: " + expected));
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
        assertThat(errors("policy: &s {trusted_keys: *s}\n")).containsExactly(
                "cfg.yaml:1:9: policy.trusted_keys: a mapping (expected: an absolute file path such as"
                        + " /etc/clawgress/trusted-keys.json)");
        assertThat(errors("peek:\n  server_first_ports: &r [*r]\n")).containsExactly(
                "cfg.yaml:2:23: peek.server_first_ports[0]: a list (expected: an integer 1..65535)");
        assertThat(errors("listener: *nope\n")).containsExactly(
                "cfg.yaml:1:11: invalid YAML: found undefined alias nope");
    }

    @Test
    void aPasswordInTheBundleUrlIsNeverShown() {
        String yaml = "policy: {trusted_keys: /k.json, bundle_url: 'https://gw:s3cret@p.example/b'}\n";
        assertThat(String.join("\n", errors(yaml)))
                .doesNotContain("s3cret").contains("policy.bundle_url: a URL with user information");
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
