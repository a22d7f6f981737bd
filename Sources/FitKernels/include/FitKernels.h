// FitKernels: the vector inner loops of the fits, in C so that one binary can carry an
// AVX2 + FMA version beside the portable one and choose at run time (Swift has no per-function
// target attributes). See ChinchillaHuberObjective in ScalingLaws for the formulas.
#ifndef T2_FIT_KERNELS_H
#define T2_FIT_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The Chinchilla Huber objective and its gradient, Σᵢ wᵢ·Huber_δ(ln(e^{a−α·lnNᵢ} + e^{b−β·lnDᵢ} + e^{e}) − lnLᵢ),
/// over `count` points (a multiple of 4; padding points have weight 0).
///
/// theta = (a, b, e, α, β); gradient receives ∂/∂θ (5 values).
/// Returns 0 on success, or 1 without writing anything when some exponent argument leaves
/// [−700, 700] (the caller then uses its max-shifted scalar path).
int t2_chinchilla_huber(const double *lnN, const double *lnD, const double *lnL, const double *weight,
                        size_t count, const double *theta, double delta, double *gradient, double *value);

/// The portable build of the same kernel, whatever the CPU (for tests and comparisons).
int t2_chinchilla_huber_portable(const double *lnN, const double *lnD, const double *lnL, const double *weight,
                                 size_t count, const double *theta, double delta, double *gradient, double *value);

/// Which implementation t2_chinchilla_huber runs on this CPU: 2 = AVX2 + FMA, 1 = portable vector code.
int t2_fit_kernels_isa(void);

#ifdef __cplusplus
}
#endif

#endif
