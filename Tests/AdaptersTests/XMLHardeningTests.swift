import Adapters
import Foundation
import Testing

/// The hardened reader refuses hostile and broken XML with an error naming the input and the line.
@Suite struct XMLHardeningTests {
    private func firstError(_ text: String, name: String = "input.xml") -> String {
        do {
            let stream = try XMLElementStream(source: MemoryInput(text, name: name))
            _ = try stream.root()
            while try stream.nextChild() != nil {}
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func externalEntityIsRefusedAndNothingIsFetched() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xxe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("secret.txt")
        try "SECRET-MARKER-4711".write(to: secret, atomically: true, encoding: .utf8)
        let document = """
            <?xml version="1.0"?>
            <!DOCTYPE Bundle [<!ENTITY leak SYSTEM "file://\(secret.path)">]>
            <Bundle xmlns="http://hl7.org/fhir"><entry><resource>&leak;</resource></entry></Bundle>
            """
        let message = firstError(document)
        // libxml2 reports the DOCTYPE once its internal subset has been read, on the line that closes it.
        #expect(message.hasPrefix("input.xml:2:") || message.hasPrefix("input.xml:3:"))
        #expect(message.contains("DTD"))
        #expect(!message.contains("SECRET-MARKER"))
    }

    @Test func billionLaughsIsRefusedWithoutExpansion() {
        var declarations = "<!ENTITY lol0 \"lol\">"
        for level in 1...9 {
            let previous = String(repeating: "&lol\(level - 1);", count: 10)
            declarations += "\n<!ENTITY lol\(level) \"\(previous)\">"
        }
        let document = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\(declarations)]>\n<lolz>&lol9;</lolz>"
        let message = firstError(document)
        #expect(message.hasPrefix("input.xml:"))
        // Either libxml2's own loop/amplification guard or the DTD refusal stops it, before any expansion.
        #expect(message.contains("DTD") || message.contains("entity"))
    }

    @Test func truncatedDocumentNamesFileAndLine() {
        let document = "<?xml version=\"1.0\"?>\n<Bundle xmlns=\"http://hl7.org/fhir\">\n<entry><resource>\n<Patient>"
        let message = firstError(document, name: "births.xml")
        #expect(message.hasPrefix("births.xml:4:") || message.hasPrefix("births.xml:5:"))
    }

    @Test func nonUTF8InputNamesFileAndLine() throws {
        var bytes = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Bundle>\n<entry>".utf8)
        bytes += [0xC3, 0x28, 0xFF]
        bytes += Array("</entry>\n</Bundle>".utf8)
        let message: String
        do {
            let stream = try XMLElementStream(source: MemoryInput(bytes, name: "latin.xml"))
            _ = try stream.root()
            while try stream.nextChild() != nil {}
            message = "no error"
        } catch {
            message = "\(error)"
        }
        #expect(message.hasPrefix("latin.xml:3:"))
        #expect(message.lowercased().contains("utf-8"))
    }

    @Test func depthBeyondTheLimitIsRefused() throws {
        let nested = String(repeating: "<a>", count: 30) + String(repeating: "</a>", count: 30)
        let stream = try XMLElementStream(
            source: MemoryInput("<root><entry>\(nested)</entry></root>", name: "deep.xml"),
            limits: XMLInputLimits(maximumDepth: 10))
        _ = try stream.root()
        #expect(throws: InputError.self) { _ = try stream.nextChild() }
    }

    @Test func documentSizeLimitStopsTheRead() throws {
        let entries = String(repeating: "<entry><v>1</v></entry>", count: 2_000)
        let stream = try XMLElementStream(
            source: MemoryInput("<root>\(entries)</root>", name: "big.xml"),
            limits: XMLInputLimits(maximumDocumentBytes: 4_096))
        let message: String
        do {
            _ = try stream.root()
            while try stream.nextChild() != nil {}
            message = "no error"
        } catch {
            message = "\(error)"
        }
        #expect(message.contains("exceeds the limit of 4096 bytes"))
    }

    @Test func oversizedTextNodeIsRefused() throws {
        let text = String(repeating: "x", count: 5_000)
        let stream = try XMLElementStream(
            source: MemoryInput("<root><entry><v>\(text)</v></entry></root>", name: "text.xml"),
            limits: XMLInputLimits(maximumTextBytes: 1_000))
        _ = try stream.root()
        #expect(throws: InputError.self) { _ = try stream.nextChild() }
    }
}
