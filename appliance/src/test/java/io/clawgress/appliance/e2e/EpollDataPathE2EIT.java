package io.clawgress.appliance.e2e;

/** The data path on the default transport. */
class EpollDataPathE2EIT extends DataPathE2E {
    @Override
    String transport() {
        return "epoll";
    }
}
