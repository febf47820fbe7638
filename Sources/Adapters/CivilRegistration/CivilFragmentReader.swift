import Foundation
import PrimesModel

/// Reads a civil-registration dialect whose paths `XMLFragmentPath` can evaluate, on two threads: a second
/// thread parses with libxml2's SAX2 parser into fragments and groups them into records, while the caller's
/// thread takes the records' items in order (and validates and encodes them).
///
/// Running the rules on a record is shared out as the load goes: the parsing thread runs them itself while
/// the caller's thread is behind (the queue holds work), and hands records over as they are otherwise, for
/// the caller's thread to run them when it takes them. The queue is bounded, so memory stays that of a few
/// hundred records whatever the input's size; the items, their order, their locations and the errors are
/// those of the libxml2 path.
final class CivilFragmentReader {
    private let queue = CivilItemQueue(capacity: 8)
    private var producer: CivilFragmentProducer?
    private let assembler: CivilRecordAssembler<FragmentRecordSource>
    /// The current batch, last item first, so that each is moved out rather than copied. Touched by the
    /// reading thread alone, for every item: unchecked, as `CivilFragmentProducer`'s state is.
    @exclusivity(unchecked) private var batch: [ReadItem] = []
    private var finished = false

    /// Nil when a path of the dialect is outside `XMLFragmentPath`.
    init?(source: any ByteSource, dialect: CivilDialect, context: ConversionContext, format: String) {
        let names = XMLNameTable()
        func makePlan() throws -> CivilRecordPlan<XMLFragmentPath> {
            try CivilRecordPlan(dialect) { expression in
                guard let path = XMLFragmentPath(expression.text, namespaces: dialect.namespaces, names: names) else {
                    throw XMLPathError.invalid(expression.text)
                }
                return path
            }
        }
        // Each thread runs the rules with a plan of its own: a plan shared by both would have its objects'
        // reference counts changed from both cores for every rule run, and those atomic updates would bounce
        // one cache line between the cores.
        let producerPlan: CivilRecordPlan<XMLFragmentPath>
        let plan: CivilRecordPlan<XMLFragmentPath>
        do {
            producerPlan = try makePlan()
            plan = try makePlan()
        } catch {
            return nil
        }
        producer = CivilFragmentProducer(
            parser: XMLFragmentParser(source: source, names: names), dialect: dialect, plan: producerPlan,
            assembler: CivilRecordAssembler(dialect: dialect, plan: producerPlan, context: context, format: format),
            queue: queue)
        assembler = CivilRecordAssembler(dialect: dialect, plan: plan, context: context, format: format)
    }

    deinit {
        queue.cancel()
    }

    func next() throws -> ReadItem? {
        if let producer {
            self.producer = nil
            let thread = Thread { producer.run() }
            thread.name = "civil-xml-parse"
            thread.start()
        }
        while batch.isEmpty {
            if finished { return nil }
            switch queue.take() {
            case .items(let items):
                batch = items
                batch.reverseByMoving()
            case .records(let records, let names):
                for record in records {
                    assembler.assemble(
                        FragmentRecordSource(fragment: record.fragment, names: names), location: record.location,
                        index: record.index, into: &batch)
                }
                batch.reverseByMoving()
            case .end:
                finished = true
                return nil
            case .failure(let error):
                finished = true
                throw error
            }
        }
        return batch.popLast()
    }
}

/// The parsing stage; after `run` starts it is touched by its own thread only.
private final class CivilFragmentProducer: @unchecked Sendable {
    private let parser: XMLFragmentParser
    private let dialect: CivilDialect
    private let plan: CivilRecordPlan<XMLFragmentPath>
    private let assembler: CivilRecordAssembler<FragmentRecordSource>
    private let queue: CivilItemQueue
    // Touched for every record element by the parsing thread alone; see `XMLFragmentParserState`.
    @exclusivity(unchecked) private var group = XMLFragment()
    private var groupLine = 0
    private var groupChild = 0
    private var recordElements = 0
    private var recordIndex = 0
    @exclusivity(unchecked) private var batch: [ReadItem] = []
    @exclusivity(unchecked) private var records: [CivilItemQueue.Record] = []
    private let recordRoot: Int32
    /// `/Bundle/entry[`: the envelope's part of every record's XPath, spelt once.
    private let recordXPathPrefix: String

    /// How many records go to the queue at a time: enough to make the lock cheap, few enough to start soon.
    private static let batchSize = 128

    init(
        parser: XMLFragmentParser, dialect: CivilDialect, plan: CivilRecordPlan<XMLFragmentPath>,
        assembler: CivilRecordAssembler<FragmentRecordSource>, queue: CivilItemQueue
    ) {
        self.parser = parser
        self.dialect = dialect
        self.plan = plan
        self.assembler = assembler
        self.queue = queue
        recordRoot = parser.names.number("record", nil)
        recordXPathPrefix = dialect.envelope.map { "/\($0.element.localName)/\($0.record.localName)[" } ?? ""
    }

    private struct Cancelled: Error {}

    func run() {
        do {
            try read()
            try send()
            queue.put(.end)
        } catch is Cancelled {
            return
        } catch {
            try? send()
            queue.put(.failure(error))
        }
    }

    private func read() throws {
        let names = parser.names
        var recordNumber: Int32 = -1
        var rootName = ""
        try parser.parse(
            root: { name, line in
                let localName = names.localName(name)
                let namespace = names.namespace(name)
                if let envelope = self.dialect.envelope, envelope.element.matches(localName, namespace) {
                    recordNumber = names.number(envelope.record.localName, envelope.record.namespace)
                    return .children
                }
                guard self.dialect.recordRoots.contains(where: { $0.matches(localName, namespace) }) else {
                    throw InputError.malformed(
                        RecordLocation(source: self.parser.name, line: line),
                        reason: self.dialect.notADocument(localName, namespace))
                }
                rootName = localName
                return .whole
            },
            record: { fragment in
                guard recordNumber >= 0 else {
                    self.startGroup(line: fragment.line)
                    self.group.append(fragment, under: 0)
                    try self.finishGroup(xpath: "/\(rootName)")
                    return
                }
                guard fragment.nodes.first?.name == recordNumber else { return }
                try self.addToGroup(fragment)
            })
        if recordNumber >= 0, group.nodes.count > 1 { try finishGroup(xpath: groupXPath) }
    }

    /// Adds a record element (a Bundle entry) to the record being gathered, or begins the next one with it.
    private func addToGroup(_ fragment: XMLFragment) throws {
        recordElements += 1
        let starts = plan.startsRecord.map { $0.matches(from: 0, in: fragment) } ?? true
        if starts && group.nodes.count > 1 { try finishGroup(xpath: groupXPath) }
        if group.nodes.count <= 1 {
            startGroup(line: fragment.line)
            groupChild = recordElements - 1
        }
        group.append(fragment, under: 0)
    }

    private func startGroup(line: Int) {
        group.removeAll()
        group.appendElement(name: recordRoot, parent: -1, line: Int32(clamping: line))
        groupLine = line
    }

    private var groupXPath: String {
        recordXPathPrefix.isEmpty ? "" : recordXPathPrefix + String(groupChild + 1) + "]"
    }

    private func finishGroup(xpath: String) throws {
        let location = RecordLocation(source: parser.name, line: groupLine, xpath: xpath)
        records.append(CivilItemQueue.Record(fragment: group, location: location, index: recordIndex))
        recordIndex += 1
        // The record keeps its storage; the next one starts with room for as much.
        let sizes = (group.nodes.count, group.bytes.count)
        group = XMLFragment()
        group.reserveCapacity(nodes: sizes.0, bytes: sizes.1)
        if records.count >= Self.batchSize { try send() }
    }

    /// Sends the records gathered: their items when the reading thread has work waiting, else the records.
    private func send() throws {
        guard !records.isEmpty else { return }
        let entry: CivilItemQueue.Entry
        if queue.backlog >= 2 {
            batch.reserveCapacity(records.count * 2)
            for record in records {
                assembler.assemble(
                    FragmentRecordSource(fragment: record.fragment, names: parser.names.names),
                    location: record.location, index: record.index, into: &batch)
            }
            entry = .items(batch)
            // Let go of the items, so that the reading thread holds them alone and reorders them in place.
            batch = []
        } else {
            entry = .records(records, parser.names.names)
        }
        records.removeAll(keepingCapacity: true)
        guard queue.put(entry) else { throw Cancelled() }
    }
}
