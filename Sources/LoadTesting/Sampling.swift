import Foundation
import Optimization
import Tabular

/// One evaluation problem: an id, the prompt sent, the reference answer and, for code problems,
/// the tests the candidate must pass.
public struct Problem: Sendable, Equatable, Codable {
    public var id: String
    public var prompt: String
    /// The reference answer (a number, a string, a letter, a LaTeX expression); empty for code
    /// problems, which are judged by their tests.
    public var answer: String
    /// Code problems: test code run after the candidate (HumanEval's `check` function, or MBPP's
    /// assert lines).
    public var test: String?
    /// Code problems: the function under test (HumanEval `entry_point`; the test calls
    /// `check(entry_point)`).
    public var entryPoint: String?

    public init(id: String, prompt: String, answer: String, test: String? = nil, entryPoint: String? = nil) {
        self.id = id
        self.prompt = prompt
        self.answer = answer
        self.test = test
        self.entryPoint = entryPoint
    }

    enum CodingKeys: String, CodingKey {
        case id
        case prompt
        case answer
        case test
        case entryPoint = "entry_point"
    }
}

/// Seeded multi-step integer arithmetic with exact answers (no licence questions, deterministic,
/// any size).
///
/// Problem i has 2 or 3 operations on small integers, e.g. `(7 + 5) * 3 - 4`, evaluated left to
/// right with the parentheses shown, so the answer is unambiguous. Operands are small so that a
/// 135M-parameter model solves some of them: repeated sampling then shows pass@k rising with k.
public enum ArithmeticDataset {
    /// `count` problems from `seed`; the same seed gives the same problems.
    public static func generate(count: Int, seed: UInt64) -> [Problem] {
        (0..<count).map { problem(index: $0, seed: seed) }
    }

    /// Problem `index` of the set made from `seed`.
    public static func problem(index: Int, seed: UInt64) -> Problem {
        var rng = SeededGenerator(seed: seed, stream: index)
        func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        let steps = int(2...3)
        var value = int(1...9)
        var expression = "\(value)"
        for step in 0..<steps {
            let op = int(0...2)
            switch op {
            case 0:
                let b = int(1...9)
                value += b
                expression += " + \(b)"
            case 1:
                let b = int(1...9)
                value -= b
                expression += " - \(b)"
            default:
                let b = int(2...4)
                value *= b
                expression = step == 0 ? "\(expression) * \(b)" : "(\(expression)) * \(b)"
            }
        }
        let prompt = "Calculate \(expression). Give the final answer as a single integer after 'Answer:'."
        return Problem(id: "arith-\(seed)-\(index)", prompt: prompt, answer: String(value))
    }

    /// Reads a JSONL dataset (see ``ProblemSet/load(jsonl:)``).
    public static func load(jsonl path: String) throws -> [Problem] { try ProblemSet.load(jsonl: path) }
}

/// Problem files for `t2 sample`.
public enum ProblemSet {
    /// Reads a JSONL dataset, one problem per line, in any of these shapes:
    /// - `{"id", "prompt", "answer"}` (`id` and `answer` may be strings or numbers), with an
    ///   optional `"choices": [...]` list that is appended to the prompt as `A. …`, `B. …` lines;
    /// - HumanEval: `{"task_id", "prompt", "test", "entry_point"}`;
    /// - MBPP: `{"task_id", "text", "test_list": [...]}` (the prompt is MBPP's own: the task and
    ///   the tests the code must pass).
    /// Ids must be unique; errors name the file and line.
    public static func load(jsonl path: String) throws -> [Problem] {
        var problems: [Problem] = []
        var seen = Set<String>()
        for (line, value) in try JSONLines.read(path) {
            func text(_ v: JSONValue?) -> String? {
                switch v {
                case .string(let s)?: return s
                case .number(let d)?: return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
                default: return nil
                }
            }
            func fail(_ reason: String) -> LoadTestingError { .invalidFile(path, line: line, reason: reason) }
            guard let id = text(value["id"]) ?? text(value["task_id"]) else {
                throw fail("missing field \"id\" (or \"task_id\"): each line needs id, prompt and answer (or tests)")
            }
            var problem: Problem
            if let tests = value["test_list"], case .array(let list) = tests {
                // MBPP
                guard let task = text(value["text"]) ?? text(value["prompt"]) else {
                    throw fail("an MBPP line needs \"text\" (the task)")
                }
                let asserts = list.compactMap { $0.stringValue }
                let setup = text(value["test_setup_code"]) ?? ""
                problem = Problem(
                    id: id,
                    prompt:
                        "You are an expert Python programmer, and here is your task: \(task) Your code should pass these tests:\n\n"
                        + asserts.joined(separator: "\n"),
                    answer: "",
                    test: (setup.isEmpty ? "" : setup + "\n") + asserts.joined(separator: "\n")
                )
            } else if let test = text(value["test"]) {
                // HumanEval
                guard let prompt = text(value["prompt"]) else { throw fail("missing string field \"prompt\"") }
                problem = Problem(
                    id: id,
                    prompt: prompt,
                    answer: "",
                    test: test,
                    entryPoint: text(value["entry_point"])
                )
            } else {
                guard let prompt = text(value["prompt"]) else {
                    throw fail("missing string field \"prompt\" (each line needs id, prompt and answer)")
                }
                guard let answer = text(value["answer"]) else {
                    throw fail("missing string field \"answer\" (each line needs id, prompt and answer)")
                }
                var full = prompt
                if case .array(let choices)? = value["choices"] {
                    let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                    guard choices.count <= letters.count else { throw fail("more than 26 choices") }
                    for (k, c) in choices.enumerated() { full += "\n\(letters[k]). \(text(c) ?? "\(c)")" }
                }
                problem = Problem(id: id, prompt: full, answer: answer)
            }
            guard seen.insert(problem.id).inserted else { throw fail("duplicate id '\(problem.id)'") }
            problems.append(problem)
        }
        guard !problems.isEmpty else {
            throw LoadTestingError.invalidFile(path, line: nil, reason: "no problems in the file")
        }
        return problems
    }
}
