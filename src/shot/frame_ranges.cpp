#include <charconv>

#include "corridorkey/frames.hpp"

namespace ck {

namespace {

// One number at `pos` (an optional leading minus), advancing pos.
bool parse_number(const std::string& text, size_t& pos, int64_t& out) {
  const char* begin = text.data() + pos;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc() || ptr == begin) return false;
  pos += static_cast<size_t>(ptr - begin);
  return true;
}

}  // namespace

Result<std::vector<FrameRange>> parse_frame_ranges(const std::string& text) {
  std::vector<FrameRange> ranges;
  size_t pos = 0;
  auto bad = [&](const char* why) {
    return err(ErrorCode::kInvalidArgument, "--frames '", text, "': ", why,
               " (write inclusive ranges such as 1001-1100,1200-1250)");
  };
  if (text.empty()) return bad("empty");
  while (pos < text.size()) {
    FrameRange r;
    if (!parse_number(text, pos, r.first)) return bad("expected a frame number");
    r.last = r.first;
    if (pos < text.size() && text[pos] == '-') {
      ++pos;
      if (!parse_number(text, pos, r.last)) return bad("expected a frame number after '-'");
    }
    if (r.last < r.first) return bad("a range ends before it starts");
    ranges.push_back(r);
    if (pos < text.size()) {
      if (text[pos] != ',') return bad("unexpected character");
      ++pos;
      if (pos == text.size()) return bad("a trailing comma");
    }
  }
  return ranges;
}

bool frame_selected(const std::vector<FrameRange>& ranges, int64_t frame) {
  if (ranges.empty()) return true;
  for (const FrameRange& r : ranges) {
    if (r.contains(frame)) return true;
  }
  return false;
}

}  // namespace ck
