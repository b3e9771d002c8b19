// ck_pipeline_compare: compares the files `corridorkey process` wrote for a frame with the
// reference pipeline's outputs for the same frame, and prints a Markdown table.
//
//   ck_pipeline_compare --reference REF.safetensors --outputs DIR --name NAME [--bar 1e-4]
//
// Reads DIR/Matte/NAME.exr, DIR/FG/NAME.exr, DIR/Processed/NAME.exr (write them with
// --exr-float: half floats carry only 11 bits) and DIR/Comp/NAME.png (8-bit: compared with the
// reference rounded to 8 bits, in code values). Exits 1 when an output exceeds its bar.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "corridorkey/image_file.hpp"
#include "corridorkey/weights_files.hpp"

namespace {

struct Diff {
  double max_abs = 0, mean_abs = 0;
};

Diff compare(const ck::Image& got, const ck::StageTensor& want, bool as_8bit) {
  Diff d;
  const size_t n = got.pixels.size();
  for (size_t i = 0; i < n; ++i) {
    double w = want.data[i];
    if (as_8bit) w = std::round(std::clamp(w, 0.0, 1.0) * 255.0) / 255.0;
    const double e = std::fabs(got.pixels[i] - w);
    d.max_abs = std::max(d.max_abs, e);
    d.mean_abs += e;
  }
  d.mean_abs /= static_cast<double>(std::max<size_t>(n, 1));
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  std::string reference, outputs, name;
  double bar = 1e-4;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--reference") reference = argv[i + 1];
    else if (a == "--outputs") outputs = argv[i + 1];
    else if (a == "--name") name = argv[i + 1];
    else if (a == "--bar") bar = std::atof(argv[i + 1]);
  }
  if (reference.empty() || outputs.empty() || name.empty()) {
    std::fprintf(stderr, "usage: ck_pipeline_compare --reference REF.safetensors --outputs DIR --name NAME [--bar X]\n");
    return 2;
  }
  auto ref = ck::read_stage_tensors(reference);
  if (!ref.ok()) {
    std::fprintf(stderr, "ck_pipeline_compare: %s\n", ref.error().message.c_str());
    return 2;
  }
  struct Item {
    const char* output;
    std::string path;
    bool as_8bit;
  };
  const Item items[] = {{"alpha", outputs + "/Matte/" + name + ".exr", false},
                        {"fg", outputs + "/FG/" + name + ".exr", false},
                        {"processed", outputs + "/Processed/" + name + ".exr", false},
                        {"comp", outputs + "/Comp/" + name + ".png", true}};
  std::printf("| output | file | max abs | mean abs | bar |\n|---|---|---|---|---|\n");
  int status = 0;
  for (const Item& it : items) {
    auto img = ck::read_image(it.path);
    if (!img.ok()) {
      std::fprintf(stderr, "ck_pipeline_compare: %s\n", img.error().message.c_str());
      return 2;
    }
    const auto want = std::find_if(ref->begin(), ref->end(), [&](const ck::StageTensor& t) { return t.name == it.output; });
    if (want == ref->end()) {
      std::fprintf(stderr, "ck_pipeline_compare: %s holds no '%s'\n", reference.c_str(), it.output);
      return 2;
    }
    if (img->pixels.size() != want->data.size()) {
      std::fprintf(stderr, "ck_pipeline_compare: %s has %zu values, the reference %zu\n", it.path.c_str(),
                   img->pixels.size(), want->data.size());
      return 1;
    }
    const Diff d = compare(*img, *want, it.as_8bit);
    const double item_bar = it.as_8bit ? 1.0 / 255 + 1e-6 : bar;
    std::printf("| %s | %s | %.2e | %.2e | %s |\n", it.output, it.path.substr(outputs.size() + 1).c_str(), d.max_abs,
                d.mean_abs, it.as_8bit ? "1 code value" : std::to_string(bar).c_str());
    if (d.max_abs > item_bar) status = 1;
  }
  return status;
}
