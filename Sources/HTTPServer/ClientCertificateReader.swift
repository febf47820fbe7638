import CMicroHTTPD
import Foundation

/// The client's certificate when the TLS session has one that verifies against the server's client CA.
///
/// libmicrohttpd only asks for a certificate during the handshake (it does not require one), so verification
/// happens here, per request, through the GnuTLS session.
func verifiedClientCertificate(of connection: OpaquePointer) -> ClientCertificate? {
    guard let info = primes_mhd_connection_info(connection, .CONNECTION_INFO_GNUTLS_SESSION),
        let rawSession = info.pointee.tls_session
    else { return nil }
    let session = OpaquePointer(rawSession)

    var status: UInt32 = 0
    guard gnutls_certificate_verify_peers2(session, &status) == 0, status == 0 else { return nil }

    var count: UInt32 = 0
    guard let chain = gnutls_certificate_get_peers(session, &count), count > 0 else { return nil }
    var leaf = chain.pointee

    var certificate: gnutls_x509_crt_t?
    guard gnutls_x509_crt_init(&certificate) == 0, let certificate else { return nil }
    defer { gnutls_x509_crt_deinit(certificate) }
    guard gnutls_x509_crt_import(certificate, &leaf, GNUTLS_X509_FMT_DER) == 0 else { return nil }

    var subjectBuffer = [CChar](repeating: 0, count: 2048)
    var subjectSize = subjectBuffer.count
    guard gnutls_x509_crt_get_dn(certificate, &subjectBuffer, &subjectSize) == 0 else { return nil }
    let subject = String(decoding: subjectBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)

    var digest = [UInt8](repeating: 0, count: 32)
    var digestSize = digest.count
    guard gnutls_fingerprint(GNUTLS_DIG_SHA256, &leaf, &digest, &digestSize) == 0 else { return nil }
    let fingerprint = digest.prefix(digestSize).map { byte in
        let hex = String(byte, radix: 16)
        return byte < 16 ? "0" + hex : hex
    }.joined()

    return ClientCertificate(subject: subject, sha256Fingerprint: fingerprint)
}
