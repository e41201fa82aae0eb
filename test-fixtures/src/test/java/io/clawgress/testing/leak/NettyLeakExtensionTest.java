package io.clawgress.testing.leak;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class NettyLeakExtensionTest {

    @Test
    void aBufferDroppedWithoutReleaseIsReported() throws InterruptedException {
        NettyLeakExtension.collectLeaks();
        leakOne();
        List<String> leaks = NettyLeakExtension.collectLeaks();
        assertThat(leaks).anySatisfy(l -> assertThat(l).contains("LEAK of ByteBuf").contains("leakOne"));
    }

    @Test
    void aReleasedBufferIsNotReported() throws InterruptedException {
        NettyLeakExtension.collectLeaks();
        ByteBuf buf = Unpooled.directBuffer(16);
        buf.writeInt(7);
        buf.release();
        assertThat(NettyLeakExtension.collectLeaks()).isEmpty();
    }

    private static void leakOne() {
        ByteBuf buf = Unpooled.directBuffer(16);
        buf.writeInt(42);
        buf.touch("leakOne");
    }
}
