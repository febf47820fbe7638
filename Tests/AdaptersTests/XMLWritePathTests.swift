import Adapters
import Testing

@Suite struct XMLWritePathTests {
    @Test func predicatesAreWrittenAndReused() throws {
        let root = XMLOutputElement(name: "record")
        root.set(try XMLWritePath("f:identifier[f:type/f:coding/f:code/@value='BR']/f:value/@value"), "1")
        root.set(try XMLWritePath("f:identifier[f:type/f:coding/f:code/@value='BR']/f:period/@start"), "2")
        root.set(try XMLWritePath("f:extension[@url='x']/f:valueString/@value"), "3")
        #expect(root.children.map(\.name) == ["f:identifier", "f:extension"])
        #expect(root.children[0].children.map(\.name) == ["f:type", "f:value", "f:period"])
        #expect(root.children[1].attribute("url") == "x")
    }

    @Test func plusStepAlwaysCreates() throws {
        let root = XMLOutputElement(name: "record")
        let path = try XMLWritePath("+f:entry/f:resource/f:Patient")
        _ = root.element(at: path)
        _ = root.element(at: path)
        #expect(root.children.count == 2)
    }

    @Test func splitLastSeparatesTheParent() throws {
        let (parent, last) = try XMLWritePath("a/b/+c").splitLast()
        #expect(parent?.steps.map(\.name) == ["a", "b"])
        #expect(last.steps.map(\.name) == ["c"])
        #expect(last.steps.first?.alwaysNew == true)
    }

    @Test func unwritablePathsAreRefused() {
        #expect(throws: XMLPathError.self) { try XMLWritePath("f:a | f:b") }
        #expect(throws: XMLPathError.self) { try XMLWritePath("@a/f:b") }
        #expect(throws: XMLPathError.self) { try XMLWritePath("f:a[position()]") }
    }
}
