package io.clawgress.enforcement.policy;

import io.clawgress.enforcement.net.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompiledTablesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"0.0.0.0", "10.20.30.40", "127.0.0.1", "192.168.255.1", "255.255.255.255", "128.0.0.1"})
    void inet4HashCodeIsTheAddress(String text) throws Exception {
        Inet4Address a = (Inet4Address) InetAddress.getByName(text);
        byte[] b = a.getAddress();
        int expected = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
        assertThat(CidrBits.ipv4(a)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "10.1.2.3, /24", "10.1.9.9, /16", "10.9.9.9, /8", "11.0.0.1, /0", "10.1.2.255, /24",
            "10.1.3.0, /16", "2001:db8::1, v6/32", "2001:db8:1::1, v6/48", "2001:db9::1, v6/0",
            "2001:db8:1:0:0:0:0:7, v6/128", "2001:db8:1:0:0:0:0:8, v6/127", "2001:db8:1:0:0:0:0:9, v6/127",
            "2001:db8:1:0:0:0:0:a, v6/48"})
    void longestPrefixWins(String address, String expected) throws Exception {
        Map<Cidr, String> v4 = new LinkedHashMap<>();
        for (String c : new String[] {"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"}) {
            v4.put(Cidr.parse(c), c.substring(c.indexOf('/')));
        }
        Map<Cidr, String> v6 = new LinkedHashMap<>();
        for (String c : new String[] {"::/0", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::7/128",
                "2001:db8:1::8/127"}) {
            v6.put(Cidr.parse(c), "v6" + c.substring(c.indexOf('/')));
        }
        InetAddress a = InetAddress.getByName(address);
        String got = PrefixTable.of(true, v4).longest(a);
        if (got == null) {
            got = PrefixTable.of(false, v6).longest(a);
        }
        assertThat(got).isEqualTo(expected);
    }

    @Test
    void prefixTablesRefuseTheOtherFamily() {
        assertThatThrownBy(() -> PrefixTable.of(true, Map.of(Cidr.parse("::/0"), "x")))
                .hasMessage("cidr: ::/0 (expected: IPv4)");
    }

    @Test
    void overlapDetection() {
        assertThat(IdentityBinding.overlap(Cidr.parse("10.0.0.0/8"), Cidr.parse("10.1.0.0/16"))).isTrue();
        assertThat(IdentityBinding.overlap(Cidr.parse("10.1.0.0/16"), Cidr.parse("10.0.0.0/8"))).isTrue();
        assertThat(IdentityBinding.overlap(Cidr.parse("10.1.0.0/16"), Cidr.parse("10.2.0.0/16"))).isFalse();
        assertThat(IdentityBinding.overlap(Cidr.parse("10.1.0.0/16"), Cidr.parse("::/0"))).isFalse();
        assertThat(IdentityBinding.overlap(Cidr.parse("2001:db8::/32"), Cidr.parse("2001:db8:5::/48"))).isTrue();
    }

    @Test
    void overlapsAreFoundWithoutComparingEveryPair() {
        java.util.List<Cidr> subnets = java.util.stream.Stream.of("10.0.0.0/8", "192.168.0.0/24", "10.1.0.0/16",
                "2001:db8::/32", "10.1.2.0/24", "192.168.1.0/24", "2001:db8:1::/48", "172.16.0.0/12", "10.9.0.0/16",
                "192.168.0.0/24").map(Cidr::parse).toList();
        assertThat(IdentityBinding.overlaps(subnets)).extracting(o -> o[0] + "-" + o[1])
                .containsExactly("0-2", "0-4", "3-6", "0-8", "1-9");
        assertThat(IdentityBinding.overlaps(subnets.subList(0, 2))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"a.example.com", "example.com", "com", "x.y.z.example.com", "example.co", "xample.com",
            "aexample.com", "example.com.evil"})
    void hostTableAgreesWithHostPattern(String name) {
        String[] patterns = {"example.com", "*.example.com", "*.y.z.example.com", "*.com.evil", "a.example.com"};
        Map<String, Target[]> exact = new LinkedHashMap<>();
        Map<String, Target[]> wild = new LinkedHashMap<>();
        int expectedMatches = 0;
        for (int i = 0; i < patterns.length; i++) {
            String p = patterns[i];
            if (io.clawgress.enforcement.net.HostPattern.parse(p).matches(name)) {
                expectedMatches++;
            }
            Target[] t = {target(i, p)};
            if (p.startsWith("*.")) {
                wild.put(p.substring(2), t);
            } else {
                exact.put(p, t);
            }
        }
        Target best = new HostTable(exact, wild).best(name, new boolean[] {true}, 443,
                io.clawgress.api.PeekFacts.none());
        assertThat(best != null).isEqualTo(expectedMatches > 0);
        if (best != null) {
            assertThat(io.clawgress.enforcement.net.HostPattern.parse(best.destination.host().toString())
                    .matches(name)).isTrue();
        }
    }

    @Test
    void theInterceptLookupIgnoresSubjectsAndHttpButNotThePort() {
        Destination d = Destination.host("*.example.com", io.clawgress.enforcement.net.PortSet.of(
                java.util.List.of("443")));
        Rule rule = new Rule("r", Action.ALLOW, java.util.List.of(d), new HttpMatch(java.util.List.of("POST"),
                java.util.List.of()), true, null);
        Policy policy = new Policy("p", 1, Mode.ENFORCE, Subjects.ANY, java.util.List.of(rule));
        Target t = new Target(0, 1, policy, rule, d, "rev");
        assertThat(t.intercepts).isTrue();
        HostTable table = new HostTable(Map.of(), Map.of("example.com", new Target[] {t}));
        boolean[] otherGroupOnly = {true, false};
        io.clawgress.api.PeekFacts hello = io.clawgress.api.PeekFacts.tls("a.example.com", java.util.List.of(),
                false);
        assertThat(table.best("a.example.com", otherGroupOnly, 443, hello)).isNull();
        assertThat(table.best("a.example.com", new boolean[] {true, true}, 443, hello)).as("http needs HTTP").isNull();
        assertThat(table.bestOnPort("a.example.com", 443)).isSameAs(t);
        assertThat(table.bestOnPort("a.example.com", 8443)).isNull();
        assertThat(table.bestOnPort("example.com", 443)).isNull();
    }

    private static Target target(int rank, String host) {
        Destination d = Destination.host(host, io.clawgress.enforcement.net.PortSet.ANY);
        Rule rule = new Rule("r" + rank, Action.ALLOW, java.util.List.of(d));
        Policy policy = new Policy("p", 1, Mode.ENFORCE, Subjects.ANY, java.util.List.of(rule));
        return new Target(rank, 0, policy, rule, d, "rev");
    }
}
