import Foundation
import LoadTesting
import Testing

@Suite("answer checkers")
struct CheckerTests {
    func check(_ checker: any AnswerChecker, _ response: String, _ answer: String) async -> Bool {
        await checker.check(response, problem: Problem(id: "p", prompt: "q", answer: answer)).correct
    }

    @Test("exact string, case-insensitive, regex and multiple choice")
    func textCheckers() async throws {
        let exact = ExactChecker()
        #expect(await check(exact, "Let me think.\nAnswer: Paris.", "Paris"))
        #expect(await !check(exact, "Answer: paris", "Paris"))
        #expect(await check(ExactChecker(ignoringCase: true), "Answer: paris", "Paris"))
        #expect(await check(exact, "Paris", " Paris "))
        #expect(await !check(exact, "Answer: Paris, France", "Paris"))

        let regex = try RegexChecker(pattern: "Final: *([A-Za-z]+)")
        #expect(await check(regex, "Final: x then Final: yes", "yes"))
        #expect(await !check(regex, "no marker", "yes"))
        #expect(throws: LoadTestingError.self) { try RegexChecker(pattern: "(unclosed") }

        let choice = MultipleChoiceChecker()
        #expect(choice.extract(from: "I think the answer is (C) because") == "C")
        #expect(choice.extract(from: "Answer: B.") == "B")
        #expect(choice.extract(from: "Between A and D I pick D") == "D")
        #expect(choice.extract(from: "I'm not sure") == nil)
        #expect(await check(choice, "The answer is (b)... no, Answer: (C)", "C"))
        #expect(await check(choice, "Answer: C", "2"))  // a 0-based index
        #expect(await !check(choice, "Answer: A", "(B)"))
    }

    @Test(
        "MATH-style boxed answers with normalisation",
        arguments: [
            ("so \\boxed{\\frac{1}{2}}", "1/2", true), ("\\boxed{0.5}", "\\frac12", true),
            ("\\boxed{\\dfrac{3}{4}}", "\\frac{3}{4}", true), ("\\boxed{ 10 }", "10.0", true),
            ("\\boxed{x = 7}", "7", true), ("\\boxed{90^\\circ}", "90", true), ("\\boxed{5\\%}", "5", true),
            ("\\boxed{\\$12.50}", "12.5", true), ("\\boxed{\\sqrt2}", "\\sqrt{2}", true),
            ("\\boxed{4 \\text{ cm}}", "4", true), ("\\boxed{\\left( 1, 2 \\right)}", "(1,2)", true),
            ("\\boxed{2/4}", "\\frac{1}{2}", true), ("\\boxed{-\\frac{1}{3}}", "-1/3", true),
            ("\\boxed{\\frac{1}{3}}", "0.33", false), ("\\boxed{12}", "13", false),
            ("no box, Answer: 8", "8", true), ("nothing", "8", false), ("\\boxed{\\frac{a}{b}}", "\\frac{a}{b}", true),
            ("\\boxed{1,000}", "1000", true),
        ]
    )
    func boxed(response: String, answer: String, correct: Bool) async {
        #expect(await check(BoxedChecker(), response, answer) == correct, "\(response) vs \(answer)")
    }

    @Test("the last \\boxed{} is taken, with nested braces")
    func lastBoxed() {
        #expect(BoxedChecker.lastBoxed(in: "\\boxed{1} then \\boxed{\\frac{2}{3}}") == "\\frac{2}{3}")
        #expect(BoxedChecker.lastBoxed(in: "\\boxed 7$") == "7")
        #expect(BoxedChecker.lastBoxed(in: "\\boxed{unclosed") == nil)
    }

    @Test("checkers by name")
    func names() throws {
        for name in ["final-number", "exact", "exact-ci", "choice", "boxed", "regex:([0-9]+)"] {
            #expect(try CheckerChoice.parse(name).name == name)
        }
        #expect(throws: LoadTestingError.self) { try CheckerChoice.parse("bogus") }
    }
}

@Suite("code checker: candidates run against tests in a limited subprocess", .timeLimit(.minutes(2)))
struct CodeCheckerTests {
    static let problem = Problem(
        id: "HumanEval/x",
        prompt: "from typing import List\n\ndef add(xs: List[int]) -> int:\n    \"\"\"Sum of xs.\"\"\"\n",
        answer: "",
        test: "def check(candidate):\n    assert candidate([1, 2, 3]) == 6\n    assert candidate([]) == 0\n",
        entryPoint: "add"
    )
    let checker = CodeChecker(timeoutSeconds: 3, memoryBytes: 256 << 20)

    @Test("completion style, a fenced chat answer, a wrong answer, an early exit(0)")
    func verdicts() async throws {
        try #require(checker.interpreterPath() != nil, "python3 is needed for the code checker")
        #expect(await checker.run(response: "    return sum(xs)\n", problem: Self.problem) == .passed)
        let chat = "Here you go:\n```python\ndef add(xs: List[int]) -> int:\n    return sum(xs)\n```\nDone."
        #expect(await checker.run(response: chat, problem: Self.problem) == .passed)
        #expect(await checker.run(response: "    return 0\n", problem: Self.problem) == .failed)
        #expect(
            await checker.run(response: "    return sum(xs)\nimport sys\nsys.exit(0)\n", problem: Self.problem)
                == .failed
        )
        #expect(await checker.run(response: "    retur n\n", problem: Self.problem) == .failed)
        let verdict = await checker.check("    return sum(xs)\n", problem: Self.problem)
        #expect(verdict == AnswerCheck(correct: true, extracted: "passed"))
    }

    @Test("an endless loop times out; a memory hog, the network and subprocesses fail")
    func limits() async throws {
        try #require(checker.interpreterPath() != nil, "python3 is needed for the code checker")
        let start = Date()
        #expect(await checker.run(response: "    while True: pass\n", problem: Self.problem) == .timeout)
        #expect(Date().timeIntervalSince(start) < 10)
        let hog = "    x = bytearray(2 * 1024 * 1024 * 1024)\n    return sum(xs)\n"
        #expect(await checker.run(response: hog, problem: Self.problem) == .failed)
        let network =
            "    import urllib.request\n    urllib.request.urlopen('http://127.0.0.1:9', timeout=1)\n    return sum(xs)\n"
        #expect(await checker.run(response: network, problem: Self.problem) == .failed)
        let shell = "    import subprocess\n    subprocess.run(['true'])\n    return sum(xs)\n"
        #expect(await checker.run(response: shell, problem: Self.problem) == .failed)
        let os = "    import os\n    os.system('true')\n    return sum(xs)\n"
        #expect(await checker.run(response: os, problem: Self.problem) == .failed)
    }

    @Test("MBPP-style problems: assert lines, no entry point")
    func mbpp() async throws {
        try #require(checker.interpreterPath() != nil, "python3 is needed for the code checker")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("t2-mbpp-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        {"task_id": 2, "text": "Write a function to double a number.", "test_list": ["assert double(2) == 4", "assert double(0) == 0"]}
        {"task_id": "HumanEval/1", "prompt": "def f():\\n", "test": "def check(c):\\n    assert c() == 1\\n", "entry_point": "f"}
        """.write(to: dir, atomically: true, encoding: .utf8)
        let problems = try ProblemSet.load(jsonl: dir.path)
        #expect(problems.map(\.id) == ["2", "HumanEval/1"])
        #expect(problems[0].prompt.contains("assert double(2) == 4"))
        #expect(
            await checker.run(response: "```python\ndef double(x):\n    return 2 * x\n```", problem: problems[0])
                == .passed
        )
        #expect(await checker.run(response: "def double(x):\n    return x\n", problem: problems[0]) == .failed)
        #expect(await checker.run(response: "    return 1\n", problem: problems[1]) == .passed)
    }
}
