import Foundation

/// Levenshtein distance between two strings (by Unicode scalars), O(|a|·|b|).
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars)
    let y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var current = Array(repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[y.count]
}

/// Up to `limit` names nearest to `name` by edit distance, comparing letters and digits only
/// (so `q4km` is next to `q4_k_m` and `rtx4090` to `rtx-4090`), ties broken by the full edit
/// distance and then alphabetically; only names within half the longer length, plus any name
/// that contains `name`.
func nearestNames(to name: String, in names: [String], limit: Int = 3) -> [String] {
    func bare(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) })
    }
    let target = bare(name)
    let scored = Set(names).map { candidate -> (name: String, bare: Int, full: Int) in
        let contains = !name.isEmpty && candidate.contains(name)
        return (
            candidate, contains ? 0 : editDistance(target, bare(candidate)),
            contains ? 0 : editDistance(name, candidate)
        )
    }
    return
        scored
        .filter { $0.bare <= max(2, max($0.name.count, name.count) / 2) }
        .sorted { ($0.bare, $0.full, $0.name) < ($1.bare, $1.full, $1.name) }
        .prefix(limit).map(\.name)
}
