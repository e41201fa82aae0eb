package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One admin request, on an admin worker thread: who is calling (SO_PEERCRED, once per connection), which route,
 * whether the caller may, the handler's answer, and for a change route an audit record whatever the outcome.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final AttributeKey<Caller> CALLER = AttributeKey.valueOf("clawgress.admin.caller");

    private final AdminRoutes routes;
    private final AdminAudit audit;
    private final int readGid;
    private final int adminGid;
    private final Path proc;

    AdminHandler(AdminRoutes routes, AdminAudit audit, int readGid, int adminGid, Path proc) {
        this.routes = routes;
        this.audit = audit;
        this.readGid = readGid;
        this.adminGid = adminGid;
        this.proc = proc;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            // RFC 9112 §2.2: a malformed request line or header section is answered 400 and the connection closed.
            write(ctx, error(400, "bad_request", "malformed HTTP request: " + why(req.decoderResult())), false);
            return;
        }
        Caller caller;
        try {
            caller = caller(ctx);
        } catch (IOException e) {
            write(ctx, error(500, "internal_error", "cannot read the caller's credentials: " + e.getMessage()),
                    false);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        String path = uri.path();
        String method = req.method().name();
        AdminRoutes.Match match = routes.match(method, path);
        if (match.route() == null) {
            AdminResponse r = match.status() == 405
                    ? error(405, "method_not_allowed", method + " " + path + " (allowed: " + match.allow() + ")")
                    : error(404, "not_found", "no endpoint " + path + " (see docs/admin-api.md)");
            write(ctx, r, keepAlive);
            return;
        }
        AdminRoutes.Route route = match.route();
        String target = match.params().values().stream().findFirst().orElse(null);
        AdminResponse response;
        String failure = null; // the error message of a refused or failed call, for its audit record
        if (!caller.role().mayRead()) {
            failure = "uid " + caller.uid() + " is in neither the admin API's read group (" + readGid
                    + ") nor its admin group (" + adminGid + ")";
            response = error(403, "forbidden", failure);
        } else if (route.change() && !caller.role().mayChange()) {
            failure = route.action() + ": uid " + caller.uid()
                    + " may read but not change (changes need root or the admin group, gid " + adminGid + ")";
            response = error(403, "forbidden", failure);
        } else {
            byte[] body = ByteBufUtil.getBytes(req.content());
            AdminRequest request = new AdminRequest(method, path, match.params(), uri.parameters(), body, caller);
            try {
                response = route.handler().handle(request);
            } catch (AdminException e) {
                failure = e.getMessage();
                response = error(e.status(), e.code(), failure);
            } catch (RuntimeException e) {
                log.error("admin {} {}: internal error", method, path, e);
                failure = e.toString();
                response = error(500, "internal_error", failure);
            }
        }
        if (route.change()) {
            if (response.auditTarget() != null) {
                target = response.auditTarget();
            }
            try {
                audit.change(caller, method, path, route.action(), target, response.status(),
                        AdminAudit.outcome(response.status()), failure);
            } catch (RuntimeException e) {
                log.error("admin {} {}: cannot write its audit record", method, path, e);
            }
            log.info("admin: uid {} pid {} {} {} -> {}", caller.uid(), caller.pid(), route.action(),
                    target == null ? "" : target, response.status());
        }
        write(ctx, response, keepAlive);
    }

    /** The caller's credentials, read once per connection (they are the ones of connect(2) anyway). */
    private Caller caller(ChannelHandlerContext ctx) throws IOException {
        Caller c = ctx.channel().attr(CALLER).get();
        if (c != null) {
            return c;
        }
        if (!(ctx.channel() instanceof EpollDomainSocketChannel ch)) {
            throw new IOException("not a unix domain socket: " + ctx.channel().getClass().getSimpleName());
        }
        PeerCredentials cred = ch.peerCredentials();
        int gid = cred.gids().length > 0 ? cred.gids()[0] : -1;
        int[] groups = Groups.of(cred.pid(), cred.uid(), gid, proc);
        c = new Caller(cred.uid(), gid, cred.pid(), Caller.roleOf(cred.uid(), groups, adminGid, readGid));
        ctx.channel().attr(CALLER).set(c);
        return c;
    }

    static AdminResponse error(int status, String code, String message) {
        ObjectNode error = AdminJson.object();
        error.put("status", status);
        error.put("code", code);
        error.put("message", message);
        ObjectNode root = AdminJson.object();
        root.set("error", error);
        return AdminResponse.json(status, root);
    }

    private static String why(DecoderResult result) {
        Throwable cause = result.cause();
        if (cause instanceof TooLongFrameException) {
            return "request head too large (limit " + AdminServer.MAX_HEADER_BYTES + " bytes)";
        }
        return cause == null ? "unknown" : cause.getMessage();
    }

    private static void write(ChannelHandlerContext ctx, AdminResponse r, boolean keepAlive) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        res.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof ReadTimeoutException) && !(cause instanceof IOException)) {
            log.warn("admin connection: {}", cause.toString());
        }
        ctx.close();
    }
}
