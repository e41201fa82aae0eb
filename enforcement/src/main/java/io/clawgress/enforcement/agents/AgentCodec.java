package io.clawgress.enforcement.agents;

import io.clawgress.enforcement.agents.AgentRegistryException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
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
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }

    static long decodeLong(byte[] bytes, String what) throws AgentRegistryException {
        if (bytes.length != Long.BYTES) {
            throw corrupt(what, bytes.length + " bytes (expected: " + Long.BYTES + ")");
        }
        return ByteBuffer.wrap(bytes).getLong();
    }

    static byte[] encode(AgentRecord a) {
        byte[][] strings = {utf8(a.teamId()), utf8(a.projectId()), utf8(a.environment()), utf8(a.trustTier()),
                utf8(a.statusReason()), utf8(a.note())};
        int size = 1 + 1 + 2 * (Long.BYTES + Integer.BYTES);
        for (byte[] s : strings) {
            size += Integer.BYTES + (s == null ? 0 : s.length);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(FORMAT).put(a.status() == AgentStatus.ACTIVE ? ACTIVE : DISABLED);
        b.putLong(a.createdAt().getEpochSecond()).putInt(a.createdAt().getNano());
        b.putLong(a.updatedAt().getEpochSecond()).putInt(a.updatedAt().getNano());
        for (byte[] s : strings) {
            if (s == null) {
                b.putInt(-1);
            } else {
                b.putInt(s.length).put(s);
            }
        }
        return b.array();
    }

    static AgentRecord decode(String agentId, byte[] value) throws AgentRegistryException {
        String what = "agent '" + agentId + "'";
        Reader r = new Reader(what, value);
        r.format();
        byte statusByte = r.byteValue("status");
        AgentStatus status = switch (statusByte) {
            case ACTIVE -> AgentStatus.ACTIVE;
            case DISABLED -> AgentStatus.DISABLED;
            default -> throw corrupt(what, "status " + statusByte + " (expected: 0 active or 1 disabled)");
        };
        Instant createdAt = r.instant("createdAt");
        Instant updatedAt = r.instant("updatedAt");
        String team = r.string("teamId");
        String project = r.string("projectId");
        String environment = r.string("environment");
        String trustTier = r.string("trustTier");
        String statusReason = r.string("statusReason");
        String note = r.string("note");
        r.end();
        try {
            return new AgentRecord(agentId, team, project, environment, trustTier, status, statusReason, note,
                    createdAt, updatedAt);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw corrupt(what, e.getMessage());
        }
    }

    static AgentRegistryException corrupt(String what, String detail) {
        return new AgentRegistryException(Reason.CORRUPT, what + ": " + detail);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Bounds-checked reads over one value; every failure names the value and the field. */
    private static final class Reader {
        private final String what;
        private final ByteBuffer b;

        Reader(String what, byte[] value) {
            this.what = what;
            this.b = ByteBuffer.wrap(value);
        }

        void format() throws AgentRegistryException {
            byte format = byteValue("format");
            if (format != FORMAT) {
                throw corrupt(what, "format " + format + " (expected: " + FORMAT + ")");
            }
        }

        byte byteValue(String field) throws AgentRegistryException {
            need(1, field);
            return b.get();
        }

        Instant instant(String field) throws AgentRegistryException {
            need(Long.BYTES + Integer.BYTES, field);
            long seconds = b.getLong();
            int nanos = b.getInt();
            try {
                if (nanos < 0 || nanos > 999_999_999) {
                    throw new DateTimeException("nanos " + nanos);
                }
                return Instant.ofEpochSecond(seconds, nanos);
            } catch (DateTimeException e) {
                throw corrupt(what, field + ": " + e.getMessage() + " (expected: an instant)");
            }
        }

        /** A nullable string. */
        String string(String field) throws AgentRegistryException {
            need(Integer.BYTES, field);
            int length = b.getInt();
            if (length == -1) {
                return null;
            }
            if (length < 0 || length > b.remaining()) {
                throw corrupt(what, field + ": length " + length + " with " + b.remaining()
                        + " bytes left (expected: >= 0 and <= bytes left, or -1 for null)");
            }
            ByteBuffer slice = b.slice(b.position(), length);
            b.position(b.position() + length);
            try {
                return StandardCharsets.UTF_8.newDecoder().decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw corrupt(what, field + ": not UTF-8 (" + e + ")");
            }
        }

        void end() throws AgentRegistryException {
            if (b.hasRemaining()) {
                throw corrupt(what, b.remaining() + " trailing bytes (expected: none)");
            }
        }

        private void need(int n, String field) throws AgentRegistryException {
            if (b.remaining() < n) {
                throw corrupt(what, field + ": truncated, " + b.remaining() + " bytes left (expected: " + n + ")");
            }
        }
    }
}
