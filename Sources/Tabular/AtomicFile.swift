import Foundation

/// Writes output files so that a reader never sees a half-written file: the data go to a
/// temporary file in the same directory, which is then renamed over the destination.
public enum AtomicFile {
    /// Writes `data` to `path` atomically; throws a ``TabularError`` naming the path on failure.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw TabularError(
                file: path,
                problem: "cannot be written: directory \(directory.path) does not exist",
                hint: "Create the directory first"
            )
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw TabularError(file: path, problem: "cannot be written (\(error.localizedDescription))")
        }
    }

    /// Writes UTF-8 `text` to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
