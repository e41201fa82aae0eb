package io.clawgress.enforcement.identity.jwt;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Verified tokens by the SHA-256 of the token text, bounded, for any number of threads. Reads are lock-free
 * ({@link ConcurrentHashMap#get}); a hit allocates nothing but the key.
 *
 * <p>Bounded by two generations instead of per-entry bookkeeping: new entries go into the young map; when it holds
 * half the capacity it becomes the old map and the previous old map is dropped whole. A hit in the old map copies the
 * entry into the young one, so tokens in use survive. Eviction is O(1) and never scans, so no caller on an event loop
 * ever pays for a sweep. Keys are SHA-256 outputs, so an attacker cannot aim entries at one hash bin.
 *
 * <p>Entries are used only inside {@code [validFrom, validUntil)}; an entry found outside it is dropped and the token
 * verified again (which refuses it with the proper reason).
 */
final class TokenCache {

    /** SHA-256 of a token as four longs: equality is four compares, the hash is uniformly distributed already. */
    record Key(long a, long b, long c, long d) {

        private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
        private static final ThreadLocal<Sha256> SHA256 = ThreadLocal.withInitial(Sha256::new);

        /** The key for {@code bytes[from, to)}; runs on the caller's thread with a per-thread digest. */
        static Key of(byte[] bytes, int from, int to) {
            byte[] digest = SHA256.get().digest(bytes, from, to);
            return new Key((long) LONGS.get(digest, 0), (long) LONGS.get(digest, 8), (long) LONGS.get(digest, 16),
                    (long) LONGS.get(digest, 24));
        }

        @Override
        public int hashCode() {
            return (int) a;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.a == a && k.b == b && k.c == c && k.d == d;
        }
    }

    private static final class Sha256 {
        private final MessageDigest md;
        private final byte[] out = new byte[32];

        Sha256() {
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }

        byte[] digest(byte[] bytes, int from, int to) {
            md.update(bytes, from, to - from);
            try {
                md.digest(out, 0, out.length);
            } catch (DigestException e) {
                throw new IllegalStateException("32-byte buffer for SHA-256", e);
            }
            return out;
        }
    }

    /** A verified token and the window it may be used in without checking it again. */
    record Entry(JwtVerifier.Verified verified, Instant validFrom, Instant validUntil) {

        boolean usableAt(Instant now) {
            return now.isBefore(validUntil) && !now.isBefore(validFrom);
        }
    }

    private record Generations(ConcurrentHashMap<Key, Entry> young, ConcurrentHashMap<Key, Entry> old) {
    }

    private final int generationCapacity;
    private final AtomicReference<Generations> generations;

    /** @param capacity most entries held (2 when it is 1: one per generation) */
    TokenCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
        }
        generationCapacity = Math.max(1, capacity / 2);
        generations = new AtomicReference<>(new Generations(newMap(), newMap()));
    }

    private ConcurrentHashMap<Key, Entry> newMap() {
        return new ConcurrentHashMap<>(Math.min(generationCapacity, 1 << 16));
    }

    /** The verified token for {@code key} if it may be used at {@code now}, else {@code null}. */
    JwtVerifier.Verified get(Key key, Instant now) {
        Generations g = generations.get();
        Entry e = g.young.get(key);
        if (e == null) {
            e = g.old.get(key);
            if (e == null) {
                return null;
            }
            if (e.usableAt(now)) {
                g.young.putIfAbsent(key, e);
                rotateIfFull(g);
                return e.verified();
            }
            g.old.remove(key, e);
            return null;
        }
        if (e.usableAt(now)) {
            return e.verified();
        }
        g.young.remove(key, e);
        return null;
    }

    void put(Key key, Entry entry) {
        Generations g = generations.get();
        g.young.put(key, entry);
        rotateIfFull(g);
    }

    private void rotateIfFull(Generations g) {
        // A lost race means another thread rotated already; a put that lands in a just-retired young map is only
        // found in the old generation, which is still correct.
        if (g.young.size() >= generationCapacity) {
            generations.compareAndSet(g, new Generations(newMap(), g.young));
        }
    }

    /** Entries held now, both generations, expired ones included until they are dropped. */
    int size() {
        Generations g = generations.get();
        return g.young.size() + g.old.size();
    }
}
