// corridorkey verify: after a shot's chunks ran (on a farm or anywhere), lists the frames whose
// files are missing or do not decode, exits non-zero if there are any, and otherwise makes the
// video deliverables asked for from the finished frames.
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "process_options.hpp"
#include "shot_specs.hpp"

namespace ck::cli {

namespace {

Status verify(const ProcessOptions& o, bool& complete) {
  CK_ASSIGN(const std::vector<ShotSpec> specs, shot_specs_of(o));
  CK_ASSIGN(const SharedSettings shared, shared_settings(o, ""));
  complete = true;
  for (const ShotSpec& spec : specs) {
    CK_ASSIGN(ShotJob job, build_job(o, spec, shared));
    CK_ASSIGN(const ShotCheck check, check_shot_outputs(job));
    if (o.json) {
      nlohmann::json unreadable = nlohmann::json::array();
      for (const auto& [frame, why] : check.unreadable) unreadable.push_back({{"frame", frame}, {"message", why}});
      std::cout << nlohmann::json{{"event", "verified"}, {"shot", spec.name},       {"total", check.total},
                                  {"missing", check.missing}, {"unreadable", unreadable}}
                       .dump()
                << "\n";
    } else {
      std::cout << spec.name << ": " << check.total << " frames checked in " << spec.output_dir << ": "
                << (check.complete() ? "all complete" : "incomplete") << "\n";
      if (!check.missing.empty()) {
        std::cout << "  missing (" << check.missing.size() << "): " << frame_runs(check.missing, ", ") << "\n";
      }
      for (const auto& [frame, why] : check.unreadable) std::cout << "  unreadable: frame " << frame << ": " << why << "\n";
    }
    if (!check.complete()) {
      complete = false;
      continue;
    }
    CK_ASSIGN(const std::vector<std::string> videos, write_shot_deliverables(job));
    for (const std::string& v : videos) std::cout << (o.json ? "" : spec.name + ": wrote " + v + "\n");
  }
  return ok_status();
}

}  // namespace

void add_verify_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<ProcessOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Check a shot's outputs: list missing or unreadable frames (exit 1 if any), then make its videos");
  cmd->add_option("clips", o->clips, "clip folders, or folders of clips");
  cmd->add_option("--input", o->input, "plate sequence or video (with --hint and --output-dir)");
  cmd->add_option("--hint", o->hint, "the hint the shot was keyed with");
  cmd->add_option("--output-dir", o->output_dir, "the shot's output folder");
  cmd->add_option("--frames", o->frames, "frames to check: 1001-1100[,1200-1250] (default: every plate frame)");
  cmd->add_flag("--no-comp", o->no_comp, "the shot was keyed without Comp/");
  cmd->add_option("--video-out", o->video_out, "once complete, write the key as video: prores or ffv1")
      ->check(CLI::IsMember({"prores", "ffv1"}));
  cmd->add_flag("--preview", o->preview, "once complete, write an H.264 MP4 of the composite");
  cmd->add_option("--fps", o->fps, "frame rate of the videos (default: the plate video's, else 24)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", o->json, "the report as one JSON object per shot");
  cmd->callback([o, &run_fn] {
    if ((o->clips.empty() ? 0 : 1) + (o->input.empty() ? 0 : 1) != 1) {
      throw CLI::ValidationError("verify", "give clip folders or --input (one of them)");
    }
    run_fn = [o] {
      bool complete = true;
      const int code = exit_code_of("verify", [o, &complete] { return verify(*o, complete); })();
      return code != 0 ? code : complete ? 0 : 1;
    };
  });
}

}  // namespace ck::cli
