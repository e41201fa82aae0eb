package io.clawgress.testing.peer;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The names {@code dns-server} is authoritative for, and the answering itself (RFC 1035 §4), kept free of sockets so
 * tests can feed it bytes. One question per query; {@code A} (and {@code ANY}) get every configured address,
 * any other type of a known name gets NODATA (NOERROR, no answers: RFC 2308 §2.2), an unknown name NXDOMAIN.
 * Negative answers carry no SOA, so nobody caches them (RFC 2308 §5). A query with an EDNS OPT record gets one back
 * (RFC 6891 §7), which allows answers up to {@link #EDNS_PAYLOAD} bytes; a larger answer is sent empty with TC set.
 */
final class DnsZone {

    static final int TYPE_A = 1;
    static final int TYPE_AAAA = 28;
    static final int TYPE_OPT = 41;
    static final int TYPE_ANY = 255;
    static final int CLASS_IN = 1;
    static final int CLASS_ANY = 255;

    static final int NOERROR = 0;
    static final int FORMERR = 1;
    static final int NXDOMAIN = 3;
    static final int NOTIMP = 4;
    static final int REFUSED = 5;
    /** Extended RCODE 16 (RFC 6891 §6.1.3): upper 8 bits in the OPT record, lower 4 bits 0 in the header. */
    static final int BADVERS = 16;

    /** RFC 1035 §4.2.1: UDP messages without EDNS are at most 512 bytes. */
    static final int CLASSIC_PAYLOAD = 512;
    /** The EDNS UDP payload we advertise and honour at most (the DNS flag day 2020 value). */
    static final int EDNS_PAYLOAD = 1232;
    /** RFC 2181 §8: a TTL is an unsigned 31-bit number. */
    static final long MAX_TTL = 0x7fff_ffffL;

    private static final int HEADER = 12;
    private static final int MAX_NAME_WIRE = 255; // RFC 1035 §2.3.4, including length octets and the root
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");

    private final Map<String, List<Inet4Address>> records;
    private final long ttl;

    /**
     * @param records lower-case names without a trailing dot, each with at least one address
     * @param ttl     seconds, 0..{@link #MAX_TTL}
     */
    DnsZone(Map<String, List<Inet4Address>> records, long ttl) {
        if (ttl < 0 || ttl > MAX_TTL) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: 0.." + MAX_TTL + ")");
        }
        Map<String, List<Inet4Address>> copy = new LinkedHashMap<>();
        records.forEach((name, addresses) -> {
            if (addresses.isEmpty()) {
                throw new IllegalArgumentException("record " + name + ": no address (expected: at least one)");
            }
            copy.put(name, List.copyOf(addresses));
        });
        this.records = Map.copyOf(copy);
        this.ttl = ttl;
    }

    /**
     * Parses {@code --record} values, {@code name=ip[,ip...]}: a host name (case-insensitive, trailing dot
     * optional) and IPv4 literals. A name given twice gets the addresses of both, in order.
     */
    static DnsZone parse(List<String> specs, long ttl) {
        Map<String, List<Inet4Address>> records = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0 || eq == spec.length() - 1) {
                throw new IllegalArgumentException("record: " + spec + " (expected: name=ip[,ip...])");
            }
            String name = normalize(spec.substring(0, eq));
            List<Inet4Address> addresses = records.computeIfAbsent(name, n -> new ArrayList<>());
            for (String ip : spec.substring(eq + 1).split(",", -1)) {
                Inet4Address a = ipv4(ip.trim(), spec);
                if (!addresses.contains(a)) {
                    addresses.add(a);
                }
            }
        }
        return new DnsZone(records, ttl);
    }

    private static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        if (n.isEmpty() || n.length() > 253) {
            throw new IllegalArgumentException("record name: '" + name + "' (expected: 1..253 characters)");
        }
        for (String label : n.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("record name: " + name + " (expected: dot-separated labels of"
                        + " 1..63 letters, digits, '-' or '_')");
            }
        }
        return n;
    }

    private static Inet4Address ipv4(String ip, String spec) {
        if (!ip.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException("record " + spec + ": '" + ip + "' (expected: an IPv4 literal;"
                    + " AAAA records are not served)");
        }
        try {
            if (InetAddress.getByName(ip) instanceof Inet4Address a) {
                return a;
            }
        } catch (UnknownHostException e) {
            // fall through: an octet over 255
        }
        throw new IllegalArgumentException("record " + spec + ": '" + ip + "' (expected: octets 0..255)");
    }

    /** The configured names and their addresses, for the ready line. */
    Map<String, List<Inet4Address>> records() {
        return records;
    }

    long ttl() {
        return ttl;
    }

    /**
     * What one datagram made us do.
     *
     * @param response  the datagram to send back, or null when the query is ignored
     * @param name      the question name, lower case without the trailing dot ({@code "."} for the root); null
     *                  when the question could not be parsed
     * @param type      the question type's mnemonic ({@code A}, {@code AAAA}, ..., {@code TYPE65534}); null as name
     * @param rcode     the (extended) response code sent, or -1 when nothing was sent
     * @param answers   the addresses in the answer section
     * @param problem   why the query was malformed or ignored; null for a well-formed query
     */
    record Reply(byte[] response, String name, String type, int rcode, List<Inet4Address> answers,
                 String problem) {
    }

    /** Answers one query datagram ({@code query[0..length)}). Never throws on bad input. */
    Reply answer(byte[] query, int length) {
        ByteBuffer in = ByteBuffer.wrap(query, 0, length);
        // RFC 1035 §4.1.1: without a complete header there is no ID to answer to.
        if (length < HEADER) {
            return ignored("shorter than the 12-byte header (" + length + " bytes)");
        }
        int id = in.getShort(0) & 0xffff;
        int flags = in.getShort(2) & 0xffff;
        int opcode = (flags >>> 11) & 0xf;
        boolean rd = (flags & 0x0100) != 0;
        int qdcount = in.getShort(4) & 0xffff;
        int ancount = in.getShort(6) & 0xffff;
        int nscount = in.getShort(8) & 0xffff;
        int arcount = in.getShort(10) & 0xffff;
        // RFC 1035 §4.1.1 QR: answering a response could start a loop between two servers.
        if ((flags & 0x8000) != 0) {
            return ignored("QR is set: a response, not a query");
        }
        // RFC 1035 §4.1.1 OPCODE: only QUERY (0) is served.
        if (opcode != 0) {
            return headerOnly(id, opcode, rd, NOTIMP, "opcode " + opcode + " (only QUERY is implemented)");
        }
        // RFC 9619: a QUERY has exactly one question.
        if (qdcount != 1) {
            return headerOnly(id, opcode, rd, FORMERR, "QDCOUNT " + qdcount + " (expected: 1)");
        }
        in.position(HEADER);
        String name;
        try {
            name = readQuestionName(in);
        } catch (MalformedException e) {
            return headerOnly(id, opcode, rd, FORMERR, e.getMessage());
        }
        // RFC 1035 §4.1.2: QTYPE and QCLASS follow the name.
        if (in.remaining() < 4) {
            return headerOnly(id, opcode, rd, FORMERR, "question truncated after the name");
        }
        int qtype = in.getShort() & 0xffff;
        int qclass = in.getShort() & 0xffff;
        int questionEnd = in.position();
        Edns edns;
        try {
            edns = readEdns(in, ancount, nscount, arcount);
        } catch (MalformedException e) {
            return headerOnly(id, opcode, rd, FORMERR, e.getMessage());
        }
        String type = typeName(qtype);
        List<Inet4Address> answers = List.of();
        int rcode;
        if (edns != null && edns.version() != 0) {
            rcode = BADVERS; // RFC 6891 §6.1.3
        } else if (qclass != CLASS_IN && qclass != CLASS_ANY) {
            rcode = REFUSED; // not authoritative for CHAOS, HESIOD, ...
        } else if (!records.containsKey(name)) {
            rcode = NXDOMAIN;
        } else {
            rcode = NOERROR;
            if (qtype == TYPE_A || qtype == TYPE_ANY) {
                answers = records.get(name);
            }
        }
        int limit = edns == null ? CLASSIC_PAYLOAD : Math.min(Math.max(edns.payload(), CLASSIC_PAYLOAD), EDNS_PAYLOAD);
        byte[] response = build(query, questionEnd, id, rd, rcode, answers, edns != null, limit);
        return new Reply(response, name, type, rcode, answers, null);
    }

    private byte[] build(byte[] query, int questionEnd, int id, boolean rd, int rcode, List<Inet4Address> answers,
                         boolean edns, int limit) {
        int optSize = edns ? 11 : 0;
        int answerSize = 16; // pointer(2) type(2) class(2) ttl(4) rdlength(2) rdata(4)
        int size = questionEnd + answers.size() * answerSize + optSize;
        boolean truncated = size > limit;
        List<Inet4Address> sent = truncated ? List.of() : answers;
        ByteBuffer out = ByteBuffer.allocate(questionEnd + sent.size() * answerSize + optSize);
        out.putShort((short) id);
        // QR=1, OPCODE=0, AA=1, TC, RD copied, RA=0 (we never recurse), Z/AD/CD=0, low 4 bits of RCODE.
        int flags = 0x8000 | 0x0400 | (truncated ? 0x0200 : 0) | (rd ? 0x0100 : 0) | (rcode & 0xf);
        out.putShort((short) flags);
        out.putShort((short) 1);
        out.putShort((short) sent.size());
        out.putShort((short) 0);
        out.putShort((short) (edns ? 1 : 0));
        // The question as received: a client may check that the case of the name came back (the "0x20" trick).
        out.put(query, HEADER, questionEnd - HEADER);
        for (Inet4Address a : sent) {
            out.putShort((short) (0xc000 | HEADER)); // RFC 1035 §4.1.4: pointer to the question name
            out.putShort((short) TYPE_A);
            out.putShort((short) CLASS_IN);
            out.putInt((int) ttl);
            out.putShort((short) 4);
            out.put(a.getAddress());
        }
        if (edns) {
            // RFC 6891 §6.1.2-6.1.3: root name, type OPT, class = our UDP payload size, TTL = extended RCODE,
            // version 0, flags 0; no options.
            out.put((byte) 0);
            out.putShort((short) TYPE_OPT);
            out.putShort((short) EDNS_PAYLOAD);
            out.putInt((rcode >>> 4) << 24);
            out.putShort((short) 0);
        }
        return out.array();
    }

    /** RFC 1035 §4.1.2 QNAME: length-prefixed labels up to the root; returned lower case without the last dot. */
    private static String readQuestionName(ByteBuffer in) throws MalformedException {
        StringBuilder name = new StringBuilder();
        int wire = 0;
        while (true) {
            if (!in.hasRemaining()) {
                throw new MalformedException("question name truncated");
            }
            int len = in.get() & 0xff;
            wire++;
            if (len == 0) {
                break;
            }
            // RFC 1035 §4.1.4: 11 is a pointer, and nothing precedes the question name for it to point to;
            // RFC 6891 §5: 01 and 10 are extended label types, none of which is defined for use.
            if ((len & 0xc0) != 0) {
                throw new MalformedException("label type 0x" + Integer.toHexString(len & 0xc0)
                        + " in the question name (expected: plain labels)");
            }
            if (in.remaining() < len) {
                throw new MalformedException("question name truncated inside a label");
            }
            wire += len;
            if (wire >= MAX_NAME_WIRE) {
                throw new MalformedException("question name longer than " + MAX_NAME_WIRE + " octets");
            }
            byte[] label = new byte[len];
            in.get(label);
            if (!name.isEmpty()) {
                name.append('.');
            }
            name.append(new String(label, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
        }
        return name.isEmpty() ? "." : name.toString();
    }

    private record Edns(int payload, int version) {
    }

    /** Finds the OPT record among the additional records (RFC 6891 §6.1.1); null when there is none. */
    private static Edns readEdns(ByteBuffer in, int ancount, int nscount, int arcount) throws MalformedException {
        Edns edns = null;
        int total = ancount + nscount + arcount;
        for (int i = 0; i < total; i++) {
            boolean root = skipName(in);
            if (in.remaining() < 10) {
                throw new MalformedException("resource record " + (i + 1) + " after the question truncated");
            }
            int type = in.getShort() & 0xffff;
            int rrClass = in.getShort() & 0xffff;
            int ttl = in.getInt();
            int rdlength = in.getShort() & 0xffff;
            if (in.remaining() < rdlength) {
                throw new MalformedException("resource record " + (i + 1) + " data truncated");
            }
            in.position(in.position() + rdlength);
            if (type == TYPE_OPT) {
                // RFC 6891 §6.1.1: one OPT at most, in the additional section, owned by the root.
                if (edns != null || i < ancount + nscount || !root) {
                    throw new MalformedException("misplaced or repeated OPT record");
                }
                edns = new Edns(rrClass, (ttl >>> 16) & 0xff);
            }
        }
        return edns;
    }

    /** Skips a possibly compressed name; returns whether it was the root. */
    private static boolean skipName(ByteBuffer in) throws MalformedException {
        boolean root = true;
        while (true) {
            if (!in.hasRemaining()) {
                throw new MalformedException("record name truncated");
            }
            int len = in.get() & 0xff;
            if (len == 0) {
                return root;
            }
            if ((len & 0xc0) == 0xc0) { // a pointer ends the name (RFC 1035 §4.1.4)
                if (!in.hasRemaining()) {
                    throw new MalformedException("record name truncated inside a pointer");
                }
                in.get();
                return false;
            }
            if ((len & 0xc0) != 0 || in.remaining() < len) {
                throw new MalformedException("bad label in a record name");
            }
            root = false;
            in.position(in.position() + len);
        }
    }

    private static Reply ignored(String problem) {
        return new Reply(null, null, null, -1, List.of(), problem);
    }

    private static Reply headerOnly(int id, int opcode, boolean rd, int rcode, String problem) {
        ByteBuffer out = ByteBuffer.allocate(HEADER);
        out.putShort((short) id);
        out.putShort((short) (0x8000 | (opcode << 11) | (rd ? 0x0100 : 0) | rcode));
        return new Reply(out.array(), null, null, rcode, List.of(), problem);
    }

    /** The RFC 1035 / IANA mnemonic of a type, or {@code TYPEn} (RFC 3597 §5). */
    static String typeName(int type) {
        return switch (type) {
            case TYPE_A -> "A";
            case 2 -> "NS";
            case 5 -> "CNAME";
            case 6 -> "SOA";
            case 12 -> "PTR";
            case 15 -> "MX";
            case 16 -> "TXT";
            case TYPE_AAAA -> "AAAA";
            case 33 -> "SRV";
            case TYPE_OPT -> "OPT";
            case 64 -> "SVCB";
            case 65 -> "HTTPS";
            case TYPE_ANY -> "ANY";
            default -> "TYPE" + type;
        };
    }

    /** The mnemonic of a response code (RFC 1035 §4.1.1, RFC 6891 §9). */
    static String rcodeName(int rcode) {
        return switch (rcode) {
            case NOERROR -> "NOERROR";
            case FORMERR -> "FORMERR";
            case 2 -> "SERVFAIL";
            case NXDOMAIN -> "NXDOMAIN";
            case NOTIMP -> "NOTIMP";
            case REFUSED -> "REFUSED";
            case BADVERS -> "BADVERS";
            default -> "RCODE" + rcode;
        };
    }

    private static final class MalformedException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedException(String message) {
            super(message, null, false, false);
        }
    }
}
