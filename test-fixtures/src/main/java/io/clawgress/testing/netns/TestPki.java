package io.clawgress.testing.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A throw-away PKI for end-to-end tests, made with the {@code openssl} CLI in a directory of the test's own: a CA
 * and one leaf certificate for the given names (subjectAltName {@code DNS:} entries, {@code IP:} for IPv4
 * literals), EC P-256 keys, SHA-256 signatures, valid for one day from now. A fresh CA per call, so no two tests
 * trust each other's certificates.
 *
 * <p>Serve the leaf with {@code tls-server --pkcs12 <pkcs12> --password <pkcs12Password>} (the PKCS#12 holds the leaf
 * key and the chain leaf, CA) and let clients trust {@code caCert} ({@code curl --cacert}).
 *
 * @param dir            where the files are
 * @param names          the leaf's subjectAltNames, in order
 * @param caCert         {@code ca.pem}, the CA certificate (PEM)
 * @param caKey          {@code ca.key}, the CA key (PKCS#8 PEM, unencrypted)
 * @param leafCert       {@code leaf.pem}, the leaf certificate alone (PEM)
 * @param leafKey        {@code leaf.key}, the leaf key (PKCS#8 PEM, unencrypted)
 * @param pkcs12         {@code leaf.p12}, leaf key and chain under the alias {@code leaf}
 * @param pkcs12Password the password of {@code pkcs12} (and of the key in it)
 */
public record TestPki(Path dir, List<String> names, Path caCert, Path caKey, Path leafCert, Path leafKey,
                      Path pkcs12, String pkcs12Password) {

    /** The password of every {@link #pkcs12()} this class writes; these keys protect nothing. */
    public static final String PKCS12_PASSWORD = "clawgress-test";
    /** The alias of the leaf's key entry in {@link #pkcs12()}. */
    public static final String PKCS12_ALIAS = "leaf";

    private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d"
            + "|1\\d\\d|[1-9]?\\d)){3}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public TestPki {
        Objects.requireNonNull(dir, "dir");
        names = List.copyOf(names);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("names: empty (expected: at least one DNS name or IPv4 literal)");
        }
        Objects.requireNonNull(caCert, "caCert");
        Objects.requireNonNull(caKey, "caKey");
        Objects.requireNonNull(leafCert, "leafCert");
        Objects.requireNonNull(leafKey, "leafKey");
        Objects.requireNonNull(pkcs12, "pkcs12");
        Objects.requireNonNull(pkcs12Password, "pkcs12Password");
    }

    /** Like {@link #create(Path, List)}. */
    public static TestPki create(Path dir, String... names) {
        return create(dir, List.of(names));
    }

    /**
     * Writes a new CA and a leaf certificate for {@code names} into {@code dir} (created if missing; files of an
     * earlier call there are replaced).
     *
     * @param names DNS names ({@code allowed.test}, {@code *.wild.test}) or IPv4 literals, at least one
     * @throws AssertionError with openssl's output when a step fails
     */
    public static TestPki create(Path dir, List<String> names) {
        List<String> san = new ArrayList<>();
        for (String name : names) {
            if (IPV4.matcher(name).matches()) {
                san.add("IP:" + name);
            } else if (DNS_NAME.matcher(name).matches() && name.length() <= 253) {
                san.add("DNS:" + name);
            } else {
                throw new IllegalArgumentException("name: '" + name + "' (expected: a DNS name, optionally *."
                        + " wildcard, or an IPv4 literal)");
            }
        }
        TestPki pki = new TestPki(dir.toAbsolutePath(), names, dir.resolve("ca.pem").toAbsolutePath(),
                dir.resolve("ca.key").toAbsolutePath(), dir.resolve("leaf.pem").toAbsolutePath(),
                dir.resolve("leaf.key").toAbsolutePath(), dir.resolve("leaf.p12").toAbsolutePath(), PKCS12_PASSWORD);
        Path config = pki.dir.resolve("openssl.cnf");
        Path csr = pki.dir.resolve("leaf.csr");
        // Our own config, so the host's openssl.cnf adds no extensions of its own to these certificates.
        String cnf = """
                [req]
                distinguished_name = dn
                prompt = no
                [dn]
                [ca_ext]
                basicConstraints = critical, CA:TRUE, pathlen:0
                keyUsage = critical, keyCertSign, cRLSign
                subjectKeyIdentifier = hash
                [leaf_ext]
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid:always
                subjectAltName = %s
                """.formatted(String.join(", ", san));
        try {
            Files.createDirectories(pki.dir);
            Files.writeString(config, cnf);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + config, e);
        }
        String caSerial = serial();
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pki.caKey.toString());
        openssl("req", "-x509", "-new", "-config", config.toString(), "-extensions", "ca_ext",
                "-key", pki.caKey.toString(), "-sha256", "-days", "1", "-set_serial", caSerial,
                "-subj", "/O=Clawgress tests/CN=Clawgress test CA " + caSerial.substring(2, 10),
                "-out", pki.caCert.toString());
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                pki.leafKey.toString());
        String cn = names.get(0).length() <= 64 ? names.get(0) : "Clawgress test leaf";
        openssl("req", "-new", "-config", config.toString(), "-key", pki.leafKey.toString(),
                "-subj", "/O=Clawgress tests/CN=" + cn, "-out", csr.toString());
        openssl("x509", "-req", "-in", csr.toString(), "-CA", pki.caCert.toString(), "-CAkey", pki.caKey.toString(),
                "-set_serial", serial(), "-days", "1", "-sha256", "-extfile", config.toString(),
                "-extensions", "leaf_ext", "-out", pki.leafCert.toString());
        openssl("pkcs12", "-export", "-inkey", pki.leafKey.toString(), "-in", pki.leafCert.toString(),
                "-certfile", pki.caCert.toString(), "-name", PKCS12_ALIAS, "-passout", "pass:" + PKCS12_PASSWORD,
                "-out", pki.pkcs12.toString());
        return pki;
    }

    /** A random positive 128-bit serial number, as openssl's {@code -set_serial} takes it. */
    /** A random positive 128-bit certificate serial for openssl's {@code -set_serial}. */
    static String serial() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        b[0] &= 0x7f;
        b[0] |= 0x10; // positive, and never a leading zero octet
        return "0x" + HexFormat.of().formatHex(b);
    }

    /** Runs the openssl CLI; fails the test with its output when it fails. */
    static void openssl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Exec.runOk(cmd, OPENSSL_TIMEOUT);
    }
}
