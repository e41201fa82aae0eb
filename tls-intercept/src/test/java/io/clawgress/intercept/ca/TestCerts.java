package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;

import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/** Helpers to look inside certificates the way a verifier does. */
final class TestCerts {

    private TestCerts() {
    }

    static NameConstraints nameConstraints(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue("2.5.29.30");
        return ext == null ? null : NameConstraints.getInstance(ASN1OctetString.getInstance(ext).getOctets());
    }

    /** Each subtree as {@code dns:<name>} or {@code ip:<hex address+mask>}. */
    static List<String> describe(GeneralSubtree[] subtrees) {
        List<String> out = new ArrayList<>();
        if (subtrees == null) {
            return out;
        }
        for (GeneralSubtree s : subtrees) {
            GeneralName n = s.getBase();
            out.add(switch (n.getTagNo()) {
                case GeneralName.dNSName -> "dns:" + DERIA5String.getInstance(n.getName()).getString();
                case GeneralName.iPAddress ->
                        "ip:" + HexFormat.of().formatHex(ASN1OctetString.getInstance(n.getName()).getOctets());
                default -> "other:" + n;
            });
        }
        return out;
    }

    /** JDK PKIX validation (RFC 5280 §6) of {@code path} against {@code root} at {@code at}, no revocation. */
    static PKIXCertPathValidatorResult pkixValidate(X509Certificate root, Instant at, X509Certificate... path)
            throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        params.setRevocationEnabled(false);
        params.setDate(Date.from(at));
        return (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
                .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(path)), params);
    }
}
