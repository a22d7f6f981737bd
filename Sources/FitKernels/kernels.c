// Vector kernels for the fits; see include/FitKernels.h.
//
// exp and log are the same branch-free polynomial evaluations as Optimization.SIMDMath
// (Cody–Waite reduction, Taylor series to r¹³/13! for exp; atanh series to f²¹ for log; < 2 ulp
// on the normal range), the polynomials evaluated by Estrin's scheme rather than Horner's written with clang vector extensions. The kernel body is compiled twice:
// once for the baseline target and, on x86-64, once with AVX2 + FMA, picked at run time.
#include "FitKernels.h"

#include <stdint.h>

// The 4-wide helpers are always inlined, so the AVX argument-passing ABI never applies.
#pragma clang diagnostic ignored "-Wpsabi"

typedef double v4 __attribute__((ext_vector_type(4)));
typedef int64_t v4i __attribute__((ext_vector_type(4)));
typedef uint64_t v4u __attribute__((ext_vector_type(4)));

#define INLINE static inline __attribute__((always_inline))

INLINE v4 select4(v4i mask, v4 a, v4 b) { return (v4)(((v4i)a & mask) | ((v4i)b & ~mask)); }

INLINE v4 exp4(v4 x) {
    const double log2e = 1.4426950408889634, ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10;
    const double shifter = 6755399441055744.0 + 1023;  // 1.5·2⁵² + bias: k lands in the low mantissa bits
    v4 shifted = x * log2e + shifter;
    v4 k = shifted - shifter;
    v4 r = x - k * ln2Hi - k * ln2Lo;
    // Σ r^j/j!, j ≤ 13, by Estrin's scheme: a dependency chain of ~5 multiply-adds instead of
    // Horner's 13, so the out-of-order core overlaps the two exps and the log of a block.
    v4 r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    v4 q0 = 1.0 + r;
    v4 q1 = 1.0 / 2 + r * (1.0 / 6);
    v4 q2 = 1.0 / 24 + r * (1.0 / 120);
    v4 q3 = 1.0 / 720 + r * (1.0 / 5040);
    v4 q4 = 1.0 / 40320 + r * (1.0 / 362880);
    v4 q5 = 1.0 / 3628800 + r * (1.0 / 39916800);
    v4 q6 = 1.0 / 479001600 + r * (1.0 / 6227020800.0);
    v4 s0 = q0 + q1 * r2, s1 = q2 + q3 * r2, s2 = q4 + q5 * r2;
    v4 u0 = s0 + s1 * r4, u1 = s2 + q6 * r4;
    v4 p = u0 + u1 * r8;
    v4 scale = (v4)(((v4i)shifted) << 52);
    return p * scale;
}

INLINE v4 log4(v4 x) {
    const double ln2 = 0.6931471805599453, twoTo52 = 4503599627370496.0;
    v4u bits = (v4u)x;
    v4 exponent = (v4)((bits >> 52) | 0x4330000000000000ULL) - (twoTo52 + 1023);
    v4 m = (v4)((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    v4i big = (v4i)(m > 1.4142135623730951);
    m = select4(big, m * 0.5, m);
    exponent = select4(big, exponent + 1.0, exponent);
    v4 f = (m - 1.0) / (m + 1.0);
    v4 f2 = f * f;
    // Σ f2^j/(2j+1), j ≤ 10, by Estrin's scheme (see exp4).
    v4 x2 = f2 * f2, x4 = x2 * x2, x8 = x4 * x4;
    v4 q0 = 1.0 + f2 * (1.0 / 3), q1 = 1.0 / 5 + f2 * (1.0 / 7), q2 = 1.0 / 9 + f2 * (1.0 / 11);
    v4 q3 = 1.0 / 13 + f2 * (1.0 / 15), q4 = 1.0 / 17 + f2 * (1.0 / 19);
    v4 s0 = q0 + q1 * x2, s1 = q2 + q3 * x2, s2 = q4 + x2 * (1.0 / 21);
    v4 s = (s0 + s1 * x4) + s2 * x8;
    return exponent * ln2 + 2.0 * f * s;
}

INLINE v4 load4(const double *p) {
    v4 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

INLINE double sum4(v4 v) { return (v.x + v.y) + (v.z + v.w); }

INLINE int chinchilla_body(const double *lnN, const double *lnD, const double *lnL, const double *weight,
                           size_t count, const double *theta, double delta, double *gradient, double *value) {
    const double a = theta[0], b = theta[1], e = theta[2], alpha = theta[3], beta = theta[4];
    if (!(e >= -700 && e <= 700)) return 1;
    const double bigE = __builtin_exp(e);
    v4 sum = 0, ga = 0, gb = 0, ge = 0, galpha = 0, gbeta = 0;
    v4i outside = 0;
    _Pragma("clang loop unroll_count(2)")
    for (size_t i = 0; i < count; i += 4) {
        v4 n = load4(lnN + i), d = load4(lnD + i), l = load4(lnL + i), w = load4(weight + i);
        v4 u1 = a - alpha * n;
        v4 u2 = b - beta * d;
        outside |= (v4i)(u1 < -700.0) | (v4i)(u1 > 700.0) | (v4i)(u2 < -700.0) | (v4i)(u2 > 700.0)
                 | (v4i)(u1 != u1) | (v4i)(u2 != u2);
        v4 t1 = exp4(u1), t2 = exp4(u2);
        v4 s = t1 + t2 + bigE;
        v4 r = log4(s) - l;
        v4 absR = (v4)((v4i)r & 0x7fffffffffffffffLL);
        v4i inside = (v4i)(absR <= delta);
        v4 huber = select4(inside, 0.5 * r * r, delta * (absR - 0.5 * delta));
        v4 psi = select4((v4i)(r > delta), (v4)delta, r);
        psi = select4((v4i)(r < -delta), (v4)(-delta), psi);
        sum += w * huber;
        v4 q = w * psi / s;
        v4 q1 = q * t1, q2 = q * t2;
        ga += q1;
        galpha -= q1 * n;
        gb += q2;
        gbeta -= q2 * d;
        ge += q * bigE;
    }
    if (outside.x | outside.y | outside.z | outside.w) return 1;
    gradient[0] = sum4(ga);
    gradient[1] = sum4(gb);
    gradient[2] = sum4(ge);
    gradient[3] = sum4(galpha);
    gradient[4] = sum4(gbeta);
    *value = sum4(sum);
    return 0;
}

int t2_chinchilla_huber_portable(const double *lnN, const double *lnD, const double *lnL, const double *weight,
                               size_t count, const double *theta, double delta, double *gradient, double *value) {
    return chinchilla_body(lnN, lnD, lnL, weight, count, theta, delta, gradient, value);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static int chinchilla_avx2(const double *lnN, const double *lnD, const double *lnL, const double *weight,
                           size_t count, const double *theta, double delta, double *gradient, double *value) {
    return chinchilla_body(lnN, lnD, lnL, weight, count, theta, delta, gradient, value);
}

static int has_avx2_fma(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif

int t2_chinchilla_huber(const double *lnN, const double *lnD, const double *lnL, const double *weight,
                        size_t count, const double *theta, double delta, double *gradient, double *value) {
#if defined(__x86_64__)
    if (has_avx2_fma()) return chinchilla_avx2(lnN, lnD, lnL, weight, count, theta, delta, gradient, value);
#endif
    return t2_chinchilla_huber_portable(lnN, lnD, lnL, weight, count, theta, delta, gradient, value);
}

int t2_fit_kernels_isa(void) {
#if defined(__x86_64__)
    if (has_avx2_fma()) return 2;
#endif
    return 1;
}
