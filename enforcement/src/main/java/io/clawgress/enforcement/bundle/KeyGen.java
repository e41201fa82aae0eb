package io.clawgress.enforcement.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;

/**
 * Generates bundle signing keys: Ed25519 (EdDSA) or P-256 (ES256). Key generation can block on entropy; never call it
 * on an event loop.
 */
public final class KeyGen {

    private KeyGen() {
    }

    /** A fresh key pair, as PEM, with the key id it will be trusted under. */
    public record GeneratedKey(String kid, SigningAlg alg, String privateKeyPem, String publicKeyPem) {

        public SigningKey signingKey() throws GeneralSecurityException {
            return SigningKey.fromPem(kid, alg, privateKeyPem);
        }

        public TrustedKey trustedKey() throws GeneralSecurityException {
            return new TrustedKey(kid, alg, Pem.readPublicKey(publicKeyPem, alg));
        }

        /** This key's entry for the {@code keys} array of a key-set file (see {@link TrustedKeys}). */
        public ObjectNode trustedKeyEntry() {
            ObjectNode entry = BundleFormat.JSON.createObjectNode();
            entry.put("kid", kid);
            entry.put("alg", alg.jwsName());
            entry.put("public_key_pem", publicKeyPem);
            return entry;
        }

        @Override
        public String toString() {
            return "GeneratedKey[kid=" + kid + ", alg=" + alg.jwsName() + "]";
        }
    }

    public static GeneratedKey generate(SigningAlg alg, String kid) throws GeneralSecurityException {
        KeyPairGenerator generator = switch (alg) {
            case EDDSA -> KeyPairGenerator.getInstance("Ed25519");
            case ES256 -> {
                KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
                ec.initialize(new ECGenParameterSpec("secp256r1"));
                yield ec;
            }
        };
        KeyPair pair = generator.generateKeyPair();
        new SigningKey(kid, alg, pair.getPrivate()); // validates kid and key type
        return new GeneratedKey(kid, alg, Pem.encode(Pem.PRIVATE, pair.getPrivate().getEncoded()),
                Pem.encode(Pem.PUBLIC, pair.getPublic().getEncoded()));
    }

    /** A complete key-set file trusting {@code keys}, pretty-printed. */
    public static String keySetJson(List<GeneratedKey> keys) {
        ObjectNode root = BundleFormat.JSON.createObjectNode();
        ArrayNode array = root.putArray("keys");
        keys.forEach(k -> array.add(k.trustedKeyEntry()));
        try {
            return BundleFormat.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("serialising a JSON tree", e);
        }
    }
}
