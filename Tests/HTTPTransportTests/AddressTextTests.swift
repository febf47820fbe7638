import Glibc
import Testing

@testable import HTTPServer

/// Peer addresses as text: IPv4 written by hand, checked against the C library's inet_ntop.
@Suite struct AddressTextTests {
    @Test(arguments: [
        "0.0.0.0", "127.0.0.1", "10.9.99.100", "192.168.1.255", "255.255.255.255", "1.20.199.200",
    ])
    func dottedQuadsMatchInetNtop(text: String) throws {
        var address = in_addr()
        #expect(inet_pton(AF_INET, text, &address) == 1)
        #expect(dottedQuad(UInt32(bigEndian: address.s_addr)) == text)
    }

    @Test func bothFamiliesReadFromASocketAddress() {
        var ipv4 = sockaddr_in()
        ipv4.sin_family = sa_family_t(AF_INET)
        _ = inet_pton(AF_INET, "172.16.5.40", &ipv4.sin_addr)
        #expect(Self.text(of: &ipv4) == "172.16.5.40")

        var ipv6 = sockaddr_in6()
        ipv6.sin6_family = sa_family_t(AF_INET6)
        _ = inet_pton(AF_INET6, "2001:db8::1", &ipv6.sin6_addr)
        #expect(Self.text(of: &ipv6) == "2001:db8::1")
    }

    /// `addressText` of a socket address of either family.
    static func text<Address>(of address: inout Address) -> String {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { addressText($0) }
        }
    }
}
