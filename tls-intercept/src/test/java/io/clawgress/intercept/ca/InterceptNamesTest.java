package io.clawgress.intercept.ca;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InterceptNamesTest {

    @Test
    void parsesExactHostsAndWildcardsIntoNormalisedForm() {
        InterceptNames n = InterceptNames.of(List.of("API.Example.com.", "*.Anthropic.com", "bücher.example",
                "api.example.com"));

        assertThat(n.exactHosts()).containsExactly("api.example.com", "xn--bcher-kva.example");
        assertThat(n.wildcardDomains()).containsExactly("anthropic.com");
        assertThat(n.patterns()).containsExactly("api.example.com", "xn--bcher-kva.example", "*.anthropic.com");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "*             | never a bare *",
        "*.*.example.com | never a bare *",
        "a*.example.com | never a bare *",
        "10.0.0.1      | is an IP address",
        "under_score.example.com | labels of 1..63",
        "-lead.example.com | labels of 1..63",
        "a..b          | labels of 1..63",
        "::1           | labels of 1..63",
    })
    void refusesWhatIsNotAHostPattern(String pattern, String message) {
        assertThatThrownBy(() -> InterceptNames.of(List.of(pattern)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void recordRefusesUnnormalisedNames() {
        assertThatThrownBy(() -> new InterceptNames(new TreeSet<>(List.of("API.example.com")), new TreeSet<>()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exactHosts: 'API.example.com' (expected: lower-case A-labels");
    }

    @Test
    void refusesMoreThanTheLimit() {
        List<String> many = java.util.stream.IntStream.rangeClosed(0, InterceptNames.MAX_NAMES)
                .mapToObj(i -> "h" + i + ".example.com").toList();

        assertThatThrownBy(() -> InterceptNames.of(many)).hasMessage("names: 1001 (expected: <= 1000)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // host              | permitted by {api.example.com, *.example.org}
        "api.example.com     | true",
        "x.api.example.com   | false",
        "example.com         | false",
        "a.example.org       | true",
        "a.b.example.org     | true",
        "example.org         | false",
        "badexample.org      | false",
        "example.org.evil    | false",
    })
    void permitsExactHostsAndStrictSubdomainsOfWildcards(String host, boolean permitted) {
        InterceptNames n = InterceptNames.of(List.of("api.example.com", "*.example.org"));

        assertThat(n.permits(host)).isEqualTo(permitted);
    }

    /** The documented mapping (docs/intercept-ca.md), one row per case. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // names                                | permitted subtrees                  | excluded subtrees
        "api.example.com                        | api.example.com                     | .api.example.com",
        "*.example.com                          | .example.com                        | ''",
        "*.example.com api.example.com          | .example.com                        | ''",
        "example.com *.example.com              | .example.com example.com            | ''",
        "example.com api.example.com            | api.example.com example.com         | .api.example.com",
        "*.a.example.com *.example.com          | .example.com                        | ''",
        "a.example.com *.x.a.example.com        | .x.a.example.com a.example.com      | ''",
        "a.example.com b.example.net            | a.example.com b.example.net         | .a.example.com .b.example.net",
    })
    void mapsNamesToDnsNameConstraints(String names, String permitted, String excluded) {
        InterceptNames n = InterceptNames.of(Arrays.asList(names.split(" ")));

        assertThat(n.permittedDnsSubtrees()).containsExactly(split(permitted));
        assertThat(n.excludedDnsSubtrees()).containsExactly(split(excluded));
    }

    private static String[] split(String s) {
        return s.isEmpty() ? new String[0] : s.split(" ");
    }
}
