// Numbered image sequences: `plate.%04d.exr`, `plate.####.exr`, and the one sequence in a folder.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <regex>

#include "corridorkey/frames.hpp"

namespace ck {

namespace fs = std::filesystem;

namespace {

struct Placeholder {
  size_t pos = std::string::npos, length = 0;
  int padding = 0;
};

// The frame-number placeholder in a file name: %d, %0Nd, or a run of '#'.
Placeholder find_placeholder(const std::string& name) {
  static const std::regex printf_style(R"(%(0?(\d+))?d)");
  std::smatch m;
  if (std::regex_search(name, m, printf_style)) {
    Placeholder p;
    p.pos = static_cast<size_t>(m.position(0));
    p.length = static_cast<size_t>(m.length(0));
    p.padding = m[2].matched ? std::stoi(m[2].str()) : 0;
    return p;
  }
  const size_t hash = name.find('#');
  if (hash == std::string::npos) return {};
  const size_t end = name.find_first_not_of('#', hash);
  Placeholder p;
  p.pos = hash;
  p.length = (end == std::string::npos ? name.size() : end) - hash;
  p.padding = static_cast<int>(p.length);
  return p;
}

bool is_image_extension(const std::string& ext) {
  static const char* kExtensions[] = {".exr", ".png", ".tif", ".tiff", ".jpg", ".jpeg", ".dpx"};
  std::string lower = ext;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(std::begin(kExtensions), std::end(kExtensions), lower) != std::end(kExtensions);
}

}  // namespace

bool SequencePattern::looks_like_pattern(const std::string& text) {
  return find_placeholder(fs::path(text).filename().string()).pos != std::string::npos;
}

Result<SequencePattern> SequencePattern::parse(const std::string& pattern) {
  const fs::path path(pattern);
  const std::string name = path.filename().string();
  const Placeholder p = find_placeholder(name);
  if (p.pos == std::string::npos) {
    return err(ErrorCode::kInvalidArgument, "'", pattern, "' has no frame number placeholder (%04d or ####)");
  }
  SequencePattern s;
  s.text_ = pattern;
  s.folder_ = path.parent_path().string();
  s.prefix_ = name.substr(0, p.pos);
  s.suffix_ = name.substr(p.pos + p.length);
  s.padding_ = p.padding;
  if (find_placeholder(s.suffix_).pos != std::string::npos) {
    return err(ErrorCode::kInvalidArgument, "'", pattern, "' has more than one frame number placeholder");
  }
  return s;
}

std::string SequencePattern::path_of(int64_t frame) const {
  std::string digits = std::to_string(frame < 0 ? -frame : frame);
  if (static_cast<int>(digits.size()) < padding_) digits.insert(0, static_cast<size_t>(padding_) - digits.size(), '0');
  const std::string name = prefix_ + (frame < 0 ? "-" : "") + digits + suffix_;
  return folder_.empty() ? name : (fs::path(folder_) / name).string();
}

Result<std::map<int64_t, std::string>> SequencePattern::list() const {
  const fs::path folder = folder_.empty() ? fs::path(".") : fs::path(folder_);
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return err(ErrorCode::kIo, "no folder '", folder.string(), "' for ", text_);
  std::map<int64_t, std::string> frames;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix_.size() + suffix_.size() || name.compare(0, prefix_.size(), prefix_) != 0 ||
        name.compare(name.size() - suffix_.size(), suffix_.size(), suffix_) != 0) {
      continue;
    }
    const std::string number = name.substr(prefix_.size(), name.size() - prefix_.size() - suffix_.size());
    const size_t sign = number[0] == '-' ? 1 : 0;
    if (number.size() == sign || number.find_first_not_of("0123456789", sign) != std::string::npos) continue;
    int64_t frame = 0;
    const auto [ptr, errc] = std::from_chars(number.data(), number.data() + number.size(), frame);
    if (errc != std::errc() || ptr != number.data() + number.size()) continue;
    if (static_cast<int>(number.size() - sign) < padding_) {
      return err(ErrorCode::kFormat, "'", entry.path().string(), "' has fewer digits than the pattern ", text_);
    }
    const auto [it, inserted] = frames.emplace(frame, entry.path().string());
    if (!inserted) {
      return err(ErrorCode::kFormat, "two files for frame ", frame, " of ", text_, ": '", it->second, "' and '",
                 entry.path().string(), "'");
    }
  }
  if (ec) return err(ErrorCode::kIo, "cannot list '", folder.string(), "': ", ec.message());
  return frames;
}

Result<SequencePattern> find_sequence_in_folder(const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return err(ErrorCode::kIo, "no folder '", folder, "'");
  // Each image file name with its last run of digits replaced by a placeholder; the sequences
  // are the distinct results.
  static const std::regex last_number(R"(^(.*?)(-?\d+)(\D*)$)");
  std::map<std::string, int> sequences;  // pattern -> files
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec)) {
    if (!entry.is_regular_file() || !is_image_extension(entry.path().extension().string())) continue;
    const std::string stem = entry.path().stem().string();
    std::smatch m;
    if (!std::regex_match(stem, m, last_number)) continue;
    const std::string digits = m[2].str();
    const size_t width = digits.size() - (digits[0] == '-' ? 1 : 0);
    // Padded numbers (leading zero) fix the width; others may be written with any width.
    const bool padded = width > 1 && digits[digits[0] == '-' ? 1 : 0] == '0';
    const std::string placeholder = padded ? "%0" + std::to_string(width) + "d" : "%d";
    ++sequences[m[1].str() + placeholder + m[3].str() + entry.path().extension().string()];
  }
  if (sequences.empty()) return err(ErrorCode::kIo, "no numbered image sequence in '", folder, "'");
  // A padded and an unpadded spelling of one sequence (frames 0001 and 10000) are the same one.
  std::map<std::string, int> merged;
  for (const auto& [pattern, count] : sequences) {
    const std::string unified = std::regex_replace(pattern, std::regex(R"(%0\d+d)"), "%d");
    merged[unified] += count;
  }
  if (merged.size() > 1) {
    std::string names;
    for (const auto& [pattern, count] : merged) names += " " + pattern;
    return err(ErrorCode::kInvalidArgument, "'", folder, "' holds several image sequences:", names,
               "; pass one as a pattern");
  }
  // The padded spelling when there is one (its width), else the plain one.
  std::string chosen = sequences.begin()->first;
  for (const auto& [pattern, count] : sequences) {
    if (pattern.find("%0") != std::string::npos) chosen = pattern;
  }
  return SequencePattern::parse((fs::path(folder) / chosen).string());
}

}  // namespace ck
