import CMicroHTTPD
import Foundation

/// The socket address the daemon binds, parsed from an IPv4 or IPv6 literal.
struct ListeningAddress {
    /// Heap storage for a `sockaddr_in` or `sockaddr_in6`; freed by `release()` once the daemon has bound.
    let storage: UnsafeMutableRawPointer
    let isIPv6: Bool

    init(host: String, port: UInt16) throws {
        let storage = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<sockaddr_storage>.size, alignment: MemoryLayout<sockaddr_storage>.alignment)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<sockaddr_storage>.size)

        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            storage.storeBytes(of: v4, as: sockaddr_in.self)
            isIPv6 = false
        } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            storage.storeBytes(of: v6, as: sockaddr_in6.self)
            isIPv6 = true
        } else {
            storage.deallocate()
            throw HTTPServerError.invalidHost(host)
        }
        self.storage = storage
    }

    func release() {
        storage.deallocate()
    }
}

/// The text form of a peer's socket address (`127.0.0.1`, `::1`), or "" for a family other than IP.
func addressText(_ address: UnsafePointer<sockaddr>) -> String {
    switch Int32(address.pointee.sa_family) {
    case AF_INET:
        let value = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
            UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
        }
        return dottedQuad(value)
    case AF_INET6:
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let written = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
            var raw = ipv6.pointee.sin6_addr
            return inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
        }
        guard written != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    default:
        return ""
    }
}

/// An IPv4 address (in host order) as `a.b.c.d`, written by hand: every request carries its peer's address,
/// and inet_ntop with its buffer and conversions took longer than the rest of making the request.
func dottedQuad(_ value: UInt32) -> String {
    var text: [UInt8] = []
    text.reserveCapacity(15)
    for shift: UInt32 in [24, 16, 8, 0] {
        if shift != 24 { text.append(UInt8(ascii: ".")) }
        let octet = UInt8(truncatingIfNeeded: value >> shift)
        if octet >= 100 { text.append(UInt8(ascii: "0") + octet / 100) }
        if octet >= 10 { text.append(UInt8(ascii: "0") + octet / 10 % 10) }
        text.append(UInt8(ascii: "0") + octet % 10)
    }
    return String(decoding: text, as: UTF8.self)
}

/// The port of a peer's IPv4 or IPv6 socket address, or 0 for another family.
func portNumber(_ address: UnsafePointer<sockaddr>) -> UInt16 {
    switch Int32(address.pointee.sa_family) {
    case AF_INET:
        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
    case AF_INET6:
        address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
    default:
        0
    }
}
