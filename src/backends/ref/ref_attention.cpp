// Reference Hiera mask-unit attention: gathers each window's tokens, materialises the score
// matrix and softmaxes it in double. Quadratic memory per window, which is fine for an oracle.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/ref/ref_backend.hpp"

namespace ck::ref {

Status ReferenceBackend::do_attention(const Tensor& qkv, const AttentionParams& p, Tensor& out) {
  const int64_t dim = static_cast<int64_t>(p.heads) * p.head_dim;
  const int64_t row = 3 * dim;
  Tensor rounded;  // bf16: keys and values rounded (queries are rounded after pooling and scaling)
  if (p.bf16) {
    CK_ASSIGN(rounded, qkv.clone());
    float* v = rounded.data<float>();
    for (int64_t t = 0; t < qkv.size(0); ++t) {
      for (int64_t c = dim; c < row; ++c) v[t * row + c] = bf16_to_f32(f32_to_bf16(v[t * row + c]));
    }
  }
  const float* src = p.bf16 ? rounded.data<float>() : qkv.data<float>();
  const int out_w = p.q_pool ? p.grid_w / 2 : p.grid_w;
  const int qwin_h = p.q_pool ? p.window_h / 2 : p.window_h;
  const int qwin_w = p.q_pool ? p.window_w / 2 : p.window_w;
  const int64_t nk = static_cast<int64_t>(p.window_h) * p.window_w;
  const int64_t nq = static_cast<int64_t>(qwin_h) * qwin_w;
  std::vector<double> q(static_cast<size_t>(p.head_dim)), scores(static_cast<size_t>(nk));

  for (int wy = 0; wy < p.grid_h / p.window_h; ++wy) {
    for (int wx = 0; wx < p.grid_w / p.window_w; ++wx) {
      // Key/value tokens of this window, in raster order.
      std::vector<int64_t> keys;
      for (int y = 0; y < p.window_h; ++y) {
        for (int x = 0; x < p.window_w; ++x) keys.push_back(static_cast<int64_t>(wy * p.window_h + y) * p.grid_w + wx * p.window_w + x);
      }
      for (int h = 0; h < p.heads; ++h) {
        const int64_t qoff = static_cast<int64_t>(h) * p.head_dim;
        const int64_t koff = dim + qoff, voff = 2 * dim + qoff;
        for (int64_t qi = 0; qi < nq; ++qi) {
          const int qy = wy * qwin_h + static_cast<int>(qi / qwin_w);
          const int qx = wx * qwin_w + static_cast<int>(qi % qwin_w);
          // The query vector, 2x2 max-pooled over the input grid when q_pool.
          for (int d = 0; d < p.head_dim; ++d) {
            if (p.q_pool) {
              double m = -INFINITY;
              for (int dy = 0; dy < 2; ++dy) {
                for (int dx = 0; dx < 2; ++dx) {
                  m = std::max(m, static_cast<double>(src[(static_cast<int64_t>(2 * qy + dy) * p.grid_w + 2 * qx + dx) * row + qoff + d]));
                }
              }
              q[static_cast<size_t>(d)] = m;
            } else {
              q[static_cast<size_t>(d)] = src[(static_cast<int64_t>(qy) * p.grid_w + qx) * row + qoff + d];
            }
          }
          double score_scale = p.scale;
          if (p.bf16) {  // the scale goes into the query before it is rounded
            for (double& v : q) v = bf16_to_f32(f32_to_bf16(static_cast<float>(v) * p.scale));
            score_scale = 1.0;
          }
          double mx = -INFINITY;
          for (int64_t j = 0; j < nk; ++j) {
            double s = 0.0;
            for (int d = 0; d < p.head_dim; ++d) s += q[static_cast<size_t>(d)] * src[keys[static_cast<size_t>(j)] * row + koff + d];
            scores[static_cast<size_t>(j)] = s * score_scale;
            mx = std::max(mx, scores[static_cast<size_t>(j)]);
          }
          double sum = 0.0;
          for (double& s : scores) sum += (s = std::exp(s - mx));
          if (p.bf16) {  // the weights multiplying the values are rounded, not their sum
            for (double& s : scores) s = bf16_to_f32(f32_to_bf16(static_cast<float>(s)));
          }
          const int64_t otok = static_cast<int64_t>(qy) * out_w + qx;
          for (int d = 0; d < p.head_dim; ++d) {
            double acc = 0.0;
            for (int64_t j = 0; j < nk; ++j) acc += scores[static_cast<size_t>(j)] * src[keys[static_cast<size_t>(j)] * row + voff + d];
            out.data<float>()[otok * dim + qoff + d] = static_cast<float>(acc / sum);
          }
        }
      }
    }
  }
  return ok_status();
}

}  // namespace ck::ref
