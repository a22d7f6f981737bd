import Foundation
import Optimization
import RealModule
import Testing

@Suite("log-Pochhammer D(x, k) = ln Γ(x+k) − ln Γ(x) and ψ(x+k) − ψ(x)")
struct LogPochhammerTests {
    /// (x, k, D(x, k), ψ(x + k) − ψ(x)) to 20 digits from mpmath at 60 digits
    /// (`mp.loggamma(x+k) - mp.loggamma(x)`, `mp.digamma(x+k) - mp.digamma(x)`).
    static let reference: [(Double, Double, Double, Double)] = [
        (0.5, 3.0, 0.62860865942237413774, 3.0666666666666666667),
        (2.5, 100.0, 370.38107412328567486, 3.921820177441589403),
        (0.03, 1000000.0, 12815501.493641870406, 47.677764508582970391),
        (7.25, 0.5, 0.97327294557744442627, 0.07133803581060956885),
        (99.5, 10000.0, 82659.799408963968885, 4.625067587109530695),
        (100.0, 1.0, 4.605170185988091368, 0.01),
        (1000.0, 0.5, 3.4537526394962768578, 0.00050012499998437500781),
        (50000.0, 1.0, 10.819778284410283111, 0.00002),
        (99999.0, 100.0, 1151.341030577362276, 0.0009995153183148632753),
        (100001.0, 100.0, 1151.3430295880185529, 0.00099949533809517986177),
        (1000000.0, 3000000.0, 43991708.425225141728, 1.3862947361199687438),
        (100000000.0, 10000.0, 184207.30737286032109, 0.000099995000833258341999),
        (3700000000000.0, 10000.0, 289393.53936929943184, 2.7027026990507669898e-9),
        (2.6e+20, 100.0, 4700.7213304908350042, 3.8461538461538461531e-19),
        (1e+20, 0.001, 0.046051701859880914639, 1.0000000000000000208e-23),
        (1e+40, 1000000.0, 92103403.719761827391, 9.9999999999999996962e-35),
        // Either side of the two-term branch at x = 1e8·k^1.5.
        (100000000000.0, 100.0, 2532.8436023429502524, 9.9999999950500000033e-10),
        (99990000000.0, 100.0, 2532.8336018429218671, 1.0001000095059010855e-9),
        (1e+17, 1000000.0, 39143946.580903776623, 9.99999999995000005e-12),
        (200000000.0, 1.0, 19.113827924512310782, 5.0e-9),
        (3000000000000.0, 2.5, 71.824083511492269749, 8.33333333333125e-13),
    ]

    @Test("matches mpmath from x = 0.03 to 1e40 (relative error 1e-13 in the Stirling range, 1e-11 below)")
    func mpmathValues() {
        for (x, k, d, psi) in Self.reference {
            let tolerance = x >= 100 ? 1e-13 : 1e-11
            let dErr = abs(Special.logPochhammer(x, k) - d) / abs(d)
            let pErr = abs(Special.digammaDifference(x, k) - psi) / abs(psi)
            let known = abs(Special.logPochhammer(x, k, logX: Foundation.log(x)) - d) / abs(d)
            #expect(dErr < tolerance, "D(\(x), \(k)): relative error \(dErr)")
            #expect(known < tolerance, "D(\(x), \(k), logX:): relative error \(known)")
            #expect(pErr < tolerance, "ψ(\(x)+\(k)) − ψ(\(x)): relative error \(pErr)")
        }
    }

    /// (x, k, ψ′(x + k) − ψ′(x)) to 20 digits from mpmath at 60 digits
    /// (`mp.polygamma(1, x+k) - mp.polygamma(1, x)`), at the points above and three tiny x.
    static let trigammaReference: [(Double, Double, Double)] = [
        (0.5, 3.0, -4.6044444444444444444),
        (2.5, 100.0, -0.48055391305582711216),
        (0.03, 1000000.0, -1112.6867350264791306),
        (7.25, 0.5, -0.010165441711276509107),
        (99.5, 10000.0, -0.010001904515057115919),
        (100.0, 1.0, -0.0001),
        (1000.0, 0.5, -5.0024999993750004687e-7),
        (50000.0, 1.0, -4.0e-10),
        (99999.0, 100.0, -9.9903095470963822457e-9),
        (100001.0, 100.0, -9.9899101403092413745e-9),
        (1000000.0, 3000000.0, -7.500004687501640625e-7),
        (100000000.0, 10000.0, -9.9990001999750034996e-13),
        (3700000000000.0, 10000.0, -7.304601879456300766e-22),
        (2.6e+20, 100.0, -1.4792899408284023663e-39),
        (1e+20, 0.001, -1.0000000000000000208e-43),
        (1e+40, 1000000.0, -9.9999999999999993924e-75),
        (100000000000.0, 100.0, -9.9999999901000000099e-21),
        (99990000000.0, 100.0, -1.0002000290137034416e-20),
        (1e+17, 1000000.0, -9.9999999999000001e-29),
        (200000000.0, 1.0, -2.5e-17),
        (3000000000000.0, 2.5, -2.7777777777763888889e-25),
        (1e-09, 5.0, -999999999999999876.86),
        (1e-09, 1000.0, -999999999999999877.08),
        (2e-09, 37.0, -249999999999999970.48),
    ]

    @Test("ψ′(x + k) − ψ′(x) matches mpmath from x = 1e-9 to 1e40 (relative error 1e-12)")
    func trigammaValues() {
        for (x, k, expected) in Self.trigammaReference {
            let err = abs(Special.trigammaDifference(x, k) - expected) / abs(expected)
            #expect(err < 1e-12, "ψ′(\(x)+\(k)) − ψ′(\(x)): \(Special.trigammaDifference(x, k)), relative error \(err)")
        }
        for k in [0.5, 3.0, 250.0, 17.0] {
            let below = Special.trigammaDifference(100.0.nextDown, k)
            let above = Special.trigammaDifference(100, k)
            #expect(abs(below - above) < 1e-11 * abs(above), "k = \(k): \(below) below 100, \(above) at 100")
        }
        #expect(Special.trigammaDifference(3, 0) == 0)
    }

    @Test("continuous across the Stirling threshold and zero at k = 0")
    func threshold() {
        for k in [0.5, 3.0, 250.0] {
            let below = Special.logPochhammer(100.0.nextDown, k)
            let above = Special.logPochhammer(100, k)
            #expect(abs(below - above) < 1e-12 * abs(above))
            let pb = Special.digammaDifference(100.0.nextDown, k)
            let pa = Special.digammaDifference(100, k)
            #expect(abs(pb - pa) < 1e-11 * abs(pa))
        }
        #expect(Special.logPochhammer(1e30, 0) == 0 && Special.digammaDifference(3, 0) == 0)
    }

    @Test("where plain log-gamma differences break, D stays exact")
    func hugeArguments() {
        // ln Γ(2.6e20 + 100) − ln Γ(2.6e20): both terms are ~1.2e22, whose ulp is ~2e6.
        let naive = Double.logGamma(2.6e20 + 100) - Double.logGamma(2.6e20)
        #expect(abs(naive - 4700.72) > 1)
        #expect(abs(Special.logPochhammer(2.6e20, 100) - 4700.7213304908350042) < 1e-9)
    }
}
