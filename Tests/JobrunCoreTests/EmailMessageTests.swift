import JobrunCore
import Testing

@Suite struct EmailMessageTests {
    private func message(_ yaml: String) throws -> EmailMessage {
        let v = JobFileValidator().validate(Array("tasks:\n  - {name: m, type: email, email: \(yaml)}\n".utf8))
        return try #require(v.file?.tasks.first?.email, "\(v.diagnostics.map { $0.formatted(file: "t") })")
    }

    @Test func aMessageIsRFC5322WithCRLFAndEncodedHeaders() throws {
        let m = try message(#"{to: [a@example.com, "Zoë <z@example.com>"], cc: c@example.com, from: "Ops, Team <ops@example.com>", subject: "Grüße", body: "one\ntwo"}"#)
        let text = m.composed(date: Instant(seconds: 1_796_090_400), messageID: "x.1@host", defaultFrom: "jobrun@host")
        #expect(text == [
            "From: \"Ops, Team\" <ops@example.com>",
            "To: a@example.com, =?utf-8?B?Wm/Dqw==?= <z@example.com>",
            "Cc: c@example.com",
            "Subject: =?utf-8?B?R3LDvMOfZQ==?=",
            "Date: Tue, 01 Dec 2026 02:00:00 +0000",
            "Message-ID: <x.1@host>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "one",
            "two",
            "",
        ].joined(separator: "\r\n"))
    }

    @Test func noFieldCanAddAHeaderLine() {
        // Validation refuses line breaks in subject and addresses...
        let v = JobFileValidator().validate(Array("""
            tasks:
              - {name: m, type: email, email: {to: ["a@example.com\\nBcc: evil@example.com"], subject: "hi\\r\\nBcc: evil@example.com"}}
            """.utf8))
        #expect(v.file == nil)
        #expect(v.diagnostics.map(\.path) == ["tasks[0].email.to[0]", "tasks[0].email.subject"])
        // ...and composition drops them from anything that gets through.
        let m = EmailMessage(to: ["a@example.com"], cc: [], from: nil, subject: "x\r\nBcc: evil@example.com", body: "", sendmail: nil)
        let text = m.composed(date: Instant(seconds: 0), messageID: "i@h", defaultFrom: "j@h")
        #expect(!text.contains("\r\nBcc:"))
    }

    @Test func badAddressesAreValidationErrors() {
        let v = JobFileValidator().validate(Array("""
            tasks:
              - {name: m, type: email, email: {to: [not-an-address, "@example.com"], from: "x@"}}
            """.utf8))
        #expect(v.diagnostics.map(\.path) == ["tasks[0].email.to[0]", "tasks[0].email.to[1]", "tasks[0].email.from"])
        #expect(v.diagnostics.allSatisfy { $0.message.contains("is not an email address") })
    }
}
