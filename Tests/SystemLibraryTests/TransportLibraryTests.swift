import CCurl
import CMicroHTTPD
import Testing

@Suite("Transport libraries")
struct TransportLibraryTests {
    @Test("libmicrohttpd reports a 0.9 version and was built with TLS")
    func microHTTPDVersion() throws {
        let version = String(cString: try #require(MHD_get_version() as UnsafePointer<CChar>?))
        #expect(version.hasPrefix("0.9.") || version.hasPrefix("1."))
        #expect(MHD_is_feature_supported(.FEATURE_TLS) == .YES)
    }

    @Test("libcurl reports its version and HTTPS support")
    func curlVersion() throws {
        // CURLVERSION_NOW is a macro Swift does not import; it names this value in curl 7.88.
        let info = try #require(curl_version_info(CURLVERSION_ELEVENTH))
        let version = String(cString: try #require(info.pointee.version as UnsafePointer<CChar>?))
        #expect(version.split(separator: ".").count == 3)
        #expect(info.pointee.features & CURL_VERSION_SSL != 0)
        let protocols = try #require(info.pointee.protocols)
        var names: [String] = []
        var index = 0
        while let name = protocols[index] {
            names.append(String(cString: name))
            index += 1
        }
        #expect(names.contains("https"))
    }
}
