package io.clawgress.appliance.e2e;

/** The same cases on io_uring: the daemon must really run it, not fall back. */
class IoUringInterceptE2EIT extends InterceptE2E {
    @Override
    String transport() {
        return "io_uring";
    }
}
