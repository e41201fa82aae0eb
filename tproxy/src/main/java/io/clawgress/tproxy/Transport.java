package io.clawgress.tproxy;

/** The Netty transport the data plane runs on. Only the Linux native transports can set IP_TRANSPARENT. */
public enum Transport {
    /** Linux epoll: the default. */
    EPOLL("epoll"),
    /** Linux io_uring: opt-in. */
    IO_URING("io_uring"),
    /** Java NIO: only for development where no native transport loads; cannot accept TPROXY connections. */
    NIO("nio");

    private final String code;

    Transport(String code) {
        this.code = code;
    }

    /** The name used in the config file and in logs. */
    public String code() {
        return code;
    }

    /** Parses a config value; {@code null} when unknown. */
    public static Transport fromCode(String code) {
        for (Transport t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        return null;
    }
}
