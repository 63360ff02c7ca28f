/// Supplies the status section of the landing page (`GET /`) as plain text, for example one line per circuit
/// breaker with its state. The server escapes it for HTML and shows it preformatted, so any text is safe.
/// Called once per landing-page request on a worker thread.
public typealias StatusProvider = @Sendable () -> String
