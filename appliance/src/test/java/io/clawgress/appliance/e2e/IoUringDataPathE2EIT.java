package io.clawgress.appliance.e2e;

/** The same cases on io_uring (opt-in): the daemon must really run it, not fall back. */
class IoUringDataPathE2EIT extends DataPathE2E {
    @Override
    String transport() {
        return "io_uring";
    }
}
