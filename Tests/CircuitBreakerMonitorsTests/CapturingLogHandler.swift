import CircuitBreakerInternals
import Logging
import Synchronization

/// A log handler that keeps what it is given, for assertions.
struct CapturingLogHandler: LogHandler {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    final class Store: Sendable {
        private let records = Locked<[Record]>([])
        var all: [Record] { records.withLock { $0 } }
        func append(_ record: Record) { records.withLock { $0.append(record) } }
    }

    let store: Store
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.append(Record(level: event.level, message: event.message.description, metadata: event.metadata ?? [:]))
    }

    /// A logger at `level` and the store its records go to.
    static func logger(level: Logger.Level) -> (Logger, Store) {
        let store = Store()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(store: store, logLevel: level) }
        return (logger, store)
    }
}
