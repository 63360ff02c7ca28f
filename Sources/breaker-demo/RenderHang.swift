import Foundation
import MetricsExporter

/// The demo's test-only `--hang-renders-after N`: every exporter render after the N-th blocks forever, as an
/// exposition source that hangs would, so that a load script can time SIGTERM with a render stuck
/// (scripts/pressure/stuck_shutdown.py). Not in `--help`: it breaks the demo's metrics on purpose.
enum RenderHang {
    static func install(on server: MetricsServer, after renders: Int) {
        server.interposeRenders { number in
            guard number > UInt64(renders) else { return }
            // The render thread sleeps here until the process exits.
            while true { sleep(3_600) }
        }
    }
}
