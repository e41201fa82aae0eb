package io.clawgress.tproxy;

import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.flow.OpenFlow;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * The admin view of the live flows ({@link TransparentProxy#openFlows}, {@link TransparentProxy#kill}): a
 * {@link Flow} is confined to its event loop, so every read and the kill run there, as tasks submitted from the
 * caller's thread; the caller only iterates the (concurrent) channel group and reads the flows' final ids.
 */
final class OpenFlows {

    static final Comparator<OpenFlow> NEWEST_FIRST =
            Comparator.comparing(OpenFlow::start).thenComparing(OpenFlow::flowId).reversed();

    private OpenFlows() {
    }

    /** The flows of {@code live}, newest first: one task per event loop. Any thread. */
    static CompletableFuture<List<OpenFlow>> list(Iterable<Channel> live) {
        Map<EventLoop, List<Channel>> byLoop = new IdentityHashMap<>();
        for (Channel ch : live) {
            byLoop.computeIfAbsent(ch.eventLoop(), k -> new ArrayList<>()).add(ch);
        }
        List<CompletableFuture<List<OpenFlow>>> parts = new ArrayList<>(byLoop.size());
        for (Map.Entry<EventLoop, List<Channel>> e : byLoop.entrySet()) {
            CompletableFuture<List<OpenFlow>> part = new CompletableFuture<>();
            try {
                e.getKey().execute(() -> {
                    try {
                        List<OpenFlow> views = new ArrayList<>(e.getValue().size());
                        for (Channel ch : e.getValue()) {
                            Flow flow = ch.attr(FlowPipeline.FLOW).get();
                            if (flow != null) {
                                views.add(view(ch, flow));
                            }
                        }
                        part.complete(views);
                    } catch (RuntimeException ex) {
                        part.completeExceptionally(ex);
                    }
                });
            } catch (RejectedExecutionException ex) {
                part.complete(List.of()); // the loop is shutting down; stop() ends its flows
            }
            parts.add(part);
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<OpenFlow> all = new ArrayList<>();
            parts.forEach(p -> all.addAll(p.join()));
            all.sort(NEWEST_FIRST);
            return all;
        });
    }

    /**
     * Kills flow {@code flowId} of {@code live} as {@code admin_killed} on its event loop. Any thread.
     *
     * @return the flow as it was just before the kill (state {@code closing}: it was ending anyway and keeps its own
     *         ending), or empty when no such flow is open
     */
    static CompletableFuture<Optional<OpenFlow>> kill(Iterable<Channel> live, String flowId, String detail) {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(detail, "detail");
        for (Channel ch : live) {
            Flow flow = ch.attr(FlowPipeline.FLOW).get();
            if (flow == null || !flow.id().equals(flowId)) {
                continue;
            }
            CompletableFuture<Optional<OpenFlow>> done = new CompletableFuture<>();
            try {
                ch.eventLoop().execute(() -> {
                    try {
                        OpenFlow before = view(ch, flow);
                        flow.kill(detail);
                        done.complete(Optional.of(before));
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                done.complete(Optional.empty()); // the loop is shutting down; stop() ends the flow
            }
            return done;
        }
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /** Runs on the flow's event loop. */
    private static OpenFlow view(Channel ch, Flow flow) {
        return flow.view(ch.pipeline().get(FlowPipeline.PEEK) != null);
    }
}
