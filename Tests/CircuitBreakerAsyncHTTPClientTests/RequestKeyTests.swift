#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreakerAsyncHTTPClient
    import Testing

    /// The default key: a request's origin, as AsyncHTTPClient would connect to it.
    @Suite struct RequestKeyTests {
        func origin(_ url: String) throws -> String {
            try RequestKey.origin.key(HTTPClientRequest(url: url))
        }

        @Test func originsWriteTheSchemeHostAndPort() throws {
            #expect(try origin("http://api.example/v1/price?x=1") == "http://api.example:80")
            #expect(try origin("https://api.example/v1") == "https://api.example:443")
            #expect(try origin("HTTPS://API.Example:8443/") == "https://api.example:8443")
            #expect(try origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080")
            #expect(try origin("http://[::1]:8080/x") == "http://[::1]:8080")
            #expect(try origin("https://user:secret@api.example/") == "https://api.example:443")
        }

        @Test func pathsQueriesAndDefaultPortsShareAKey() throws {
            #expect(try origin("http://api.example/a") == origin("http://api.example:80/b?c=d#e"))
            #expect(try origin("http://api.example/") != origin("https://api.example/"))
            #expect(try origin("http://api.example:8080/") != origin("http://api.example:8081/"))
        }

        @Test func unixSocketsAreKeyedByTheirPath() throws {
            #expect(try origin("http+unix://%2Ftmp%2Fapi.sock/v1") == "http+unix:///tmp/api.sock")
        }

        @Test func urlsTheClientRefusesThrowItsErrors() {
            #expect(throws: HTTPClientError.unsupportedScheme("ftp")) { try origin("ftp://files.example/") }
            #expect(throws: HTTPClientError.emptyScheme) { try origin("api.example/v1") }
            #expect(throws: HTTPClientError.invalidURL) { try origin("http://bad host/") }
        }
    }
#endif
