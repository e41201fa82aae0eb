package io.clawgress.enforcement.policy;

import java.util.List;
import java.util.regex.Pattern;

/** The id syntax of policies and rules, and the rule ids the evaluator reserves for its own decisions. */
final class Ids {

    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final String EXPECTED = "1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit";

    private Ids() {
    }

    static void require(String field, String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException(field + ": " + (id == null ? "null" : "'" + id + "'")
                    + " (expected: " + EXPECTED + ")");
        }
    }

    static <T> List<T> copy(String field, List<T> list) {
        if (list == null) {
            throw new IllegalArgumentException(field + ": null (expected: a list)");
        }
        return List.copyOf(list);
    }
}
