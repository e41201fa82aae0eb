package io.clawgress.enforcement.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuditKeyTest {

    @TempDir
    Path state;

    @Test
    void createsAnEd25519PairWithAPrivateFileOnlyTheOwnerCanRead() throws Exception {
        AuditKey key = AuditKey.openOrCreate(state);

        Path dir = state.resolve("audit-key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("audit-key.pem"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(Files.readString(dir.resolve("audit-key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----\n");
        String pub = Files.readString(dir.resolve("audit-key.pub.pem"));
        assertThat(pub).startsWith("-----BEGIN PUBLIC KEY-----\n").isEqualTo(key.publicKeyPem());
        assertThat(key.publicKey().getAlgorithm()).isIn("EdDSA", "Ed25519");
        assertThat(dir.resolve("audit-key.pem.tmp")).doesNotExist();
    }

    @Test
    void theKeyIdIsTheFirst16HexOfTheSha256OfThePublicKeyDer() throws Exception {
        AuditKey key = AuditKey.openOrCreate(state);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.publicKey().getEncoded());
        assertThat(key.keyId()).hasSize(16).isEqualTo(HexFormat.of().formatHex(digest).substring(0, 16));
    }

    @Test
    void reopeningLoadsTheSameKeyAndItsSignaturesVerifyWithTheExportedPem() throws Exception {
        AuditKey created = AuditKey.openOrCreate(state);
        AuditKey loaded = AuditKey.openOrCreate(state);
        assertThat(loaded.keyId()).isEqualTo(created.keyId());

        byte[] message = AuditKey.checkpointMessage(42, "ab".repeat(32));
        assertThat(new String(message, StandardCharsets.UTF_8))
                .isEqualTo("clawgress-audit-checkpoint:v1:42:" + "ab".repeat(32));
        byte[] sig = loaded.sign(message);
        PublicKey exported = AuditKey.readPublicKeyPem(created.publicKeyPem());
        Signature v = Signature.getInstance("Ed25519");
        v.initVerify(exported);
        v.update(message);
        assertThat(v.verify(sig)).isTrue();
        assertThat(AuditKey.verify(exported, AuditKey.checkpointMessage(43, "ab".repeat(32)), sig)).isFalse();
    }

    @Test
    void aPrivateKeyOthersCanReadIsRefused() throws Exception {
        AuditKey.openOrCreate(state);
        Path priv = state.resolve("audit-key/audit-key.pem");
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> AuditKey.openOrCreate(state)).isInstanceOf(IOException.class)
                .hasMessageContaining("rw-r--r--").hasMessageContaining("expected: rw-------");
    }

    @Test
    void halfAPairIsRefusedRatherThanReplaced() throws Exception {
        AuditKey.openOrCreate(state);
        Files.delete(state.resolve("audit-key/audit-key.pub.pem"));
        assertThatThrownBy(() -> AuditKey.openOrCreate(state)).isInstanceOf(IOException.class)
                .hasMessageContaining("holds audit-key.pem but not audit-key.pub.pem");
    }

    @Test
    void aPublicKeyFromAnotherPairIsRefused() throws Exception {
        AuditKey.openOrCreate(state);
        Files.writeString(state.resolve("audit-key/audit-key.pub.pem"), AuditKey.generate().publicKeyPem());
        assertThatThrownBy(() -> AuditKey.openOrCreate(state)).isInstanceOf(IOException.class)
                .hasMessageContaining("is not the public half of");
    }

    @Test
    void aPublicKeyPemWithPrivateMaterialIsRefused() {
        String pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assertThatThrownBy(() -> AuditKey.readPublicKeyPem(pem))
                .hasMessageContaining("private key material");
    }
}
