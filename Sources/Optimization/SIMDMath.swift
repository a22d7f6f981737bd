/// Vectorised exp and log for four doubles at a time, used in the inner loops of the fits.
///
/// Both are branch-free polynomial evaluations (Cody–Waite range reduction, then a Taylor/atanh
/// series carried far enough for < 2 ulp on the reduced range), so the compiler keeps them in
/// vector registers. Arguments must be in the normal range: exp for x ∈ [−708, 709], log for
/// x ∈ [2.3e−308, 1.8e308]. Callers check the range and fall back to the scalar functions
/// otherwise (see ``SIMDMath/inFastRange(exp:)``). Accuracy is tested against the C library.
public enum SIMDMath {
    public typealias Vector = SIMD4<Double>

    @usableFromInline static let log2e = 1.4426950408889634
    @usableFromInline static let ln2Hi = 6.93147180369123816490e-01
    @usableFromInline static let ln2Lo = 1.90821492927058770002e-10
    @usableFromInline static let ln2 = 0.6931471805599453
    /// 1.5·2⁵² + 1023: the rounding shifter with the exponent bias folded in.
    @usableFromInline static let shifter = 6_755_399_441_055_744.0 + 1023
    /// 2⁵², to read an integer out of the low mantissa bits.
    @usableFromInline static let twoTo52 = 4_503_599_627_370_496.0

    /// eˣ for x ∈ [−708, 709] in each lane, < 2 ulp.
    ///
    /// x = k·ln 2 + r with |r| ≤ ln2/2; e^r by its Taylor series to r¹³/13! (truncation
    /// < 2e−17 relative); 2^k built in the exponent bits.
    @inlinable @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        // Adding 1.5·2⁵² rounds x·log₂e to an integer held in the low mantissa bits (and keeps
        // the bias 1023 there too), so k and 2^k need no int/float conversion.
        let shifted = x * log2e + shifter
        let k = shifted - shifter
        let r = x - k * ln2Hi - k * ln2Lo
        var p = Vector(repeating: 1.0 / 6_227_020_800.0)
        p = p * r + 1.0 / 479_001_600.0
        p = p * r + 1.0 / 39_916_800.0
        p = p * r + 1.0 / 3_628_800.0
        p = p * r + 1.0 / 362_880.0
        p = p * r + 1.0 / 40_320.0
        p = p * r + 1.0 / 5_040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        let bits = unsafeBitCast(shifted, to: SIMD4<UInt64>.self) &<< 52
        return p * unsafeBitCast(bits, to: Vector.self)
    }

    /// ln x for normal positive x in each lane, < 2 ulp.
    ///
    /// x = m·2^e with m ∈ [√½, √2); ln m = 2·atanh(f), f = (m − 1)/(m + 1), |f| ≤ 0.1716, by its
    /// series to f²¹ (truncation < 1e−17).
    @inlinable @inline(__always)
    public static func log(_ x: Vector) -> Vector {
        let bits = unsafeBitCast(x, to: SIMD4<UInt64>.self)
        // The biased exponent as a double, without an int→double conversion.
        var exponent = unsafeBitCast((bits &>> 52) | 0x4330_0000_0000_0000, to: Vector.self) - (twoTo52 + 1023)
        var m = unsafeBitCast((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000, to: Vector.self)
        let big = m .> 1.4142135623730951
        m.replace(with: m * 0.5, where: big)
        exponent.replace(with: exponent + 1, where: big)
        let f = (m - 1) / (m + 1)
        let f2 = f * f
        var s = Vector(repeating: 1.0 / 21)
        s = s * f2 + 1.0 / 19
        s = s * f2 + 1.0 / 17
        s = s * f2 + 1.0 / 15
        s = s * f2 + 1.0 / 13
        s = s * f2 + 1.0 / 11
        s = s * f2 + 1.0 / 9
        s = s * f2 + 1.0 / 7
        s = s * f2 + 1.0 / 5
        s = s * f2 + 1.0 / 3
        s = s * f2 + 1
        return exponent * ln2 + 2 * f * s
    }

    /// Whether every lane of `x` is inside the domain of ``exp(_:)`` with margin.
    @inlinable @inline(__always)
    public static func inFastRange(exp x: Vector) -> Bool {
        let inside = (x .>= -700) .& (x .<= 700)
        return all(inside)
    }
}
