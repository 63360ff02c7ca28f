import MetricsExporter

/// The demo's users: a web config file (`--web-config`), then the users of `--admin-user` and `--scrape-user`
/// added to it.
enum DemoUsers {
    static func apply(
        _ options: DemoOptions,
        to configuration: MetricsServerConfiguration
    ) throws(MetricsServerError) -> MetricsServerConfiguration {
        var configuration = configuration
        if let path = options.webConfig {
            configuration.apply(try WebConfiguration(contentsOfFile: path))
        }
        guard !options.adminUsers.isEmpty || !options.scrapeUsers.isEmpty else { return configuration }
        var auth = configuration.basicAuth ?? .init(users: [:])
        auth.users.merge(options.scrapeUsers) { _, flag in flag }
        auth.adminUsers.merge(options.adminUsers) { _, flag in flag }
        configuration.basicAuth = auth
        return configuration
    }
}
