import Foundation
import Optimization
import Testing

@Suite("SIMD exp and log")
struct SIMDMathTests {
    /// Relative error in ulps of `value` against `reference`.
    func ulps(_ value: Double, _ reference: Double) -> Double {
        abs(value - reference) / reference.ulp
    }

    @Test("exp is within 2 ulp of the C library over [−700, 700]")
    func expAccuracy() {
        var rng = SeededGenerator(seed: 1)
        var worst = 0.0
        for _ in 0..<50_000 {
            let x = SIMD4<Double>(
                rng.nextUniform() * 1400 - 700,
                rng.nextUniform() * 20 - 10,
                rng.nextUniform() - 0.5,
                rng.nextUniform() * 1e-6
            )
            let y = SIMDMath.exp(x)
            for lane in 0..<4 { worst = max(worst, ulps(y[lane], Foundation.exp(x[lane]))) }
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(SIMDMath.exp(SIMD4(repeating: 0)) == SIMD4(repeating: 1))
    }

    @Test("log is within 2 ulp of the C library from 1e−300 to 1e300")
    func logAccuracy() {
        var rng = SeededGenerator(seed: 2)
        var worst = 0.0
        for _ in 0..<50_000 {
            let x = SIMD4<Double>(
                Foundation.exp(rng.nextUniform() * 1380 - 690),
                1 + rng.nextUniform() * 1e-8,
                rng.nextUniform() * 3,
                Foundation.exp(rng.nextUniform() * 40 - 20)
            )
            let y = SIMDMath.log(x)
            for lane in 0..<4 {
                let reference = Foundation.log(x[lane])
                // Near x = 1 the result is tiny; measure against the absolute scale of ln 2 there.
                let error = abs(reference) < 1e-3 ? abs(y[lane] - reference) / (1e-3).ulp : ulps(y[lane], reference)
                worst = max(worst, error)
            }
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(SIMDMath.log(SIMD4(repeating: 1)) == SIMD4(repeating: 0))
    }

    @Test("the fast-range check rejects extreme arguments")
    func range() {
        #expect(SIMDMath.inFastRange(exp: SIMD4(0, 1, -700, 700)))
        #expect(!SIMDMath.inFastRange(exp: SIMD4(0, 1, -701, 2)))
        #expect(!SIMDMath.inFastRange(exp: SIMD4(0, .nan, 0, 0)))
    }
}
