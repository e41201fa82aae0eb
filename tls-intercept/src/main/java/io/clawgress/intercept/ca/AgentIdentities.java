package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The agent id a presented client certificate chain proves (DESIGN.md §4, mTLS). First the chain must lead to the
 * agents' CA: PKIX path validation with the JDK's {@link CertPathValidator} (RFC 5280 §6), the agents' CA as the
 * only trust anchor, no revocation checking, at the injected clock's time; the first certificate must be an end
 * entity whose extendedKeyUsage, if present, allows clientAuth (RFC 5280 §4.2.1.12). Then the id comes from the URI
 * subjectAltName {@code spiffe://<trust-domain>/agent/<id>}, whose trust domain must be ours; a certificate with no
 * SPIFFE ID falls back to its subject CN. A certificate that carries a SPIFFE ID never falls back to its CN.
 *
 * <p>Threads: {@link #identify} is thread-safe and does not block; it costs one ECDSA verification per certificate
 * (around 0.1 ms), the same order as the handshake that delivered the chain, so it may run where the handshake
 * completes.
 */
public final class AgentIdentities {

    /** Longer presented chains are refused before any validation: ours are one certificate, plus maybe the CA. */
    public static final int MAX_CHAIN = 4;

    private static final String EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String EKU_ANY = "2.5.29.37.0";
    private static final int SAN_URI = 6;

    private final X509Certificate agentsCa;
    private final TrustAnchor anchor;
    private final String trustDomain;
    private final Clock clock;

    /**
     * @param agentsCa    the agents' CA certificate ({@link AgentCertIssuer#caCertificate()} or
     *                    {@link AgentCertIssuer#readCaCertificate})
     * @param trustDomain the SPIFFE trust domain agent certificates must name
     */
    public AgentIdentities(X509Certificate agentsCa, String trustDomain, Clock clock) {
        this.agentsCa = Objects.requireNonNull(agentsCa, "agentsCa");
        this.trustDomain = AgentIds.requireTrustDomain(trustDomain);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.anchor = new TrustAnchor(agentsCa, null);
    }

    public String trustDomain() {
        return trustDomain;
    }

    /**
     * Identifies the agent behind {@code chain}, as a TLS stack presents it ({@code SSLSession#getPeerCertificates}:
     * the agent's certificate first, then any CA certificates it sent).
     */
    public AgentIdentityResult identify(Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            return reject(ClientCertFailure.UNTRUSTED, "no client certificate presented");
        }
        if (chain.length > MAX_CHAIN) {
            return reject(ClientCertFailure.UNTRUSTED, "chain of " + chain.length + " certificates (expected: <= "
                    + MAX_CHAIN + ")");
        }
        List<X509Certificate> path = new ArrayList<>(chain.length);
        for (int i = 0; i < chain.length; i++) {
            if (!(chain[i] instanceof X509Certificate x)) {
                return reject(ClientCertFailure.UNTRUSTED, "certificate " + i + " is not X.509");
            }
            // The agents' CA itself may be sent along; it is the anchor, not part of the path (RFC 5280 §6.1).
            if (i > 0 && x.equals(agentsCa)) {
                continue;
            }
            path.add(x);
        }
        X509Certificate leaf = path.getFirst();
        if (leaf.equals(agentsCa) || leaf.getBasicConstraints() >= 0) {
            return reject(ClientCertFailure.UNTRUSTED, "the first certificate is a CA (expected: an agent's own"
                    + " end-entity certificate)");
        }
        AgentIdentityResult.Rejected invalid = validate(path);
        if (invalid != null) {
            return invalid;
        }
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(EKU_CLIENT_AUTH) && !eku.contains(EKU_ANY)) {
                return reject(ClientCertFailure.UNTRUSTED, "extendedKeyUsage " + eku + " does not allow clientAuth");
            }
        } catch (CertificateParsingException e) {
            return reject(ClientCertFailure.UNTRUSTED, "unparsable extendedKeyUsage: " + e.getMessage());
        }
        return identity(leaf);
    }

    private AgentIdentityResult.Rejected validate(List<X509Certificate> path) {
        try {
            PKIXParameters params = new PKIXParameters(Set.of(anchor));
            params.setRevocationEnabled(false);
            params.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            return null;
        } catch (CertPathValidatorException e) {
            if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return reject(ClientCertFailure.EXPIRED, e.getMessage());
            }
            if (e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                return reject(ClientCertFailure.NOT_YET_VALID, e.getMessage());
            }
            return reject(ClientCertFailure.UNTRUSTED, "does not chain to the agents' CA: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            return reject(ClientCertFailure.UNTRUSTED, "path validation failed: " + e.getMessage());
        }
    }

    private AgentIdentityResult identity(X509Certificate leaf) {
        List<String> spiffeIds = new ArrayList<>();
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.get(0) instanceof Integer type && type == SAN_URI && san.get(1) instanceof String uri
                            && uri.toLowerCase(Locale.ROOT).startsWith(AgentIds.SPIFFE_SCHEME)) {
                        spiffeIds.add(uri);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return reject(ClientCertFailure.NO_IDENTITY, "unparsable subjectAltName: " + e.getMessage());
        }
        if (spiffeIds.size() > 1) {
            // SPIFFE X509-SVID spec §2: exactly one URI SAN. Two would be two identities; pick none.
            return reject(ClientCertFailure.NO_IDENTITY, spiffeIds.size() + " SPIFFE IDs " + spiffeIds
                    + " (expected: exactly one)");
        }
        if (spiffeIds.size() == 1) {
            return fromSpiffeId(spiffeIds.getFirst());
        }
        return fromCommonName(leaf);
    }

    /** {@code spiffe://<trust-domain>/agent/<id>}, nothing more (no port, query, fragment, or escapes). */
    private AgentIdentityResult fromSpiffeId(String uri) {
        String rest = uri.substring(AgentIds.SPIFFE_SCHEME.length());
        int slash = rest.indexOf('/');
        String domain = slash < 0 ? rest : rest.substring(0, slash);
        if (!domain.equals(trustDomain)) {
            return reject(ClientCertFailure.WRONG_TRUST_DOMAIN, "SPIFFE ID " + uri + " is in trust domain '" + domain
                    + "' (expected: '" + trustDomain + "')");
        }
        String path = slash < 0 ? "" : rest.substring(slash);
        if (!uri.startsWith(AgentIds.SPIFFE_SCHEME) || !path.startsWith(AgentIds.AGENT_PATH)
                || !AgentIds.isAgentId(path.substring(AgentIds.AGENT_PATH.length()))) {
            return reject(ClientCertFailure.NO_IDENTITY, "SPIFFE ID " + uri + " (expected: spiffe://" + trustDomain
                    + "/agent/<id>)");
        }
        return new AgentIdentityResult.Identified(path.substring(AgentIds.AGENT_PATH.length()),
                AgentIdentityResult.Source.SPIFFE_ID);
    }

    private AgentIdentityResult fromCommonName(X509Certificate leaf) {
        RDN[] cns = X500Name.getInstance(leaf.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        if (cns.length != 1 || cns[0].isMultiValued()) {
            return reject(ClientCertFailure.NO_IDENTITY, "no SPIFFE ID, and " + cns.length + " CN attributes"
                    + " (expected: exactly one)");
        }
        ASN1Encodable value = cns[0].getFirst().getValue();
        String cn = value instanceof ASN1String s ? s.getString() : null;
        if (!AgentIds.isAgentId(cn)) {
            return reject(ClientCertFailure.NO_IDENTITY, "no SPIFFE ID, and CN '" + cn + "' is not an agent id");
        }
        return new AgentIdentityResult.Identified(cn, AgentIdentityResult.Source.COMMON_NAME);
    }

    private static AgentIdentityResult.Rejected reject(ClientCertFailure failure, String detail) {
        return new AgentIdentityResult.Rejected(failure, detail);
    }
}
