import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Waiting for an operator's stop (Ctrl-C or `kill`), for the programs that run a server until then.
public enum StopSignal {
    /// Blocks until the process receives SIGINT or SIGTERM.
    ///
    /// The signals are taken on dispatch sources rather than in a C signal handler, which may do almost
    /// nothing safely; the default action (ending the process) is switched off while waiting.
    public static func wait() {
        let stopped = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stopped.signal() }
            source.resume()
            sources.append(source)
        }
        stopped.wait()
        sources.forEach { $0.cancel() }
    }
}
