#include "model/greenformer.hpp"

#include "model/weight_spec.hpp"

#include "core/buffer_pool.hpp"

namespace ck {

void prepare_buffer_pool(int idle_budget_mib) {
  BufferPool& pool = *BufferPool::current();
  pool.trim();
  const size_t mib = idle_budget_mib >= 0 ? static_cast<size_t>(idle_budget_mib) : 64;
  pool.set_idle_budget(mib << 20);
}

Result<GreenFormer> GreenFormer::create(const StateDict& weights, int img_size, Backend& backend,
                                        Precision precision) {
  if (precision == Precision::kBF16) {  // see corridorkey/precision.hpp: bf16 linears and global attention
    CK_TRY(backend.supports(OpKind::kLinear, DType::BF16));
    CK_TRY(backend.supports(OpKind::kAttention, DType::BF16));
  }
  CK_ASSIGN(GreenFormerConfig cfg, infer_config(weights));
  CK_TRY(validate_state_dict(weights, cfg));
  const WeightReader w(weights);
  GreenFormer net;
  net.backend_ = &backend;
  net.cfg_ = cfg;
  // Weights are prepared (folded, resized, converted) in host memory, by the backend itself
  // when it computes there, else by a CPU backend, then uploaded once.
  std::unique_ptr<Backend> host_owner = backend.host_memory() ? nullptr : make_cpu_backend();
  Backend& host = host_owner ? *host_owner : backend;
  CK_ASSIGN(net.encoder_, Hiera::load(w, cfg, img_size, host));
  CK_ASSIGN(net.decoders_, DecoderHeads::load(w, cfg));
  CK_ASSIGN(net.refiner_, Refiner::load(w, cfg));
  net.precision_ = precision;
  if (precision == Precision::kBF16) {
    CK_TRY(net.encoder_.use_bf16_after_stage0());
  }
  CK_TRY(net.encoder_.upload_to(backend));
  CK_TRY(net.decoders_.upload_to(backend));
  CK_TRY(net.refiner_.upload_to(backend));
  return net;
}

Result<Tensor> GreenFormer::encode_and_decode(const Tensor& x, StageTensors* stages, StageClock* clock) const {
  Backend& be = *backend_;
  // The encoder's features live only here: gone before the full-resolution refiner runs.
  CK_ASSIGN(const auto features, encoder_.forward(be, x, clock));
  if (stages) {
    for (int i = 0; i < 4; ++i) {
      CK_ASSIGN(Tensor map, tokens_to_map(be, features[i].tokens, features[i].h, features[i].w));
      (*stages)["encoder_feature_" + std::to_string(i)] = map;
    }
  }
  CK_ASSIGN(Tensor logits, decoders_.forward(be, features));
  lap(clock, "decoders");
  if (stages) {
    (*stages)["alpha_logits"] = channel_slice(logits, 0, 1);
    (*stages)["fg_logits"] = channel_slice(logits, 1, 3);
  }
  return logits;
}

Result<GreenFormerOutput> GreenFormer::forward(const Tensor& x, StageTensors* stages, float refiner_scale,
                                               StageClock* clock) const {
  // From the second frame on, its buffers come from one planned arena (core/buffer_pool.hpp).
  const BufferPool::FrameScope frame;
  Backend& be = *backend_;
  const int64_t s = img_size();
  auto keep = [&](const char* name, const Tensor& t) {
    if (stages) (*stages)[name] = t;
  };
  keep("input", x);
  CK_ASSIGN(const Tensor logits, encode_and_decode(x, stages, clock));  // (1, 4, S/4, S/4)

  // Coarse prediction at full size: logits upsampled x4, then sigmoid. alpha and fg live
  // side by side in one (1, 4, S, S) map, which is also the refiner's second input.
  CK_ASSIGN(Tensor logits_up, new_tensor(be, {1, 4, s, s}));
  CK_TRY(be.resize_bilinear(logits, logits_up));
  Tensor alpha_up = channel_slice(logits_up, 0, 1), fg_up = channel_slice(logits_up, 1, 3);
  CK_ASSIGN(Tensor coarse, apply_unary(be, UnaryOp::kSigmoid, logits_up));
  keep("alpha_logits_up", alpha_up);
  keep("fg_logits_up", fg_up);
  keep("alpha_coarse", channel_slice(coarse, 0, 1));
  keep("fg_coarse", channel_slice(coarse, 1, 3));

  if (refiner_scale == 0.0f) {
    GreenFormerOutput out{channel_slice(coarse, 0, 1), channel_slice(coarse, 1, 3)};
    keep("alpha_final", out.alpha);
    keep("fg_final", out.fg);
    return out;
  }
  // (1, 4, S, S), already multiplied by refiner_scale.
  CK_ASSIGN(Tensor delta, refiner_.forward(be, channel_slice(x, 0, 3), std::move(coarse), refiner_scale));
  keep("delta_logits", delta);
  lap(clock, "refiner");
  CK_ASSIGN(Tensor final_logits, add_tensors(be, logits_up, delta));
  CK_TRY(be.unary(UnaryOp::kSigmoid, final_logits, final_logits));
  GreenFormerOutput out{channel_slice(final_logits, 0, 1), channel_slice(final_logits, 1, 3)};
  lap(clock, "output");
  keep("alpha_final", out.alpha);
  keep("fg_final", out.fg);
  return out;
}

}  // namespace ck
