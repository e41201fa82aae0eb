package io.clawgress.enforcement.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostPatternTest {

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource({
            "api.openai.com,    api.openai.com,        true",
            "API.OpenAI.com,    api.openai.com,        true",
            "api.openai.com.,   api.openai.com,        true",
            "api.openai.com,    xapi.openai.com,       false",
            "api.openai.com,    api.openai.com.evil,   false",
            "*.anthropic.com,   api.anthropic.com,     true",
            "*.anthropic.com,   a.b.anthropic.com,     true",
            "*.anthropic.com,   anthropic.com,         false",
            "*.anthropic.com,   evilanthropic.com,     false",
            "bücher.example,    xn--bcher-kva.example, true",
            "*.bücher.example,  www.xn--bcher-kva.example, true",
    })
    void matching(String pattern, String host, boolean expected) {
        assertThat(HostPattern.parse(pattern).matches(host)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "*            | '*' (expected: a host name, or *.domain for its subdomains; never a bare *)",
            "*.           | '*.' (expected: a host name, or *.domain for its subdomains; never a bare *)",
            "api.*.com    | 'api.*.com' (expected: a host name, or *.domain for its subdomains; never a bare *)",
            "198.18.2.2   | '198.18.2.2' is an IP address (expected: a host name; use destinations for addresses)",
            "a..b         | 'a..b' (expected: a valid host name",
            "bad_host.com | 'bad_host.com' (expected: a valid host name",
    })
    void refusesWhatIsNotAName(String raw, String message) {
        assertThatThrownBy(() -> HostPattern.parse(raw)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }
}
