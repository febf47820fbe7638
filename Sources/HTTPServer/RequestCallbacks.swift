import CMicroHTTPD
import Foundation

// libmicrohttpd calls the access handler several times per request: once when the headers are in, once per
// chunk of body, and once more when the body is complete. `RequestState` carries what the calls share; it is
// released by `requestCompleted`.

/// The part of a request collected across libmicrohttpd's calls, and its answer.
final class RequestState: @unchecked Sendable {
    /// Who waits for the response once the handler has returned without it.
    enum Waiting {
        /// The handler has not returned yet.
        case handler
        /// The connection is suspended; `send` resumes it and libmicrohttpd calls the access handler again.
        case suspended
        /// The server's thread blocks on the semaphore.
        case thread(DispatchSemaphore)
    }

    // Read and written only on the thread libmicrohttpd runs the connection on.
    var body: [UInt8] = []
    var bodyTooLarge = false
    var clientCertificate: ClientCertificate?

    // Shared with the request's `HTTPResponder`, which may answer from another thread: under `lock`.
    let lock = NSLock()
    var response: HTTPResponse?
    var waiting = Waiting.handler
    /// Set when libmicrohttpd reports the request completed.
    var finished = false

    func markFinished() {
        lock.lock()
        defer { lock.unlock() }
        finished = true
    }

    /// The response, read under the lock.
    var answered: HTTPResponse? {
        lock.lock()
        defer { lock.unlock() }
        return response
    }

    /// True once the connection was suspended for this request: libmicrohttpd's next call after `send` resumed
    /// it is for sending the response, not for handling the request again.
    var wasSuspended: Bool {
        lock.lock()
        defer { lock.unlock() }
        if case .suspended = waiting { return true }
        return false
    }
}

/// The access handler: collects the body, then calls the Swift handler and queues its response.
let handleRequest: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadSize, slot in
    guard let cls, let connection, let uploadSize, let slot else { return .NO }
    let server = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()

    guard let existing = slot.pointee else {
        return startRequest(connection: connection, server: server, slot: slot)
    }
    let state = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()

    if state.wasSuspended {
        // Resumed by `HTTPResponder.send`, which set the response before resuming.
        guard let response = state.answered else { return .NO }
        return queue(response, on: connection)
    }
    if uploadSize.pointee > 0 {
        // A body sent without Content-Length (chunked) is only known to be too large once it is; the rest is
        // read and dropped so the 413 can still be sent on a healthy connection.
        if !state.bodyTooLarge, let uploadData {
            if state.body.count + uploadSize.pointee > server.maximumBodyBytes {
                state.bodyTooLarge = true
                state.body = []
            } else {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) { bytes in
                    state.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: uploadSize.pointee))
                }
            }
        }
        uploadSize.pointee = 0
        return .YES
    }

    if state.bodyTooLarge {
        return queue(payloadTooLarge(server), on: connection)
    }
    let peer = remotePeer(of: connection)
    let request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "",
        path: url.map { String(cString: $0) } ?? "/",
        queryItems: connectionValues(connection, kind: .GET_ARGUMENT_KIND),
        lowerCasedHeaders: HTTPRequest.headerTable(connectionValues(connection, kind: .HEADER_KIND)),
        body: state.body,
        clientCertificate: state.clientCertificate,
        remoteAddress: peer.address,
        remotePort: peer.port
    )
    let responder = HTTPResponder(connection: connection, exchange: state, server: server)
    server.handler(request, responder)
    guard let response = responder.awaitResponse() else { return .YES }
    return queue(response, on: connection)
}

/// Releases the state of a finished (or aborted) request.
let requestCompleted: MHD_RequestCompletedCallback = { _, _, slot, _ in
    guard let slot, let state = slot.pointee else { return }
    let request = Unmanaged<RequestState>.fromOpaque(state)
    request.takeUnretainedValue().markFinished()
    request.release()
    slot.pointee = nil
}

/// The first call for a request: refuse what can be refused before the body is read.
private func startRequest(
    connection: OpaquePointer,
    server: ServerContext,
    slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>
) -> MHD_Result {
    let state = RequestState()
    slot.pointee = Unmanaged.passRetained(state).toOpaque()

    if server.verifiesClientCertificates {
        state.clientCertificate = verifiedClientCertificate(of: connection)
        if server.requiresClientCertificate && state.clientCertificate == nil {
            let response = HTTPResponse.error(
                403, code: "client_certificate_required",
                message: "this server requires a TLS client certificate signed by a trusted CA")
            return queue(response, on: connection)
        }
    }

    if let declared = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
        let length = Int(String(cString: declared)), length > server.maximumBodyBytes
    {
        return queue(payloadTooLarge(server), on: connection)
    }
    return .YES
}

private func payloadTooLarge(_ server: ServerContext) -> HTTPResponse {
    HTTPResponse.error(
        413, code: "payload_too_large",
        message: "the request body is larger than the server's limit of \(server.maximumBodyBytes) bytes")
}

/// Sends `response`; libmicrohttpd copies the body, so nothing here outlives the call.
private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    let status = (200...599).contains(response.status) ? response.status : 500
    var body = response.body
    let created = body.withUnsafeMutableBytes { bytes in
        MHD_create_response_from_buffer(bytes.count, bytes.baseAddress, .RESPMEM_MUST_COPY)
    }
    guard let created else { return .NO }
    defer { MHD_destroy_response(created) }
    for header in response.headers where header.name.lowercased() != "content-length" {
        // libmicrohttpd refuses names or values with line breaks; such a header is dropped rather than sent.
        _ = MHD_add_response_header(created, header.name, header.value)
    }
    return MHD_queue_response(connection, UInt32(status), created)
}

/// The values of one kind (headers, query arguments) in the order the client sent them; header names are
/// lower-cased, query names kept as sent.
private func connectionValues(_ connection: OpaquePointer, kind: MHD_ValueKind) -> [(String, String)] {
    final class Collected {
        var items: [(String, String)] = []
    }
    let collected = Collected()
    _ = withExtendedLifetime(collected) {
        MHD_get_connection_values(
            connection, kind,
            { cls, kind, key, value in
                guard let cls, let key else { return .YES }
                let collected = Unmanaged<Collected>.fromOpaque(cls).takeUnretainedValue()
                let name = kind == .HEADER_KIND ? asciiLowerCased(key) : String(cString: key)
                let text = value.map { String(cString: $0) } ?? ""
                collected.items.append((name, text))
                return .YES
            }, Unmanaged.passUnretained(collected).toOpaque())
    }
    return collected.items
}

private func remotePeer(of connection: OpaquePointer) -> (address: String, port: UInt16) {
    guard let info = primes_mhd_connection_info(connection, .CONNECTION_INFO_CLIENT_ADDRESS),
        let address = info.pointee.client_addr
    else { return ("", 0) }
    return (addressText(address), portNumber(address))
}

/// A header name in lower case. Names are ASCII tokens (RFC 9110), so only A to Z change; done on the bytes,
/// since `String.lowercased()` handles all of Unicode and cost more than the rest of reading a header.
private func asciiLowerCased(_ name: UnsafePointer<CChar>) -> String {
    let length = strlen(name)
    return String(unsafeUninitializedCapacity: length) { buffer in
        for index in 0..<length {
            let byte = UInt8(bitPattern: name[index])
            buffer[index] = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
        }
        return length
    }
}
