import CMicroHTTPD

extension MetricsServer {
    /// Starts libmicrohttpd on the listening socket, with the callbacks of ``mhdAccessHandler`` and its siblings.
    ///
    /// libmicrohttpd's connection limit is the admission's soft limit plus its reserve (see
    /// ``ConnectionAdmission``); it has no per-address limit of its own: the admission bounds idle connections per
    /// address instead of refusing connections.
    static func startDaemon(
        _ configuration: MetricsServerConfiguration,
        admission: ConnectionAdmission,
        descriptor: Int32,
        context: UnsafeMutableRawPointer
    ) -> OpaquePointer? {
        // Suspend/resume: `/metrics` requests wait for a shared render without blocking a worker thread.
        var flags =
            MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_USE_ERROR_LOG.rawValue | MHD_USE_ITC.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if configuration.tls != nil { flags |= MHD_USE_TLS.rawValue }
        let limits = configuration.limits

        let access: MHD_AccessHandlerCallback = mhdAccessHandler
        let notifyConnection: MHD_NotifyConnectionCallback = mhdNotifyConnection
        let completed: MHD_RequestCompletedCallback = mhdRequestCompleted
        let log: MHD_LogCallback = mhdLog
        let unescape: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafeMutablePointer<CChar>?) -> Int =
            mhdKeepEscaped

        var arguments: [any CVarArg] = [
            MHD_OPTION.LISTEN_SOCKET.rawValue, descriptor,
            MHD_OPTION.CONNECTION_LIMIT.rawValue, UInt32(clamping: admission.softLimit + admission.reserve),
            MHD_OPTION.CONNECTION_TIMEOUT.rawValue, UInt32(clamping: limits.connectionTimeout.secondsRoundedUp),
            MHD_OPTION.CONNECTION_MEMORY_LIMIT.rawValue, limits.connectionMemoryLimit,
            MHD_OPTION.NOTIFY_CONNECTION.rawValue,
            OpaquePointer(unsafeBitCast(notifyConnection, to: UnsafeRawPointer.self)), OpaquePointer(context),
            MHD_OPTION.NOTIFY_COMPLETED.rawValue, OpaquePointer(unsafeBitCast(completed, to: UnsafeRawPointer.self)),
            OpaquePointer(context),
            MHD_OPTION.EXTERNAL_LOGGER.rawValue, OpaquePointer(unsafeBitCast(log, to: UnsafeRawPointer.self)),
            OpaquePointer(context),
            MHD_OPTION.UNESCAPE_CALLBACK.rawValue, OpaquePointer(unsafeBitCast(unescape, to: UnsafeRawPointer.self)),
            OpaquePointer(context),
        ]
        if configuration.workerThreads > 1 {
            arguments += [MHD_OPTION.THREAD_POOL_SIZE.rawValue, UInt32(configuration.workerThreads)] as [any CVarArg]
        }
        if let tls = Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue().tlsMaterial {
            arguments +=
                [
                    MHD_OPTION.HTTPS_MEM_CERT.rawValue, OpaquePointer(tls.certificate),
                    MHD_OPTION.HTTPS_MEM_KEY.rawValue, OpaquePointer(tls.key),
                    MHD_OPTION.HTTPS_PRIORITIES.rawValue, OpaquePointer(tls.priorities),
                ] as [any CVarArg]
        }
        arguments.append(MHD_OPTION.END.rawValue)
        return withVaList(arguments) { list in
            MHD_start_daemon_va(flags, 0, nil, nil, access, context, list)
        }
    }
}
