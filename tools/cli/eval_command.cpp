// corridorkey eval: matting errors of keyed frames against ground truth (synthetic shots from
// `corridorkey synth`, or any plates with true mattes): SAD, MSE, gradient and connectivity
// errors, the foreground's error where the subject is, and dtSSD over a sequence; per frame
// and mean, as text or NDJSON.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "corridorkey/frames.hpp"
#include "corridorkey/matting_metrics.hpp"

namespace ck::cli {

namespace {

namespace fs = std::filesystem;

struct EvalOptions {
  std::vector<std::string> clips;
  std::string pred = "Output/Matte", truth = "Truth/Alpha", pred_fg = "Output/FG", truth_fg = "Truth/FG";
  bool no_fg = false, json = false;
  int64_t max_pixels = 0;
};

struct Totals {
  MattingErrors sum;
  double fg_mse_sum = 0, dtssd_sum = 0;
  int frames = 0, dtssd_terms = 0, fg_frames = 0;
  void add(const MattingErrors& e) {
    sum.sad += e.sad;
    sum.mse += e.mse;
    sum.gradient += e.gradient;
    sum.connectivity += e.connectivity;
    if (e.fg_mse >= 0) {
      fg_mse_sum += e.fg_mse;
      ++fg_frames;
    }
    ++frames;
  }
  nlohmann::json mean() const {
    const double n = std::max(frames, 1);
    nlohmann::json j{{"frames", frames}, {"sad", sum.sad / n}, {"mse", sum.mse / n}, {"gradient", sum.gradient / n},
                     {"connectivity", sum.connectivity / n}};
    if (fg_frames > 0) j["fg_mse"] = fg_mse_sum / fg_frames;
    if (dtssd_terms > 0) j["dtssd"] = dtssd_sum / dtssd_terms;
    return j;
  }
};

// Alpha as one channel (the first of what was read).
Image first_channel(const Image& image) {
  if (image.channels == 1) return image;
  Image out{image.width, image.height, 1, std::vector<float>(static_cast<size_t>(image.width) * image.height)};
  for (size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] = image.pixels[i * static_cast<size_t>(image.channels)];
  return out;
}

Image first_three(const Image& image) {
  if (image.channels == 3) return image;
  Image out{image.width, image.height, 3, std::vector<float>(static_cast<size_t>(image.width) * image.height * 3)};
  for (size_t i = 0; i < out.pixels.size() / 3; ++i) {
    for (size_t c = 0; c < 3; ++c) out.pixels[i * 3 + c] = image.pixels[i * static_cast<size_t>(image.channels) + std::min<size_t>(c, image.channels - 1)];
  }
  return out;
}

std::string fixed(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.5f", v);
  return text;
}

// One line of means: "SAD 1.2, MSE 0.003, ...".
std::string describe(const nlohmann::json& mean) {
  return "SAD " + fixed(mean["sad"]) + ", MSE " + fixed(mean["mse"]) + ", Grad " + fixed(mean["gradient"]) + ", Conn " +
         fixed(mean["connectivity"]) + (mean.contains("fg_mse") ? ", FG MSE " + fixed(mean["fg_mse"]) : "") +
         (mean.contains("dtssd") ? ", dtSSD " + fixed(mean["dtssd"]) : "");
}

Status eval_clip(const EvalOptions& o, const std::string& clip, Totals& all) {
  const ReadOptions limits{o.max_pixels};
  const fs::path dir(clip);
  CK_ASSIGN(auto pred, open_frame_source((dir / o.pred).string(), limits));
  CK_ASSIGN(auto truth, open_frame_source((dir / o.truth).string(), limits));
  std::unique_ptr<FrameSource> pred_fg, truth_fg;
  std::error_code ec;
  if (!o.no_fg && fs::exists(dir / o.pred_fg, ec) && fs::exists(dir / o.truth_fg, ec)) {
    CK_ASSIGN(pred_fg, open_frame_source((dir / o.pred_fg).string(), limits));
    CK_ASSIGN(truth_fg, open_frame_source((dir / o.truth_fg).string(), limits));
  }
  Totals clip_totals;
  std::optional<Image> previous_pred, previous_truth;
  for (int64_t frame : truth->frames()) {
    if (!std::binary_search(pred->frames().begin(), pred->frames().end(), frame)) {
      return err(ErrorCode::kIo, clip, ": frame ", frame, " has a true matte but no keyed one (", pred->describe(frame), ")");
    }
    CK_ASSIGN(const Image p, pred->read(frame));
    CK_ASSIGN(const Image t, truth->read(frame));
    const Image alpha = first_channel(p), true_alpha = first_channel(t);
    std::optional<Image> fg, true_fg;
    if (pred_fg) {
      CK_ASSIGN(const Image f, pred_fg->read(frame));
      CK_ASSIGN(const Image tf, truth_fg->read(frame));
      fg = first_three(f);
      true_fg = first_three(tf);
    }
    const Result<MattingErrors> errors =
        matting_errors(alpha, true_alpha, fg ? &*fg : nullptr, true_fg ? &*true_fg : nullptr);
    if (!errors.ok()) return err(errors.error().code, clip, " frame ", frame, ": ", errors.error().message);
    clip_totals.add(errors.value());
    all.add(errors.value());
    nlohmann::json line{{"event", "frame"}, {"clip", clip}, {"frame", frame}, {"sad", errors->sad},
                        {"mse", errors->mse}, {"gradient", errors->gradient}, {"connectivity", errors->connectivity}};
    if (errors->fg_mse >= 0) line["fg_mse"] = errors->fg_mse;
    if (previous_pred) {
      CK_ASSIGN(const double term, dtssd_term(alpha, *previous_pred, true_alpha, *previous_truth));
      clip_totals.dtssd_sum += term;
      ++clip_totals.dtssd_terms;
      all.dtssd_sum += term;
      ++all.dtssd_terms;
      line["dtssd"] = term;
    }
    previous_pred = alpha;
    previous_truth = true_alpha;
    if (o.json) std::cout << line.dump() << "\n";
  }
  const nlohmann::json mean = clip_totals.mean();
  if (o.json) {
    std::cout << nlohmann::json{{"event", "clip"}, {"clip", clip}, {"mean", mean}}.dump() << "\n";
  } else {
    std::cout << clip << ": " << mean["frames"] << " frames, " << describe(mean) << "\n";
  }
  return ok_status();
}

Status run_eval(const EvalOptions& o) {
  Totals all;
  for (const std::string& clip : o.clips) CK_TRY(eval_clip(o, clip, all));
  const nlohmann::json mean = all.mean();
  if (o.json) {
    std::cout << nlohmann::json{{"event", "summary"}, {"mean", mean}}.dump() << "\n";
  } else {
    std::cout << "mean over " << mean["frames"] << " frames: " << describe(mean) << "\n"
              << "(SAD, Grad and Conn in thousands; MSE over the whole frame; FG MSE where the true alpha > 0)\n";
  }
  return ok_status();
}

}  // namespace

void add_eval_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Matting errors against ground truth: SAD, MSE, gradient, connectivity, foreground MSE, dtSSD");
  cmd->add_option("clips", o->clips, "clip folders holding keyed frames and their truth")->required();
  cmd->add_option("--pred", o->pred, "the mattes to measure, inside each clip")->capture_default_str();
  cmd->add_option("--truth", o->truth, "the true mattes, inside each clip")->capture_default_str();
  cmd->add_option("--pred-fg", o->pred_fg, "the foregrounds to measure (sRGB)")->capture_default_str();
  cmd->add_option("--truth-fg", o->truth_fg, "the true foregrounds (sRGB)")->capture_default_str();
  cmd->add_flag("--no-fg", o->no_fg, "alpha only");
  cmd->add_flag("--json", o->json, "NDJSON: a line per frame, per clip and a summary");
  add_max_pixels_option(*cmd, o->max_pixels);
  cmd->callback([o, &run_fn] { run_fn = exit_code_of("eval", [o] { return run_eval(*o); }); });
}

}  // namespace ck::cli
