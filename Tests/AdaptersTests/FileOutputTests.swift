import Adapters
import Foundation
import TestSupport
import Testing

@Suite("Writing output files")
struct FileOutputTests {
    @Test("a file appears only when committed, complete")
    func atomic() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("out.ndjson")
        let output = try FileOutput(path: path)
        try output.write("line\n")
        try output.flush()
        #expect(!FileManager.default.fileExists(atPath: path))
        try output.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "line\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["out.ndjson"])
    }

    @Test("an output abandoned before commit leaves nothing behind")
    func abandoned() throws {
        let folder = try TemporaryDirectory()
        do {
            let output = try FileOutput(path: folder.path("out.ndjson"))
            try output.write("partial\n")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty)
    }

    @Test("a pipe is written in place and stays a pipe")
    func fifo() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("pipe")
        #expect(mkfifo(path, 0o600) == 0)
        let received = Received()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            received.data = FileHandle(forReadingAtPath: path)?.readDataToEndOfFile() ?? Data()
            done.signal()
        }
        let output = try FileOutput(path: path)
        try output.write("through the pipe\n")
        try output.commit()
        done.wait()
        #expect(String(decoding: received.data, as: UTF8.self) == "through the pipe\n")
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFIFO)
    }
}

private final class Received: @unchecked Sendable {
    var data = Data()
}
