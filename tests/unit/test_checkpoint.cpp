// Loading checkpoints into the canonical state dict and checking them against the network:
// the official .pth layout, the MLX port's layout, and checkpoints that do not fit.
#include <filesystem>
#include <fstream>

#include "model/weight_spec.hpp"
#include "test_util.hpp"
#include "weights/checkpoint.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(Checkpoint, OfficialPthBecomesTheCanonicalStateDict) {
  Checkpoint ck = unwrap(load_checkpoint(fixture_path("checkpoints/tiny_official.pth")));
  EXPECT_EQ(ck.format, CheckpointFormat::kPth);
  EXPECT_EQ(ck.layout, CheckpointLayout::kPyTorch);
  ASSERT_EQ(ck.tensors.size(), tiny_weights().size());  // prefix stripped, counters dropped
  for (const auto& [name, want] : tiny_weights()) {
    ASSERT_TRUE(ck.tensors.count(name)) << name;
    EXPECT_TRUE(same_bytes(unwrap(ck.tensors.at(name).contiguous()), want)) << name;
  }
  const GreenFormerConfig cfg = unwrap(infer_config(ck.tensors));
  EXPECT_EQ(cfg.describe(), GreenFormerConfig::tiny().describe());
  const Status st = validate_state_dict(ck.tensors, cfg);
  EXPECT_TRUE(st.ok()) << st.error().message;
}

TEST(Checkpoint, MlxLayoutIsRenamedAndTransposedToPyTorch) {
  Checkpoint ck = unwrap(load_checkpoint(fixture_path("checkpoints/tiny_mlx.safetensors")));
  EXPECT_EQ(ck.format, CheckpointFormat::kSafetensors);
  EXPECT_EQ(ck.layout, CheckpointLayout::kMlx);
  ASSERT_EQ(ck.tensors.size(), tiny_weights().size());
  for (const auto& [name, want] : tiny_weights()) {
    ASSERT_TRUE(ck.tensors.count(name)) << name;
    const Tensor& got = ck.tensors.at(name);
    ASSERT_EQ(got.shape(), want.shape()) << name;  // OHWI kernels back to OIHW
    // The port stores the refiner in bfloat16: compare with the bfloat16 rounding of the original.
    const Tensor expected = got.dtype() == DType::BF16 ? unwrap(want.to(DType::BF16)) : want;
    EXPECT_EQ(got.dtype() == DType::BF16, name.rfind("refiner.", 0) == 0) << name;
    EXPECT_TRUE(same_bytes(unwrap(got.contiguous()), expected)) << name;
  }
  EXPECT_TRUE(validate_state_dict(ck.tensors, GreenFormerConfig::tiny()).ok());
}

TEST(Checkpoint, OurSafetensorsLoadUnchanged) {
  Checkpoint ck = unwrap(load_checkpoint(fixture_path("tiny/weights.safetensors")));
  EXPECT_EQ(ck.layout, CheckpointLayout::kPyTorch);
  EXPECT_EQ(ck.metadata.at("synthetic_seed"), "5");
  for (const auto& [name, want] : tiny_weights()) EXPECT_TRUE(same_bytes(ck.tensors.at(name), want)) << name;
}

TEST(Checkpoint, OneReportListsMissingUnexpectedAndMismatchedTensors) {
  StateDict sd = tiny_weights();
  sd.erase("refiner.final.bias");
  sd["encoder.model.blocks.0.attn.qkv.weight"] = unwrap(Tensor::zeros({3, 3}));
  sd["decoder.extra.weight"] = unwrap(Tensor::zeros({2}));
  const Status st = validate_state_dict(sd, GreenFormerConfig::tiny());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kFormat);
  const std::string& m = st.error().message;
  EXPECT_NE(m.find("3 problems"), std::string::npos) << m;
  EXPECT_NE(m.find("missing: refiner.final.bias (4,)"), std::string::npos) << m;
  EXPECT_NE(m.find("wrong shape: encoder.model.blocks.0.attn.qkv.weight is (3, 3), expected (24, 8)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("unexpected: decoder.extra.weight (2,)"), std::string::npos) << m;
}

TEST(Checkpoint, TinyWeightsDoNotFitTheFullSizeNetwork) {
  const Status st = validate_state_dict(tiny_weights(), GreenFormerConfig::base_plus());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("wrong shape: encoder.model.patch_embed.proj.weight"), std::string::npos);
  EXPECT_NE(st.error().message.find("and "), std::string::npos);  // long reports are cut, with a count
}

TEST(Checkpoint, PosEmbedMayComeOnAnySquareGrid) {
  StateDict sd = tiny_weights();
  sd["encoder.model.pos_embed"] = unwrap(Tensor::zeros({1, 48 * 48, 8}));
  EXPECT_TRUE(validate_state_dict(sd, GreenFormerConfig::tiny()).ok());
  sd["encoder.model.pos_embed"] = unwrap(Tensor::zeros({1, 50, 8}));
  const Status st = validate_state_dict(sd, GreenFormerConfig::tiny());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not a square grid"), std::string::npos) << st.error().message;
}

TEST(Checkpoint, InferConfigRejectsOtherNetworks) {
  StateDict sd{{"model.fc.weight", unwrap(Tensor::zeros({2, 2}))}};
  auto r = infer_config(sd);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a GreenFormer checkpoint"), std::string::npos);
  // The full-size network's sizes are read back off its tensor shapes (storage left untouched).
  StateDict full;
  for (const TensorSpec& t : greenformer_weight_spec(GreenFormerConfig::base_plus(), 512)) {
    full.emplace(t.name, unwrap(Tensor::empty(t.shape)));
  }
  EXPECT_EQ(unwrap(infer_config(full)).describe(), GreenFormerConfig::base_plus().describe());
  EXPECT_TRUE(validate_state_dict(full, GreenFormerConfig::base_plus()).ok());
}

TEST(Checkpoint, UnreadableAndForeignFilesNameTheFile) {
  auto missing = load_checkpoint("/nonexistent/ck.pth");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_NE(missing.error().message.find("/nonexistent/ck.pth"), std::string::npos);
  // A legacy (non-zip) torch.save stream starts with a pickle protocol byte.
  const std::string legacy = (fs::temp_directory_path() / "ck_test_legacy.pth").string();
  std::ofstream(legacy, std::ios::binary) << std::string("\x80\x02\x8a\x0a", 4) << "rest";
  auto r = load_checkpoint(legacy);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("legacy"), std::string::npos);
  EXPECT_NE(r.error().message.find(legacy), std::string::npos);
  fs::remove(legacy);
}

}  // namespace
}  // namespace ck::test
