import RealModule

/// A small, fast, seedable random number generator: xoshiro256** (Blackman & Vigna 2018), seeded
/// through SplitMix64 so that any 64-bit seed gives a well-mixed state.
///
/// Every random algorithm in t2 takes a generator of this kind (or any `RandomNumberGenerator`),
/// and the CLI exposes `--seed`, so results are reproducible bit for bit.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var z = seed
        func splitMix(_ z: inout UInt64) -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var r = z
            r = (r ^ (r >> 30)) &* 0xBF58_476D_1CE4_E5B9
            r = (r ^ (r >> 27)) &* 0x94D0_49BB_1331_11EB
            return r ^ (r >> 31)
        }
        state = (splitMix(&z), splitMix(&z), splitMix(&z), splitMix(&z))
    }

    /// A generator for the `index`-th independent stream derived from `seed` (for parallel work
    /// whose result must not depend on scheduling).
    public init(seed: UInt64, stream index: Int) {
        self.init(seed: seed &+ 0x632B_E59B_D9B4_E019 &* UInt64(truncatingIfNeeded: index + 1))
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public static func == (lhs: SeededGenerator, rhs: SeededGenerator) -> Bool {
        lhs.state == rhs.state
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal deviate (Box–Muller; one of the pair is discarded for simplicity).
    public mutating func nextNormal() -> Double {
        var u = nextUniform()
        while u <= .leastNonzeroMagnitude { u = nextUniform() }
        let v = nextUniform()
        return (-2 * _log(u)).squareRoot() * _cos(2 * .pi * v)
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { Double.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Double.cos(x) }

extension SeededGenerator: CustomStringConvertible {
    public var description: String { "SeededGenerator" }
}
