// Frame ranges, numbered sequences and frame sources (sequences, stills, video).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "corridorkey/frames.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/video_file.hpp"
#include "synthetic_clip.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

TEST(FrameRanges, ParsesInclusiveRangesAndRefusesNonsense) {
  const auto r = unwrap(parse_frame_ranges("1001-1100,1200-1250,7"));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].first, 1001);
  EXPECT_EQ(r[0].last, 1100);
  EXPECT_EQ(r[2].first, 7);
  EXPECT_EQ(r[2].last, 7);
  EXPECT_TRUE(frame_selected(r, 1100));
  EXPECT_TRUE(frame_selected(r, 1200));
  EXPECT_FALSE(frame_selected(r, 1101));
  EXPECT_TRUE(frame_selected({}, 5));
  const auto negative = unwrap(parse_frame_ranges("-3--1"));
  EXPECT_EQ(negative[0].first, -3);
  EXPECT_EQ(negative[0].last, -1);
  for (const char* bad : {"", "10-5", "a-b", "1,", "1-", "1-2x", "1;2"}) {
    const auto parsed = parse_frame_ranges(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("--frames"), std::string::npos);
  }
}

class Sequences : public TempDirTest {
 protected:
  void touch(const std::string& name) { ASSERT_TRUE(write_image_8bit(path(name), synthetic_hint(8, 8, 0)).ok()); }
};

TEST_F(Sequences, PrintfAndHashPatternsListFramesByNumber) {
  for (int f : {1001, 1002, 1004}) touch("plate." + std::to_string(f) + ".png");
  touch("other.png");
  for (const char* pattern : {"plate.%04d.png", "plate.####.png", "plate.%d.png"}) {
    const SequencePattern p = unwrap(SequencePattern::parse(path(pattern)));
    const auto frames = unwrap(p.list());
    ASSERT_EQ(frames.size(), 3u) << pattern;
    EXPECT_EQ(frames.begin()->first, 1001);
    EXPECT_EQ(frames.rbegin()->first, 1004);
    EXPECT_EQ(p.path_of(1003), path("plate.1003.png"));
  }
  EXPECT_EQ(unwrap(SequencePattern::parse(path("p.%06d.exr"))).path_of(7), path("p.000007.exr"));
  EXPECT_FALSE(SequencePattern::parse(path("plate.png")).ok());
  // A folder's one sequence is found with its padding.
  const SequencePattern found = unwrap(find_sequence_in_folder(dir_.string()));
  EXPECT_EQ(unwrap(found.list()).size(), 3u);
}

TEST_F(Sequences, SeveralSequencesInAFolderAreNamed) {
  touch("a.0001.png");
  touch("b.0001.png");
  const auto found = find_sequence_in_folder(dir_.string());
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.error().message.find("several"), std::string::npos) << found.error().message;
}

TEST_F(Sequences, SourcesReadFramesAndNameOutputs) {
  for (int f : {1, 2, 3}) touch("shot_" + std::to_string(1000 + f) + ".png");
  auto seq = unwrap(open_frame_source(path("shot_####.png")));
  EXPECT_EQ(seq->frames(), (std::vector<int64_t>{1001, 1002, 1003}));
  EXPECT_EQ(seq->output_name(1002), "shot_1002");
  EXPECT_TRUE(seq->read(1002).ok());
  const auto missing = seq->read(1005);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("1005"), std::string::npos);
  auto still = unwrap(open_frame_source(path("shot_1001.png")));
  EXPECT_TRUE(still->is_still());
  EXPECT_TRUE(still->read(77).ok());
}

class Videos : public TempDirTest {};

// A synthetic clip written by the library's encoders decodes to the same frame count, times
// and values within the codec's precision; alpha survives ProRes 4444 and FFV1.
TEST_F(Videos, DeliverablesRoundTripColourAlphaCountAndTimes) {
  const int w = 64, h = 48, n = 5;
  for (VideoCodec codec : {VideoCodec::kProRes4444, VideoCodec::kFfv1}) {
    const std::string file = path(codec == VideoCodec::kFfv1 ? "clip.mkv" : "clip.mov");
    VideoWriteOptions options;
    options.codec = codec;
    options.width = w;
    options.height = h;
    options.frame_rate = 25;
    std::vector<Image> written;
    {
      auto writer = unwrap(create_video(file, options));
      for (int t = 0; t < n; ++t) {
        Image rgba{w, h, 4, std::vector<float>(w * h * 4)};
        const Image plate = synthetic_plate(w, h, t);
        for (int i = 0; i < w * h; ++i) {
          for (int c = 0; c < 3; ++c) rgba.pixels[i * 4 + c] = plate.pixels[i * 3 + c];
          rgba.pixels[i * 4 + 3] = static_cast<float>(i % w) / (w - 1);  // a ramp of alpha
        }
        ASSERT_TRUE(writer->write(rgba).ok());
        written.push_back(rgba);
      }
      // Nothing is there before finish(): the video appears whole or not at all.
      EXPECT_FALSE(fs::exists(file));
      ASSERT_TRUE(writer->finish().ok());
    }
    auto reader = unwrap(open_video(file));
    const VideoInfo& info = reader->info();
    EXPECT_EQ(info.frame_count, n);
    EXPECT_TRUE(info.has_alpha) << info.pixel_format;
    EXPECT_GE(info.bits_per_component, 10);
    EXPECT_NEAR(info.frame_rate, 25, 1e-6);
    ASSERT_EQ(info.times.size(), static_cast<size_t>(n));
    EXPECT_NEAR(info.times[3], 3 / 25.0, 1e-3);
    const float alpha_tolerance = codec == VideoCodec::kFfv1 ? 1.0f / 65535 : 1.5f / 1023;
    const float colour_tolerance = codec == VideoCodec::kFfv1 ? 1.0f / 65535 : 0.02f;  // 4:4:4 10-bit, lossy
    for (int t = 0; t < n; ++t) {
      const Image frame = unwrap(reader->next());
      ASSERT_EQ(frame.channels, 4);
      float worst_alpha = 0, worst_colour = 0;
      for (size_t i = 0; i < frame.pixels.size(); ++i) {
        const float d = std::fabs(frame.pixels[i] - written[t].pixels[i]);
        (i % 4 == 3 ? worst_alpha : worst_colour) = std::max(i % 4 == 3 ? worst_alpha : worst_colour, d);
      }
      EXPECT_LE(worst_alpha, alpha_tolerance + 1e-6f) << file << " frame " << t;
      EXPECT_LE(worst_colour, colour_tolerance) << file << " frame " << t;
    }
    const auto past_end = reader->next();
    ASSERT_FALSE(past_end.ok());
    EXPECT_NE(past_end.error().message.find("ends after 5"), std::string::npos) << past_end.error().message;
  }
}

TEST_F(Videos, VariableFrameTimesAreKept) {
  VideoWriteOptions options;
  options.codec = VideoCodec::kFfv1;
  options.width = 32;
  options.height = 32;
  const std::vector<double> times{0.0, 0.04, 0.2, 0.25, 1.0};
  {
    auto writer = unwrap(create_video(path("vfr.mkv"), options));
    for (size_t i = 0; i < times.size(); ++i) ASSERT_TRUE(writer->write(synthetic_plate(32, 32, int(i)), times[i]).ok());
    ASSERT_TRUE(writer->finish().ok());
  }
  auto source = unwrap(open_frame_source(path("vfr.mkv")));
  ASSERT_EQ(source->frames().size(), times.size());  // no frame duplicated to fill the gaps
  for (size_t i = 0; i < times.size(); ++i) EXPECT_NEAR(source->frame_time(int64_t(i)), times[i], 2e-3);
  // Frames come back in order and again after a backwards jump.
  const Image f3 = unwrap(source->read(3));
  unwrap(source->read(4));
  EXPECT_EQ(unwrap(source->read(3)).pixels, f3.pixels);
  EXPECT_EQ(source->output_name(3), "vfr.000003");
}

TEST_F(Videos, TruncatedAndMissingVideosAreClearErrors) {
  VideoWriteOptions options;
  options.codec = VideoCodec::kFfv1;
  options.width = 64;
  options.height = 64;
  {
    auto writer = unwrap(create_video(path("whole.mkv"), options));
    for (int t = 0; t < 8; ++t) ASSERT_TRUE(writer->write(synthetic_plate(64, 64, t)).ok());
    ASSERT_TRUE(writer->finish().ok());
  }
  fs::copy_file(path("whole.mkv"), path("cut.mkv"));
  fs::resize_file(path("cut.mkv"), fs::file_size(path("whole.mkv")) / 2);
  auto source = open_frame_source(path("cut.mkv"));
  if (source.ok()) {
    // Whatever the container still indexes, every frame is either decoded or a clear error.
    const auto frames = source.value()->frames();
    EXPECT_LT(frames.size(), 8u);
    for (int64_t f : frames) {
      const auto frame = source.value()->read(f);
      if (!frame.ok()) {
        EXPECT_NE(frame.error().message.find("cut.mkv"), std::string::npos);
      }
    }
  } else {
    EXPECT_NE(source.error().message.find("cut.mkv"), std::string::npos);
  }
  const auto missing = open_video(path("none.mov"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("none.mov"), std::string::npos);
  std::ofstream(path("text.mov")) << "not a video";
  const auto garbage = open_video(path("text.mov"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("text.mov"), std::string::npos);
}

}  // namespace
}  // namespace ck::test
