// Linear, matmul and convolution through oneDNN. Primitives are created once per shape and
// cached: creating one costs milliseconds, executing a cached one costs nothing extra.
#include <map>
#include <mutex>
#include <omp.h>
#include <sstream>

#include <oneapi/dnnl/dnnl.hpp>

#include "backends/cpu/cpu_backend.hpp"

namespace ck::cpu {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

class DnnlContext {
 public:
  DnnlContext() : engine(dnnl::engine::kind::cpu, 0), stream(engine) {}
  dnnl::engine engine;
  dnnl::stream stream;
  std::mutex mutex;
  std::map<std::string, std::pair<dnnl::matmul::primitive_desc, dnnl::matmul>> matmuls;
  std::map<std::string, std::pair<dnnl::convolution_forward::primitive_desc, dnnl::convolution_forward>> convs;
};

namespace {

template <class Fn>
Status guarded(const char* op, Fn&& fn) {
  try {
    fn();
  } catch (const dnnl::error& e) {
    return err(ErrorCode::kInternal, op, ": oneDNN failed: ", e.what());
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, op, ": out of memory");
  }
  return ok_status();
}

memory::dims dims_of(const Tensor& t) { return memory::dims(t.shape().begin(), t.shape().end()); }

// c (M, N) = a (M, K) @ b, where b is (K, N) read with element strides (b_row, b_col).
Status run_matmul(DnnlContext& ctx, const Tensor& a, const float* b, int64_t n, int64_t b_row, int64_t b_col,
                  const Tensor* bias, Tensor& c) {
  return guarded("matmul", [&] {
    const int64_t m = a.size(0), k = a.size(1);
    std::ostringstream key;
    key << m << ',' << k << ',' << n << ',' << b_row << ',' << b_col << ',' << (bias != nullptr);
    std::lock_guard<std::mutex> lock(ctx.mutex);
    auto it = ctx.matmuls.find(key.str());
    if (it == ctx.matmuls.end()) {
      memory::desc a_md({m, k}, dt::f32, memory::dims{k, 1});
      memory::desc b_md({k, n}, dt::f32, memory::dims{b_row, b_col});
      memory::desc c_md({m, n}, dt::f32, memory::dims{n, 1});
      memory::desc bias_md = bias ? memory::desc({1, n}, dt::f32, memory::dims{n, 1}) : memory::desc();
      auto pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, bias_md, c_md), ctx.engine);
      it = ctx.matmuls.emplace(key.str(), std::make_pair(pd, dnnl::matmul(pd))).first;
    }
    const auto& pd = it->second.first;
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(pd.src_desc(), ctx.engine, a.raw())},
        {DNNL_ARG_WEIGHTS, memory(pd.weights_desc(), ctx.engine, const_cast<float*>(b))},
        {DNNL_ARG_DST, memory(pd.dst_desc(), ctx.engine, c.raw())}};
    if (bias) args.emplace(DNNL_ARG_BIAS, memory(pd.bias_desc(), ctx.engine, bias->raw()));
    it->second.second.execute(ctx.stream, args);
    ctx.stream.wait();
  });
}

}  // namespace

CpuBackend::CpuBackend() : dnnl_(std::make_unique<DnnlContext>()) {}
CpuBackend::~CpuBackend() = default;

void CpuBackend::set_num_threads(int n) {
  Backend::set_num_threads(n);
  if (n > 0) omp_set_num_threads(n);  // oneDNN (OpenMP build) and our loops both follow this
}

int cpu_threads() { return omp_get_max_threads(); }

Status CpuBackend::do_linear(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) {
  // W is (N, K) row-major, i.e. W^T is (K, N) with strides (1, K): no transpose copy needed.
  return run_matmul(*dnnl_, x, w.data<float>(), w.size(0), 1, w.size(1), bias, y);
}

Status CpuBackend::do_matmul(const Tensor& a, const Tensor& b, Tensor& c) {
  return run_matmul(*dnnl_, a, b.data<float>(), b.size(1), b.size(1), 1, nullptr, c);
}

Status CpuBackend::do_conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                             Tensor& y) {
  return guarded("conv2d", [&] {
    DnnlContext& ctx = *dnnl_;
    std::ostringstream key;
    for (auto d : x.shape()) key << d << ',';
    for (auto d : w.shape()) key << d << ',';
    key << p.stride << ',' << p.padding << ',' << p.dilation << ',' << (bias != nullptr);
    std::lock_guard<std::mutex> lock(ctx.mutex);
    auto it = ctx.convs.find(key.str());
    if (it == ctx.convs.end()) {
      // Let oneDNN pick blocked layouts; plain NCHW would push it onto slow or im2col paths.
      memory::desc src_md(dims_of(x), dt::f32, tag::any);
      memory::desc wei_md(dims_of(w), dt::f32, tag::any);
      memory::desc dst_md(dims_of(y), dt::f32, tag::any);
      memory::desc bias_md = bias ? memory::desc({w.size(0)}, dt::f32, tag::a) : memory::desc();
      const memory::dims strides{p.stride, p.stride}, dil{p.dilation - 1, p.dilation - 1},
          pad{p.padding, p.padding};
      auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                  dnnl::algorithm::convolution_direct, src_md, wei_md, bias_md,
                                                  dst_md, strides, dil, pad, pad);
      auto pd = dnnl::convolution_forward::primitive_desc(desc, ctx.engine);
      it = ctx.convs.emplace(key.str(), std::make_pair(pd, dnnl::convolution_forward(pd))).first;
    }
    const auto& pd = it->second.first;
    memory user_src({dims_of(x), dt::f32, tag::nchw}, ctx.engine, x.raw());
    memory user_wei({dims_of(w), dt::f32, tag::oihw}, ctx.engine, w.raw());
    memory user_dst({dims_of(y), dt::f32, tag::nchw}, ctx.engine, y.raw());
    auto as_needed = [&](memory& user, const memory::desc& want) {
      if (user.get_desc() == want) return user;
      memory m(want, ctx.engine);
      dnnl::reorder(user, m).execute(ctx.stream, user, m);
      return m;
    };
    memory src = as_needed(user_src, pd.src_desc());
    memory wei = as_needed(user_wei, pd.weights_desc());
    memory dst = pd.dst_desc() == user_dst.get_desc() ? user_dst : memory(pd.dst_desc(), ctx.engine);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    if (bias) args.emplace(DNNL_ARG_BIAS, memory(pd.bias_desc(), ctx.engine, bias->raw()));
    it->second.second.execute(ctx.stream, args);
    if (dst != user_dst) dnnl::reorder(dst, user_dst).execute(ctx.stream, dst, user_dst);
    ctx.stream.wait();
  });
}

}  // namespace ck::cpu
