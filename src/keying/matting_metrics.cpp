// Matting errors over whole frames. Gradient and connectivity follow the definitions of the
// alphamatting.com benchmark as the deep-matting evaluation scripts implement them.
#include "corridorkey/matting_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ck {

namespace {

Status check_pair(const Image& a, const Image& b, int channels, const char* what) {
  if (a.channels != channels || b.channels != channels) {
    return err(ErrorCode::kInvalidArgument, what, " must have ", channels, " channel(s), not ", a.channels, " and ", b.channels);
  }
  if (a.width != b.width || a.height != b.height) {
    return err(ErrorCode::kInvalidArgument, what, " sizes differ: ", a.width, "x", a.height, " and ", b.width, "x", b.height);
  }
  if (a.pixels.size() != static_cast<size_t>(a.width) * a.height * channels || b.pixels.size() != a.pixels.size()) {
    return err(ErrorCode::kInvalidArgument, what, ": pixel count does not match the size");
  }
  return ok_status();
}

// |grad| by first derivatives of a Gaussian (sigma 1.4), each 2-D filter scaled to unit norm.
std::vector<double> gradient_magnitude(const std::vector<float>& a, int w, int h) {
  const double sigma = 1.4;
  const int r = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> g(static_cast<size_t>(2 * r + 1)), dg(g.size());
  for (int i = -r; i <= r; ++i) {
    g[static_cast<size_t>(i + r)] = std::exp(-i * i / (2 * sigma * sigma)) / (std::sqrt(2 * M_PI) * sigma);
    dg[static_cast<size_t>(i + r)] = -i * g[static_cast<size_t>(i + r)] / (sigma * sigma);
  }
  double norm = 0;
  for (double gy : g) {
    for (double dx : dg) norm += (gy * dx) * (gy * dx);
  }
  norm = std::sqrt(norm);
  auto at = [&](int x, int y) {
    return static_cast<double>(a[static_cast<size_t>(std::clamp(y, 0, h - 1)) * w + std::clamp(x, 0, w - 1)]);
  };
  // Separable: smooth along one axis, differentiate along the other.
  std::vector<double> sx(a.size()), sy(a.size()), out(a.size());
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double smooth_y = 0, smooth_x = 0;
      for (int k = -r; k <= r; ++k) {
        smooth_y += g[static_cast<size_t>(k + r)] * at(x, y + k);
        smooth_x += g[static_cast<size_t>(k + r)] * at(x + k, y);
      }
      sy[static_cast<size_t>(y) * w + x] = smooth_y;
      sx[static_cast<size_t>(y) * w + x] = smooth_x;
    }
  }
  auto get = [&](const std::vector<double>& m, int x, int y) {
    return m[static_cast<size_t>(std::clamp(y, 0, h - 1)) * w + std::clamp(x, 0, w - 1)];
  };
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double gx = 0, gy = 0;
      for (int k = -r; k <= r; ++k) {
        gx += dg[static_cast<size_t>(k + r)] * get(sy, x + k, y);
        gy += dg[static_cast<size_t>(k + r)] * get(sx, x, y + k);
      }
      out[static_cast<size_t>(y) * w + x] = std::sqrt(gx * gx + gy * gy) / norm;
    }
  }
  return out;
}

// The largest 4-connected component of `mask`.
std::vector<bool> largest_component(const std::vector<bool>& mask, int w, int h) {
  std::vector<int> label(mask.size(), -1);
  std::vector<size_t> sizes, stack;
  for (size_t start = 0; start < mask.size(); ++start) {
    if (!mask[start] || label[start] >= 0) continue;
    const int id = static_cast<int>(sizes.size());
    size_t count = 0;
    stack.assign(1, start);
    label[start] = id;
    while (!stack.empty()) {
      const size_t i = stack.back();
      stack.pop_back();
      ++count;
      const int x = static_cast<int>(i % static_cast<size_t>(w)), y = static_cast<int>(i / static_cast<size_t>(w));
      const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
      for (int k = 0; k < 4; ++k) {
        if (nx[k] < 0 || nx[k] >= w || ny[k] < 0 || ny[k] >= h) continue;
        const size_t j = static_cast<size_t>(ny[k]) * w + nx[k];
        if (mask[j] && label[j] < 0) {
          label[j] = id;
          stack.push_back(j);
        }
      }
    }
    sizes.push_back(count);
  }
  std::vector<bool> out(mask.size(), false);
  if (sizes.empty()) return out;
  const int best = static_cast<int>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
  for (size_t i = 0; i < mask.size(); ++i) out[i] = label[i] == best;
  return out;
}

double connectivity_error(const std::vector<float>& a, const std::vector<float>& t, int w, int h) {
  const double step = 0.1, theta = 0.15;
  std::vector<double> level(a.size(), -1.0);
  for (int s = 1; s <= 10; ++s) {
    const double threshold = s * step;
    std::vector<bool> both(a.size());
    for (size_t i = 0; i < a.size(); ++i) both[i] = a[i] >= threshold && t[i] >= threshold;
    const std::vector<bool> omega = largest_component(both, w, h);
    for (size_t i = 0; i < a.size(); ++i) {
      if (level[i] < 0 && !omega[i]) level[i] = (s - 1) * step;
    }
  }
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double l = level[i] < 0 ? 1.0 : level[i];
    const double da = a[i] - l, dt = t[i] - l;
    const double phi_a = 1 - (da >= theta ? da : 0), phi_t = 1 - (dt >= theta ? dt : 0);
    sum += std::abs(phi_a - phi_t);
  }
  return sum / 1000.0;
}

}  // namespace

Result<MattingErrors> matting_errors(const Image& alpha, const Image& truth, const Image* fg, const Image* truth_fg) {
  CK_TRY(check_pair(alpha, truth, 1, "alpha and truth"));
  const int w = alpha.width, h = alpha.height;
  MattingErrors e;
  double sad = 0, sse = 0;
  for (size_t i = 0; i < alpha.pixels.size(); ++i) {
    const double d = static_cast<double>(alpha.pixels[i]) - truth.pixels[i];
    sad += std::abs(d);
    sse += d * d;
  }
  e.sad = sad / 1000.0;
  e.mse = sse / static_cast<double>(std::max<size_t>(alpha.pixels.size(), 1));
  const std::vector<double> ga = gradient_magnitude(alpha.pixels, w, h), gt = gradient_magnitude(truth.pixels, w, h);
  double grad = 0;
  for (size_t i = 0; i < ga.size(); ++i) grad += (ga[i] - gt[i]) * (ga[i] - gt[i]);
  e.gradient = grad / 1000.0;
  e.connectivity = connectivity_error(alpha.pixels, truth.pixels, w, h);
  if (fg != nullptr && truth_fg != nullptr) {
    CK_TRY(check_pair(*fg, *truth_fg, 3, "foreground and truth foreground"));
    if (fg->width != w || fg->height != h) return err(ErrorCode::kInvalidArgument, "foreground and alpha sizes differ");
    double fse = 0;
    size_t count = 0;
    for (size_t i = 0; i < truth.pixels.size(); ++i) {
      if (truth.pixels[i] <= 0) continue;
      for (int c = 0; c < 3; ++c) {
        const double d = static_cast<double>(fg->pixels[i * 3 + static_cast<size_t>(c)]) - truth_fg->pixels[i * 3 + static_cast<size_t>(c)];
        fse += d * d;
      }
      count += 3;
    }
    e.fg_mse = count ? fse / static_cast<double>(count) : 0.0;
  }
  return e;
}

Result<double> dtssd_term(const Image& alpha, const Image& previous_alpha, const Image& truth, const Image& previous_truth) {
  CK_TRY(check_pair(alpha, truth, 1, "alpha and truth"));
  CK_TRY(check_pair(previous_alpha, previous_truth, 1, "previous alpha and truth"));
  CK_TRY(check_pair(alpha, previous_alpha, 1, "alpha and previous alpha"));
  double sum = 0;
  for (size_t i = 0; i < alpha.pixels.size(); ++i) {
    const double d = (static_cast<double>(alpha.pixels[i]) - previous_alpha.pixels[i]) -
                     (static_cast<double>(truth.pixels[i]) - previous_truth.pixels[i]);
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(std::max<size_t>(alpha.pixels.size(), 1)));
}

}  // namespace ck
