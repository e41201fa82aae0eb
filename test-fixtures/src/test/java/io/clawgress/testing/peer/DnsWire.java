package io.clawgress.testing.peer;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Hand-built DNS queries and a reader for the responses (RFC 1035 §4), written independently of {@link DnsZone}. */
final class DnsWire {

    private DnsWire() {
    }

    /** A standard query (RD set) for {@code name} with one question of {@code type}, class IN. */
    static byte[] query(int id, String name, int type) {
        return message(id, 0x0100, 1, question(name, type, 1), new byte[0], 0);
    }

    /** Like {@link #query} plus an EDNS OPT record advertising {@code payload} bytes, EDNS {@code version}. */
    static byte[] ednsQuery(int id, String name, int type, int payload, int version) {
        ByteBuffer opt = ByteBuffer.allocate(11);
        opt.put((byte) 0).putShort((short) 41).putShort((short) payload).putInt(version << 16).putShort((short) 0);
        return message(id, 0x0100, 1, question(name, type, 1), opt.array(), 1);
    }

    static byte[] message(int id, int flags, int qdcount, byte[] questions, byte[] additional, int arcount) {
        ByteBuffer b = ByteBuffer.allocate(12 + questions.length + additional.length);
        b.putShort((short) id).putShort((short) flags).putShort((short) qdcount).putShort((short) 0)
                .putShort((short) 0).putShort((short) arcount);
        b.put(questions).put(additional);
        return b.array();
    }

    /** QNAME (labels as given, case preserved) + QTYPE + QCLASS. */
    static byte[] question(String name, int type, int qclass) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String label : name.split("\\.")) {
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            out.write(l.length);
            out.writeBytes(l);
        }
        out.write(0);
        out.write(type >> 8);
        out.write(type);
        out.write(qclass >> 8);
        out.write(qclass);
        return out.toByteArray();
    }

    /** A parsed response: header fields, the echoed question, A answers, and the OPT record if any. */
    record Response(int id, boolean qr, boolean aa, boolean tc, boolean rd, boolean ra, int opcode, int rcode,
                    int qdcount, int ancount, int nscount, int arcount, String questionName, int questionType,
                    List<String> addresses, List<Long> ttls, Integer optPayload, Integer optExtendedRcode) {
    }

    static Response parse(byte[] msg) {
        ByteBuffer b = ByteBuffer.wrap(msg);
        int id = b.getShort() & 0xffff;
        int flags = b.getShort() & 0xffff;
        int qd = b.getShort() & 0xffff;
        int an = b.getShort() & 0xffff;
        int ns = b.getShort() & 0xffff;
        int ar = b.getShort() & 0xffff;
        String qname = null;
        int qtype = -1;
        for (int i = 0; i < qd; i++) {
            qname = readName(msg, b);
            qtype = b.getShort() & 0xffff;
            b.getShort();
        }
        List<String> addresses = new ArrayList<>();
        List<Long> ttls = new ArrayList<>();
        Integer optPayload = null;
        Integer optRcode = null;
        for (int i = 0; i < an + ns + ar; i++) {
            readName(msg, b);
            int type = b.getShort() & 0xffff;
            int cls = b.getShort() & 0xffff;
            long ttl = b.getInt() & 0xffffffffL;
            int len = b.getShort() & 0xffff;
            byte[] rdata = new byte[len];
            b.get(rdata);
            if (type == 1 && cls == 1 && len == 4) {
                try {
                    addresses.add(InetAddress.getByAddress(rdata).getHostAddress());
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
                ttls.add(ttl);
            } else if (type == 41) {
                optPayload = cls;
                optRcode = (int) (ttl >>> 24);
            }
        }
        if (b.hasRemaining()) {
            throw new IllegalStateException("trailing bytes: " + Arrays.toString(Arrays.copyOfRange(msg,
                    b.position(), msg.length)));
        }
        return new Response(id, (flags & 0x8000) != 0, (flags & 0x0400) != 0, (flags & 0x0200) != 0,
                (flags & 0x0100) != 0, (flags & 0x0080) != 0, (flags >> 11) & 0xf, flags & 0xf, qd, an, ns, ar,
                qname, qtype, addresses, ttls, optPayload, optRcode);
    }

    private static String readName(byte[] msg, ByteBuffer b) {
        StringBuilder sb = new StringBuilder();
        int pos = b.position();
        boolean jumped = false;
        while (true) {
            int len = msg[pos] & 0xff;
            if ((len & 0xc0) == 0xc0) {
                int target = ((len & 0x3f) << 8) | (msg[pos + 1] & 0xff);
                if (!jumped) {
                    b.position(pos + 2);
                }
                jumped = true;
                pos = target;
                continue;
            }
            pos++;
            if (len == 0) {
                break;
            }
            if (!sb.isEmpty()) {
                sb.append('.');
            }
            sb.append(new String(msg, pos, len, StandardCharsets.US_ASCII));
            pos += len;
        }
        if (!jumped) {
            b.position(pos);
        }
        return sb.toString();
    }
}
