package io.clawgress.enforcement.audit;

import io.clawgress.enforcement.bundle.Pem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * The node audit key: an Ed25519 key pair (RFC 8032) that signs audit checkpoints, kept in
 * {@code state_dir/audit-key/}: {@value #PRIVATE_FILE} (PKCS #8 PEM, RFC 7468 §10, mode 0600) and
 * {@value #PUBLIC_FILE} (SubjectPublicKeyInfo PEM, §13), which is what {@code audit verify} needs and may be copied
 * anywhere. The key id is the first 16 hex digits of the SHA-256 of the public key's DER.
 */
public final class AuditKey {

    private static final Logger log = LoggerFactory.getLogger(AuditKey.class);

    public static final String DIRECTORY = "audit-key";
    public static final String PRIVATE_FILE = "audit-key.pem";
    public static final String PUBLIC_FILE = "audit-key.pub.pem";
    /** Prefix of the signed checkpoint message; the version changes if the message ever does. */
    public static final String CHECKPOINT_CONTEXT = "clawgress-audit-checkpoint:v1:";

    private static final String ALGORITHM = "Ed25519";
    private static final String PEM_PRIVATE = "PRIVATE KEY";
    private static final String PEM_PUBLIC = "PUBLIC KEY";

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final String keyId;

    private AuditKey(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.keyId = keyId(publicKey);
    }

    /**
     * Loads the key pair from {@code stateDir/audit-key/}, or generates and stores one when neither file exists.
     * Blocking (disk, key generation): call at startup, never on an event loop.
     *
     * @throws IOException when only one of the two files exists, the private key is readable by group or others,
     *                     the files do not hold a matching Ed25519 pair, or the directory cannot be written
     */
    public static AuditKey openOrCreate(Path stateDir) throws IOException {
        Path dir = stateDir.resolve(DIRECTORY);
        Path privatePath = dir.resolve(PRIVATE_FILE);
        Path publicPath = dir.resolve(PUBLIC_FILE);
        boolean hasPrivate = Files.exists(privatePath);
        boolean hasPublic = Files.exists(publicPath);
        if (hasPrivate && hasPublic) {
            return load(privatePath, publicPath);
        }
        if (hasPrivate || hasPublic) {
            // A new key would silently start a second signing identity; the operator must decide.
            throw new IOException(dir + ": holds " + (hasPrivate ? PRIVATE_FILE : PUBLIC_FILE) + " but not "
                    + (hasPrivate ? PUBLIC_FILE : PRIVATE_FILE) + " (expected: both, or neither to create a key)");
        }
        return create(dir, privatePath, publicPath);
    }

    /** For tests and tools: a key that lives in memory only. */
    static AuditKey generate() {
        KeyPair pair = newPair();
        return new AuditKey(pair.getPrivate(), pair.getPublic());
    }

    private static AuditKey create(Path dir, Path privatePath, Path publicPath) throws IOException {
        createPrivateDirectory(dir);
        KeyPair pair = newPair();
        writeAtomically(privatePath, pem(PEM_PRIVATE, pair.getPrivate().getEncoded()), "rw-------");
        writeAtomically(publicPath, pem(PEM_PUBLIC, pair.getPublic().getEncoded()), "rw-r--r--");
        AuditKey key = new AuditKey(pair.getPrivate(), pair.getPublic());
        log.info("audit key: created {} in {}", key.keyId, dir);
        return key;
    }

    private static AuditKey load(Path privatePath, Path publicPath) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(privatePath, PosixFileAttributeView.class);
        if (view != null) {
            Set<PosixFilePermission> perms = view.readAttributes().permissions();
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IOException(privatePath + ": mode " + PosixFilePermissions.toString(perms)
                        + " (expected: rw------- or stricter; the audit key signs checkpoints)");
            }
        }
        try {
            KeyFactory kf = KeyFactory.getInstance(ALGORITHM);
            PrivateKey privateKey = kf.generatePrivate(new PKCS8EncodedKeySpec(
                    unpem(Files.readString(privatePath, StandardCharsets.US_ASCII), PEM_PRIVATE, privatePath)));
            PublicKey publicKey = readPublicKeyPem(Files.readString(publicPath, StandardCharsets.US_ASCII));
            AuditKey key = new AuditKey(privateKey, publicKey);
            byte[] probe = "clawgress-audit-key-pair-check".getBytes(StandardCharsets.US_ASCII);
            if (!verify(publicKey, probe, key.sign(probe))) {
                throw new IOException(publicPath + ": is not the public half of " + privatePath);
            }
            return key;
        } catch (GeneralSecurityException e) {
            throw new IOException(privatePath.getParent() + ": not an Ed25519 key pair (" + e.getMessage() + ")", e);
        }
    }

    /** Parses an SPKI {@code PUBLIC KEY} PEM holding an Ed25519 key, as {@code audit verify --public-key} reads it. */
    public static PublicKey readPublicKeyPem(String pem) throws GeneralSecurityException {
        if (pem.contains("PRIVATE KEY-----")) {
            throw new GeneralSecurityException("public key PEM: contains private key material (expected: only a "
                    + "'-----BEGIN PUBLIC KEY-----' block)");
        }
        try {
            byte[] der = unpem(pem, PEM_PUBLIC, null);
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (IOException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    /** The key id of any public key: the first 16 hex digits of SHA-256 over its DER (SubjectPublicKeyInfo). */
    public static String keyId(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** The UTF-8 bytes a checkpoint signs: {@code clawgress-audit-checkpoint:v1:<seq>:<hash>} of the covered record. */
    public static byte[] checkpointMessage(long seq, String hash) {
        return (CHECKPOINT_CONTEXT + seq + ":" + hash).getBytes(StandardCharsets.UTF_8);
    }

    /** Whether {@code signature} is {@code key}'s Ed25519 signature of {@code message}. Never throws. */
    public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // wrong key type, malformed signature: either way not a valid signature
        }
    }

    /** Signs {@code message}. Thread-safe (a new {@link Signature} per call; Ed25519 signing is deterministic). */
    public byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(privateKey);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    public String keyId() {
        return keyId;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** The public key as PEM, for {@code clawgressctl audit export-key} and offline verification. */
    public String publicKeyPem() {
        return pem(PEM_PUBLIC, publicKey.getEncoded());
    }

    private static KeyPair newPair() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 missing from the JDK", e);
        }
    }

    private static void createPrivateDirectory(Path dir) throws IOException {
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // an empty directory left by an earlier attempt: fine
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        }
    }

    /** Writes a temporary file with its final mode from the start, flushes it, and renames it into place. */
    private static void writeAtomically(Path target, String text, String mode) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
    }

    static String pem(String type, byte[] der) {
        return Pem.encode(type, der);
    }

    private static byte[] unpem(String pem, String type, Path where) throws IOException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        String prefix = where == null ? "" : where + ": ";
        if (b < 0 || e < b || pem.indexOf("-----BEGIN ", b + 1) >= 0) {
            throw new IOException(prefix + "expected exactly one PEM block '" + begin + "'");
        }
        try {
            // RFC 7468 §3: base64 with line breaks and white space only.
            return Base64.getDecoder().decode(pem.substring(b + begin.length(), e).replaceAll("[ \t\r\n]", ""));
        } catch (IllegalArgumentException ex) {
            throw new IOException(prefix + "PEM body is not base64: " + ex.getMessage(), ex);
        }
    }
}
