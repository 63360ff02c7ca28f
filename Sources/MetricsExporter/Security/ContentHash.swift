import CMicroHTTPD
import FoundationEssentials

/// The `'sha256-…'` source of a Content-Security-Policy for an inline script or style sheet whose text is `text`
/// (the bytes between the tags, exactly), or `nil` if GnuTLS cannot hash. A page that allows its own inline
/// script by hash needs no `'unsafe-inline'`, so an injected script is never run.
package func contentSecurityPolicyHash(of text: String) -> String? {
    var digest = [UInt8](repeating: 0, count: 32)
    let bytes = Array(text.utf8)
    let status = bytes.withUnsafeBytes { raw in
        gnutls_hash_fast(GNUTLS_DIG_SHA256, raw.baseAddress, raw.count, &digest)
    }
    guard status == 0 else { return nil }
    return "'sha256-" + Data(digest).base64EncodedString() + "'"
}
