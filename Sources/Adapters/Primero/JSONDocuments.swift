/// Finds where each top-level JSON value starts and ends in a byte stream holding one or more of them (a
/// pretty-printed document, or NDJSON), without parsing them.
enum JSONDocuments {
    struct Document {
        let range: Range<Int>
        /// The line the document starts on, for messages.
        let line: Int
    }

    static func split(_ bytes: [UInt8], source: String) throws(InputError) -> [Document] {
        var documents: [Document] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start = 0
        var startLine = 1
        var line = 1
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == 0x5C {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                }
                continue
            }
            switch byte {
            case 0x22:
                inString = true
            case 0x7B, 0x5B:
                if depth == 0 {
                    start = index
                    startLine = line
                }
                depth += 1
            case 0x7D, 0x5D:
                depth -= 1
                if depth < 0 { throw .malformed(RecordLocation(source: source, line: line), reason: "not valid JSON") }
                if depth == 0 { documents.append(Document(range: start..<index + 1, line: startLine)) }
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                if depth == 0 {
                    throw .malformed(
                        RecordLocation(source: source, line: line),
                        reason: "expected a JSON object or list of Primero cases"
                    )
                }
            }
        }
        if depth != 0 || inString {
            throw .malformed(
                RecordLocation(source: source, line: startLine), reason: "not valid JSON: the document is cut short")
        }
        return documents
    }
}
