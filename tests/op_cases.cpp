#include "op_cases.hpp"

#include <cmath>
#include <cstring>
#include <memory>
#include <random>

namespace ck::opcases {

namespace {

class Table {
 public:
  Table(Scale scale, std::string filter) : scale_(scale), filter_(std::move(filter)) {}

  bool benchmarking() const { return scale_ == Scale::kBench; }
  // `check` at Scale::kCheck, `bench` at Scale::kBench.
  template <class T>
  T pick(T check, T bench) const {
    return scale_ == Scale::kCheck ? check : bench;
  }

  Tensor rnd(const Shape& shape, float lo = -1.0f, float hi = 1.0f) {
    auto r = Tensor::empty(shape);
    if (!r.ok()) throw std::bad_alloc();
    Tensor t = std::move(r).value();
    std::mt19937 rng(seed_++);
    std::uniform_real_distribution<float> d(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
    return t;
  }

  void add(OpCase c) {
    if (c.name.find(filter_) != std::string::npos) cases_.push_back(std::move(c));
  }
  // A memory-bound case: `bytes_per_out` bytes moved per output element.
  void add_memory(const std::string& name, const Shape& out, double bytes_per_out,
                  std::function<Status(Backend&, Tensor&)> run) {
    add({name, out, bytes_per_out * static_cast<double>(shape_numel(out)), "GB/s", false, std::move(run)});
  }

  std::vector<OpCase> take() { return std::move(cases_); }

 private:
  Scale scale_;
  std::string filter_;
  uint32_t seed_ = 1;
  std::vector<OpCase> cases_;
};

void linear_cases(Table& t) {
  auto linear = [&](const std::string& name, int64_t m, int64_t k, int64_t n, bool bias, bool bf16 = false) {
    Tensor x = t.rnd({m, k}), w = t.rnd({n, k}, -0.1f, 0.1f), b = t.rnd({n});
    if (bf16) w = w.to(DType::BF16).value();  // the bf16 precision's weights: input rounded, fp32 sums
    t.add({name, {m, n}, 2.0 * m * k * n, "GFLOP/s", bf16,
           [=](Backend& be, Tensor& y) { return be.linear(x, w, bias ? &b : nullptr, y); }});
  };
  linear("linear stage2 mlp.fc1 448->1792", t.pick(512, 1024), 448, 1792, true);
  linear("linear stage0 qkv 112->336", t.pick(1024, 16384), 112, 336, true);
  linear("linear stage0 pool-proj 112->224", t.pick(256, 4096), 112, 224, true);
  linear("linear stage3 mlp.fc2 3584->896", t.pick(64, 256), 3584, 896, true);
  linear("linear decoder c4 896->512 (no bias)", 256, 896, 512, false);
  linear("linear bf16 stage2 mlp.fc1 448->1792", 1024, 448, 1792, true, true);
  linear("linear bf16 stage2 qkv 448->1344", 1024, 448, 1344, true, true);
  // The block's fused epilogues: GELU after fc1, the residual added by attn_proj and fc2.
  const int64_t m = t.pick(512, 1024);
  Tensor x = t.rnd({m, 448}), w = t.rnd({1792, 448}, -0.1f, 0.1f), b = t.rnd({1792});
  t.add({"linear stage2 mlp.fc1 + gelu", {m, 1792}, 2.0 * m * 448 * 1792, "GFLOP/s", false,
         [=](Backend& be, Tensor& y) { return be.linear(x, w, &b, y, {.gelu = true}); }});
  Tensor h = t.rnd({m, 1792}), w2 = t.rnd({448, 1792}, -0.05f, 0.05f), b2 = t.rnd({448}), r = t.rnd({m, 448}, -4, 4);
  t.add({"linear stage2 mlp.fc2 + residual", {m, 448}, 2.0 * m * 1792 * 448, "GFLOP/s", false,
         [=](Backend& be, Tensor& y) { return be.linear(h, w2, &b2, y, {.residual = &r}); }});
  Tensor r2 = t.rnd({m, 1792}, -0.25f, 0.25f);
  t.add({"linear + gelu + residual", {m, 1792}, 2.0 * m * 448 * 1792, "GFLOP/s", false,
         [=](Backend& be, Tensor& y) { return be.linear(x, w, nullptr, y, {.gelu = true, .residual = &r2}); }});
}

void conv_cases(Table& t) {
  auto conv = [&](const std::string& name, Shape xs, int64_t o, int64_t k, Conv2dParams p, bool bias) {
    const bool nhwc = p.layout == Layout::kNHWC;
    const int64_t c = nhwc ? xs[3] : xs[1];
    Tensor x = t.rnd(xs), w = t.rnd({o, c, k, k}, -0.2f, 0.2f), b = t.rnd({o});
    const Shape out = conv2d_output_shape(xs, w.shape(), p);
    const double flops = 2.0 * c * o * k * k * static_cast<double>(shape_numel(out) / o);
    t.add({name, out, flops, "GFLOP/s", false,
           [=](Backend& be, Tensor& y) { return be.conv2d(x, w, bias ? &b : nullptr, p, y); }});
  };
  // The network runs channels-last: x (N, H, W, C) -> y (N, Ho, Wo, O).
  constexpr Layout kNhwc = Layout::kNHWC;
  const int64_t s = t.pick<int64_t>(128, 512);
  conv("conv patch_embed 7x7 s4 p3 4->112", {1, s, s, 4}, 112, 7, {4, 3, 1, kNhwc}, true);
  conv("conv NHWC refiner stem 3x3 7->64", {1, t.pick<int64_t>(45, 512), t.pick<int64_t>(37, 512), 7}, 64, 3,
       {1, 1, 1, kNhwc}, true);
  for (int d : {1, 2, 4, 8}) {
    conv("conv NHWC refiner 3x3 dilation " + std::to_string(d) + " 64->64",
         {1, t.pick<int64_t>(48, 512), t.pick<int64_t>(40, 512), 64}, 64, 3, {1, d, d, kNhwc}, true);
  }
  conv("conv NHWC refiner.final 1x1 64->4", {1, t.pick<int64_t>(40, 512), t.pick<int64_t>(33, 512), 64}, 4, 1,
       {1, 0, 1, kNhwc}, true);
  conv("conv NHWC decoder classifier 1x1 512->4", {1, t.pick<int64_t>(32, 128), t.pick<int64_t>(24, 128), 512}, 4, 1,
       {1, 0, 1, kNhwc}, true);
  conv("conv NHWC 1x1 20->8", {1, 9, 11, 20}, 8, 1, {1, 0, 1, kNhwc}, true);
  conv("conv NHWC 1x1 20->9 (oneDNN)", {1, 9, 11, 20}, 9, 1, {1, 0, 1, kNhwc}, true);

  // In place, and with the refiner's GroupNorm fused: the input is overwritten, so these only
  // time (the cross-check's in-place tests compare them).
  if (!t.benchmarking()) return;
  for (int d : {1, 8}) {
    const Conv2dParams p{1, d, d, kNhwc};
    Tensor x = t.rnd({1, 512, 512, 64}), w = t.rnd({64, 64, 3, 3}, -0.2f, 0.2f), b = t.rnd({64});
    t.add({"conv NHWC 3x3 d" + std::to_string(d) + " 64->64 in place", x.shape(), 2.0 * 64 * 64 * 9 * 512 * 512,
           "GFLOP/s", false, [=](Backend& be, Tensor&) {
             Tensor io = x;
             return be.conv2d(io, w, &b, p, io);
           }});
    Tensor gamma = t.rnd({64}), beta = t.rnd({64});
    auto stats = std::make_shared<GroupStats>();
    stats->groups = 8;
    stats->host.mean.assign(8, 0.0);
    stats->host.var.assign(8, 1.0);
    t.add({"conv NHWC 3x3 d" + std::to_string(d) + " 64->64 in place, GroupNorm fused", x.shape(),
           2.0 * 64 * 64 * 9 * 512 * 512, "GFLOP/s", false, [=](Backend& be, Tensor&) {
             Tensor io = x;
             GroupStats out_stats;
             const ConvInputNorm norm{stats.get(), &gamma, &beta, 1e-5f, true};
             return be.conv2d(io, w, &b, p, io, {&norm, &out_stats, 8});
           }});
  }
}

void norm_cases(Table& t) {
  for (int64_t c : {112, 224, 448, 896}) {
    const int64_t tokens = t.pick<int64_t>(256, 16384 * 112 / c);
    Tensor x = t.rnd({tokens, c}, -3.0f, 5.0f), w = t.rnd({c}), b = t.rnd({c});
    t.add_memory("layer_norm C=" + std::to_string(c), {tokens, c}, 8,
                 [=](Backend& be, Tensor& y) { return be.layer_norm(x, w, b, 1e-6f, y); });
  }
  // The refiner's GroupNorms, channels-last: more pixels than one statistics chunk, offset
  // values (one-pass E[x^2] - mean^2 would lose digits here; two-pass does not).
  Tensor w = t.rnd({64}), b = t.rnd({64});
  const Shape nhwc{1, t.pick<int64_t>(67, 512), t.pick<int64_t>(45, 512), 64};
  Tensor xl = t.rnd(nhwc, 2.0f, 4.0f), centred = t.rnd(nhwc, -2.0f, 2.0f), residual = t.rnd(nhwc, -2.0f, 2.0f);
  t.add_memory("group_norm NHWC 8 groups 64ch", nhwc, 8, [=](Backend& be, Tensor& y) {
    return be.group_norm(xl, 8, w, b, 1e-5f, y, Layout::kNHWC);
  });
  t.add_memory("group_norm NHWC + relu", nhwc, 8, [=](Backend& be, Tensor& y) {
    return be.group_norm(centred, 8, w, b, 1e-5f, y, Layout::kNHWC, true);
  });
  t.add_memory("group_norm NHWC + residual + relu", nhwc, 12, [=](Backend& be, Tensor& y) {
    return be.group_norm(centred, 8, w, b, 1e-5f, y, Layout::kNHWC, true, &residual);
  });
}

void eltwise_cases(Table& t) {
  const Shape unary_shape = t.pick(Shape{1, 448, 32, 32}, Shape{1024, 1792});
  for (UnaryOp op : {UnaryOp::kGelu, UnaryOp::kSigmoid}) {
    Tensor x = t.rnd(unary_shape, -8.0f, 8.0f);
    t.add_memory(std::string(unary_op_name(op)), unary_shape, 8, [=](Backend& be, Tensor& y) { return be.unary(op, x, y); });
  }
  {
    const Shape shape = t.pick(Shape{1, 64, 128, 128}, Shape{16384, 112});
    Tensor a = t.rnd(shape), b = t.rnd(shape);
    t.add_memory("add", shape, 12, [=](Backend& be, Tensor& y) { return be.add(a, b, y); });
    t.add_memory("scale", shape, 8, [=](Backend& be, Tensor& y) { return be.scale(a, 0.7f, y); });
  }
  const int64_t tokens = t.pick<int64_t>(4096, 16384);
  Tensor tokens_in = t.rnd({tokens, 112}), map = t.rnd({t.pick<int64_t>(256, 4), t.pick<int64_t>(33 * 35, 512 * 512)});
  t.add_memory("transpose tokens -> NCHW", {112, tokens}, 8,
               [=](Backend& be, Tensor& y) { return be.transpose(tokens_in, y); });
  t.add_memory("transpose NCHW -> tokens", {map.size(1), map.size(0)}, 8,
               [=](Backend& be, Tensor& y) { return be.transpose(map, y); });
  {
    Tensor x = t.rnd({1, t.pick<int64_t>(32, 128), t.pick<int64_t>(32, 128), 224});
    t.add_memory("max_pool2x2 (tokens)", {1, x.size(1) / 2, x.size(2) / 2, 224}, 20,
                 [=](Backend& be, Tensor& y) { return be.max_pool2x2(x, y); });
  }
  {
    const int64_t s = t.pick<int64_t>(64, 512);
    // The refiner's input: the plate's colour (columns of the network's input) and the
    // coarse prediction, per pixel.
    Tensor input = t.rnd({s * s, 4}), coarse = t.rnd({s * s, 4});
    const Tensor rgb = Tensor::wrap(input.data<float>(), {s * s, 3}, DType::F32, input.owner(), {4, 1});
    t.add_memory("concat refiner input 3+4 (channels-last)", {s * s, 7}, 8, [=](Backend& be, Tensor& y) {
      const Tensor* xs[] = {&rgb, &coarse};
      return be.concat(xs, 1, y);
    });
  }
}

void attention_cases(Table& t) {
  auto attn = [&](const std::string& name, int grid, int heads, int window, bool q_pool, bool bf16 = false) {
    AttentionParams p;
    p.heads = heads;
    p.head_dim = 56;
    p.grid_h = p.grid_w = grid;
    p.window_h = p.window_w = window;
    p.q_pool = q_pool;
    p.scale = 1.0f / std::sqrt(56.0f);
    p.bf16 = bf16;
    const int64_t n = static_cast<int64_t>(grid) * grid, nk = static_cast<int64_t>(window) * window;
    Tensor qkv = t.rnd({n, 3LL * heads * 56}, -2.0f, 2.0f);
    const int64_t out_tokens = q_pool ? n / 4 : n;
    t.add({name, {out_tokens, heads * 56LL}, 4.0 * out_tokens * nk * heads * 56, "GFLOP/s", bf16,
           [=](Backend& be, Tensor& y) { return be.attention(qkv, p, y); }});
  };
  attn("attention blocks 0-1: 8x8 windows, 2 heads", t.pick(32, 128), 2, 8, false);
  attn("attention block 2: 8x8 windows, q-pooled, 4 heads", t.pick(32, 128), 4, 8, true);
  attn("attention blocks 3-4: 4x4 windows, 4 heads", t.pick(16, 64), 4, 4, false);
  attn("attention block 5: 4x4 windows, q-pooled, 8 heads", t.pick(16, 64), 8, 4, true);
  attn("attention blocks 6-20: global 1024 tokens, 8 heads", 32, 8, 32, false);
  attn("attention block 21: global, q-pooled, 16 heads", 32, 16, 32, true);
  attn("attention blocks 22-23: global 256 tokens, 16 heads", 16, 16, 16, false);
  attn("attention bf16 global 1024 tokens, 8 heads", 32, 8, 32, false, true);
}

void resize_cases(Table& t) {
  // Bilinear runs channels-last (N, h, w, C), bicubic (pos_embed at load) NCHW.
  auto resize = [&](const std::string& name, Shape in, int64_t ho, int64_t wo, bool cubic) {
    Tensor x = t.rnd(in);
    const Shape out = cubic ? Shape{in[0], in[1], ho, wo} : Shape{in[0], ho, wo, in[3]};
    t.add_memory(name, out, 4, [=](Backend& be, Tensor& y) {
      return cubic ? be.resize_bicubic(x, y) : be.resize_bilinear(x, y);
    });
  };
  resize("bilinear logits x4 up", {1, t.pick<int64_t>(32, 128), t.pick<int64_t>(32, 128), 4}, t.pick<int64_t>(128, 512),
         t.pick<int64_t>(128, 512), false);
  resize("bilinear non-integer down", {1, 100, 60, 3}, 37, 23, false);
  resize("bicubic pos_embed 512->128 grid", {1, 112, 512, 512}, 128, 128, true);
  resize("bicubic pos_embed 512->256 grid", {1, 112, 512, 512}, 256, 256, true);
  resize("bicubic upscale 16->40", {1, 8, 16, 16}, 40, 40, true);
  // The decoders' sum: y (S/4 map, channels-last) plus three coarser maps upsampled x2, x4,
  // x8, then ReLU; and a non-integer ratio without the ReLU.
  const int64_t h = t.pick<int64_t>(32, 128), w = t.pick<int64_t>(24, 128), c = t.pick<int64_t>(40, 512);
  Tensor y0 = t.rnd({1, h, w, c}), a = t.rnd({1, h / 2, w / 2, c}), b = t.rnd({1, h / 4, w / 4, c});
  Tensor d = t.rnd({1, h / 8, w / 8, c}), odd = t.rnd({1, 7, 5, c});
  t.add_memory("add_resized_bilinear x2 x4 x8 + relu (NHWC)", y0.shape(), 8, [=](Backend& be, Tensor& y) {
    std::memcpy(y.raw(), y0.raw(), y0.nbytes());
    const Tensor* parts[] = {&a, &b, &d};
    return be.add_resized_bilinear(parts, y, true);
  });
  t.add_memory("add_resized_bilinear non-integer (NHWC)", y0.shape(), 8, [=](Backend& be, Tensor& y) {
    std::memcpy(y.raw(), y0.raw(), y0.nbytes());
    const Tensor* parts[] = {&odd};
    return be.add_resized_bilinear(parts, y, false);
  });
}

}  // namespace

std::vector<OpCase> make_op_cases(Scale scale, const std::string& filter) {
  Table t(scale, filter);
  linear_cases(t);
  conv_cases(t);
  norm_cases(t);
  eltwise_cases(t);
  attention_cases(t);
  resize_cases(t);
  return t.take();
}

}  // namespace ck::opcases
