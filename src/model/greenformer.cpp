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
  std::unique_ptr<Backend> host_owner;
  if (!backend.host_memory()) {
    CK_ASSIGN(host_owner, create_cpu_backend());
  }
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
  net.set_memory_plan({});
  return net;
}

void GreenFormer::set_memory_plan(const NetworkMemoryPlan& plan) {
  plan_ = plan;
  encoder_.set_token_chunk(plan.token_chunk);
}

namespace {

// A channels-last map (1, H, W, C) as the NCHW map (1, C, H, W) stage tensors are kept in.
Result<Tensor> nchw_copy(Backend& be, const Tensor& nhwc) {
  CK_ASSIGN(const Tensor tokens, nhwc.reshape({nhwc.size(1) * nhwc.size(2), nhwc.size(3)}));
  return tokens_to_map(be, tokens, nhwc.size(1), nhwc.size(2));
}

}  // namespace

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
  CK_ASSIGN(Tensor logits, decoders_.forward(be, features, plan_.decoder_band_rows));  // (1, S/4, S/4, 4)
  lap(clock, "decoders");
  if (stages) {
    CK_ASSIGN(const Tensor map, nchw_copy(be, logits));
    (*stages)["alpha_logits"] = channel_slice(map, 0, 1);
    (*stages)["fg_logits"] = channel_slice(map, 1, 3);
  }
  return logits;
}

Result<GreenFormerOutput> GreenFormer::forward(const Tensor& x, StageTensors* stages, float refiner_scale,
                                               StageClock* clock) const {
  // From the second frame on, its buffers come from one planned arena (core/buffer_pool.hpp).
  const BufferPool::FrameScope frame;
  Backend& be = *backend_;
  const int64_t s = img_size();
  // The network runs channels-last; NCHW is only where stage tensors are: the outputs, and
  // the copies an observer asks for.
  auto keep = [&](const char* name, const Tensor& nhwc, int64_t c0, int64_t n) -> Status {
    if (!stages) return ok_status();
    CK_ASSIGN(const Tensor map, nchw_copy(be, nhwc));
    (*stages)[name] = channel_slice(map, c0, n);
    return ok_status();
  };
  if (x.dim() != 4 || x.size(0) != 1 || x.size(1) != s || x.size(2) != s || x.size(3) != 4) {
    return err(ErrorCode::kInvalidArgument, "network input is ", shape_str(x.shape()), ", expected (1, ", s, ", ", s,
               ", 4) channels-last");
  }
  CK_TRY(keep("input", x, 0, 4));
  CK_ASSIGN(const Tensor input, x.reshape({s * s, 4}));  // RGB and hint per pixel
  CK_ASSIGN(const Tensor logits, encode_and_decode(x, stages, clock));  // (1, S/4, S/4, 4)

  // The refiner in bands: no full-resolution map but the output, so the full-resolution
  // intermediates (the upsampled logits, the coarse prediction, the delta) are not made and
  // not kept; the encoder's, the decoders' and the final stages are.
  const bool banded = refiner_scale != 0.0f && plan_.refiner_band_rows > 0;
  Tensor final_logits;
  if (banded) {
    CK_ASSIGN(final_logits, refiner_.forward_in_bands(be, input, logits, refiner_scale, plan_.refiner_band_rows));
    lap(clock, "refiner");
  } else {
    // Coarse prediction at full size: logits upsampled x4, then sigmoid. alpha and fg live
    // side by side in one (1, S, S, 4) map, which is also the refiner's second input.
    CK_ASSIGN(Tensor coarse, new_tensor(be, {1, s, s, 4}));
    CK_TRY(be.resize_bilinear(logits, coarse));
    CK_TRY(keep("alpha_logits_up", coarse, 0, 1));
    CK_TRY(keep("fg_logits_up", coarse, 1, 3));
    CK_TRY(be.unary(UnaryOp::kSigmoid, coarse, coarse));
    CK_TRY(keep("alpha_coarse", coarse, 0, 1));
    CK_TRY(keep("fg_coarse", coarse, 1, 3));
    final_logits = coarse;  // refiner_scale 0: the coarse prediction is the output
    if (refiner_scale != 0.0f) {
      // (1, S, S, 4), already multiplied by refiner_scale.
      CK_ASSIGN(final_logits, refiner_.forward(be, input, std::move(coarse), refiner_scale));
      CK_TRY(keep("delta_logits", final_logits, 0, 4));
      lap(clock, "refiner");
      // up(logits) + delta, the upsampling done again as it is added rather than kept through
      // the refiner (a 4-channel map: 64 MiB at S = 2048).
      const Tensor* up[] = {&logits};
      CK_TRY(be.add_resized_bilinear(up, final_logits, /*relu=*/false));
      CK_TRY(be.unary(UnaryOp::kSigmoid, final_logits, final_logits));
    }
  }
  CK_ASSIGN(const Tensor out_map, nchw_copy(be, final_logits));  // (1, 4, S, S)
  GreenFormerOutput out{channel_slice(out_map, 0, 1), channel_slice(out_map, 1, 3)};
  lap(clock, "output");
  if (stages) {
    (*stages)["alpha_final"] = out.alpha;
    (*stages)["fg_final"] = out.fg;
  }
  return out;
}

}  // namespace ck
