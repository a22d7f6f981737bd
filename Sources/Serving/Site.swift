import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Plotting
import Reports

/// Laws fitted through the server (uploads), by id, and the scratch directory for uploads.
actor LawStore {
    struct Law: Sendable {
        var id: String
        var path: String
        var label: String
    }

    let directory: URL
    private(set) var laws: [Law] = []
    private let limit = 64

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("t2-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A fresh directory for one request's files.
    func scratch() throws -> URL {
        let url = directory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func add(path: String, label: String) -> String {
        let id = "law-" + String(UUID().uuidString.prefix(8)).lowercased()
        laws.append(Law(id: id, path: path, label: label))
        if laws.count > limit { laws.removeFirst(laws.count - limit) }
        return id
    }

    var paths: [String: String] { Dictionary(uniqueKeysWithValues: laws.map { ($0.id, $0.path) }) }

    func removeAll() { try? FileManager.default.removeItem(at: directory) }
}

/// The catalog names the forms offer, asked of `t2 cost --list … --format json` once.
struct CatalogNames: Sendable {
    var hardware: [String] = []
    var quants: [String] = []
    var models: [String] = []
    var engines: [String] = []

    static func load(_ runner: any CommandRunner) async -> CatalogNames {
        func names(_ kind: String) async -> [String] {
            let r = await runner.run(["cost", "--list", kind, "--format", "json"])
            guard r.status == 0, let doc = try? JSONDocument.parse(Data(r.stdout.utf8), source: kind) else { return [] }
            return (doc.array ?? []).compactMap { $0["name"]?.string }
        }
        return CatalogNames(
            hardware: await names("hardware"),
            quants: await names("quants"),
            models: await names("models"),
            engines: await names("engines")
        )
    }
}

/// An HTTP answer before it becomes a Hummingbird response.
struct Answer: Sendable {
    var status: HTTPResponse.Status
    var contentType: String
    var body: String

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Answer {
        Answer(status: status, contentType: "text/html; charset=utf-8", body: body)
    }

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Answer {
        Answer(status: status, contentType: "application/json; charset=utf-8", body: body)
    }

    /// `{"error": message, "exit_status": n}`.
    static func jsonError(
        _ message: String,
        status: HTTPResponse.Status = .badRequest,
        exitStatus: Int32? = nil
    ) -> Answer {
        var object: [String: Any] = ["error": message]
        if let exitStatus { object["exit_status"] = Int(exitStatus) }
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return .json(String(decoding: data, as: UTF8.self) + "\n", status: status)
    }
}

/// The pages and the API.
final class Site: Sendable {
    let configuration: ServeConfiguration
    let runner: any CommandRunner
    let laws: LawStore
    let catalog: CatalogNames

    init(configuration: ServeConfiguration, runner: any CommandRunner) async throws {
        self.configuration = configuration
        self.runner = runner
        self.laws = try LawStore()
        self.catalog = await CatalogNames.load(runner)
    }

    func cleanUp() async { await laws.removeAll() }

    /// The page policy: nothing but this server; the one stylesheet by its hash; no script.
    static let pagePolicy =
        "default-src 'none'; style-src \(HTMLPage.styleHash); img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    static let apiPolicy = "default-src 'none'; frame-ancestors 'none'"

    // MARK: - Dispatch

    func respond(to request: Request) async -> Response {
        var request = request
        let answer: Answer
        if let refusal = checkHost(request) {
            answer = refusal
        } else {
            answer = await route(&request)
        }
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            answer.contentType.hasPrefix("text/html") ? Self.pagePolicy : Self.apiPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        let body = request.method == .head ? ByteBuffer() : ByteBuffer(string: answer.body)
        return Response(status: answer.status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// A loopback server answers only requests addressed to a loopback name: a page elsewhere
    /// cannot reach it through DNS rebinding.
    func checkHost(_ request: Request) -> Answer? {
        guard configuration.isLoopback else { return nil }
        let host = (request.head.authority ?? "").lowercased()
        let name: String
        if host.hasPrefix("[") {
            name = String(host.prefix { $0 != "]" }.dropFirst())
        } else {
            name = String(host.split(separator: ":").first ?? "")
        }
        if ["127.0.0.1", "localhost", "::1", ""].contains(name) { return nil }
        return .html(
            Pages.message(
                title: "Wrong host",
                text:
                    "This t2 server answers requests for 127.0.0.1 or localhost only (the request was for '\(host)').",
                version: configuration.version
            ),
            status: .misdirectedRequest
        )
    }

    func route(_ request: inout Request) async -> Answer {
        let path = request.uri.path
        let query = FormData.parseQuery(request.uri.query ?? "")
        let get = request.method == .get || request.method == .head
        switch (path, get, request.method == .post) {
        case ("/", true, _): return await planPage(query)
        case ("/cost", true, _): return await costPage(query)
        case ("/fit", true, _): return await fitForm()
        case ("/fit", _, true): return await fitUpload(&request)
        case ("/api/plan", true, _): return await api("plan", query)
        case ("/api/cost", true, _): return await api("cost", query)
        case ("/api/fit", _, true): return await apiUpload("fit", query, &request)
        case ("/api/passk", _, true): return await apiUpload("passk", query, &request)
        case ("/api/fit", true, _), ("/api/passk", true, _):
            return .jsonError(
                "POST the CSV as the request body (or a multipart form with a file), with the flags as query parameters, e.g. curl --data-binary @runs.csv '\(path)?bootstrap=100'",
                status: .methodNotAllowed
            )
        case ("/api", true, _), ("/api/", true, _): return .json(Pages.apiIndex)
        case ("/favicon.ico", true, _): return Answer(status: .noContent, contentType: "image/x-icon", body: "")
        default:
            if path.hasPrefix("/api/") {
                return .jsonError("no such endpoint: \(path); see /api", status: .notFound)
            }
            return .html(
                Pages.message(title: "Not found", text: "There is no page at \(path).", version: configuration.version),
                status: .notFound
            )
        }
    }

    // MARK: - API

    /// `t2 <command> …flags --format json`, answered with exactly what it prints.
    func api(_ command: String, _ query: [(key: String, value: String)]) async -> Answer {
        let args: [String]
        do {
            args =
                try CLIArguments.arguments(command: command, query: query, laws: await laws.paths) + [
                    "--format", "json",
                ]
        } catch {
            return .jsonError(error.localizedDescription)
        }
        let r = await runner.run(args)
        if r.status == 0 { return .json(r.stdout) }
        return .jsonError(Self.errorText(r), exitStatus: r.status)
    }

    func apiUpload(_ command: String, _ query: [(key: String, value: String)], _ request: inout Request) async -> Answer
    {
        let upload: Upload
        do {
            upload = try await Upload.read(&request, limit: configuration.maxUploadBytes, store: laws)
        } catch let e as UploadRefusal {
            return .jsonError(e.message, status: e.status)
        } catch {
            return .jsonError(error.localizedDescription)
        }
        guard let file = upload.file else { return .jsonError("the request has no CSV: send it as the body") }
        let args: [String]
        do {
            args =
                try CLIArguments.arguments(command: command, query: query, laws: await laws.paths) + [
                    file.path, "--format", "json",
                ]
        } catch {
            return .jsonError(error.localizedDescription)
        }
        let r = await runner.run(args)
        if r.status == 0 { return .json(r.stdout) }
        return .jsonError(upload.hidePaths(Self.errorText(r)), exitStatus: r.status)
    }

    /// The CLI's error message without the "Error: " prefix and usage lines.
    static func errorText(_ r: CommandResult) -> String {
        var text = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("Error: ") { text = String(text.dropFirst("Error: ".count)) }
        if let usage = text.range(of: "\nUsage: ") { text = String(text[..<usage.lowerBound]) }
        return text.isEmpty ? "the command failed (exit status \(r.status))" : text
    }

    // MARK: - Pages

    func planPage(_ query: [(key: String, value: String)]) async -> Answer {
        let lawList = await laws.laws
        let form = Pages.planForm(query, laws: lawList.map { ($0.id, $0.label) }, catalog: catalog)
        let paths = await laws.paths
        var display = "t2 plan"
        do {
            let args = try CLIArguments.arguments(command: "plan", query: query, laws: paths)
            display = CLIArguments.display(
                args,
                replacing: Dictionary(uniqueKeysWithValues: lawList.map { ($0.path, $0.id) })
            )
            let r = await runner.run(args + ["--format", "json"])
            guard r.status == 0 else { throw ParameterError(Self.errorText(r)) }
            var inputs = [try ReportInput(source: "plan", data: Data(r.stdout.utf8))]
            var notes: [String] = []
            if let sweep = Self.sweepArguments(args, plan: inputs[0].document) {
                let s = await runner.run(sweep + ["--format", "json"])
                if s.status == 0, let input = try? ReportInput(source: "sweep", data: Data(s.stdout.utf8)) {
                    inputs.append(input)
                } else {
                    notes.append("The budget sweep could not be planned: \(Self.errorText(s))")
                }
            }
            var sections = try ReportBuilder.sections(inputs)
            if !notes.isEmpty { sections[0].notes += notes }
            let prelude =
                form + Pages.commandLine(display, api: "/api/plan?" + FormData.query(query))
                + Pages.jsonBlock(id: "plan-json", r.stdout)
            return .html(page("Planner", sections: sections, prelude: prelude, active: "/"))
        } catch {
            return .html(
                page(
                    "Planner",
                    sections: [],
                    prelude: form + Pages.error(error.localizedDescription, command: display),
                    active: "/"
                ),
                status: .badRequest
            )
        }
    }

    /// The same plan over budgets from 1/100 to 100× the plan's (9 points), for the budget charts.
    static func sweepArguments(_ args: [String], plan: JSONDocument) -> [String]? {
        let budget = plan["budget"]
        guard plan["target"] == nil || plan["target"] == .null else { return nil }
        let mode = budget?["mode"]?.string ?? "separate"
        let (flag, amount): (String, Double?) =
            switch mode {
            case "dollars": ("--budget-usd", budget?["usd"]?.double)
            case "lifetime": ("--budget-flops", budget?["flops"]?.double)
            default: ("--train-flops", budget?["train_flops"]?.double)
            }
        guard let c = amount, c > 0, c.isFinite else { return nil }
        var out = args.filter { !$0.hasPrefix(flag + "=") && !$0.hasPrefix("--sweep") }
        if mode == "separate", !out.contains(where: { $0.hasPrefix("--inference-flops") }),
            let ci = budget?["inference_flops_per_token"]?.double
        {
            out.append("--inference-flops=\(ci)")
        }
        out.append("--sweep=\(c / 100):\(c * 100):9")
        return out
    }

    func costPage(_ query: [(key: String, value: String)]) async -> Answer {
        let defaults: [(key: String, value: String)] = [
            ("model", "llama-3.1-8b"), ("quant", "fp8"), ("hardware", "h100-sxm"),
        ]
        let effective = query.isEmpty ? defaults : query
        let form = Pages.costForm(effective, catalog: catalog)
        var display = "t2 cost"
        do {
            let compares = effective.filter { $0.key == "compare" && !$0.value.isEmpty }.map(\.value)
            let base = try CLIArguments.arguments(
                command: "cost",
                query: effective.filter { $0.key != "compare" },
                laws: [:]
            )
            display = CLIArguments.display(base)
            let r = await runner.run(base + ["--format", "json"])
            guard r.status == 0 else { throw ParameterError(Self.errorText(r)) }
            let estimate = try JSONDocument.parse(Data(r.stdout.utf8), source: "cost")
            // The load sweep: concurrency 1, 2, 4, … up to what fits, for this deployment and each compared one.
            let most = Swift.max(1, Swift.min(estimate["max_concurrency"]?.int ?? 64, 1024))
            var levels: [Int] = []
            var c = 1
            while c <= most {
                levels.append(c)
                c *= 2
            }
            if levels.last != most { levels.append(most) }
            var sweep = base.filter { !$0.hasPrefix("--concurrency") }
            for spec in [""] + compares {
                for level in levels {
                    sweep.append("--compare=" + (spec.isEmpty ? "" : spec + ",") + "concurrency=\(level)")
                }
            }
            let s = await runner.run(sweep + ["--format", "json"])
            var inputs: [ReportInput] = [ReportInput(source: "cost", document: estimate)]
            var notes: [String] = []
            if s.status == 0, let doc = try? JSONDocument.parse(Data(s.stdout.utf8), source: "load") {
                inputs.append(ReportInput(source: "load", document: doc))
            } else {
                notes.append("The load sweep failed: \(Self.errorText(s))")
            }
            var sections = try ReportBuilder.sections(inputs)
            if !notes.isEmpty { sections[0].notes += notes }
            if sections.count > 1 {
                sections[1].heading =
                    "Against load: concurrency \(levels.map(String.init).joined(separator: ", "))"
                    + (compares.isEmpty ? "" : ", and compared with " + compares.joined(separator: "; "))
            }
            let prelude =
                form
                + Pages.commandLine(
                    display,
                    api: "/api/cost?" + FormData.query(effective.filter { $0.key != "compare" })
                )
                + Pages.jsonBlock(id: "cost-json", r.stdout)
            return .html(page("Cost", sections: sections, prelude: prelude, active: "/cost"))
        } catch {
            return .html(
                page(
                    "Cost",
                    sections: [],
                    prelude: form + Pages.error(error.localizedDescription, command: display),
                    active: "/cost"
                ),
                status: .badRequest
            )
        }
    }

    func fitForm() async -> Answer {
        .html(
            page(
                "Fit",
                sections: [],
                prelude: Pages.fitForm([], maxBytes: configuration.maxUploadBytes),
                active: "/fit"
            )
        )
    }

    func fitUpload(_ request: inout Request) async -> Answer {
        let upload: Upload
        do {
            upload = try await Upload.read(&request, limit: configuration.maxUploadBytes, store: laws)
        } catch let e as UploadRefusal {
            return .html(
                page(
                    "Fit",
                    sections: [],
                    prelude: Pages.fitForm([], maxBytes: configuration.maxUploadBytes)
                        + Pages.error(e.message, command: nil),
                    active: "/fit"
                ),
                status: e.status
            )
        } catch {
            return .html(
                page(
                    "Fit",
                    sections: [],
                    prelude: Pages.fitForm([], maxBytes: configuration.maxUploadBytes)
                        + Pages.error(error.localizedDescription, command: nil),
                    active: "/fit"
                ),
                status: .badRequest
            )
        }
        let fields = upload.fields
        let form = Pages.fitForm(fields, maxBytes: configuration.maxUploadBytes)
        guard let file = upload.file else {
            return .html(
                page(
                    "Fit",
                    sections: [],
                    prelude: form + Pages.error("choose a CSV file to upload", command: nil),
                    active: "/fit"
                ),
                status: .badRequest
            )
        }
        let analysis = fields.first { $0.key == "analysis" }?.value ?? "chinchilla"
        var query = fields.filter { $0.key != "analysis" }
        var command = "fit"
        switch analysis {
        case "passk": command = "passk"
        case "t2-loss", "t2-accuracy": query.append(("form", analysis))
        default: break
        }
        var display = "t2 \(command) \(file.name)"
        do {
            var args = try CLIArguments.arguments(command: command, query: query, laws: [:])
            display = CLIArguments.display(args + [file.name])
            let lawPath = file.path + ".law.json"
            args += [file.path, "--format", "json"]
            if command == "fit" { args.append("--out=" + lawPath) }
            let r = await runner.run(args)
            guard r.status == 0 else { throw ParameterError(upload.hidePaths(Self.errorText(r))) }
            let sections = try ReportBuilder.sections([ReportInput(source: file.path, data: Data(r.stdout.utf8))])
                .map { s -> ReportSection in
                    var s = s
                    s.source = upload.hidePaths(s.source ?? "")
                    s.notes = s.notes.map { upload.hidePaths($0) }
                    return s
                }
            var prelude = form + Pages.commandLine(display, api: nil)
            if command == "fit", FileManager.default.fileExists(atPath: lawPath) {
                let id = await laws.add(
                    path: lawPath,
                    label: "\(file.name) (\(query.first { $0.key == "form" }?.value ?? "chinchilla"))"
                )
                prelude += Pages.planWithLaw(id: id, name: file.name)
            }
            prelude += Pages.jsonBlock(id: "\(command)-json", upload.hidePaths(r.stdout))
            return .html(page("Fit", sections: sections, prelude: prelude, active: "/fit"))
        } catch {
            return .html(
                page(
                    "Fit",
                    sections: [],
                    prelude: form + Pages.error(error.localizedDescription, command: display),
                    active: "/fit"
                ),
                status: .badRequest
            )
        }
    }

    func page(_ title: String, sections: [ReportSection], prelude: String, active: String) -> String {
        HTMLPage(
            title: "t2 — \(title.lowercased())",
            sections: sections,
            prelude: prelude,
            navigation: Pages.navigation(active: active),
            footer:
                "\(configuration.version) serve · every answer is what the t2 command line prints for the same flags (see the command under each form) · no script, no external request"
        ).html(policy: nil)
    }
}

/// A refused upload, with its HTTP status.
struct UploadRefusal: Error {
    var status: HTTPResponse.Status
    var message: String
}

/// An uploaded CSV saved to the server's scratch directory, and the form's other fields.
struct Upload {
    struct File {
        var name: String
        var path: String
    }
    var file: File?
    var fields: [(key: String, value: String)]
    var directory: String

    /// Error messages name the user's file, not the server's copy of it.
    func hidePaths(_ text: String) -> String { text.replacingOccurrences(of: directory + "/", with: "") }

    static func read(_ request: inout Request, limit: Int, store: LawStore) async throws -> Upload {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw UploadRefusal(
                status: .contentTooLarge,
                message:
                    "the upload is larger than the server's limit of \(NumberFormat.count.label(Double(limit)))B (t2 serve --max-upload-mb sets it)"
            )
        }
        let data = Data(buffer.readableBytesView)
        let directory = try await store.scratch().path
        let contentType = request.headers[.contentType] ?? ""
        var fields: [(key: String, value: String)] = []
        var file: File? = nil
        func save(_ name: String?, _ bytes: Data) throws -> File {
            let safe = String((name ?? "upload.csv").split(separator: "/").last ?? "upload.csv")
                .map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }
            var fileName = String(safe.prefix(80))
            if fileName.isEmpty || fileName.hasPrefix(".") { fileName = "upload" + fileName }
            let path = directory + "/" + fileName
            try bytes.write(to: URL(fileURLWithPath: path))
            return File(name: fileName, path: path)
        }
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            let parts: [FormPart]
            do {
                parts = try Multipart.parse(data, boundary: try Multipart.boundary(contentType: contentType))
            } catch {
                throw UploadRefusal(status: .badRequest, message: error.localizedDescription)
            }
            for p in parts {
                if p.filename != nil {
                    if file == nil, !(p.filename ?? "").isEmpty || !p.data.isEmpty {
                        file = try save(p.filename, p.data)
                    }
                } else {
                    fields.append((p.name, p.text))
                }
            }
        } else if !data.isEmpty {
            file = try save("upload.csv", data)
        }
        return Upload(file: file, fields: fields, directory: directory)
    }
}
