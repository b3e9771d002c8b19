// 1x1 convolutions to a few output channels (the refiner's final 64 -> 4 projection and the
// decoders' 512 -> 4 classifier, on channels-last maps): every
// pixel is a handful of dot products over its channels. oneDNN's kernels are built for wide
// outputs and take three to five times as long here; this is one pass over the input at
// memory speed. Each pixel's sums run in one fixed order (channel by channel), so the result
// does not depend on the thread count.
#include <algorithm>

#include "backends/cpu/cpu_backend_impl.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

namespace {
constexpr int64_t kMaxOutputs = 8;
}

bool CpuBackendImpl::pointwise_few_outputs_applies(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  return w.dtype() == DType::F32 && w.size(2) == 1 && w.size(3) == 1 && p.stride == 1 && p.padding == 0 &&
         w.size(0) <= kMaxOutputs && x.dtype() == DType::F32;
}

Status CpuBackendImpl::conv2d_nhwc_pointwise_few_outputs(const Tensor& x, const Tensor& w, const Tensor* bias,
                                                     Tensor& y) {
  const int64_t pixels = x.size(0) * x.size(1) * x.size(2), c = x.size(3), o = w.size(0);
  const float* const xs = x.data<float>();
  const float* const ws = w.data<float>();  // (O, C, 1, 1): row o holds output o's weights
  const float* const bs = bias ? bias->data<float>() : nullptr;
  float* const ys = y.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t px = 0; px < pixels; ++px) {
    const float* in = xs + px * c;
    float out[kMaxOutputs];
    for (int64_t k = 0; k < o; ++k) {
      const float* wk = ws + k * c;
      float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
      for (int64_t i = 0; i < c; ++i) acc += in[i] * wk[i];
      out[k] = acc + (bs ? bs[k] : 0.0f);
    }
    std::copy_n(out, o, ys + px * o);  // all read before any is written: in place works
  }
  return ok_status();
}

}  // namespace ck::cpu::inline CK_CPU_ISA
