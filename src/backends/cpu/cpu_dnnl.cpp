// Linear, matmul and convolution through oneDNN. Primitives are created once per shape and
// thread count (oneDNN sizes its blocking for the threads it will have) and cached: creating
// one costs milliseconds, executing a cached one costs nothing extra.
#include <algorithm>
#include <map>
#include <vector>
#include <mutex>
#include <omp.h>
#include <optional>
#include <sstream>

#include <oneapi/dnnl/dnnl.hpp>

#include "backends/cpu/cpu_backend_impl.hpp"
#include "backends/cpu/vector_math.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

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

// The operands of one GEMM: c (M, N) = a (M, K) @ b (K, N) [+ bias (N)], rows of a and c
// `lda` and `ldc` elements apart, b read with element strides (b_row, b_col). a and b are
// both f32 or both bf16; c and bias are f32. Optionally GELU, then + residual (M, N, rows
// `ldc` apart), applied by the kernel as it stores c.
struct GemmArgs {
  const void* a;
  int64_t m, k, lda;
  const void* b;
  int64_t n, b_row, b_col;
  dt ab_type;
  const float* bias;
  float* c;
  int64_t ldc;
  bool gelu = false;
  const float* residual = nullptr;
};

Status run_matmul(DnnlContext& ctx, const GemmArgs& g) {
  return guarded("matmul", [&] {
    const int64_t m = g.m, k = g.k, n = g.n;
    std::ostringstream key;
    key << m << ',' << k << ',' << n << ',' << g.lda << ',' << g.b_row << ',' << g.b_col << ',' << g.ldc << ','
        << (g.bias != nullptr) << ',' << static_cast<int>(g.ab_type) << ',' << g.gelu << ','
        << (g.residual != nullptr) << ',' << omp_get_max_threads();
    std::lock_guard<std::mutex> lock(ctx.mutex);
    auto it = ctx.matmuls.find(key.str());
    if (it == ctx.matmuls.end()) {
      memory::desc a_md({m, k}, g.ab_type, memory::dims{g.lda, 1});
      memory::desc b_md({k, n}, g.ab_type, memory::dims{g.b_row, g.b_col});
      memory::desc c_md({m, n}, dt::f32, memory::dims{g.ldc, 1});
      memory::desc bias_md = g.bias ? memory::desc({1, n}, dt::f32, memory::dims{n, 1}) : memory::desc();
      dnnl::post_ops ops;
      if (g.gelu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      if (g.residual) ops.append_binary(dnnl::algorithm::binary_add, c_md);
      dnnl::primitive_attr attr;
      attr.set_post_ops(ops);
      auto pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, bias_md, c_md), attr, ctx.engine);
      it = ctx.matmuls.emplace(key.str(), std::make_pair(pd, dnnl::matmul(pd))).first;
    }
    const auto& pd = it->second.first;
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(pd.src_desc(), ctx.engine, const_cast<void*>(g.a))},
        {DNNL_ARG_WEIGHTS, memory(pd.weights_desc(), ctx.engine, const_cast<void*>(g.b))},
        {DNNL_ARG_DST, memory(pd.dst_desc(), ctx.engine, g.c)}};
    if (g.bias) args.emplace(DNNL_ARG_BIAS, memory(pd.bias_desc(), ctx.engine, const_cast<float*>(g.bias)));
    if (g.residual) {
      const int post_op = g.gelu ? 1 : 0;  // the add comes after the GELU
      args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(post_op) | DNNL_ARG_SRC_1,
                   memory(pd.dst_desc(), ctx.engine, const_cast<float*>(g.residual)));
    }
    it->second.second.execute(ctx.stream, args);
    ctx.stream.wait();
  });
}

// Rounds n floats to bf16 (the bf16 mode's activations, just before a GEMM reads them).
void round_to_bf16(const float* src, uint16_t* dst, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) dst[i] = cpu::round_to_bf16(src[i]);
}

dt dnnl_type(DType t) { return t == DType::BF16 ? dt::bf16 : dt::f32; }

// One convolution through a cached primitive on user memory given by (strided) descriptors.
// The source's data type is the weight's (bf16 or f32); the destination is always f32.
Status run_conv(DnnlContext& ctx, const memory::desc& user_src_md, void* src_data, const Tensor& w,
                const Tensor* bias, const Conv2dParams& p, const memory::dims& pad_l, const memory::dims& pad_r,
                const memory::desc& user_dst_md, float* dst_data, std::shared_ptr<void>* prepared_weights = nullptr) {
  return guarded("conv2d", [&] {
    std::ostringstream key;
    for (auto d : user_src_md.dims()) key << d << ',';
    for (auto d : w.shape()) key << d << ',';
    key << p.stride << ',' << pad_l[0] << ',' << pad_r[0] << ',' << pad_l[1] << ',' << p.dilation << ','
        << (bias != nullptr) << ',' << static_cast<int>(p.layout) << ',' << static_cast<int>(w.dtype()) << ','
        << omp_get_max_threads();
    std::lock_guard<std::mutex> lock(ctx.mutex);
    auto it = ctx.convs.find(key.str());
    if (it == ctx.convs.end()) {
      // NHWC activations are used as they are (oneDNN's fastest kernels read them directly).
      const tag act = tag::nhwc;
      memory::desc src_md(user_src_md.dims(), dnnl_type(w.dtype()), act);
      memory::desc wei_md(dims_of(w), dnnl_type(w.dtype()), tag::any);
      memory::desc dst_md(user_dst_md.dims(), dt::f32, act);
      memory::desc bias_md = bias ? memory::desc({w.size(0)}, dt::f32, tag::a) : memory::desc();
      const memory::dims strides{p.stride, p.stride}, dil{p.dilation - 1, p.dilation - 1};
      auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                  dnnl::algorithm::convolution_direct, src_md, wei_md, bias_md,
                                                  dst_md, strides, dil, pad_l, pad_r);
      auto pd = dnnl::convolution_forward::primitive_desc(desc, ctx.engine);
      it = ctx.convs.emplace(key.str(), std::make_pair(pd, dnnl::convolution_forward(pd))).first;
    }
    const auto& pd = it->second.first;
    memory user_src(user_src_md, ctx.engine, src_data);
    memory user_wei({dims_of(w), dnnl_type(w.dtype()), tag::oihw}, ctx.engine, w.raw());
    memory user_dst(user_dst_md, ctx.engine, dst_data);
    auto as_needed = [&](memory& user, const memory::desc& want) {
      if (user.get_desc() == want) return user;
      memory m(want, ctx.engine);
      dnnl::reorder(user, m).execute(ctx.stream, user, m);
      return m;
    };
    memory src = as_needed(user_src, pd.src_desc());
    // Weights an earlier call (a band, a batch) reordered to the same layout are taken as they are.
    memory wei;
    const auto* prepared = prepared_weights ? static_cast<const memory*>(prepared_weights->get()) : nullptr;
    if (prepared && prepared->get_desc() == pd.weights_desc()) {
      wei = *prepared;
    } else {
      wei = as_needed(user_wei, pd.weights_desc());
      if (prepared_weights) *prepared_weights = std::make_shared<memory>(wei);
    }
    memory dst = pd.dst_desc() == user_dst.get_desc() ? user_dst : memory(pd.dst_desc(), ctx.engine);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    if (bias) args.emplace(DNNL_ARG_BIAS, memory(pd.bias_desc(), ctx.engine, bias->raw()));
    it->second.second.execute(ctx.stream, args);
    if (dst != user_dst) dnnl::reorder(dst, user_dst).execute(ctx.stream, dst, user_dst);
    ctx.stream.wait();
  });
}

}  // namespace

CpuBackendImpl::CpuBackendImpl(CpuLevel level) : level_(level), dnnl_(std::make_unique<DnnlContext>()) {}
CpuBackendImpl::~CpuBackendImpl() = default;

void CpuBackendImpl::set_num_threads(int n) {
  Backend::set_num_threads(n);
  if (n > 0) omp_set_num_threads(n);  // oneDNN (OpenMP build) and our loops both follow this
}

Status CpuBackendImpl::do_linear(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) {
  return do_linear_fused(x, w, bias, y, {});
}

Status CpuBackendImpl::do_linear_fused(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y,
                                   const LinearEpilogue& epilogue) {
  // W is (N, K) row-major, i.e. W^T is (K, N) with strides (1, K): no transpose copy needed.
  const int64_t m = x.size(0), k = x.size(1), n = w.size(0);
  GemmArgs g{x.raw(), m, k, k, w.raw(), n, 1, k, dt::f32, bias ? bias->data<float>() : nullptr, y.data<float>(), n};
  g.gelu = epilogue.gelu;
  g.residual = epilogue.residual ? epilogue.residual->data<float>() : nullptr;
  if (w.dtype() == DType::F32) return run_matmul(*dnnl_, g);
  CK_ASSIGN(void* const x_bf16, scratch(static_cast<size_t>(m * k) * 2));
  round_to_bf16(x.data<float>(), static_cast<uint16_t*>(x_bf16), m * k);
  g.a = x_bf16;
  g.ab_type = dt::bf16;
  return run_matmul(*dnnl_, g);
}

bool CpuBackendImpl::bf16_supported() const {
  // Our bf16 kernels need the level (a cap below it turns bf16 off), oneDNN's its own ISA.
  if (level_ < CpuLevel::kAvx512Bf16) return false;
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

Status CpuBackendImpl::supports(OpKind op, DType dtype) const {
  const bool bf16_op = op == OpKind::kLinear || op == OpKind::kConv2d || op == OpKind::kAttention;
  if (dtype != DType::BF16 || !bf16_op) return Backend::supports(op, dtype);
  if (bf16_supported()) return ok_status();
  return err(ErrorCode::kUnsupported, "bf16 precision is not available on backend '", name(),
             "' here: it needs a CPU with AVX512-BF16 (use fp32)");
}

// The network runs channels-last, so the CPU backend convolves NHWC maps only (NCHW
// convolutions are the reference backend's, for tests).
Status CpuBackendImpl::do_conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                             Tensor& y) {
  if (p.layout != Layout::kNHWC) {
    return err(ErrorCode::kUnsupported, "backend 'cpu' convolves channels-last (NHWC) maps only");
  }
  return conv2d_nhwc(x, w, bias, p, y);
}

Result<void*> CpuBackendImpl::scratch(size_t bytes) {
  if (bytes > scratch_size_) {
    // Uninitialised and kept across calls: a fresh zeroed buffer per convolution costs page
    // faults and a memset of tens of MB each time.
    scratch_.reset(new (std::nothrow) float[(bytes + sizeof(float) - 1) / sizeof(float)]);
    if (!scratch_) {
      scratch_size_ = 0;
      return err(ErrorCode::kOutOfMemory, "out of memory for a ", bytes >> 20, " MB working buffer");
    }
    scratch_size_ = bytes;
  }
  return static_cast<void*>(scratch_.get());
}

// NHWC: no layout conversion at all, so one call covers the whole map. In place (y is x), the
// map is convolved in bands of output rows: each band's input rows (a contiguous run, plus
// the kernel's halo) are copied aside first, and the rows the next band needs that this band
// overwrites are kept for it, so no second full-size map is needed; zero padding applies
// only where a band meets the image border. With BF16 weights the input is rounded to bf16
// on its way into the band (or whole-map) buffer.
Status CpuBackendImpl::conv2d_nhwc(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                               Tensor& y) {
  const int64_t n = x.size(0), h = x.size(1), wd = x.size(2), c = x.size(3);
  const int64_t ho = y.size(1), wo = y.size(2), o = y.size(3), k = w.size(2);
  const bool bf16 = w.dtype() == DType::BF16;
  const int64_t elem = bf16 ? 2 : 4;  // bytes per element of the convolution's source
  const auto nhwc_md = [](int64_t n_, int64_t c_, int64_t h_, int64_t w_, dt type) {
    return memory::desc({n_, c_, h_, w_}, type, tag::nhwc);
  };
  if (pointwise_few_outputs_applies(x, w, p)) return conv2d_nhwc_pointwise_few_outputs(x, w, bias, y);
  if (std::optional<Status> st = try_winograd(x, w, bias, p, y, nullptr)) return *st;
  const dt src_type = dnnl_type(w.dtype());
  // Copies `count` elements of x starting at `offset` into `to` as the source type.
  const auto load_source = [&](int64_t offset, int64_t count, char* to) {
    if (bf16) {
      round_to_bf16(x.data<float>() + offset, reinterpret_cast<uint16_t*>(to), count);
    } else {
      std::copy_n(x.data<float>() + offset, count, reinterpret_cast<float*>(to));
    }
  };
  if (x.raw() != y.raw()) {
    void* src = x.raw();
    if (bf16) {
      CK_ASSIGN(src, scratch(static_cast<size_t>(x.numel() * elem)));
      load_source(0, x.numel(), static_cast<char*>(src));
    }
    return run_conv(*dnnl_, nhwc_md(n, c, h, wd, src_type), src, w, bias, p, {p.padding, p.padding},
                    {p.padding, p.padding}, nhwc_md(n, o, ho, wo, dt::f32), y.data<float>());
  }
  if (n != 1) return err(ErrorCode::kUnsupported, "conv2d in place: batch size must be 1");
  const int64_t row = wd * c;  // elements per input row (== per output row: same shape)
  const int64_t band = std::clamp<int64_t>(static_cast<int64_t>(conv_band_bytes_) / (row * (elem + 4)), 1, ho);
  const int64_t reach = p.dilation * (k - 1);
  CK_ASSIGN(void* const buffer, scratch(static_cast<size_t>((band + reach) * row * elem)));
  char* const band_input = static_cast<char*>(buffer);
  std::vector<char> carried;
  std::shared_ptr<void> prepared_weights;  // reordered by the first band, reused by the rest
  for (int64_t r0 = 0; r0 < ho; r0 += band) {
    const int64_t r1 = std::min(ho, r0 + band);
    const int64_t in0 = r0 - p.padding, in1 = r1 - 1 - p.padding + reach + 1;
    const int64_t pad_top = std::max<int64_t>(0, -in0), pad_bottom = std::max<int64_t>(0, in1 - h);
    const int64_t first = std::max<int64_t>(0, in0), rows = std::min(h, in1) - first;
    const int64_t kept = std::max<int64_t>(0, r0 - first);  // overwritten by earlier bands
    std::copy_n(carried.data(), kept * row * elem, band_input);
    load_source((first + kept) * row, (rows - kept) * row, band_input + kept * row * elem);
    const int64_t next_first = std::max<int64_t>(0, r1 - p.padding);
    const int64_t next_kept = std::max<int64_t>(0, std::min(r1, first + rows) - next_first);
    carried.assign(band_input + (next_first - first) * row * elem,
                   band_input + (next_first - first + next_kept) * row * elem);
    CK_TRY(run_conv(*dnnl_, nhwc_md(1, c, rows, wd, src_type), band_input, w, bias, p, {pad_top, p.padding},
                    {pad_bottom, p.padding}, nhwc_md(1, o, r1 - r0, wo, dt::f32), y.data<float>() + r0 * wo * o,
                    &prepared_weights));
  }
  return ok_status();
}

}  // namespace ck::cpu::inline CK_CPU_ISA

namespace ck::cpu {
std::unique_ptr<CpuBackend> CK_CPU_ISA_FACTORY(CpuLevel level) { return std::make_unique<CpuBackendImpl>(level); }
}  // namespace ck::cpu
