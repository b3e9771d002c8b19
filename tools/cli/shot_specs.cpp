// Shots as the commands name them (clip folders, folders of clips, --input/--hint/--output-dir)
// and the ShotJob each becomes: shared by `process`, `verify` and `farm`.
#include "shot_specs.hpp"

#include "clip_settings.hpp"

#include <algorithm>
#include <filesystem>

#include "corridorkey/weights_files.hpp"

namespace ck::cli {

namespace fs = std::filesystem;

namespace {

std::string find_entry(const fs::path& dir, const std::string& stem) {
  std::error_code ec;
  if (fs::is_directory(dir / stem, ec)) return (dir / stem).string();
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().stem() == stem) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files.empty() ? "" : files.front();
}

bool is_clip_folder(const fs::path& dir) { return !find_entry(dir, "Input").empty(); }

Result<ShotSpec> clip_spec(const fs::path& dir) {
  ShotSpec spec;
  spec.is_clip = true;
  spec.name = fs::weakly_canonical(dir).filename().string();
  spec.input = find_entry(dir, "Input");
  spec.hint = find_entry(dir, "AlphaHint");
  if (spec.hint.empty()) spec.hint = "auto";  // hints made from the plate
  spec.output_dir = (dir / "Output").string();
  spec.clip_dir = dir.string();
  return spec;
}

// Positional folders: each a clip, or a folder of clips.
Result<std::vector<ShotSpec>> clip_specs(const std::vector<std::string>& folders) {
  std::vector<ShotSpec> specs;
  for (const std::string& folder : folders) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) return err(ErrorCode::kIo, "no clip folder '", folder, "'");
    if (is_clip_folder(folder)) {
      CK_ASSIGN(ShotSpec spec, clip_spec(folder));
      specs.push_back(spec);
      continue;
    }
    std::vector<fs::path> clips;
    for (const fs::directory_entry& e : fs::directory_iterator(folder, ec)) {
      if (e.is_directory() && is_clip_folder(e.path())) clips.push_back(e.path());
    }
    if (clips.empty()) {
      return err(ErrorCode::kInvalidArgument, "'", folder,
                 "' is neither a clip (Input/ or Input.<video> inside) nor a folder of clips");
    }
    std::sort(clips.begin(), clips.end());
    for (const fs::path& clip : clips) {
      CK_ASSIGN(ShotSpec spec, clip_spec(clip));
      specs.push_back(spec);
    }
  }
  return specs;
}

// The folder the plate's files are in (the sequence's folder, or the video's).
fs::path input_folder(const std::string& input) {
  std::error_code ec;
  if (fs::is_directory(input, ec)) return fs::path(input);
  const fs::path parent = fs::path(input).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

Result<std::vector<ShotSpec>> shot_specs_of(const ProcessOptions& o) {
  std::vector<ShotSpec> specs;
  if (!o.input.empty()) {
    if (o.output_dir.empty()) return err(ErrorCode::kInvalidArgument, "--input needs --output-dir");
    ShotSpec spec;
    spec.input = o.input;
    spec.hint = o.hint.empty() ? "auto" : o.hint;
    spec.output_dir = o.output_dir;
    const fs::path in(o.input);
    spec.name = SequencePattern::looks_like_pattern(o.input) ? in.parent_path().filename().string() : in.stem().string();
    if (spec.name.empty() || spec.name == ".") spec.name = "shot";
    specs.push_back(spec);
    return specs;
  }
  CK_ASSIGN(specs, clip_specs(o.clips));
  if (!o.output_dir.empty()) {
    if (specs.size() != 1) {
      return err(ErrorCode::kInvalidArgument, "--output-dir is for one clip; several write to their own Output/");
    }
    specs[0].output_dir = o.output_dir;
  }
  return specs;
}

Status check_output_folder(const ShotSpec& spec) {
  std::error_code ec;
  const fs::path in = input_folder(spec.input);
  if (fs::exists(spec.output_dir, ec) && fs::equivalent(in, spec.output_dir, ec)) {
    return err(ErrorCode::kInvalidArgument, "the output folder '", spec.output_dir,
               "' is the plate's folder; choose another --output-dir");
  }
  return ok_status();
}

static Result<std::vector<VideoCodec>> deliverables_of(const ProcessOptions& o) {
  std::vector<VideoCodec> codecs;
  for (const std::string& name : o.video_out) {
    if (name == "prores") {
      codecs.push_back(VideoCodec::kProRes4444);
    } else if (name == "ffv1") {
      codecs.push_back(VideoCodec::kFfv1);
    } else {
      return err(ErrorCode::kInvalidArgument, "--video-out '", name, "': choose prores (ProRes 4444 in MOV) or ffv1 (FFV1 in MKV)");
    }
  }
  if (o.preview) codecs.push_back(VideoCodec::kH264);
  return codecs;
}

Result<SharedSettings> shared_settings(const ProcessOptions& o, const std::string& checkpoint) {
  SharedSettings s;
  if (!o.frames.empty()) {
    CK_ASSIGN(s.frames, parse_frame_ranges(o.frames));
  }
  CK_ASSIGN(s.deliverables, deliverables_of(o));
  if (!o.input_colorspace.empty()) {
    if (o.frame.input_is_linear) {
      return err(ErrorCode::kInvalidArgument, "--linear and --input-colorspace both say what the plate is; give one");
    }
    CK_ASSIGN(auto conversion, ColourConversion::to_working(o.ocio_config, o.input_colorspace, o.working_colorspace));
    s.to_working = std::move(conversion);
  }
  if (!o.output_colorspace.empty()) {
    CK_ASSIGN(auto conversion, ColourConversion::from_working(o.ocio_config, o.output_colorspace, o.working_colorspace));
    s.from_working = std::move(conversion);
  }
  if (!checkpoint.empty()) {
    CK_ASSIGN(s.weights_id, file_sha256(checkpoint));
    s.weights_id = "sha256:" + s.weights_id;
  }
  return s;
}

Result<ShotJob> build_job(const ProcessOptions& o, const ShotSpec& spec, const SharedSettings& shared) {
  ShotJob job;
  job.name = spec.name;
  const ReadOptions limits{o.max_pixels};
  CK_ASSIGN(job.plate, open_frame_source(spec.input, limits));
  if (spec.hint == "auto") {
    job.auto_hint = HintOptions{};
    job.auto_hint->screen = screen_colour_from_name(o.screen).value_or(ScreenColour::kAuto);
  } else {
    CK_ASSIGN(job.hint, open_frame_source(spec.hint, limits));
  }
  job.frames = shared.frames;
  job.frame = o.frame;
  job.frame.screen = screen_colour_from_name(o.screen).value_or(ScreenColour::kAuto);
  job.frame.auto_despeckle = !o.no_despeckle;
  job.frame.generate_comp = !o.no_comp;
  if (spec.is_clip) {  // what the keying station saved for the clip, under the command line's flags
    CK_ASSIGN(const auto saved, read_clip_settings(spec.clip_dir));
    if (saved) apply_clip_settings(*saved, o.given_flags, job.frame, job.auto_hint);
  }
  job.output.dir = spec.output_dir;
  job.output.comp = !o.no_comp;
  job.output.exr_float = o.exr_float;
  job.output.fg_linear = o.fg_linear;
  job.output.exr_compression = o.exr_compression;
  job.output.png_compression = o.png_compression;
  job.output.deliverables = shared.deliverables;
  job.output.frame_rate = o.fps;
  // Clips resume by default; an explicit --input redoes its frames unless told to skip.
  job.skip_existing = o.overwrite ? false : (o.skip_existing || spec.is_clip);
  job.force_mix = o.force;
  job.weights_id = shared.weights_id;
  job.queue_depth = o.queue_depth;
  if (shared.to_working) {
    job.frame.input_is_linear = true;  // the working space is linear Rec.709
    job.settings["input_colorspace"] = o.input_colorspace;
    job.prepare_plate = [conversion = shared.to_working](Image& plate) { return conversion->apply(plate); };
  }
  if (shared.from_working) {
    job.settings["output_colorspace"] = o.output_colorspace;
    job.finish_outputs = [conversion = shared.from_working](FrameResult& r) {
      return conversion->apply_premultiplied(r.processed);
    };
  }
  return job;
}


std::string frame_runs(const std::vector<int64_t>& frames, const std::string& separator) {
  std::string s;
  for (size_t i = 0; i < frames.size();) {
    size_t j = i;
    while (j + 1 < frames.size() && frames[j + 1] == frames[j] + 1) ++j;
    s += (s.empty() ? "" : separator) + std::to_string(frames[i]) + (j > i ? "-" + std::to_string(frames[j]) : "");
    i = j + 1;
  }
  return s;
}

}  // namespace ck::cli
