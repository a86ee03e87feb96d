import JobrunCore
import Testing

/// `--listen` / `listen:` addresses.
@Suite struct ListenAddressTests {
    @Test(arguments: [
        (":9090", "127.0.0.1", 9090), ("0.0.0.0:9090", "0.0.0.0", 9090), ("[::1]:9090", "::1", 9090),
        ("localhost:80", "localhost", 80), (" :0 ", "127.0.0.1", 0), ("[::]:65535", "::", 65535),
    ])
    func anAddressAndPortAreRead(_ text: String, _ host: String, _ port: Int) throws {
        let address = try #require(ListenAddress(text))
        #expect(address.host == host && address.port == port)
    }

    @Test(arguments: ["9090", "localhost", ":", "host:", ":65536", ":123456", "::1:9090", "[::1:9090", "[]:80", "a b:80", ":-1", ":9x"])
    func anythingElseIsRefused(_ text: String) {
        #expect(ListenAddress(text) == nil)
    }

    @Test func anIPv6AddressIsWrittenInBrackets() throws {
        #expect(try #require(ListenAddress("[::1]:9090")).description == "[::1]:9090")
        #expect(try #require(ListenAddress(":9090")).description == "127.0.0.1:9090")
    }
}
