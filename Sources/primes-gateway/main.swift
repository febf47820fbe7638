#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Ignore SIGPIPE so that `primes-gateway convert … | head` ends with a write error, not a signal.
signal(SIGPIPE, SIG_IGN)
exit(CommandLine.run(Array(CommandLine.arguments.dropFirst())))
