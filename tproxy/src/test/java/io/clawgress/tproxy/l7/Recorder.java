package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Records a framer's events; copies each body part and releases it (the listener owns it). {@link #summary()}
 * merges consecutive body parts, so that any split of the same input gives the same summary.
 */
final class Recorder<H> implements Http1Listener<H> {

    sealed interface Event permits Head, Body, End, Refused {
    }

    record Head<H>(H head) implements Event {
    }

    record Body(byte[] bytes) implements Event {
    }

    record End(HttpFields trailers) implements Event {
    }

    record Refused(Refusal refusal) implements Event {
    }

    final List<Event> events = new ArrayList<>();
    /** Set by tests to act in the middle of events (e.g. pause). */
    Runnable afterEvent = () -> { };

    @Override
    public void onHead(H head) {
        if (refusal() != null) {
            throw new AssertionError("event after a refusal: " + head);
        }
        events.add(new Head<>(head));
        afterEvent.run();
    }

    @Override
    public void onBodyPart(ByteBuf content) {
        try {
            if (refusal() != null) {
                throw new AssertionError("body part after a refusal");
            }
            if (!content.isReadable()) {
                throw new AssertionError("empty body part");
            }
            events.add(new Body(ByteBufUtil.getBytes(content)));
        } finally {
            content.release();
        }
        afterEvent.run();
    }

    @Override
    public void onEnd(HttpFields trailers) {
        if (refusal() != null) {
            throw new AssertionError("end after a refusal");
        }
        events.add(new End(trailers));
        afterEvent.run();
    }

    @Override
    public void onRefusal(Refusal refusal) {
        if (refusal() != null) {
            throw new AssertionError("second refusal: " + refusal);
        }
        events.add(new Refused(refusal));
    }

    Refusal refusal() {
        for (Event e : events) {
            if (e instanceof Refused r) {
                return r.refusal();
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    List<H> heads() {
        List<H> heads = new ArrayList<>();
        for (Event e : events) {
            if (e instanceof Head<?> h) {
                heads.add((H) h.head());
            }
        }
        return heads;
    }

    /** The bodies of the messages, in order: one string (ISO-8859-1) per end event. */
    List<String> bodies() {
        List<String> bodies = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (Event e : events) {
            if (e instanceof Body b) {
                current.append(new String(b.bytes(), StandardCharsets.ISO_8859_1));
            } else if (e instanceof End) {
                bodies.add(current.toString());
                current.setLength(0);
            }
        }
        return bodies;
    }

    long bodyParts() {
        return events.stream().filter(e -> e instanceof Body).count();
    }

    /** One line per event, consecutive body parts merged. */
    List<String> summary() {
        List<String> lines = new ArrayList<>();
        StringBuilder body = null;
        for (Event e : events) {
            if (e instanceof Body b) {
                body = body == null ? new StringBuilder() : body;
                body.append(new String(b.bytes(), StandardCharsets.ISO_8859_1));
                continue;
            }
            if (body != null) {
                lines.add("body " + body);
                body = null;
            }
            lines.add(switch (e) {
                case Head<?> h -> "head " + h.head();
                case End end -> "end " + end.trailers();
                case Refused r -> "refused " + r.refusal();
                case Body ignored -> throw new AssertionError();
            });
        }
        if (body != null) {
            lines.add("body " + body);
        }
        return lines;
    }
}
