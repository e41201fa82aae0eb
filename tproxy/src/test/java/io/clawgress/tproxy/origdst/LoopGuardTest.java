package io.clawgress.tproxy.origdst;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.clawgress.tproxy.testing.DuplexEmbeddedChannel.parse;
import static org.assertj.core.api.Assertions.assertThat;

/** Which original destinations would connect the gateway to its own listener. */
class LoopGuardTest {

    /** The gateway's interface addresses, as {@code LoopGuard} lists them (no IPv6 scope). */
    private static final Set<InetAddress> LOCAL = Set.of(ip("10.0.0.5"), ip("198.18.2.1"), ip("127.0.0.1"),
            ip("2001:db8::5"), ip("fe80::5"), ip("::1"));

    @ParameterizedTest(name = "listener {0}, destination {1} -> loop {2}")
    @CsvSource(delimiter = '|', textBlock = """
            # wildcard listener: every local address on the listener port is the listener
            0.0.0.0:15001           | 10.0.0.5:15001          | true
            0.0.0.0:15001           | 198.18.2.1:15001        | true
            0.0.0.0:15001           | 10.0.0.5:15002          | false
            0.0.0.0:15001           | 10.0.0.5:80             | false
            0.0.0.0:15001           | 198.18.2.2:15001        | false
            0.0.0.0:15001           | 127.0.0.1:15001         | true
            0.0.0.0:15001           | 127.1.2.3:15001         | true
            0.0.0.0:15001           | 0.0.0.0:15001           | true
            0.0.0.0:15001           | [::ffff:10.0.0.5]:15001 | true
            0.0.0.0:15001           | [2001:db8::5]:15001     | true
            # specific listener: only its own address, and the addresses that reach every listener
            10.0.0.5:15001          | 10.0.0.5:15001          | true
            10.0.0.5:15001          | 10.0.0.5:443            | false
            10.0.0.5:15001          | 198.18.2.1:15001        | false
            10.0.0.5:15001          | 198.18.2.2:15001        | false
            10.0.0.5:15001          | 127.0.0.1:15001         | true
            10.0.0.5:15001          | 0.0.0.0:15001           | true
            10.0.0.5:15001          | [::ffff:10.0.0.5]:15001 | true
            # IPv6 wildcard (dual stack)
            [::]:15001              | [::]:15001              | true
            [::]:15001              | [::1]:15001             | true
            [::]:15001              | [::1]:15002             | false
            [::]:15001              | [2001:db8::5]:15001     | true
            [::]:15001              | [2001:db8::6]:15001     | false
            [::]:15001              | [fe80::5%2]:15001       | true
            [::]:15001              | 10.0.0.5:15001          | true
            [::]:15001              | 127.0.0.1:15001         | true
            # IPv6 specific listener
            [2001:db8::5]:15001     | [2001:db8::5]:15001     | true
            [2001:db8::5]:15001     | [2001:db8::5]:15000     | false
            [2001:db8::5]:15001     | [::1]:15001             | true
            [2001:db8::5]:15001     | [2001:db8::6]:15001     | false
            """)
    void refusesOnlyItsOwnListener(String listener, String destination, boolean loop) {
        LoopGuard guard = new LoopGuard(parse(listener), () -> LOCAL);
        assertThat(guard.isLoop(parse(destination))).isEqualTo(loop);
    }

    @Test
    void readsTheLocalAddressesOnceUntilRefreshed() {
        Set<InetAddress> current = new HashSet<>(Set.of(ip("10.0.0.5")));
        AtomicInteger reads = new AtomicInteger();
        LoopGuard guard = new LoopGuard(parse("0.0.0.0:15001"), () -> {
            reads.incrementAndGet();
            return current;
        });
        InetSocketAddress added = parse("10.0.0.7:15001");
        assertThat(reads).hasValue(1);
        assertThat(guard.isLoop(added)).isFalse();

        current.add(ip("10.0.0.7")); // an address appears on an interface
        assertThat(guard.isLoop(added)).as("a snapshot: not seen before the refresh").isFalse();
        assertThat(reads).as("isLoop never reads the interfaces").hasValue(1);

        guard.refresh();
        assertThat(guard.isLoop(added)).isTrue();

        current.remove(ip("10.0.0.7"));
        guard.refresh();
        assertThat(guard.isLoop(added)).as("and gone again after the next refresh").isFalse();
        assertThat(reads).hasValue(3);
    }

    @Test
    void everyAddressOfThisHostsInterfacesIsAListenerAddressOfAWildcardListener() throws SocketException {
        LoopGuard guard = new LoopGuard(parse("[::]:15001"));
        List<InetAddress> addresses = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(NetworkInterface::inetAddresses).toList();
        assertThat(addresses).isNotEmpty().allSatisfy(a -> {
            assertThat(guard.isLoop(new InetSocketAddress(a, 15001))).as("%s", a).isTrue();
            assertThat(guard.isLoop(new InetSocketAddress(a, 15002))).as("%s, other port", a).isFalse();
        });
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
