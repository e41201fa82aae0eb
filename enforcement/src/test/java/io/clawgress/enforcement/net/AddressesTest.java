package io.clawgress.enforcement.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

class AddressesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "2001:db8:0:0:0:0:0:1, 2001:db8::1",
            "0:0:0:0:0:0:0:1, ::1",
            "0:0:0:0:0:0:0:0, ::",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "FE80:0:0:0:0:0:0:AB, fe80::ab",
            "198.18.1.2, 198.18.1.2",
    })
    void canonicalText(String in, String out) throws Exception {
        assertThat(Addresses.text(InetAddress.getByName(in))).isEqualTo(out);
    }
}
