// `corridorkey process` on whole shots: clip folders in the original CorridorKey's layout
// (Input/ or Input.<video>, AlphaHint/ or AlphaHint.<ext>, outputs in Output/), a folder of
// such clips, or an explicit --input / --hint / --output-dir.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "corridorkey/colour_management.hpp"
#include "corridorkey/frames.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "corridorkey/shot.hpp"
#include "corridorkey/weights_files.hpp"
#include "process_options.hpp"
#include "progress_reporters.hpp"
#include "shot_specs.hpp"

namespace ck::cli {

namespace {

namespace fs = std::filesystem;

}  // namespace

int run_shots(const ProcessOptions& o) {
  std::unique_ptr<ProgressReporter> reporter = make_progress_reporter(o.json, o.no_progress);
  auto fail = [&](const std::string& shot, const Error& e) {
    remove_created_directories();
    reporter->on_failure(shot, e.message);
    std::cerr << "corridorkey process: " << (shot.empty() ? "" : shot + ": ") << e.message << "\n";
    return 1;
  };
  try {
    auto found = shot_specs_of(o);
    if (!found.ok()) return fail("", found.error());
    const std::vector<ShotSpec> specs = std::move(found).value();
    Status st = check_engine_flags(o.engine);
    if (!st.ok()) return fail("", st.error());
    for (const ShotSpec& spec : specs) {
      st = check_output_folder(spec);
      if (!st.ok()) return fail(spec.name, st.error());
    }
    auto checkpoint = resolve_checkpoint(o.checkpoint);
    if (!checkpoint.ok()) return fail("", checkpoint.error());
    auto shared = shared_settings(o, checkpoint.value());
    if (!shared.ok()) return fail("", shared.error());
    auto engine = Engine::create(checkpoint.value(), o.engine);
    if (!engine.ok()) return fail("", engine.error());
    release_free_heap_memory();
    report_memory_plan(*engine.value());
    // A blue-screen model, for the shots whose screen settles blue.
    const std::string blue_checkpoint = resolve_blue_checkpoint(o.blue_checkpoint);
    std::unique_ptr<Engine> blue_engine;
    std::string blue_weights_id;
    if (!blue_checkpoint.empty()) {
      auto made = engine_for_screen(ScreenColour::kBlue, checkpoint.value(), blue_checkpoint, o.engine);
      if (!made.ok()) return fail("", made.error());
      blue_engine = std::move(made).value();
      auto digest = file_sha256(blue_checkpoint);
      if (!digest.ok()) return fail("", digest.error());
      blue_weights_id = "sha256:" + digest.value();
    }

    bool frames_failed = false;
    for (const ShotSpec& spec : specs) {
      auto job = build_job(o, spec, shared.value());
      if (!job.ok()) return fail(spec.name, job.error());
      job->blue_engine = blue_engine.get();
      job->blue_weights_id = blue_weights_id;
      auto summary = key_shot(*engine.value(), job.value(), reporter.get());
      if (!summary.ok()) return fail(spec.name, summary.error());
      for (const std::string& video : summary->deliverables) {
        if (!o.json) std::cout << spec.name << ": wrote " << video << "\n";
      }
      if (summary->failed > 0) {
        frames_failed = true;
        std::string list;
        for (size_t i = 0; i < summary->failed_frames.size() && i < 20; ++i) {
          list += (i ? ", " : "") + std::to_string(summary->failed_frames[i]);
        }
        std::cerr << "corridorkey process: " << spec.name << ": " << summary->failed << " frame"
                  << (summary->failed == 1 ? "" : "s") << " failed (" << list
                  << (summary->failed_frames.size() > 20 ? ", ..." : "") << "); the others were keyed\n";
      }
    }
    return frames_failed ? kExitFramesFailed : 0;
  } catch (const std::bad_alloc&) {
    return fail("", err(ErrorCode::kOutOfMemory, "out of memory (a smaller --img-size or image needs less)"));
  } catch (const std::exception& e) {
    return fail("", err(ErrorCode::kInternal, "internal error: ", e.what()));
  }
}

}  // namespace ck::cli
