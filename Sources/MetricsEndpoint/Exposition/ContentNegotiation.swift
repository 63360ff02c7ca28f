extension ExpositionFormat {
    /// The format to serve for an `Accept` header value (or none), among `offered` (which holds the text format):
    /// the negotiation of every transport's metrics path.
    ///
    /// Each offered format gets the quality of the most specific media range that matches it: its exact media
    /// type with matching parameters, then `type/*`, then `*/*`. The highest quality above 0 wins; a tie goes to
    /// the range listed first. Text 0.0.4 is served when nothing matches, so curl and unknown clients always get
    /// an answer:
    /// - `application/openmetrics-text` with `version=1.0.0` or no version;
    /// - `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily` and
    ///   `encoding=delimited`;
    /// - `text/plain` with `version=0.0.4` or no version.
    public static func negotiate(accept: (some Collection<UInt8>)?, offered: Set<ExpositionFormat>) -> ExpositionFormat {
        guard let accept, !offered.isEmpty else { return .prometheusText }
        let elements = HeaderElement.parse(accept)
        var best: (format: ExpositionFormat, quality: Double, position: Int)?
        for format in offered.sorted(by: { $0.kind.rawValue < $1.kind.rawValue }) {
            guard let (quality, position) = Self.quality(of: format, in: elements), quality > 0 else { continue }
            if let current = best,
                current.quality > quality || (current.quality == quality && current.position <= position)
            {
                continue
            }
            best = (format, quality, position)
        }
        return best?.format ?? .prometheusText
    }

    /// The quality and position of the most specific range matching `format`, or `nil` when none does.
    private static func quality(of format: ExpositionFormat, in elements: [HeaderElement]) -> (Double, Int)? {
        var match: (specificity: Int, quality: Double, position: Int)?
        for element in elements {
            let specificity: Int
            if element.token == format.mediaType, format.accepts(element.parameters) {
                specificity = 2
            } else if element.token == format.mediaType.prefix(while: { $0 != "/" }) + "/*" {
                specificity = 1
            } else if element.token == "*/*" {
                specificity = 0
            } else {
                continue
            }
            if let current = match, current.specificity >= specificity { continue }
            match = (specificity, element.quality, element.position)
        }
        return match.map { ($0.quality, $0.position) }
    }

    /// The media type, lower-cased, without parameters.
    private var mediaType: String {
        switch self.kind {
        case .text: "text/plain"
        case .openMetrics: "application/openmetrics-text"
        case .protobuf: "application/vnd.google.protobuf"
        }
    }

    /// Whether a media range's parameters ask for this format's version.
    private func accepts(_ parameters: [String: String]) -> Bool {
        switch self.kind {
        case .text:
            return parameters["version"].map { $0 == "0.0.4" } ?? true
        case .openMetrics:
            return parameters["version"].map { $0 == "1.0.0" } ?? true
        case .protobuf:
            return parameters["proto"] == "io.prometheus.client.MetricFamily" && parameters["encoding"] == "delimited"
        }
    }
}
