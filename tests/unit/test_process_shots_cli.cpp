// `corridorkey process` on whole shots, as a user runs it: clip folders, patterns, stills as
// hints, frame ranges, resume after a kill, the run manifest, video in and deliverables out,
// colour spaces, progress events and every kind of bad input.
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "corridorkey/colour_management.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/video_file.hpp"
#include "synthetic_clip.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

constexpr int kWidth = 96, kHeight = 64;
const char* const kOutputs[] = {"Matte", "FG", "Processed", "Comp"};

std::string engine_args() {
  return " --checkpoint " + fixture_path("checkpoints/tiny_official.pth") + " --img-size 64 ";
}

struct Events {
  std::vector<nlohmann::json> all;
  int count(const std::string& kind) const {
    int n = 0;
    for (const auto& e : all) n += e.at("event") == kind ? 1 : 0;
    return n;
  }
  std::vector<int64_t> frames(const std::string& kind) const {
    std::vector<int64_t> f;
    for (const auto& e : all) {
      if (e.at("event") == kind) f.push_back(e.at("frame").get<int64_t>());
    }
    std::sort(f.begin(), f.end());
    return f;
  }
};

// The NDJSON lines of --json output (stderr lines, which are not JSON, are left out).
Events events_of(const std::string& output) {
  Events events;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    events.all.push_back(nlohmann::json::parse(line));
  }
  return events;
}

class ProcessShots : public TempDirTest {
 protected:
  // A clip folder in CorridorKey's layout: Input/<name>.<frame>.png and AlphaHint/ likewise.
  void make_clip(const std::string& clip, int first, int count, int hints = -1) {
    fs::create_directories(path(clip + "/Input"));
    fs::create_directories(path(clip + "/AlphaHint"));
    for (int i = 0; i < count; ++i) {
      const std::string n = std::to_string(first + i);
      ASSERT_TRUE(write_image_8bit(path(clip + "/Input/plate." + n + ".png"), synthetic_plate(kWidth, kHeight, i)).ok());
      if (hints < 0 || i < hints) {
        ASSERT_TRUE(write_image_8bit(path(clip + "/AlphaHint/hint." + n + ".png"), synthetic_hint(kWidth, kHeight, i)).ok());
      }
    }
  }
  bool frame_complete(const std::string& out, const std::string& name) const {
    for (const char* sub : kOutputs) {
      const std::string ext = std::string(sub) == "Comp" ? ".png" : ".exr";
      if (!fs::exists(path(out + "/" + sub + "/" + name + ext))) return false;
    }
    return true;
  }
  // Every frame's files are all there or none is, and no temporary is left (unless allowed).
  int complete_frames(const std::string& out, int first, int count, bool temporaries_allowed = false) const {
    int complete = 0;
    for (int i = 0; i < count; ++i) {
      const std::string name = "plate." + std::to_string(first + i);
      int present = 0;
      for (const char* sub : kOutputs) {
        present += fs::exists(path(out + "/" + sub + "/" + name + (std::string(sub) == "Comp" ? ".png" : ".exr")));
      }
      EXPECT_TRUE(present == 0 || present == 4) << name << " has " << present << " of 4 files";
      complete += present == 4;
    }
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path(out), ec), end; !temporaries_allowed && !ec && it != end; it.increment(ec)) {
      EXPECT_EQ(it->path().string().find(".cktmp-"), std::string::npos) << it->path();
    }
    return complete;
  }
};

TEST_F(ProcessShots, ClipFolderKeysEveryFrameKeepingItsNumbers) {
  make_clip("shotA", 1001, 3);
  const CliResult r = run_cli("process " + path("shotA") + engine_args());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(complete_frames("shotA/Output", 1001, 3), 3);
  const Image matte = unwrap(read_image(path("shotA/Output/Matte/plate.1002.exr")));
  EXPECT_EQ(matte.width, kWidth);
  EXPECT_EQ(matte.channels, 1);
  EXPECT_TRUE(fs::exists(path("shotA/Output/corridorkey_run.json")));
  // The same frame through the one-frame form gives the same matte.
  ASSERT_EQ(run_cli("process --image " + path("shotA/Input/plate.1002.png") + " --hint " +
                    path("shotA/AlphaHint/hint.1002.png") + " --output-dir " + path("single") + engine_args())
                .exit_code,
            0);
  EXPECT_EQ(unwrap(read_image(path("single/Matte/plate.1002.exr"))).pixels, matte.pixels);
}

TEST_F(ProcessShots, AFolderOfClipsKeysEachIntoItsOwnOutput) {
  make_clip("reel/a", 1, 2);
  make_clip("reel/b", 101, 2);
  fs::create_directories(path("reel/notes"));
  const CliResult r = run_cli("process " + path("reel") + engine_args() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(complete_frames("reel/a/Output", 1, 2), 2);
  EXPECT_EQ(complete_frames("reel/b/Output", 101, 2), 2);
  const Events events = events_of(r.output);
  EXPECT_EQ(events.count("started"), 2);
  EXPECT_EQ(events.count("finished"), 2);
}

TEST_F(ProcessShots, PatternsWithAStillHintAndFrameRanges) {
  make_clip("c", 1001, 5);
  ASSERT_TRUE(write_image_8bit(path("still_hint.png"), synthetic_hint(kWidth, kHeight, 2)).ok());
  for (const char* pattern : {"plate.%04d.png", "plate.####.png"}) {
    const std::string out = std::string("out_") + (pattern[6] == '%' ? "printf" : "hash");
    const CliResult r = run_cli("process --input " + path(std::string("c/Input/") + pattern) + " --hint " +
                                path("still_hint.png") + " --output-dir " + path(out) + " --frames 1002-1003,1005" +
                                engine_args() + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Events events = events_of(r.output);
    EXPECT_EQ(events.frames("frame_done"), (std::vector<int64_t>{1002, 1003, 1005}));
    EXPECT_FALSE(frame_complete(out, "plate.1001"));
    EXPECT_TRUE(frame_complete(out, "plate.1005"));
  }
  // A range outside the plate is a clear error naming the plate's frames.
  const CliResult none = run_cli("process " + path("c") + engine_args() + " --frames 1-10");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.output.find("1001-1005"), std::string::npos) << none.output;
  const CliResult bad = run_cli("process " + path("c") + engine_args() + " --frames 10-5");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("--frames"), std::string::npos) << bad.output;
}

// A run killed part-way (SIGKILL: no clean-up at all) keeps whole frames only, and the rerun
// keys exactly the missing ones.
TEST_F(ProcessShots, ARerunAfterAKillKeysExactlyTheMissingFrames) {
  make_clip("k", 1, 16);
  const std::string cmd = std::string(CK_CLI_PATH) + " process " + path("k") + engine_args() + " --threads 1";
  // Killed once the first frames are in (polling Comp/, the last file of a frame to appear).
  const CliResult killed = run_shell(cmd + " >/dev/null 2>&1 & pid=$!; for i in $(seq 600); do n=$(ls " +
                                     path("k/Output/Matte") + " 2>/dev/null | grep -c exr$); [ \"$n\" -ge 3 ] && break;" +
                                     " sleep 0.02; done; kill -9 $pid; wait $pid; echo killed");
  ASSERT_NE(killed.output.find("killed"), std::string::npos) << killed.output;
  // A killed process cannot remove its temporaries; the next run in the folder does.
  const int before = complete_frames("k/Output", 1, 16, /*temporaries_allowed=*/true);
  ASSERT_GE(before, 1);
  ASSERT_LT(before, 16) << "the run finished before it was killed";
  const CliResult rerun = run_cli("process " + path("k") + engine_args() + " --json");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  const Events events = events_of(rerun.output);
  EXPECT_EQ(events.count("frame_skipped"), before);
  EXPECT_EQ(events.count("frame_done"), 16 - before);
  EXPECT_EQ(complete_frames("k/Output", 1, 16), 16);
  // --overwrite keys every frame again.
  const Events again = events_of(run_cli("process " + path("k") + engine_args() + " --json --overwrite").output);
  EXPECT_EQ(again.count("frame_done"), 16);
}

TEST_F(ProcessShots, TheManifestRefusesToMixSettingsUnlessForced) {
  make_clip("m", 1, 2);
  ASSERT_EQ(run_cli("process " + path("m") + engine_args()).exit_code, 0);
  const CliResult mixed = run_cli("process " + path("m") + engine_args() + " --despill 0.5");
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_NE(mixed.output.find("despill"), std::string::npos) << mixed.output;
  EXPECT_NE(mixed.output.find("--overwrite"), std::string::npos) << mixed.output;
  EXPECT_EQ(run_cli("process " + path("m") + engine_args() + " --despill 0.5 --force").exit_code, 0);
  const Events redo = events_of(run_cli("process " + path("m") + engine_args() + " --overwrite --json").output);
  EXPECT_EQ(redo.count("frame_done"), 2);
  std::ifstream manifest(path("m/Output/corridorkey_run.json"));
  const nlohmann::json doc = nlohmann::json::parse(manifest);
  EXPECT_EQ(doc["settings"]["img_size"], "64");
  EXPECT_EQ(doc["settings"]["weights"].get<std::string>().rfind("sha256:", 0), 0u);
  EXPECT_FALSE(doc["settings"]["engine_version"].get<std::string>().empty());
}

// Video in (FFV1, 16-bit, counted exactly), deliverables out: the ProRes 4444 key's alpha is the
// Processed alpha within 10-bit precision, FFV1's within 16-bit, and the preview has every frame.
TEST_F(ProcessShots, VideoClipInDeliverablesWithAlphaOut) {
  const int n = 4;
  fs::create_directories(path("v"));
  VideoWriteOptions options;
  options.codec = VideoCodec::kFfv1;
  options.width = kWidth;
  options.height = kHeight;
  options.frame_rate = 25;
  for (const char* name : {"Input.mkv", "AlphaHint.mkv"}) {
    auto writer = unwrap(create_video(path(std::string("v/") + name), options));
    for (int t = 0; t < n; ++t) {
      ASSERT_TRUE(writer->write(name[0] == 'I' ? synthetic_plate(kWidth, kHeight, t) : synthetic_hint(kWidth, kHeight, t)).ok());
    }
    ASSERT_TRUE(writer->finish().ok());
  }
  const CliResult r = run_cli("process " + path("v") + engine_args() + " --exr-float --video-out prores --video-out ffv1 --preview");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int t = 0; t < n; ++t) {
    char name[32];
    std::snprintf(name, sizeof name, "Input.%06d", t);
    EXPECT_TRUE(frame_complete("v/Output", name)) << name;
  }
  for (const char* file : {"v/Output/v_key.mov", "v/Output/v_key.mkv"}) {
    auto reader = unwrap(open_video(path(file)));
    ASSERT_EQ(reader->info().frame_count, n) << file;
    EXPECT_NEAR(reader->info().frame_rate, 25, 1e-6);
    const float tolerance = std::string(file).find(".mov") != std::string::npos ? 1.5f / 1023 : 1.0f / 65535;
    for (int t = 0; t < n; ++t) {
      char name[64];
      std::snprintf(name, sizeof name, "v/Output/Processed/Input.%06d.exr", t);
      const Image processed = unwrap(read_image(path(name)));
      const Image frame = unwrap(reader->next());
      ASSERT_EQ(frame.channels, 4);
      float worst = 0;
      for (size_t i = 0; i < frame.pixels.size() / 4; ++i) {
        const float a = std::clamp(processed.pixels[i * 4 + 3], 0.0f, 1.0f);
        worst = std::max(worst, std::fabs(frame.pixels[i * 4 + 3] - a));
      }
      EXPECT_LE(worst, tolerance + 1e-6f) << file << " frame " << t;
    }
  }
  auto preview = unwrap(open_video(path("v/Output/v_comp.mp4")));
  EXPECT_EQ(preview->info().frame_count, n);
  EXPECT_FALSE(preview->info().has_alpha);
}

// A 1001-based plate sequence with a video hint: matched by position.
TEST_F(ProcessShots, AVideoHintServesASequenceByPosition) {
  make_clip("vh", 1001, 3, /*hints=*/0);
  fs::remove_all(path("vh/AlphaHint"));
  VideoWriteOptions options;
  options.codec = VideoCodec::kFfv1;
  options.width = kWidth;
  options.height = kHeight;
  {
    auto writer = unwrap(create_video(path("vh/AlphaHint.mkv"), options));
    for (int t = 0; t < 3; ++t) ASSERT_TRUE(writer->write(synthetic_hint(kWidth, kHeight, t)).ok());
    ASSERT_TRUE(writer->finish().ok());
  }
  const CliResult r = run_cli("process " + path("vh") + engine_args() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(events_of(r.output).frames("frame_done"), (std::vector<int64_t>{1001, 1002, 1003}));
}

// A plate in a camera log space keys as the same plate converted to linear Rec.709 by hand.
TEST_F(ProcessShots, InputColourSpacesConvertThroughOpenColorIO) {
  const std::string config = fixture_path("ocio/config.ocio");
  const auto to_cct = unwrap(ColourConversion::from_working(config, "ACEScct"));
  fs::create_directories(path("log"));
  fs::create_directories(path("lin"));
  for (int t = 0; t < 2; ++t) {
    Image linear = synthetic_plate(kWidth, kHeight, t);
    for (float& v : linear.pixels) v = v * v * 2.5f;  // some values above 1
    WriteOptions f32;
    f32.format = SampleFormat::kFloat;
    ASSERT_TRUE(write_image(path("lin/p." + std::to_string(t) + ".exr"), linear, f32).ok());
    Image log = linear;
    ASSERT_TRUE(to_cct->apply(log).ok());
    ASSERT_TRUE(write_image(path("log/p." + std::to_string(t) + ".exr"), log, f32).ok());
  }
  ASSERT_TRUE(write_image_8bit(path("hint.png"), synthetic_hint(kWidth, kHeight, 0)).ok());
  const std::string common = " --hint " + path("hint.png") + engine_args() + " --exr-float";
  const CliResult a = run_cli("process --input " + path("log/p.%d.exr") + " --input-colorspace ACEScct --ocio-config " +
                              config + " --output-dir " + path("out_log") + common);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(run_cli("process --input " + path("lin/p.%d.exr") + " --linear --output-dir " + path("out_lin") + common).exit_code, 0);
  const Image ma = unwrap(read_image(path("out_log/Matte/p.1.exr")));
  const Image mb = unwrap(read_image(path("out_lin/Matte/p.1.exr")));
  for (size_t i = 0; i < ma.pixels.size(); ++i) ASSERT_NEAR(ma.pixels[i], mb.pixels[i], 1e-4f) << i;
  // Outputs back to a chosen space: Processed in ACEScct.
  ASSERT_EQ(run_cli("process --input " + path("lin/p.%d.exr") + " --linear --output-colorspace ACEScct --ocio-config " +
                    config + " --output-dir " + path("out_cct") + common)
                .exit_code,
            0);
  const Image pl = unwrap(read_image(path("out_lin/Processed/p.1.exr")));
  const Image pc = unwrap(read_image(path("out_cct/Processed/p.1.exr")));
  EXPECT_NE(pl.pixels, pc.pixels);
  // An unknown colour space and a missing config are named.
  const CliResult unknown = run_cli("process --input " + path("log/p.%d.exr") + " --input-colorspace LogC9 --ocio-config " +
                                    config + " --output-dir " + path("x") + common);
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("'LogC9'"), std::string::npos) << unknown.output;
  const CliResult no_config = run_shell("unset OCIO; exec " + std::string(CK_CLI_PATH) + " process --input " +
                                        path("log/p.%d.exr") + " --input-colorspace ACEScct --output-dir " + path("x") + common);
  EXPECT_EQ(no_config.exit_code, 1);
  EXPECT_NE(no_config.output.find("OCIO"), std::string::npos) << no_config.output;
}

TEST_F(ProcessShots, BadFramesFailAloneAndAreNamed) {
  make_clip("bad", 1001, 5, /*hints=*/4);  // frame 1005 has no hint
  std::ofstream(path("bad/Input/plate.1002.png")) << "not a png";  // damaged mid-sequence
  const CliResult r = run_cli("process " + path("bad") + engine_args() + " --json");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  const Events events = events_of(r.output);
  EXPECT_EQ(events.frames("frame_failed"), (std::vector<int64_t>{1002, 1005}));
  EXPECT_EQ(events.frames("frame_done"), (std::vector<int64_t>{1001, 1003, 1004}));
  EXPECT_NE(r.output.find("plate.1002.png"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("hint"), std::string::npos) << r.output;
  EXPECT_GE(events.count("warning"), 1);  // the lengths differ
  EXPECT_NE(r.output.find("2 frames failed (1002, 1005)"), std::string::npos) << r.output;
}

TEST_F(ProcessShots, GapsAndBadFoldersAreClearErrors) {
  make_clip("g", 1, 5);
  fs::remove(path("g/Input/plate.3.png"));
  fs::remove(path("g/AlphaHint/hint.3.png"));
  const CliResult gaps = run_cli("process " + path("g") + engine_args());
  EXPECT_EQ(gaps.exit_code, 0) << gaps.output;
  EXPECT_NE(gaps.output.find("gaps: frames 3"), std::string::npos) << gaps.output;

  const CliResult same = run_cli("process --input " + path("g/Input/plate.%d.png") + " --hint " +
                                 path("g/AlphaHint/hint.%d.png") + " --output-dir " + path("g/Input") + engine_args());
  EXPECT_EQ(same.exit_code, 1);
  EXPECT_NE(same.output.find("plate's folder"), std::string::npos) << same.output;

  fs::create_directories(path("empty"));
  const CliResult empty = run_cli("process " + path("empty") + engine_args());
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.output.find("neither a clip"), std::string::npos) << empty.output;

  // A clip without AlphaHint/ is keyed with automatic hints, recorded in its manifest.
  make_clip("nohint", 1, 1);
  fs::remove_all(path("nohint/AlphaHint"));
  const CliResult nohint = run_cli("process " + path("nohint") + engine_args());
  EXPECT_EQ(nohint.exit_code, 0) << nohint.output;
  std::ifstream manifest(path("nohint/Output/corridorkey_run.json"));
  const nlohmann::json settings = nlohmann::json::parse(manifest)["settings"];
  EXPECT_EQ(settings["hint"].get<std::string>().rfind("auto", 0), 0u) << settings.dump();
  EXPECT_EQ(settings["screen"], "green") << settings.dump();

  const CliResult usage = run_cli("process " + path("g") + " --no-such-flag");
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  const CliResult two_forms = run_cli("process " + path("g") + " --image " + path("g/Input/plate.1.png"));
  EXPECT_EQ(two_forms.exit_code, 2) << two_forms.output;

  std::ofstream(path("g/Input.mov")) << "truncated";
  fs::remove_all(path("g/Input"));
  const CliResult broken_video = run_cli("process " + path("g") + engine_args());
  EXPECT_EQ(broken_video.exit_code, 1);
  EXPECT_NE(broken_video.output.find("Input.mov"), std::string::npos) << broken_video.output;
}

// A disk that fills part-way: a clear error, the finished frames kept whole, nothing partial.
TEST_F(ProcessShots, AFullDiskKeepsFinishedFramesWhole) {
  make_clip("d", 1, 8);
  const fs::path mnt = path("mnt");
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=160k") != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  const CliResult r = run_cli("process --input " + path("d/Input/plate.%d.png") + " --hint " + path("d/AlphaHint/hint.%d.png") +
                              " --output-dir " + (mnt / "out").string() + engine_args());
  const int kept = complete_frames("mnt/out", 1, 8);
  ::umount(mnt.c_str());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("disk full"), std::string::npos) << r.output;
  EXPECT_GE(kept, 1);
  EXPECT_LT(kept, 8);
}

TEST_F(ProcessShots, JsonEventsFollowTheDocumentedSchema) {
  make_clip("j", 1, 2);
  const CliResult r = run_cli("process " + path("j") + engine_args() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Events events = events_of(r.output);
  ASSERT_GE(events.all.size(), 4u);
  EXPECT_EQ(events.all.front()["event"], "started");
  EXPECT_EQ(events.all.front()["total"], 2);
  EXPECT_EQ(events.all.back()["event"], "finished");
  EXPECT_EQ(events.all.back()["keyed"], 2);
  for (const auto& e : events.all) {
    EXPECT_EQ(e["shot"], "j");
    if (e["event"] == "frame_done") {
      for (const char* key : {"frame", "done", "total", "read_s", "key_s", "write_s", "elapsed_s"}) EXPECT_TRUE(e.contains(key)) << key;
    }
  }
  // Fatal errors are an event too.
  const Events failed = events_of(run_cli("process " + path("j") + engine_args() + " --json --frames 10-5").output);
  ASSERT_FALSE(failed.all.empty());
  EXPECT_EQ(failed.all.back()["event"], "failed");
}

TEST_F(ProcessShots, DoctorReportsTheMachineAndKeysAFrame) {
  const CliResult r = run_cli("doctor --img-size 64");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* fact : {"CPU level", "threads", "oneDNN", "OpenColorIO", "libavcodec", "prores_ks", "ffv1", "self-test: keyed"}) {
    EXPECT_NE(r.output.find(fact), std::string::npos) << fact << "\n" << r.output;
  }
}

}  // namespace
}  // namespace ck::test
