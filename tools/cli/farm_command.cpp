// corridorkey farm slurm|openjd CLIP --chunk N: a clip as frame-range jobs for the schedulers
// studios run. Each chunk is `corridorkey process CLIP --frames A-B`, idempotent and written
// frame by frame all-or-nothing, so a killed or requeued chunk keys only its missing frames;
// a final step runs `corridorkey verify CLIP`. Writes CLIP/farm/: a Slurm array job and its
// verify job, or an Open Job Description template; `--submit` hands the Slurm jobs to sbatch.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "corridorkey/output_set.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "process_options.hpp"
#include "shot_specs.hpp"

namespace ck::cli {

namespace {

namespace fs = std::filesystem;

struct FarmOptions {
  std::string scheduler, clip, frames, partition;
  int chunk = 10, max_parallel = 0;
  bool submit = false, preview = false;
  std::vector<std::string> video_out, process_args, sbatch_args;
};

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The chunks: runs of `size` consecutive plate frames (gaps inside a chunk are fine).
std::vector<FrameRange> chunks_of(const std::vector<int64_t>& frames, int size) {
  std::vector<FrameRange> chunks;
  for (size_t i = 0; i < frames.size(); i += static_cast<size_t>(size)) {
    const size_t last = std::min(frames.size(), i + static_cast<size_t>(size)) - 1;
    chunks.push_back({frames[i], frames[last]});
  }
  return chunks;
}

Status write_text(const std::string& path, const std::string& text, bool executable) {
  OutputSet set;
  CK_TRY(set.add(path, [&](FileSink& out) { return out.write(text.data(), text.size()); }));
  CK_TRY(set.commit());
  if (executable) ::chmod(path.c_str(), 0755);
  return ok_status();
}

std::vector<std::string> verify_args(const FarmOptions& f, const std::string& clip) {
  std::vector<std::string> args{"verify", clip};
  if (!f.frames.empty()) args.insert(args.end(), {"--frames", f.frames});
  for (const std::string& v : f.video_out) args.insert(args.end(), {"--video-out", v});
  if (f.preview) args.push_back("--preview");
  for (const std::string& a : f.process_args) {
    if (a == "--no-comp") args.push_back(a);
  }
  return args;
}

std::string shell_words(const std::vector<std::string>& words) {
  std::string s;
  for (const std::string& w : words) s += " " + quoted(w);
  return s;
}

// Runs sbatch and returns the job id it prints (--parsable).
Result<std::string> sbatch(const std::vector<std::string>& args) {
  FILE* pipe = popen(("sbatch --parsable" + shell_words(args) + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return err(ErrorCode::kIo, "cannot run sbatch");
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  const int status = pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (status != 0 || out.empty() || out.find_first_not_of("0123456789;") != std::string::npos) {
    return err(ErrorCode::kIo, "sbatch failed: ", out.empty() ? "no output (is Slurm installed and running?)" : out);
  }
  return out.substr(0, out.find(';'));
}

Status farm(const FarmOptions& f) {
  if (f.chunk < 1) return err(ErrorCode::kInvalidArgument, "--chunk must be at least 1 frame");
  ProcessOptions po;
  po.clips = {f.clip};
  po.frames = f.frames;
  CK_ASSIGN(const std::vector<ShotSpec> specs, shot_specs_of(po));
  if (specs.size() != 1) return err(ErrorCode::kInvalidArgument, "farm takes one clip; '", f.clip, "' holds several");
  CK_ASSIGN(const SharedSettings shared, shared_settings(po, ""));
  CK_ASSIGN(ShotJob job, build_job(po, specs[0], shared));
  std::vector<int64_t> frames;
  for (int64_t frame : job.plate->frames()) {
    if (frame_selected(shared.frames, frame)) frames.push_back(frame);
  }
  if (frames.empty()) return err(ErrorCode::kInvalidArgument, "no frame of the clip's plate is in --frames");
  const std::string clip = fs::absolute(f.clip).lexically_normal().string();
  const fs::path dir = fs::path(clip) / "farm";
  CK_TRY(create_output_directories((dir / "logs").string()));
  const std::string cli = this_program();
  const std::vector<FrameRange> chunks = chunks_of(frames, f.chunk);
  std::vector<std::string> process{"process", clip, "--json", "--no-progress"};
  process.insert(process.end(), f.process_args.begin(), f.process_args.end());

  if (f.scheduler == "slurm") {
    std::ostringstream job_sh, verify_sh;
    job_sh << "#!/bin/bash\n"
           << "# corridorkey: " << specs[0].name << " in " << chunks.size() << " chunks of up to " << f.chunk
           << " frames, one Slurm array task each (written by `corridorkey farm slurm`).\n"
           << "#SBATCH --job-name=ck-" << specs[0].name << "\n"
           << "#SBATCH --array=0-" << chunks.size() - 1 << (f.max_parallel > 0 ? "%" + std::to_string(f.max_parallel) : "")
           << "\n#SBATCH --output=" << (dir / "logs").string() << "/chunk_%a.log\n"
           << "#SBATCH --open-mode=append\n#SBATCH --requeue\n"
           << (f.partition.empty() ? "" : "#SBATCH --partition=" + f.partition + "\n") << "set -euo pipefail\n"
           << "RANGES=(";
    for (const FrameRange& c : chunks) job_sh << " " << c.first << "-" << c.last;
    job_sh << " )\nFRAMES=${RANGES[$SLURM_ARRAY_TASK_ID]}\n"
           << "echo \"chunk $SLURM_ARRAY_TASK_ID: frames $FRAMES (restart ${SLURM_RESTART_COUNT:-0})\" >&2\n"
           << "exec " << quoted(cli) << shell_words(process) << " --frames \"$FRAMES\"\n";
    const std::string job_path = (dir / "slurm_job.sh").string(), verify_path = (dir / "slurm_verify.sh").string();
    verify_sh << "#!/bin/bash\n# corridorkey: checks every frame of " << specs[0].name
              << " once the chunks are done (written by `corridorkey farm slurm`).\n"
              << "# Submit it as: sbatch --dependency=afterany:ARRAY_JOB_ID slurm_verify.sh\n"
              << "#SBATCH --job-name=ck-" << specs[0].name << "-verify\n#SBATCH --output=" << (dir / "logs").string()
              << "/verify.log\n#SBATCH --open-mode=append\n"
              << (f.partition.empty() ? "" : "#SBATCH --partition=" + f.partition + "\n")
              << "exec " << quoted(cli) << shell_words(verify_args(f, clip)) << "\n";
    CK_TRY(write_text(job_path, job_sh.str(), true));
    CK_TRY(write_text(verify_path, verify_sh.str(), true));
    std::cout << "wrote " << job_path << " (" << chunks.size() << " chunks) and " << verify_path << "\n";
    if (f.submit) {
      std::vector<std::string> extra = f.sbatch_args;
      std::vector<std::string> args = extra;
      args.push_back(job_path);
      CK_ASSIGN(const std::string id, sbatch(args));
      args = extra;
      args.insert(args.end(), {"--dependency=afterany:" + id, verify_path});
      CK_ASSIGN(const std::string verify_id, sbatch(args));
      std::cout << "submitted job " << id << " (array of " << chunks.size() << ") and verify job " << verify_id << "\n";
    } else {
      std::cout << "submit with: sbatch " << job_path << " and then sbatch --dependency=afterany:<job id> " << verify_path
                << "\n";
    }
    return ok_status();
  }

  // Open Job Description: the chunks are the template's own (CHUNK[INT], contiguous).
  if (f.submit) {
    return err(ErrorCode::kInvalidArgument,
               "--submit is for slurm; submit an OpenJD template with your farm's tools (e.g. `deadline bundle "
               "submit`) or run it here with `openjd run`");
  }
  auto yaml_list = [](const std::vector<std::string>& words) {
    std::string s = "[";
    for (size_t i = 0; i < words.size(); ++i) {
      std::string w;
      for (char c : words[i]) w += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
      s += (i ? ", \"" : "\"") + w + "\"";
    }
    return s + "]";
  };
  std::vector<std::string> key_args(process.begin(), process.end());
  key_args.insert(key_args.end(), {"--frames", "{{Task.Param.Frame}}"});
  std::ostringstream t;
  t << "# corridorkey: " << specs[0].name << " as an Open Job Description job (written by `corridorkey farm openjd`).\n"
    << "# Run here: openjd run " << (dir / "corridorkey.openjd.yaml").string() << " --step Verify --run-dependencies\n"
    << "specificationVersion: jobtemplate-2023-09\nextensions: [TASK_CHUNKING]\n"
    << "name: corridorkey " << specs[0].name << "\n"
    << "parameterDefinitions:\n- name: Frames\n  type: STRING\n  default: \"" << frame_runs(frames, ",")  /* an OpenJD range expression */ << "\"\n"
    << "- name: ChunkSize\n  type: INT\n  default: " << f.chunk << "\n"
    << "steps:\n- name: Key\n  parameterSpace:\n    taskParameterDefinitions:\n    - name: Frame\n"
    << "      type: CHUNK[INT]\n      range: \"{{Param.Frames}}\"\n      chunks:\n"
    << "        defaultTaskCount: \"{{Param.ChunkSize}}\"\n        rangeConstraint: CONTIGUOUS\n"
    << "  script:\n    actions:\n      onRun:\n        command: \"" << cli << "\"\n        args: " << yaml_list(key_args)
    << "\n- name: Verify\n  dependencies:\n  - dependsOn: Key\n  script:\n    actions:\n      onRun:\n"
    << "        command: \"" << cli << "\"\n        args: " << yaml_list(verify_args(f, clip)) << "\n";
  const std::string path = (dir / "corridorkey.openjd.yaml").string();
  CK_TRY(write_text(path, t.str(), false));
  std::cout << "wrote " << path << " (" << frames.size() << " frames in chunks of " << f.chunk << ")\n";
  return ok_status();
}

}  // namespace

void add_farm_command(CLI::App& app, std::function<int()>& run_fn) {
  auto f = std::make_shared<FarmOptions>();
  CLI::App* cmd = app.add_subcommand(
      "farm", "Write (and submit) a clip as frame-range jobs: a Slurm array job, or an Open Job Description template.\n"
              "  farm slurm CLIP --chunk 10 [--submit] [-- PROCESS OPTIONS]\n"
              "  farm openjd CLIP --chunk 10 [-- PROCESS OPTIONS]");
  cmd->add_option("scheduler", f->scheduler, "slurm or openjd")->required()->check(CLI::IsMember({"slurm", "openjd"}));
  cmd->add_option("clip", f->clip, "the clip folder (Input/, AlphaHint/)")->required();
  cmd->add_option("--chunk", f->chunk, "frames per task")->capture_default_str();
  cmd->add_option("--frames", f->frames, "frames to key: 1001-1100[,1200-1250] (default: every plate frame)");
  cmd->add_option("--max-parallel", f->max_parallel, "Slurm: tasks running at once (0: as Slurm schedules)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--partition", f->partition, "Slurm partition");
  cmd->add_option("--sbatch-arg", f->sbatch_args, "an option passed to sbatch (repeatable), e.g. --sbatch-arg=--time=2:00:00");
  cmd->add_flag("--submit", f->submit, "submit with sbatch (the chunks, then verify once they have all ended)");
  cmd->add_option("--video-out", f->video_out, "the verify step makes the key as video: prores or ffv1")
      ->check(CLI::IsMember({"prores", "ffv1"}));
  cmd->add_flag("--preview", f->preview, "the verify step makes an H.264 preview of the composite");
  cmd->add_option("process_args", f->process_args, "options for each chunk's `corridorkey process`, after --");
  cmd->callback([f, &run_fn] { run_fn = exit_code_of("farm", [f] { return farm(*f); }); });
}

}  // namespace ck::cli
