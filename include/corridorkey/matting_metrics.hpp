// Matting errors as the matting literature defines them (Rhemann et al., "A perceptually
// motivated online benchmark for image matting", CVPR 2009; Erofeev et al., "Perceptually
// motivated benchmark for video matting", BMVC 2015), over the whole frame (no trimap).
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include "corridorkey/image.hpp"
#include "corridorkey/status.hpp"

namespace ck {

struct MattingErrors {
  double sad = 0;           // sum of |alpha - truth|, in thousands
  double mse = 0;           // mean of (alpha - truth)^2
  double gradient = 0;      // sum of (|grad alpha| - |grad truth|)^2 (Gaussian derivatives, sigma 1.4), in thousands
  double connectivity = 0;  // connectivity error (thresholds every 0.1, theta 0.15), in thousands
  double fg_mse = -1;       // mean squared foreground error where truth alpha > 0 (-1: no foreground given)
};

// `alpha` against `truth` (1 channel each, the same size); `fg` and `truth_fg` (3 channels,
// sRGB-encoded straight colour) are compared when both are given.
Result<MattingErrors> matting_errors(const Image& alpha, const Image& truth, const Image* fg = nullptr,
                                     const Image* truth_fg = nullptr);

// One frame's term of dtSSD: sqrt(mean(((a_t - a_t-1) - (g_t - g_t-1))^2)); the sequence's
// dtSSD is the mean of these over its frames after the first.
Result<double> dtssd_term(const Image& alpha, const Image& previous_alpha, const Image& truth, const Image& previous_truth);

}  // namespace ck

#pragma GCC visibility pop
