package io.clawgress.tproxy.gate;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Worker threads for the data path's CPU work that must not run on an event loop: token signature checks, client
 * certificate path validation, leaf minting. One thread per processor, daemon threads that time out when idle; the
 * queue is bounded so a flood of new tokens is refused (the request fails closed) instead of piling up.
 */
public final class CryptoPool {

    static final int QUEUE = 10_000;
    private static final ExecutorService SHARED = create("clawgress-crypto");

    private CryptoPool() {
    }

    /** The process-wide pool. */
    public static ExecutorService shared() {
        return SHARED;
    }

    /** A new pool, named {@code name-N}. */
    public static ExecutorService create(String name) {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(QUEUE), factory, new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
