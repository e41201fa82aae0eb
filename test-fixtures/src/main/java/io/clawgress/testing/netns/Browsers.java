package io.clawgress.testing.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real browser as an end-to-end client: headless Chromium (Debian's {@code chromium} package) run inside a
 * namespace with a fresh profile, its own {@code HOME} and as little background traffic as its switches allow.
 * Chromium resolves names with its own DNS client from the namespace's {@code /etc/resolv.conf} (see
 * {@link Topology#useNameserver(Netns, java.net.InetAddress)}): {@code A} and {@code HTTPS} queries per name.
 *
 * <p>What a test should not assume (seen with Chromium 156 on Debian 12): one page load opens two connections
 * (the page and {@code /favicon.ico}); background lookups survive every switch here ({@code clients2.google.com},
 * {@code update.googleapis.com}, {@code accounts.google.com}: NXDOMAIN from the test DNS server, so no connection
 * follows); stderr is full of D-Bus errors. Assert on the names, connections and requests the test cares about.
 */
public final class Browsers {

    /** The Chromium executable looked up on {@code PATH} (guard tests with {@code Privileges.requireOrSkip}). */
    public static final String CHROMIUM = "chromium";

    /**
     * The switches {@link #chromiumFetch} uses: headless as root without the sandbox, no GPU, no first-run or
     * background traffic, QUIC off (so HTTPS goes over TCP, the path under test) and certificate errors ignored
     * (the test CA is not in Chromium's NSS store; the servers' own logs say what was negotiated).
     */
    public static final List<String> CHROMIUM_FLAGS = List.of(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-domain-reliability",
            "--disable-breakpad",
            "--password-store=basic",
            "--disable-quic",
            "--ignore-certificate-errors");

    private Browsers() {
    }

    /**
     * Loads {@code url} in headless Chromium inside {@code ns} and returns its exit code and output; {@code stdout}
     * is the serialized DOM after the page loaded ({@code --dump-dom}), e.g. a text/plain body wrapped in
     * {@code <pre>}. Chromium exits 0 even when the page failed to load (the DOM is then Chromium's error page or
     * empty), so assert on the DOM and on what the server saw.
     *
     * @param workDir where a fresh profile and {@code HOME} directory are created
     * @param timeout after which Chromium (and its helper processes) are killed
     */
    public static ExecResult chromiumFetch(Netns ns, String url, Path workDir, Duration timeout) {
        List<String> flags = new ArrayList<>(CHROMIUM_FLAGS);
        flags.add("--dump-dom");
        ExecResult r = chromium(ns, flags, url, workDir, timeout);
        if (r.stderr().contains("ERR_NETWORK_CHANGED")) {
            // Chromium aborts a load when netlink reports any address or route change in its namespace, e.g. one
            // a test made just before; that says nothing about the page. One more try, and only for that error.
            r = chromium(ns, flags, url, workDir, timeout);
        }
        return r;
    }

    /**
     * Runs {@code chromium <flags> --user-data-dir=<fresh dir> url} inside {@code ns}, with {@code HOME},
     * {@code XDG_CONFIG_HOME} and {@code XDG_CACHE_HOME} in that fresh directory, for tests that need other switches
     * than {@link #chromiumFetch} (start from {@link #CHROMIUM_FLAGS}).
     */
    public static ExecResult chromium(Netns ns, List<String> flags, String url, Path workDir, Duration timeout) {
        Path home;
        try {
            Files.createDirectories(workDir);
            home = Files.createTempDirectory(workDir.toAbsolutePath(), "chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException("creating a Chromium profile directory in " + workDir, e);
        }
        List<String> cmd = new ArrayList<>(List.of("env", "HOME=" + home, "XDG_CONFIG_HOME=" + home.resolve(".config"),
                "XDG_CACHE_HOME=" + home.resolve(".cache"), CHROMIUM));
        cmd.addAll(flags);
        cmd.add("--user-data-dir=" + home.resolve("profile"));
        cmd.add(url);
        return ns.exec(timeout, cmd.toArray(String[]::new));
    }
}
