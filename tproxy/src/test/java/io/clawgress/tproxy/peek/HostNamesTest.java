package io.clawgress.tproxy.peek;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The address literal checks behind SNI and Host: text → whether it is an IPv4 / IPv6 address. */
class HostNamesTest {

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            1.2.3.4         | true
            0.0.0.0         | true
            255.255.255.255 | true
            192.0.2.01      | false
            01.2.3.4        | false
            256.1.1.1       | false
            1.2.3           | false
            1.2.3.4.5       | false
            1.2.3.          | false
            .1.2.3          | false
            1..2.3          | false
            1.2.3.4a        | false
            1111.2.3.4      | false
            0x7f.0.0.1      | false
            ''              | false
            """)
    void knowsIpv4DottedQuads(String text, boolean ipv4) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        assertThat(HostNames.isIpv4(b, 0, b.length)).isEqualTo(ipv4);
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            ::                                      | true
            ::1                                     | true
            1::                                     | true
            2001:db8::1                             | true
            2001:DB8:0:0:8:800:200C:417A            | true
            fe80::1:2:3:4:5:6                       | true
            ::ffff:192.0.2.1                        | true
            64:ff9b::192.0.2.33                     | true
            1:2:3:4:5:6:7:8                         | true
            1:2:3:4:5:6:192.0.2.1                   | true
            1:2:3:4:5:6:7:8:9                       | false
            1:2:3:4:5:6:7                           | false
            1::2::3                                 | false
            :1::2                                   | false
            1:                                      | false
            12345::1                                | false
            g::1                                    | false
            fe80::1%eth0                            | false
            fe80::1%25eth0                          | false
            ::ffff:192.0.2.256                      | false
            ::192.0.2.1:1                           | false
            1:2:3:4:5:6:7:192.0.2.1                 | false
            v1.fe                                   | false
            ''                                      | false
            :                                       | false
            """)
    void knowsIpv6Addresses(String text, boolean ipv6) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        assertThat(HostNames.isIpv6(b, 0, b.length)).isEqualTo(ipv6);
    }
}
