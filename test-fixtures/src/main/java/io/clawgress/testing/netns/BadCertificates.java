package io.clawgress.testing.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Upstream certificates a TLS-intercepting gateway must refuse, made with the {@code openssl} CLI next to a
 * {@link TestPki} whose CA the gateway trusts. Each is a lone leaf (the chain file holds just it) with an EC P-256
 * key in unencrypted PKCS#8 PEM, ready for {@code origin-server --tls-cert ... --tls-key ...}; each is wrong in
 * exactly one way:
 * <ul>
 *   <li>{@code selfSigned}: for {@code name}, signed by its own key, so it chains to nothing the gateway trusts
 *       (RFC 5280 §6.1: no path to a trust anchor).
 *   <li>{@code expired}: for {@code name}, signed by the trusted CA, valid only from 2020-01-01 to 2020-01-02
 *       (RFC 5280 §4.1.2.5).
 *   <li>{@code wrongName}: signed by the trusted CA, valid now, but its only name is {@code other-<name>}
 *       (RFC 9110 §4.3.4, RFC 6125 §6).
 * </ul>
 *
 * @param dir            where the files are
 * @param name           the DNS name the certificates are presented for
 * @param selfSignedCert {@code bad-self-signed.pem}
 * @param selfSignedKey  {@code bad-self-signed.key}
 * @param expiredCert    {@code bad-expired.pem}
 * @param expiredKey     {@code bad-expired.key}
 * @param wrongNameCert  {@code bad-wrong-name.pem}
 * @param wrongNameKey   {@code bad-wrong-name.key}
 */
public record BadCertificates(Path dir, String name, Path selfSignedCert, Path selfSignedKey, Path expiredCert,
                              Path expiredKey, Path wrongNameCert, Path wrongNameKey) {

    /** The validity of {@link #expiredCert()}, as openssl's {@code ca -startdate/-enddate} take it. */
    public static final String EXPIRED_NOT_BEFORE = "20200101000000Z";
    public static final String EXPIRED_NOT_AFTER = "20200102000000Z";
    /** What {@link #wrongNameCert()} is for instead of {@code name}. */
    public static final String WRONG_NAME_PREFIX = "other-";

    /** A DNS name without wildcard whose first label still fits 63 octets with {@link #WRONG_NAME_PREFIX}. */
    private static final Pattern DNS_NAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]{0,55}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    public BadCertificates {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(selfSignedCert, "selfSignedCert");
        Objects.requireNonNull(selfSignedKey, "selfSignedKey");
        Objects.requireNonNull(expiredCert, "expiredCert");
        Objects.requireNonNull(expiredKey, "expiredKey");
        Objects.requireNonNull(wrongNameCert, "wrongNameCert");
        Objects.requireNonNull(wrongNameKey, "wrongNameKey");
    }

    /** The name {@link #wrongNameCert()} is valid for. */
    public String wrongName() {
        return WRONG_NAME_PREFIX + name;
    }

    /**
     * Writes the three certificates for {@code name} into {@code dir} (created if missing; may be {@code trusted}'s
     * own directory, no file names clash; files of an earlier call there are replaced).
     *
     * @param trusted whose CA signs the expired and the wrong-name certificate
     * @param name    a DNS name, no wildcard, no IP literal
     * @throws AssertionError with openssl's output when a step fails
     */
    public static BadCertificates create(Path dir, TestPki trusted, String name) {
        Objects.requireNonNull(trusted, "trusted");
        if (!DNS_NAME.matcher(name).matches() || name.length() + WRONG_NAME_PREFIX.length() > 253) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: a DNS name without wildcard, first"
                    + " label at most " + (63 - WRONG_NAME_PREFIX.length()) + " characters)");
        }
        Path d = dir.toAbsolutePath();
        if (d.toString().matches(".*[$#\\\\\"\\s&&[^ ]].*")) {
            throw new IllegalArgumentException("dir: " + d + " (expected: no $ # \\ \" or control characters, which"
                    + " an openssl config cannot take unquoted)");
        }
        BadCertificates bad = new BadCertificates(d, name, d.resolve("bad-self-signed.pem"),
                d.resolve("bad-self-signed.key"), d.resolve("bad-expired.pem"), d.resolve("bad-expired.key"),
                d.resolve("bad-wrong-name.pem"), d.resolve("bad-wrong-name.key"));
        Path config = d.resolve("bad-openssl.cnf");
        Path index = d.resolve("bad-ca-index.txt");
        Path serialFile = d.resolve("bad-ca-serial.txt");
        Path issued = d.resolve("bad-ca-issued");
        // Our own config, so the host's openssl.cnf adds nothing. `openssl ca` is the one way OpenSSL 3.0 sets an
        // arbitrary past validity (x509 -req only counts -days from now); it needs a database, kept here.
        String cnf = """
                [req]
                distinguished_name = dn
                prompt = no
                [dn]
                [self_signed_ext]
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth
                subjectKeyIdentifier = hash
                subjectAltName = DNS:%1$s
                [expired_ext]
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid:always
                subjectAltName = DNS:%1$s
                [wrong_name_ext]
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid:always
                subjectAltName = DNS:%2$s
                [ca]
                default_ca = bad_ca
                [bad_ca]
                database = %3$s
                serial = %4$s
                new_certs_dir = %5$s
                default_md = sha256
                policy = any_policy
                unique_subject = no
                copy_extensions = none
                email_in_dn = no
                [any_policy]
                organizationName = optional
                commonName = supplied
                """.formatted(name, bad.wrongName(), index, serialFile, issued);
        try {
            Files.createDirectories(issued);
            Files.writeString(config, cnf);
            Files.writeString(index, "");
            Files.writeString(serialFile, TestPki.serial().substring(2) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + config, e);
        }

        ecKey(bad.selfSignedKey);
        TestPki.openssl("req", "-x509", "-new", "-config", config.toString(), "-extensions", "self_signed_ext",
                "-key", bad.selfSignedKey.toString(), "-sha256", "-days", "1", "-set_serial", TestPki.serial(),
                "-subj", "/O=Clawgress tests/CN=" + commonName(name) + " (self-signed)",
                "-out", bad.selfSignedCert.toString());

        ecKey(bad.expiredKey);
        Path expiredCsr = d.resolve("bad-expired.csr");
        csr(config, bad.expiredKey, commonName(name) + " (expired)", expiredCsr);
        TestPki.openssl("ca", "-batch", "-config", config.toString(), "-name", "bad_ca", "-extensions", "expired_ext",
                "-cert", trusted.caCert().toString(), "-keyfile", trusted.caKey().toString(),
                "-startdate", EXPIRED_NOT_BEFORE, "-enddate", EXPIRED_NOT_AFTER, "-notext",
                "-in", expiredCsr.toString(), "-out", bad.expiredCert.toString());

        ecKey(bad.wrongNameKey);
        Path wrongCsr = d.resolve("bad-wrong-name.csr");
        csr(config, bad.wrongNameKey, commonName(bad.wrongName()), wrongCsr);
        TestPki.openssl("x509", "-req", "-in", wrongCsr.toString(), "-CA", trusted.caCert().toString(),
                "-CAkey", trusted.caKey().toString(), "-set_serial", TestPki.serial(), "-days", "1", "-sha256",
                "-extfile", config.toString(), "-extensions", "wrong_name_ext", "-out", bad.wrongNameCert.toString());
        return bad;
    }

    /** An EC P-256 key; {@code genpkey} writes PKCS#8 ({@code BEGIN PRIVATE KEY}). */
    private static void ecKey(Path out) {
        TestPki.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", out.toString());
    }

    private static void csr(Path config, Path key, String cn, Path out) {
        TestPki.openssl("req", "-new", "-config", config.toString(), "-key", key.toString(),
                "-subj", "/O=Clawgress tests/CN=" + cn, "-out", out.toString());
    }

    /** X.520 caps a CN at 64 characters; the SAN carries the name that counts. */
    private static String commonName(String name) {
        return name.length() <= 40 ? name : "Clawgress test leaf";
    }

    /** A random positive 128-bit serial number, as openssl's {@code -set_serial} takes it. */
}
