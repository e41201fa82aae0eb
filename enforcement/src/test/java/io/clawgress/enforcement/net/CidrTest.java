package io.clawgress.enforcement.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CidrTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
            "10.0.0.0/8, 10.255.1.2, true",
            "10.0.0.0/8, 11.0.0.1, false",
            "198.18.1.0/24, 198.18.1.255, true",
            "198.18.1.0/24, 198.18.2.0, false",
            "198.18.1.7, 198.18.1.7, true",
            "198.18.1.7, 198.18.1.8, false",
            "0.0.0.0/0, 1.2.3.4, true",
            "172.16.0.0/12, 172.31.255.255, true",
            "172.16.0.0/12, 172.32.0.0, false",
            "169.254.0.0/16, 169.254.169.254, true",
            "2001:db8::/32, 2001:db8:1::1, true",
            "2001:db8::/32, 2001:db9::1, false",
            "10.0.0.0/8, ::ffff:10.0.0.1, true",
            "::/0, 10.0.0.1, false",
    })
    void containment(String cidr, String address, boolean expected) throws Exception {
        assertThat(Cidr.parse(cidr).contains(InetAddress.getByName(address))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "10.0.0.1/8     | '10.0.0.1/8' has host bits set (expected: 10.0.0.0/8)",
            "10.0.0.0/33    | '10.0.0.0/33' (expected: prefix length 0..32)",
            "10.0.0.0/x     | '10.0.0.0/x' (expected: prefix length 0..32)",
            "example.com/24 | 'example.com/24' (expected: an IPv4 or IPv6 address or CIDR)",
            "10.0.0/24      | '10.0.0/24' (expected: an IPv4 or IPv6 address or CIDR)",
            "300.1.1.1      | '300.1.1.1' (expected: an IPv4 or IPv6 address or CIDR)",
            "010.0.0.1      | '010.0.0.1' (expected: an IPv4 or IPv6 address or CIDR)",
            "2001:db8::1/32 | '2001:db8::1/32' has host bits set (expected: 2001:db8::/32)",
            "2001:db8::/129 | '2001:db8::/129' (expected: prefix length 0..128)",
    })
    void rejectsWhatIsNotAPrefix(String text, String message) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @ParameterizedTest(name = "ports {0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "443        | 443:true 444:false",
            "8000-8100  | 7999:false 8000:true 8100:true 8101:false",
            "1-65535    | 1:true 65535:true",
    })
    void portSets(String spec, String probes) {
        PortSet set = PortSet.of(List.of(spec));
        for (String probe : probes.split(" ")) {
            String[] kv = probe.split(":");
            assertThat(set.contains(Integer.parseInt(kv[0]))).as(probe).isEqualTo(Boolean.parseBoolean(kv[1]));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "0         | '0' (expected: a port 1..65535 or a range low-high)",
            "65536     | '65536' (expected: a port 1..65535 or a range low-high)",
            "90-80     | '90-80' (expected: low-high with low <= high)",
            "http      | 'http' (expected: a port 1..65535 or a range low-high)",
    })
    void rejectsBadPorts(String item, String message) {
        assertThatThrownBy(() -> PortSet.of(List.of(item))).hasMessage(message);
    }
}
