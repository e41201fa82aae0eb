package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.api.Termination;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The places that enumerate termination codes for readers list exactly {@link Termination}'s codes: the audit
 * schema's {@code termination} enum and the table in docs/flow-records.md. A new code cannot be forgotten there.
 */
class TerminationCodesSchemaTest {

    private static final List<String> CODES = Arrays.stream(Termination.values()).map(Termination::code).toList();

    @Test
    void theAuditSchemaEnumeratesEveryTerminationCode() throws Exception {
        JsonNode schema = new ObjectMapper().readTree(Path.of("..", "docs", "audit-record.schema.json").toFile());
        List<String> listed = new ArrayList<>();
        schema.at("/$defs/termination/enum").forEach(n -> listed.add(n.asText()));
        assertThat(listed).containsExactlyInAnyOrderElementsOf(CODES);
        assertThat(schema.at("/$defs/flow/properties/termination/$ref").asText()).isEqualTo("#/$defs/termination");
        assertThat(schema.at("/$defs/request/properties/termination/$ref").asText()).isEqualTo("#/$defs/termination");
    }

    @Test
    void theFlowRecordsDocumentHasARowForEveryTerminationCode() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "flow-records.md"));
        List<String> rows = doc.lines().filter(l -> l.matches("^\\| `[a-z_]+` \\| .*")).map(l -> l.substring(3,
                l.indexOf('`', 3))).toList();
        assertThat(rows).containsAll(CODES);
    }
}
