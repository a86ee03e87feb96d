import JobrunYAML
import Testing

private func compose(_ text: String, limits: YAMLLimits = .standard) -> YAMLDocument {
    YAMLComposer.compose(Array(text.utf8), limits: limits)
}

private func value(_ node: Node?, _ key: String) -> Node? {
    node?.pairs?.first { $0.key.scalar?.text == key }?.value
}

@Suite struct YAMLComposerTests {
    @Test func everyNodeCarriesItsLineAndColumn() throws {
        let doc = compose("""
            top: 1
            list:
              - a
              - {k: "v"}
            """)
        #expect(doc.problems.isEmpty)
        let root = try #require(doc.root)
        #expect(root.location == SourceLocation(line: 1, column: 1))
        #expect(root.pairs?[0].key.location == SourceLocation(line: 1, column: 1))
        #expect(value(root, "top")?.location == SourceLocation(line: 1, column: 6))
        let list = try #require(value(root, "list"))
        #expect(list.location == SourceLocation(line: 3, column: 3))
        #expect(list.items?[0].location == SourceLocation(line: 3, column: 5))
        let flow = try #require(list.items?[1])
        #expect(flow.location == SourceLocation(line: 4, column: 5))
        #expect(value(flow, "k")?.location == SourceLocation(line: 4, column: 9))
        #expect(value(flow, "k")?.scalar?.style == .doubleQuoted)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let doc = compose("name: \"ü\"\nkey: wert\n\"é\": x")
        let root = try #require(doc.root)
        #expect(root.pairs?[2].value.location == SourceLocation(line: 3, column: 6))
    }

    @Test func aliasesShareTheAnchoredNode() throws {
        let doc = compose("""
            a: &x {retries: 2}
            b: *x
            """)
        #expect(doc.problems.isEmpty)
        let b = try #require(value(doc.root, "b"))
        #expect(value(b, "retries")?.scalar?.text == "2")
        // An alias stands for the anchored node, which begins at its anchor.
        #expect(b.location == SourceLocation(line: 1, column: 4))
    }

    @Test func mergeKeysAddMissingKeysAndExplicitKeysWin() throws {
        let doc = compose("""
            base: &base {timeout: 5m, retries: 2}
            more: &more {retries: 9, priority: 1}
            task:
              <<: [*base, *more]
              retries: 3
            """)
        #expect(doc.problems.isEmpty)
        let task = try #require(value(doc.root, "task"))
        #expect(value(task, "retries")?.scalar?.text == "3")
        #expect(value(task, "timeout")?.scalar?.text == "5m")
        #expect(value(task, "priority")?.scalar?.text == "1")
        #expect(task.pairs?.count == 3)
        // A merged value keeps the position where it was written.
        #expect(value(task, "timeout")?.location == SourceLocation(line: 1, column: 23))
    }

    @Test func aSingleMergedMapping() throws {
        let doc = compose("d: &d {a: 1}\nt:\n  <<: *d\n  b: 2\n")
        let t = try #require(value(doc.root, "t"))
        #expect(t.pairs?.map { $0.key.scalar?.text } == ["b", "a"])
    }

    @Test func mergeOfAScalarIsAProblem() {
        let doc = compose("t:\n  <<: 5\n")
        #expect(doc.problems.map(\.kind) == [.badMerge])
        #expect(doc.problems.first?.location == SourceLocation(line: 2, column: 7))
        #expect(doc.problems.first?.path == "t.<<")
    }

    @Test func duplicateKeysAreReportedAtTheSecondKeyWithTheirPath() throws {
        let doc = compose("""
            tasks:
              - name: a
                retries: 1
                retries: 2
            """)
        let problem = try #require(doc.problems.first)
        #expect(doc.problems.count == 1)
        #expect(problem.kind == .duplicateKey)
        #expect(problem.location == SourceLocation(line: 4, column: 5))
        #expect(problem.path == "tasks[0].retries")
        // The first occurrence is kept.
        #expect(value(value(doc.root, "tasks")?.items?[0], "retries")?.scalar?.text == "1")
    }

    @Test func aSecondDocumentIsRejectedAtItsMarker() throws {
        let doc = compose("a: 1\n---\nb: 2\n")
        #expect(doc.problems.map(\.kind) == [.secondDocument])
        #expect(doc.problems.first?.location == SourceLocation(line: 2, column: 1))
    }

    @Test func syntaxErrorsCarryLibyamlsPosition() throws {
        let doc = compose("a: [1, 2\nb: 3\n")
        let problem = try #require(doc.problems.first)
        #expect(problem.kind == .syntax)
        #expect(problem.message.contains("did not find expected ',' or ']'"))
        #expect(problem.location == SourceLocation(line: 2, column: 2))
    }

    @Test func anUndefinedAliasIsAProblem() {
        let doc = compose("a: *nope\n")
        #expect(doc.problems.first?.message.contains("*nope") == true)
        #expect(doc.problems.first?.location == SourceLocation(line: 1, column: 4))
    }

    @Test func anAliasBombStopsAtTheExpansionLimit() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        let clock = ContinuousClock()
        let start = clock.now
        let doc = compose(text)
        #expect(doc.root == nil)
        #expect(doc.problems.map(\.kind) == [.limit])
        #expect(doc.problems.first?.message.contains("alias bomb") == true)
        #expect(clock.now - start < .seconds(5))
    }

    @Test func deepNestingStopsAtTheDepthLimit() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let doc = compose(text)
        #expect(doc.root == nil)
        #expect(doc.problems.map(\.kind) == [.limit])
        #expect(doc.problems.first?.location == SourceLocation(line: 1, column: 257))
    }

    @Test func binaryInputIsRejectedBeforeParsing() {
        let doc = YAMLComposer.compose([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00])
        #expect(doc.problems.map(\.kind) == [.encoding])
        #expect(doc.problems.first?.message.contains("binary") == true)
    }

    @Test func invalidUTF8IsAnEncodingProblem() {
        let doc = YAMLComposer.compose(Array("a: ".utf8) + [0xff, 0xfe, 0x41])
        #expect(doc.problems.map(\.kind) == [.encoding])
    }

    @Test func inputOverTheSizeLimitIsRejectedUnread() {
        let doc = compose("a: 1234567890\n", limits: YAMLLimits(maxBytes: 8))
        #expect(doc.problems.map(\.kind) == [.limit])
    }

    @Test(arguments: [
        ("1", ResolvedScalar.int(1)), ("-3", .int(-3)), ("0x1f", .int(31)), ("2.5", .float(2.5)),
        ("true", .bool(true)), ("False", .bool(false)), ("~", .null), ("null", .null), ("", .null),
        ("yes", .string("yes")), ("5m", .string("5m")), ("1h30m", .string("1h30m")),
        ("2026-12-01T02:00:00Z", .string("2026-12-01T02:00:00Z")),
    ])
    func plainScalarsResolveWithTheCoreSchema(text: String, expected: ResolvedScalar) {
        #expect(Scalar(text).resolved == expected)
    }

    @Test func quotedAndTaggedScalarsAreStrings() throws {
        let doc = compose("a: \"1\"\nb: '2'\nc: !!str 3\n")
        let root = try #require(doc.root)
        #expect(value(root, "a")?.scalar?.resolved == .string("1"))
        #expect(value(root, "b")?.scalar?.resolved == .string("2"))
        #expect(value(root, "c")?.scalar?.resolved == .string("3"))
    }
}
