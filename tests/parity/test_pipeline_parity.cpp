// The frame pipeline against the original's libraries (torchvision, OpenCV, numpy), on
// fixtures made by tools/reference/make_pipeline_fixtures.py: every step alone, then whole
// frames through the tiny network. Bars: colour math and resizes 1e-5, 8-bit mask steps
// within one code value (the blur is bit-exact in practice), final outputs 1e-4.
#include <cstdlib>

#include "corridorkey/colour.hpp"
#include "image/composite.hpp"
#include "image/despeckle.hpp"
#include "image/despill.hpp"
#include "image/resample.hpp"
#include "corridorkey/engine.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

const StateDict& steps() {
  static const StateDict sd = unwrap(read_safetensors(fixture_path("pipeline/steps.safetensors"))).tensors;
  return sd;
}

// H x W x C (or H x W) float tensor <-> planar image.
Planar planar_of(const Tensor& t) {
  const int h = static_cast<int>(t.size(0)), w = static_cast<int>(t.size(1));
  const int c = t.dim() == 3 ? static_cast<int>(t.size(2)) : 1;
  Image img{w, h, c, std::vector<float>(t.data<float>(), t.data<float>() + t.numel())};
  return to_planar(img, 0, c);
}

double max_abs(const std::vector<float>& got, const Tensor& want) {
  EXPECT_EQ(got.size(), static_cast<size_t>(want.numel()));
  double m = 0;
  for (size_t i = 0; i < got.size() && i < static_cast<size_t>(want.numel()); ++i) {
    m = std::max(m, std::fabs(static_cast<double>(got[i]) - want.data<float>()[i]));
  }
  return m;
}

double max_abs(const Planar& got, const Tensor& want) { return max_abs(to_interleaved(got).pixels, want); }

// Prints the error (the figures docs/PARITY.md quotes) and returns it for the bar check.
double reported(const std::string& what, double e) {
  std::cout << what << ": max abs " << e << "\n";
  return e;
}

TEST(PipelineSteps, SrgbTransferFunctions) {
  const Tensor& x = steps().at("colour/x");
  std::vector<float> to_srgb(x.numel()), to_linear(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) {
    to_srgb[i] = linear_to_srgb(x.data<float>()[i]);
    to_linear[i] = srgb_to_linear(x.data<float>()[i]);
  }
  EXPECT_LE(reported("linear_to_srgb", max_abs(to_srgb, steps().at("colour/linear_to_srgb"))), 1e-5);
  EXPECT_LE(reported("srgb_to_linear", max_abs(to_linear, steps().at("colour/srgb_to_linear"))), 1e-5);
}

TEST(PipelineSteps, ResizesMatchTorchvisionAndOpenCv) {
  const Planar src = planar_of(steps().at("resize/src"));
  struct Case {
    const char* name;
    int w, h;
    ResampleFilter f;
  };
  for (const Case& c : {Case{"resize/aa_down_40x23", 40, 23, ResampleFilter::kAntialiasedBilinear},
                        Case{"resize/aa_up_150x90", 150, 90, ResampleFilter::kAntialiasedBilinear},
                        Case{"resize/aa_mixed_64x128", 64, 128, ResampleFilter::kAntialiasedBilinear},
                        Case{"resize/lanczos_up_150x90", 150, 90, ResampleFilter::kLanczos4},
                        Case{"resize/lanczos_down_40x23", 40, 23, ResampleFilter::kLanczos4},
                        Case{"resize/lanczos_mixed_64x128", 64, 128, ResampleFilter::kLanczos4}}) {
    EXPECT_LE(reported(c.name, max_abs(resample(src, c.w, c.h, c.f), steps().at(c.name))), 1e-5);
  }
}

TEST(PipelineSteps, Despill) {
  for (const auto& [name, strength] : {std::pair{"despill/strength_1", 1.0f}, {"despill/strength_0.3", 0.3f}}) {
    Planar fg = planar_of(steps().at("despill/src"));
    despill_in_place(fg, strength);
    EXPECT_LE(reported(name, max_abs(fg, steps().at(name))), 1e-6);
  }
}

std::vector<uint8_t> bytes_of(const Tensor& t) {
  std::vector<uint8_t> b(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(t.data<float>()[i]);
  return b;
}

int max_code_diff(const std::vector<uint8_t>& got, const Tensor& want) {
  int m = 0;
  for (size_t i = 0; i < got.size(); ++i) m = std::max(m, std::abs(got[i] - static_cast<int>(want.data<float>()[i])));
  return m;
}

TEST(PipelineSteps, DespeckleStepsMatchOpenCv) {
  const Tensor& alpha = steps().at("despeckle/alpha");
  const int h = static_cast<int>(alpha.size(0)), w = static_cast<int>(alpha.size(1));
  std::vector<uint8_t> mask(static_cast<size_t>(alpha.numel()));
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = alpha.data<float>()[i] > 0.5f ? 255 : 0;
  const auto kept = keep_large_components(mask, w, h, 30);
  EXPECT_EQ(max_code_diff(kept, steps().at("despeckle/kept_30")), 0);
  const auto dilated = dilate_ellipse(bytes_of(steps().at("despeckle/kept_30")), w, h, 25);
  EXPECT_EQ(max_code_diff(dilated, steps().at("despeckle/dilated")), 0);
  const auto blurred = gaussian_blur_8bit(bytes_of(steps().at("despeckle/dilated")), w, h, 5);
  EXPECT_LE(reported("despeckle/blurred (code values)", max_code_diff(blurred, steps().at("despeckle/blurred"))), 1);
  for (const auto& [name, area] : {std::pair{"despeckle/clean_30", 30}, {"despeckle/clean_400", 400}}) {
    DespeckleParams p;
    p.min_area = area;
    EXPECT_LE(reported(name, max_abs(despeckle(alpha.data<float>(), w, h, p), steps().at(name))), 1.0 / 255 + 1e-6);
  }
}

TEST(PipelineSteps, CheckerboardComposite) {
  const Planar fg = planar_of(steps().at("composite/fg_linear"));
  const Planar a = planar_of(steps().at("composite/alpha"));
  EXPECT_LE(reported("composite", max_abs(composite_over_checkerboard(fg, a), steps().at("composite/comp"))), 1e-5);
}

class PipelineFrame : public ::testing::TestWithParam<const char*> {};

TEST_P(PipelineFrame, FourOutputsMatchTheOriginal) {
  const SafetensorsFile f = unwrap(read_safetensors(fixture_path(std::string("pipeline/") + GetParam())));
  const auto& m = f.metadata;
  EngineOptions eo;
  eo.img_size = std::stoi(m.at("img_size"));
  auto engine = unwrap(Engine::create(fixture_path("tiny/weights.safetensors"), eo));
  FrameOptions o;
  o.refiner_scale = std::stof(m.at("refiner_scale"));
  o.input_is_linear = m.at("input_is_linear") == "True";
  o.despill_strength = std::stof(m.at("despill_strength"));
  o.auto_despeckle = m.at("auto_despeckle") == "True";
  o.despeckle_size = std::stoi(m.at("despeckle_size"));
  const Tensor& plate = f.tensors.at("plate");
  const Tensor& hint = f.tensors.at("hint");
  const ImageView pv{plate.raw(), static_cast<int>(plate.size(1)), static_cast<int>(plate.size(0)), 3, PixelType::kF32, 0};
  const ImageView hv{hint.raw(), static_cast<int>(hint.size(1)), static_cast<int>(hint.size(0)), 1, PixelType::kF32, 0};
  const FrameResult r = unwrap(engine->process_frame(pv, hv, o));
  EXPECT_EQ(r.warnings.empty(), hint.size(0) == plate.size(0));
  for (const auto& [name, img] : {std::pair<const char*, const Image*>{"alpha", &r.alpha}, {"fg", &r.fg},
                                  {"processed", &r.processed}, {"comp", &r.comp}}) {
    const double e = max_abs(img->pixels, f.tensors.at(name));
    std::cout << GetParam() << " " << name << ": max abs " << e << "\n";
    EXPECT_LE(e, 1e-4) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PipelineFrame,
                         ::testing::Values("frame_320x180_s128.safetensors", "frame_224x160_s256_linear.safetensors"));

}  // namespace
}  // namespace ck::test
