package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcContentSignerBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;

/** Certificate building blocks shared by the CAs: P-256 keys, serials, signing, key identifiers. Thread-safe. */
final class Certs {

    static final String SIGNATURE_ALG = "SHA256withECDSA";
    /** Backdating absorbs clock skew between the gateway and its clients. */
    static final Duration BACKDATE = Duration.ofMinutes(5);
    /** Order of the P-256 base point (SEC 2 §2.4.2); with the field size it identifies the curve. */
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ECNamedDomainParameters P256 = new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1,
            CustomNamedCurves.getByOID(SECObjectIdentifiers.secp256r1));
    /** id-ecPublicKey with the named curve P-256 (RFC 5480 §2.1.1). */
    private static final AlgorithmIdentifier EC_P256_ALG = new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
            SECObjectIdentifiers.secp256r1);
    private static final AlgorithmIdentifier ECDSA_SHA256 = new AlgorithmIdentifier(
            X9ObjectIdentifiers.ecdsa_with_SHA256);
    private static final AlgorithmIdentifier SHA256 = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256);

    private Certs() {
    }

    /**
     * A fresh P-256 key in the forms it is used in: the JDK private key (what TLS stacks and PEM take), the
     * BouncyCastle form that signs, and the SubjectPublicKeyInfo that goes into a certificate.
     */
    record P256Key(PrivateKey privateKey, ECPrivateKeyParameters signingKey, SubjectPublicKeyInfo publicKeyInfo) {
    }

    /**
     * A fresh EC P-256 key. Generated with BouncyCastle's lightweight API (its P-256 field arithmetic and fixed-point
     * comb): about twice as fast as the JDK's on CPUs without AVX-512. CPU-bound, about 0.1 ms: never on an event
     * loop.
     */
    static P256Key newP256Key() {
        ECKeyPairGenerator g = new ECKeyPairGenerator();
        g.init(new ECKeyGenerationParameters(P256, RANDOM));
        AsymmetricCipherKeyPair kp = g.generateKeyPair();
        ECPrivateKeyParameters priv = (ECPrivateKeyParameters) kp.getPrivate();
        DERBitString point = new DERBitString(((ECPublicKeyParameters) kp.getPublic()).getQ().getEncoded(false));
        // PKCS #8 (RFC 5208) around an RFC 5915 ECPrivateKey, encoded here rather than with PrivateKeyInfoFactory,
        // which would recompute the public point: a second scalar multiplication.
        PrivateKeyInfo pkcs8;
        try {
            pkcs8 = new PrivateKeyInfo(EC_P256_ALG, new org.bouncycastle.asn1.sec.ECPrivateKey(256, priv.getD(),
                    point, null));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an EC private key", e);
        }
        try {
            PrivateKey jdk = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8.getEncoded()));
            return new P256Key(jdk, priv, new SubjectPublicKeyInfo(EC_P256_ALG, point.getBytes()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot read an EC P-256 key", e);
        }
    }

    static boolean isP256(Object key) {
        return key instanceof ECKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256
                && ec.getParams().getOrder().equals(P256_ORDER);
    }

    /**
     * A random positive 128-bit serial: unpredictable, as CA/Browser Forum BR §7.1 asks (at least 64 random bits),
     * and within RFC 5280 §4.1.2.2's 20 octets.
     */
    static BigInteger randomSerial() {
        byte[] b = new byte[16];
        BigInteger serial;
        do {
            RANDOM.nextBytes(b);
            serial = new BigInteger(1, b);
        } while (serial.signum() == 0);
        return serial;
    }

    /** Eight random hex digits that tell two CAs with the same role apart in their subject names. */
    static String randomTag() {
        return HexFormat.of().toHexDigits(RANDOM.nextInt());
    }

    /** {@code CN=<cn>, O=<o>} (DER order O then CN, so RFC 4514 strings print CN first). */
    static X500Name name(String cn, String o) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        if (o != null) {
            b.addRDN(BCStyle.O, o);
        }
        if (cn != null) {
            b.addRDN(BCStyle.CN, cn);
        }
        return b.build();
    }

    static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, SubjectPublicKeyInfo subjectKey,
                                            Instant notBefore, Instant notAfter) {
        return new X509v3CertificateBuilder(issuer, randomSerial(), Date.from(notBefore), Date.from(notAfter), subject,
                subjectKey);
    }

    /** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING. */
    static SubjectKeyIdentifier subjectKeyId(PublicKey key) {
        return subjectKeyId(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
    }

    static SubjectKeyIdentifier subjectKeyId(SubjectPublicKeyInfo key) {
        byte[] bits = key.getPublicKeyData().getBytes();
        try {
            return new SubjectKeyIdentifier(MessageDigest.getInstance("SHA-1").digest(bits));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no SHA-1", e);
        }
    }

    static AuthorityKeyIdentifier authorityKeyId(PublicKey issuerKey) {
        return new AuthorityKeyIdentifier(subjectKeyId(issuerKey).getKeyIdentifier());
    }

    /** The BouncyCastle signing form of a JDK EC private key (a CA key loaded from PEM). */
    static ECPrivateKeyParameters signingKey(PrivateKey key) {
        try {
            return (ECPrivateKeyParameters) PrivateKeyFactory.createKey(key.getEncoded());
        } catch (IOException | ClassCastException e) {
            throw new IllegalStateException("not an EC private key: " + key.getAlgorithm(), e);
        }
    }

    /** Signs with {@code key} (ECDSA with SHA-256) and returns the JDK's certificate object. */
    static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) {
        return sign(builder, signingKey(key));
    }

    /**
     * Signs with {@code key}: ECDSA with SHA-256 (RFC 5758 §3.2), the nonce derived as RFC 6979 describes, so a weak
     * random source cannot leak the CA key. Returns the JDK's certificate object.
     */
    static X509Certificate sign(X509v3CertificateBuilder builder, ECPrivateKeyParameters key) {
        try {
            X509CertificateHolder holder = builder.build(new Rfc6979EcdsaSignerBuilder().build(key));
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
        } catch (OperatorCreationException | IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a certificate: " + e.getMessage(), e);
        }
    }

    /** BouncyCastle's EC content signer with a deterministic (RFC 6979) nonce instead of a random one. */
    private static final class Rfc6979EcdsaSignerBuilder extends BcContentSignerBuilder {

        Rfc6979EcdsaSignerBuilder() {
            super(ECDSA_SHA256, SHA256);
        }

        @Override
        protected Signer createSigner(AlgorithmIdentifier sigAlgId, AlgorithmIdentifier digAlgId) {
            return new DSADigestSigner(new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest())),
                    new SHA256Digest());
        }
    }

    /** Whether {@code key} is the private half of {@code cert}'s public key: sign a challenge and verify it. */
    static boolean keyMatches(PrivateKey key, X509Certificate cert) {
        try {
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature s = Signature.getInstance(SIGNATURE_ALG);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(SIGNATURE_ALG);
            v.initVerify(cert.getPublicKey());
            v.update(challenge);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
