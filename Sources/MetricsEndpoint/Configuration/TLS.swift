extension WebConfiguration {
    /// HTTPS with a certificate and private key in PEM.
    public struct TLS: Sendable, Hashable {
        /// The oldest TLS version accepted. A struct over a private enum, so a version can be added without
        /// breaking anyone's `switch`.
        public struct MinimumVersion: Sendable, Hashable, CustomStringConvertible {
            fileprivate enum Version: Sendable, Hashable {
                case tls12
                case tls13
            }

            fileprivate let version: Version

            private init(_ version: Version) {
                self.version = version
            }

            /// TLS 1.2 and newer (the default, as in Prometheus' exporter-toolkit).
            public static let tls12 = MinimumVersion(.tls12)
            /// TLS 1.3 only.
            public static let tls13 = MinimumVersion(.tls13)

            /// The spelling of the web configuration file: `TLS12` or `TLS13`.
            public var description: String {
                switch self.version {
                case .tls12: "TLS12"
                case .tls13: "TLS13"
                }
            }

            /// The version spelled as in a web configuration file (`TLS12`, `TLS13`), or `nil`.
            package init?(webConfigurationName name: String) {
                switch name {
                case "TLS12": self = .tls12
                case "TLS13": self = .tls13
                default: return nil
                }
            }
        }

        /// The certificate chain in PEM, server certificate first.
        public var certificatePEM: String
        /// The private key in PEM.
        public var privateKeyPEM: String
        /// The oldest TLS version accepted.
        public var minimumVersion: MinimumVersion

        /// Creates a TLS configuration from PEM text.
        public init(certificatePEM: String, privateKeyPEM: String, minimumVersion: MinimumVersion = .tls12) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
            self.minimumVersion = minimumVersion
        }

        /// Reads the certificate and key from PEM files.
        public init(
            certificateFile: String,
            keyFile: String,
            minimumVersion: MinimumVersion = .tls12
        ) throws(MetricsServerError) {
            guard let certificate = readTextFile(certificateFile) else {
                throw MetricsServerError(.tlsSetupFailed, "cannot read certificate file \(certificateFile)")
            }
            guard let key = readTextFile(keyFile) else {
                throw MetricsServerError(.tlsSetupFailed, "cannot read key file \(keyFile)")
            }
            self.init(certificatePEM: certificate, privateKeyPEM: key, minimumVersion: minimumVersion)
        }

        /// The GnuTLS priority string handed to libmicrohttpd.
        package var gnutlsPriorities: String {
            switch self.minimumVersion.version {
            case .tls12: "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"
            case .tls13: "NORMAL:-VERS-ALL:+VERS-TLS1.3"
            }
        }
    }
}
