import Foundation

/// Query strings and form bodies: parsed in order (a flag may repeat), `+` as space, percent-decoding.
public enum FormData {
    /// `a=1&b=x+y&b=%2F` → [("a", "1"), ("b", "x y"), ("b", "/")]. Pairs without '=' get an
    /// empty value; empty keys are dropped.
    public static func parseQuery(_ query: String) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(String(pieces[0]))
            let value = pieces.count > 1 ? decode(String(pieces[1])) : ""
            if !key.isEmpty { out.append((key, value)) }
        }
        return out
    }

    /// Form decoding: '+' is a space, %XX a byte (invalid escapes are kept as written).
    public static func decode(_ s: String) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }

    /// Percent-encodes a value for a URL query.
    public static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// `pairs` as a query string.
    public static func query(_ pairs: [(key: String, value: String)]) -> String {
        pairs.map { encode($0.key) + "=" + encode($0.value) }.joined(separator: "&")
    }
}

/// One part of a `multipart/form-data` body.
public struct FormPart: Sendable, Equatable {
    /// The form field's name.
    public var name: String
    /// The uploaded file's name (nil for a plain field).
    public var filename: String?
    /// The part's bytes.
    public var data: Data

    /// The part as UTF-8 text.
    public var text: String { String(decoding: data, as: UTF8.self) }
}

/// Why an upload was refused.
public enum UploadError: Error, LocalizedError, Equatable, Sendable {
    case notMultipart(contentType: String)
    case malformed(String)

    public var errorDescription: String? {
        switch self {
        case .notMultipart(let type):
            return "expected a multipart/form-data upload (a form with a file field); got Content-Type '\(type)'"
        case .malformed(let why):
            return "the upload is not a well-formed multipart/form-data body: \(why)"
        }
    }
}

/// A small `multipart/form-data` reader (RFC 7578): what a browser's file form sends.
public enum Multipart {
    /// The boundary from a Content-Type header value, e.g. `multipart/form-data; boundary=XyZ`.
    public static func boundary(contentType: String) throws -> String {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, first.lowercased() == "multipart/form-data" else {
            throw UploadError.notMultipart(contentType: contentType)
        }
        for p in parts.dropFirst() where p.lowercased().hasPrefix("boundary=") {
            var b = String(p.dropFirst("boundary=".count))
            if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
            guard !b.isEmpty, b.count <= 200 else { throw UploadError.malformed("the boundary is empty or too long") }
            return b
        }
        throw UploadError.malformed("the Content-Type has no boundary")
    }

    /// The parts of `body`, in order.
    public static func parse(_ body: Data, boundary: String) throws -> [FormPart] {
        let bytes = [UInt8](body)
        let delimiter = [UInt8](("--" + boundary).utf8)
        var positions: [Int] = []
        var i = 0
        while let p = find(delimiter, in: bytes, from: i) {
            positions.append(p)
            i = p + delimiter.count
        }
        guard positions.count >= 2 else { throw UploadError.malformed("no parts between the boundaries") }
        var parts: [FormPart] = []
        for (n, start) in positions.dropLast().enumerated() {
            var s = start + delimiter.count
            // "--" after a delimiter closes the body.
            if s + 1 < bytes.count, bytes[s] == UInt8(ascii: "-"), bytes[s + 1] == UInt8(ascii: "-") { break }
            if s + 1 < bytes.count, bytes[s] == 13, bytes[s + 1] == 10 { s += 2 }
            var end = positions[n + 1]
            // The CRLF before the next delimiter belongs to the delimiter.
            if end >= 2, bytes[end - 2] == 13, bytes[end - 1] == 10 { end -= 2 }
            guard end >= s else { throw UploadError.malformed("a part ends before it starts") }
            guard let headerEnd = find([13, 10, 13, 10], in: bytes, from: s), headerEnd <= end else {
                throw UploadError.malformed("a part has no header block")
            }
            let headerText = String(decoding: bytes[s..<headerEnd], as: UTF8.self)
            var name: String? = nil
            var filename: String? = nil
            for line in headerText.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                guard lower.hasPrefix("content-disposition:") else { continue }
                name = parameter("name", in: line)
                filename = parameter("filename", in: line)
            }
            guard let name else { throw UploadError.malformed("a part has no Content-Disposition name") }
            parts.append(FormPart(name: name, filename: filename, data: Data(bytes[(headerEnd + 4)..<end])))
        }
        return parts
    }

    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let kv = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, kv[0].lowercased() == key else { continue }
            var v = kv[1]
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v
        }
        return nil
    }

    /// Index of the first occurrence of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        let first = needle[0]
        var i = Swift.max(0, from)
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
