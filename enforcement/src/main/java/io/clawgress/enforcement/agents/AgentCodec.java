package io.clawgress.enforcement.agents;

import io.clawgress.enforcement.agents.AgentRegistryException.Reason;
import io.clawgress.enforcement.codec.ValueReader;
import io.clawgress.enforcement.codec.ValueWriter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The byte layouts of the registry. Keys of the agents database are the agent id in ASCII, so LMDB's memcmp order is
 * id order; state values are 8-byte big-endian longs. Values are decoded strictly: a wrong length, a truncated field,
 * bad UTF-8, an unknown status or a trailing byte is {@link Reason#CORRUPT}, naming the agent.
 *
 * <pre>
 * agent = format:u8=1 status:u8 (0 active, 1 disabled) createdAtSecond:i64 createdAtNano:i32 updatedAtSecond:i64
 *         updatedAtNano:i32 teamId:str? projectId:str? environment:str? trustTier:str? statusReason:str? note:str?
 * str   = length:i32 (-1 for null) utf8:u8[length]
 * </pre>
 */
final class AgentCodec {

    private static final byte FORMAT = 1;
    private static final byte ACTIVE = 0;
    private static final byte DISABLED = 1;

    private AgentCodec() {
    }

    static byte[] key(String agentId) {
        return agentId.getBytes(StandardCharsets.US_ASCII); // AgentIds allows ASCII only
    }

    static String decodeKey(byte[] key) throws AgentRegistryException {
        String id = new String(key, StandardCharsets.ISO_8859_1); // one char per byte: any non-ASCII byte fails below
        if (!AgentIds.isValid(id)) {
            throw corrupt("agent key " + Text.quote(id), "not an agent id (expected: " + AgentIds.EXPECTED + ")");
        }
        return id;
    }

    static byte[] longBytes(long value) {
        return ValueWriter.longBytes(value);
    }

    static long decodeLong(byte[] bytes, String what) throws AgentRegistryException {
        if (bytes.length != Long.BYTES) {
            throw corrupt(what, bytes.length + " bytes (expected: " + Long.BYTES + ")");
        }
        return ByteBuffer.wrap(bytes).getLong();
    }

    static byte[] encode(AgentRecord a) {
        byte[][] strings = {ValueWriter.utf8(a.teamId()), ValueWriter.utf8(a.projectId()),
                ValueWriter.utf8(a.environment()), ValueWriter.utf8(a.trustTier()), ValueWriter.utf8(a.statusReason()),
                ValueWriter.utf8(a.note())};
        int size = 1 + 1 + 2 * ValueWriter.INSTANT_BYTES;
        for (byte[] s : strings) {
            size += ValueWriter.stringBytes(s);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(FORMAT).put(a.status() == AgentStatus.ACTIVE ? ACTIVE : DISABLED);
        ValueWriter.putInstant(b, a.createdAt());
        ValueWriter.putInstant(b, a.updatedAt());
        for (byte[] s : strings) {
            ValueWriter.putString(b, s);
        }
        return b.array();
    }

    static AgentRecord decode(String agentId, byte[] value) throws AgentRegistryException {
        String what = "agent '" + agentId + "'";
        try {
            ValueReader r = new ValueReader(value);
            r.format(FORMAT);
            byte statusByte = r.byteValue("status");
            AgentStatus status = switch (statusByte) {
                case ACTIVE -> AgentStatus.ACTIVE;
                case DISABLED -> AgentStatus.DISABLED;
                default -> throw corrupt(what, "status " + statusByte + " (expected: 0 active or 1 disabled)");
            };
            Instant createdAt = r.instant("createdAt");
            Instant updatedAt = r.instant("updatedAt");
            String team = r.string("teamId", true);
            String project = r.string("projectId", true);
            String environment = r.string("environment", true);
            String trustTier = r.string("trustTier", true);
            String statusReason = r.string("statusReason", true);
            String note = r.string("note", true);
            r.end();
            return new AgentRecord(agentId, team, project, environment, trustTier, status, statusReason, note,
                    createdAt, updatedAt);
        } catch (ValueReader.Malformed | IllegalArgumentException | NullPointerException e) {
            throw corrupt(what, e.getMessage());
        }
    }

    static AgentRegistryException corrupt(String what, String detail) {
        return new AgentRegistryException(Reason.CORRUPT, what + ": " + detail);
    }
}
