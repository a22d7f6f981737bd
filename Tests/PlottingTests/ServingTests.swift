import Foundation
import Serving
import Testing

@Suite("t2 serve: query strings, uploads and command lines")
struct ServingInputTests {
    @Test("a GET form's query: order kept, '+' is a space, percent escapes decoded, repeats kept")
    func query() {
        let pairs = FormData.parseQuery(
            "train_flops=1e21&compare=hardware%3Dh200&compare=quant%3Dbf16&where=a+b&flag&=x"
        )
        #expect(pairs.map(\.key) == ["train_flops", "compare", "compare", "where", "flag"])
        #expect(pairs.map(\.value) == ["1e21", "hardware=h200", "quant=bf16", "a b", ""])
        #expect(FormData.parseQuery(FormData.query([("a", "x y&z=1"), ("b", "é")])).map(\.value) == ["x y&z=1", "é"])
    }

    @Test("query parameters become the CLI's flags: snake_case to --kebab-case, values attached, flags bare")
    func arguments() throws {
        let args = try CLIArguments.arguments(
            command: "plan",
            query: [
                ("train_flops", "1e21"), ("inference_flops", "1e10"), ("max_samples", ""), ("pool_levels", "true"),
                ("shared_exponent", "false"), ("min_params", "-5"),
            ]
        )
        #expect(args == ["plan", "--train-flops=1e21", "--inference-flops=1e10", "--pool-levels", "--min-params=-5"])
    }

    @Test("server-side files are never named by a request: out, catalog, calibration and unknown law ids are refused")
    func refusals() throws {
        for key in ["out", "catalog", "calibration", "validate", "format", "help"] {
            #expect(throws: ParameterError.self) {
                try CLIArguments.arguments(command: "plan", query: [(key, "/etc/passwd")])
            }
        }
        #expect(throws: ParameterError.self) {
            try CLIArguments.arguments(command: "plan", query: [("law", "/etc/passwd")])
        }
        #expect(throws: ParameterError.self) {
            try CLIArguments.arguments(command: "plan", query: [("Train-Flops", "1")])
        }
        #expect(throws: ParameterError.self) { try CLIArguments.arguments(command: "plan", query: [("a b", "1")]) }
        let args = try CLIArguments.arguments(
            command: "plan",
            query: [("law", "law-1234")],
            laws: ["law-1234": "/tmp/x/law.json"]
        )
        #expect(args == ["plan", "--law=/tmp/x/law.json"])
        #expect(try CLIArguments.arguments(command: "plan", query: [("law", "")]) == ["plan"])
    }

    @Test("the command line shown on a page is what a person would type")
    func display() {
        #expect(
            CLIArguments.display(
                ["plan", "--train-flops=1e21", "--where=a b", "--law=/tmp/s/law.json"],
                replacing: ["/tmp/s/law.json": "law-1"]
            )
                == "t2 plan --train-flops 1e21 --where 'a b' --law law-1"
        )
    }

    @Test("a browser's multipart upload: fields and the file, CRLFs and quoted names as sent")
    func multipart() throws {
        let boundary = "----WebKitFormBoundaryx7ZqLJ0aAbC"
        let csv = "params,tokens,loss\r\n1e8,2e9,3.1\r\n"
        let body =
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"analysis\"\r\n\r\nchinchilla\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"data\"; filename=\"my runs.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n"
            + "--\(boundary)--\r\n"
        let b = try Multipart.boundary(contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(b == boundary)
        let parts = try Multipart.parse(Data(body.utf8), boundary: b)
        #expect(parts.count == 2)
        #expect(parts[0].name == "analysis" && parts[0].filename == nil && parts[0].text == "chinchilla")
        #expect(parts[1].name == "data" && parts[1].filename == "my runs.csv")
        #expect(parts[1].text == csv)
    }

    @Test("malformed uploads are refused with a reason, never a crash")
    func malformed() {
        #expect(throws: UploadError.self) { try Multipart.boundary(contentType: "text/csv") }
        #expect(throws: UploadError.self) { try Multipart.boundary(contentType: "multipart/form-data") }
        for body in ["", "--b", "--b\r\nno header end", "--b\r\nContent-Type: x\r\n\r\ndata\r\n--b--", "garbage --b"] {
            #expect(throws: UploadError.self, "\(body)") { try Multipart.parse(Data(body.utf8), boundary: "b") }
        }
    }
}
