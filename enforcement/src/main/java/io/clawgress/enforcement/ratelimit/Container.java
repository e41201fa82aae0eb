package io.clawgress.enforcement.ratelimit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A map of a limiter's children (buckets, or the per-destination containers of a scope) that knows how many live
 * children it has, so that an empty one can be retired without losing a child added at the same time: a child is
 * added only after {@link #reserve} succeeds, and a container is retired only from zero. Once retired it stays so;
 * whoever finds it retired removes it from its parent and makes a new one.
 */
class Container {

    private static final int RETIRED = -1;
    private static final VarHandle LIVE;

    static {
        try {
            LIVE = MethodHandles.lookup().findVarHandle(Container.class, "live", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Key (agent id, or destination name) to child. */
    final ConcurrentHashMap<String, Object> children = new ConcurrentHashMap<>();

    /** Live children (added and not yet retired), or {@link #RETIRED}. */
    @SuppressWarnings("unused") // through LIVE
    private volatile int live;

    /** Counts a child about to be added; false when this container is retired (add it to a new one). */
    final boolean reserve() {
        for (;;) {
            int v = live;
            if (v == RETIRED) {
                return false;
            }
            if (LIVE.compareAndSet(this, v, v + 1)) {
                return true;
            }
        }
    }

    /** Uncounts a child that was retired, or that was reserved and not added. */
    final void release() {
        LIVE.getAndAdd(this, -1);
    }

    /** Retires this container if it has no live child (sweep only). */
    final boolean retire() {
        return LIVE.compareAndSet(this, 0, RETIRED);
    }

    final boolean isRetired() {
        return live == RETIRED;
    }
}
