import CCurl
import Foundation

/// An HTTP client on libcurl: HTTPS with a chosen CA, mutual TLS, and keep-alive connections.
///
/// Safe to share between threads: each `send` borrows a curl handle from a small pool and gives it back, so
/// a handle (with its open connections and TLS sessions) is used by one thread at a time and reused by the
/// next request. HTTP/2 is used when the server offers it over TLS.
public final class HTTPClient: @unchecked Sendable {
    private let configuration: HTTPClientConfiguration
    private let lock = NSLock()
    private var idleHandles: [UnsafeMutableRawPointer] = []

    /// Handles kept for reuse; more concurrent senders get fresh handles that are closed after use.
    private static let maximumIdleHandles = 8

    public init(configuration: HTTPClientConfiguration = .init()) {
        _ = curlGlobalInitialisation
        self.configuration = configuration
    }

    deinit {
        for handle in idleHandles { curl_easy_cleanup(handle) }
    }

    /// Sends `request` and waits for the whole response.
    ///
    /// - Returns: the response, whatever its status code.
    /// - Throws: `HTTPClientError` when no response came: bad URL, timeout, connection or TLS failure.
    public func send(_ request: HTTPClientRequest) throws(HTTPClientError) -> HTTPClientResponse {
        // A line break in a header would let a value smuggle in headers of its own.
        for header in request.headers where hasLineBreak(header.name) || hasLineBreak(header.value) {
            let named = hasLineBreak(header.name) ? "a header name" : "header \(header.name)"
            throw .other(url: redactedURL(request.url), reason: "\(named) contains a line break")
        }
        if let credentials = request.authorization?.headerValue, hasLineBreak(credentials) {
            throw .other(url: redactedURL(request.url), reason: "the authorization credentials contain a line break")
        }
        guard let handle = borrowHandle() else {
            throw .other(url: redactedURL(request.url), reason: "libcurl could not create a handle")
        }
        var reusable = true
        defer { giveBack(handle, reusable: reusable) }

        let transfer = Transfer()
        let code = perform(request, on: handle, collecting: transfer)
        guard code == CURLE_OK else {
            // A failed transfer may leave the handle's connection in any state; start the next one afresh.
            reusable = false
            throw Self.error(for: code, url: redactedURL(request.url), detail: transfer.errorText)
        }
        var status = 0
        _ = primes_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPClientResponse(status: status, headers: transfer.headers, body: transfer.body)
    }

    // MARK: - One transfer

    private func perform(
        _ request: HTTPClientRequest,
        on handle: UnsafeMutableRawPointer,
        collecting transfer: Transfer
    ) -> CURLcode {
        curl_easy_reset(handle)

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        if let authorization = request.authorization {
            headerList = curl_slist_append(headerList, "Authorization: \(authorization.headerValue)")
        }
        // curl otherwise waits up to a second for "100 Continue" before sending larger bodies.
        headerList = curl_slist_append(headerList, "Expect:")

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let body = request.body ?? []
        let code = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            body.withUnsafeBufferPointer { bodyPointer in
                withExtendedLifetime(transfer) { () -> CURLcode in
                    let context = Unmanaged.passUnretained(transfer).toOpaque()
                    let errorStart = errorPointer.baseAddress
                    var steps: [() -> CURLcode] = [
                        { self.configure(handle, for: request, headerList: headerList) },
                        { primes_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorStart) },
                        { primes_curl_set_write_function(handle, CURLOPT_WRITEFUNCTION, receiveBody) },
                        { primes_curl_set_pointer(handle, CURLOPT_WRITEDATA, context) },
                        { primes_curl_set_write_function(handle, CURLOPT_HEADERFUNCTION, receiveHeader) },
                        { primes_curl_set_pointer(handle, CURLOPT_HEADERDATA, context) },
                    ]
                    if request.body != nil {
                        // libcurl reads the body from this pointer during perform, which runs inside this closure;
                        // an empty body still needs a non-null pointer, or libcurl would read from a callback.
                        let start = bodyPointer.baseAddress ?? UnsafePointer(bitPattern: 1)
                        steps.append {
                            primes_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyPointer.count))
                        }
                        steps.append { primes_curl_set_pointer(handle, CURLOPT_POSTFIELDS, start) }
                    }
                    let setup = firstFailure(of: steps)
                    guard setup == CURLE_OK else { return setup }
                    return curl_easy_perform(handle)
                }
            }
        }
        transfer.errorText = String(
            decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return code
    }

    /// Sets everything but the callbacks; returns the first failing option's code.
    private func configure(
        _ handle: UnsafeMutableRawPointer,
        for request: HTTPClientRequest,
        headerList: UnsafeMutablePointer<curl_slist>?
    ) -> CURLcode {
        var steps: [() -> CURLcode] = [
            { primes_curl_set_string(handle, CURLOPT_URL, request.url) },
            { primes_curl_set_long(handle, CURLOPT_NOSIGNAL, 1) },
            { primes_curl_set_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)) },
            { primes_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(self.configuration.timeoutSeconds)) },
            {
                primes_curl_set_long(
                    handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(self.configuration.connectTimeoutSeconds))
            },
            { primes_curl_set_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS) },
            { primes_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1) },
            { primes_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2) },
            { primes_curl_set_list(handle, CURLOPT_HTTPHEADER, headerList) },
        ]
        if let caPath = configuration.caCertificatePath {
            steps.append { primes_curl_set_string(handle, CURLOPT_CAINFO, caPath) }
            // Only the configured CA is trusted, not the system's certificate folder as well.
            steps.append { primes_curl_set_string(handle, CURLOPT_CAPATH, nil) }
        }
        if let certificatePath = configuration.clientCertificatePath {
            steps.append { primes_curl_set_string(handle, CURLOPT_SSLCERT, certificatePath) }
        }
        if let keyPath = configuration.clientKeyPath {
            steps.append { primes_curl_set_string(handle, CURLOPT_SSLKEY, keyPath) }
        }
        switch request.method.uppercased() {
        case "GET" where request.body == nil:
            steps.append { primes_curl_set_long(handle, CURLOPT_HTTPGET, 1) }
        case "HEAD":
            steps.append { primes_curl_set_long(handle, CURLOPT_NOBODY, 1) }
        default:
            steps.append { primes_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }
        }
        return firstFailure(of: steps)
    }

    /// Runs the option-setting steps in order, stopping at the first that libcurl refuses.
    private func firstFailure(of steps: [() -> CURLcode]) -> CURLcode {
        for step in steps {
            let code = step()
            if code != CURLE_OK { return code }
        }
        return CURLE_OK
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        seconds.isFinite && seconds > 0 ? Int(min(seconds, 86_400) * 1000) : 0
    }

    // MARK: - Handle pool

    private func borrowHandle() -> UnsafeMutableRawPointer? {
        lock.lock()
        let idle = idleHandles.popLast()
        lock.unlock()
        return idle ?? curl_easy_init()
    }

    private func giveBack(_ handle: UnsafeMutableRawPointer, reusable: Bool) {
        lock.lock()
        if reusable && idleHandles.count < Self.maximumIdleHandles {
            idleHandles.append(handle)
            lock.unlock()
            return
        }
        lock.unlock()
        curl_easy_cleanup(handle)
    }

    // MARK: - Errors

    private static func error(for code: CURLcode, url: String, detail: String) -> HTTPClientError {
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(url: url)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidURL(url)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR,
            CURLE_RECV_ERROR, CURLE_GOT_NOTHING:
            return .connectionFailed(url: url, reason: reason)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED:
            return .tlsFailed(url: url, reason: reason)
        default:
            return .other(url: url, reason: reason)
        }
    }
}

/// `curl_global_init` must run once, before any other libcurl call and not concurrently with one; a global
/// `let` is initialised exactly once, on first use, under a lock.
private let curlGlobalInitialisation: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// Whether `text` holds any line break Swift knows (CR, LF, VT, FF, NEL, U+2028, U+2029); checked on bytes
/// first, since header values are nearly always plain ASCII.
private func hasLineBreak(_ text: String) -> Bool {
    let plain = text.utf8.allSatisfy { $0 < 0x80 && !(0x0A...0x0D).contains($0) }
    return !plain && text.contains(where: \.isNewline)
}

/// The URL as it may appear in errors and logs: any `user:password@` part removed.
func redactedURL(_ url: String) -> String {
    guard let schemeEnd = url.range(of: "://") else { return url }
    let rest = url[schemeEnd.upperBound...]
    let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
    guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
    return String(url[..<schemeEnd.upperBound]) + String(rest[rest.index(after: at)...])
}
