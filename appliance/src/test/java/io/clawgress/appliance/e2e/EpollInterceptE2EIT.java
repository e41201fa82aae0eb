package io.clawgress.appliance.e2e;

/** Interception and the L7 gate end to end on epoll. */
class EpollInterceptE2EIT extends InterceptE2E {
    @Override
    String transport() {
        return "epoll";
    }
}
