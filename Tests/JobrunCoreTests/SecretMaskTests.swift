import Foundation
@testable import JobrunCore
import Testing

@Suite struct SecretMaskTests {
    private let secret = #"Tok/en:v@l"ue\9é"#

    @Test func everyFormOfASecretIsMasked() {
        let mask = SecretMask([secret])
        let basic = Data(("user:" + secret).utf8).base64EncodedString()
        let texts = [
            "raw \(secret) end",
            "query s=\(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) end",
            "lower s=Tok%2fen%3av%40l%22ue%5c9%c3%a9 end",
            "json \(JSONText.string(secret)) end",
            #"escaped "Tok\/en:v@l\"ue\\9\u00e9" end"#,
            "Authorization: Basic \(basic)",
            "shifted \(Data(("ab" + secret + "z").utf8).base64EncodedString()) end",
            "urlsafe \(Data(("ab" + secret + "z").utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))",
        ]
        for text in texts {
            let masked = mask(text)
            #expect(masked.contains("***"), "\(text) → \(masked)")
            #expect(!masked.contains(String(secret.prefix(6))), "\(masked)")
        }
        // The base64 of the secret alone, in every alignment, is gone except at the edges.
        let inner = String(basic.dropFirst(8).dropLast(4))
        #expect(!mask(texts[5]).contains(inner))
    }

    @Test func shortValuesAreNotMaskedAndOrdinaryTextIsKept() {
        let mask = SecretMask(["abc", "", secret])
        #expect(mask("abc and abcd") == "abc and abcd")
        #expect(SecretMask(["abc"]).isEmpty)
    }

    // A secret at every offset around a cut: what is kept holds no piece of it.
    @Test func noPieceOfASecretSurvivesACut() {
        let mask = SecretMask([secret])
        let bytes = Array(secret.utf8)
        for offset in 0...(bytes.count + 4) {
            let text = [UInt8](repeating: UInt8(ascii: "x"), count: 100 + offset) + bytes + [UInt8](repeating: UInt8(ascii: "y"), count: 100)
            // The head: the first 100 + k bytes were read, more came.
            let read = Array(text.prefix(100 + offset + bytes.count / 2))
            let head = mask.head(read, limit: 4096, more: true)
            #expect(!head.utf8.contains(where: { $0 != UInt8(ascii: "x") && $0 != UInt8(ascii: "*") }), "head \(offset): \(head)")
            // The tail: only the last bytes were kept, the secret's start was cut off.
            let kept = Array(text.suffix(100 + bytes.count - offset % bytes.count))
            let tail = mask.tail(kept, limit: 4096, cut: true)
            #expect(tail.hasSuffix(String(repeating: "y", count: 100)))
            #expect(!tail.contains(String(secret.suffix(2))), "tail \(offset): \(tail)")
        }
    }

    @Test func theSecretsOfAFileAreItsHTTPReferences() throws {
        let v = JobFileValidator(environment: ["TOKEN": "t0ken-value", "OTHER": "unused-value", "KEY": "task-key-1"]).validate(Array("""
            tasks:
              - {name: h, type: http, http: {url: "https://example.com/${TOKEN}", headers: {X: "${KEY}"}}}
              - {name: c, command: "echo ${OTHER}"}
            """.utf8))
        let file = try #require(v.file, "\(v.diagnostics)")
        let secrets = SecretMask.secrets(of: file, environment: ["TOKEN": "t0ken-value", "OTHER": "unused-value", "KEY": "task-key-1"])
        #expect(Set(secrets) == ["t0ken-value", "task-key-1"])
    }
}
