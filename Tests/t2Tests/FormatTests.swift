import Testing

@testable import t2

@Suite("number formatting in tables")
struct FormatTests {
    @Test(
        "counts carry three significant digits and step up a unit when rounding reaches 1000",
        arguments: [
            (999_999.9, "1.00M"), (999.96, "1.00K"), (27.04e6, "27.0M"), (1.5e12, "1.50T"), (0.5, "0.500"),
            (-2.345e9, "-2.35B"),
        ]
    )
    func count(value: Double, expected: String) {
        #expect(Format.count(value) == expected)
    }
}
