import CCurl

/// What one transfer collects through libcurl's callbacks.
final class Transfer {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var errorText = ""
}

/// libcurl's write callback: appends a piece of the body.
let receiveBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let context else { return 0 }
    let total = size * count
    guard let data, total > 0 else { return total }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    data.withMemoryRebound(to: UInt8.self, capacity: total) { bytes in
        transfer.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: total))
    }
    return total
}

/// libcurl's header callback: called once per header line, including each response's status line.
let receiveHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let context else { return 0 }
    let total = size * count
    guard let data, total > 0 else { return total }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let line = data.withMemoryRebound(to: UInt8.self, capacity: total) { bytes in
        String(decoding: UnsafeBufferPointer(start: bytes, count: total), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        // A new status line (after "100 Continue" or a redirect) starts a new set of headers.
        transfer.headers = [:]
        return total
    }
    guard let colon = line.firstIndex(of: ":") else { return total }
    let name = line[..<colon].trimmingWhitespace().lowercased()
    let value = String(line[line.index(after: colon)...].trimmingWhitespace())
    if let earlier = transfer.headers[name] {
        transfer.headers[name] = earlier + ", " + value
    } else {
        transfer.headers[name] = value
    }
    return total
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        // "\r\n" is one Character, which `isWhitespace` covers.
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return self[first...last]
    }
}
