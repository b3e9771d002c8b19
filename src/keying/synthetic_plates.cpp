// The synthetic plate generator. A shot (seed) fixes the screen, its lighting, the subject's
// shapes, strands and colours and how they move; a frame places them and draws its own noise.
// Work is in linear light; the plate is encoded to sRGB, noised and compressed at the end.
#include "corridorkey/synthetic_plates.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "corridorkey/colour.hpp"
#include "keying/mask_filters.hpp"

namespace ck {

namespace {

constexpr float kPi = 3.14159265358979f;

// SplitMix64: the same numbers on every platform (std's distributions are not specified).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(next() >> 40) / 16777216.0f; }
  bool chance(float p) { return uniform(0, 1) < p; }
  int integer(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  float normal() {  // Box-Muller
    const float u = std::max(uniform(0, 1), 1e-7f), v = uniform(0, 1);
    return std::sqrt(-2.0f * std::log(u)) * std::cos(2.0f * kPi * v);
  }

 private:
  uint64_t state_;
};

using Rgb = std::array<float, 3>;

enum class ShapeKind { kBlob, kEllipse, kBox };

struct Shape {
  ShapeKind kind;
  float cx, cy, a, b, angle;  // centre, half sizes (pixels), rotation
  std::array<float, 3> wobble, phase;  // the blob's radius harmonics (k = 2, 3, 5)
  Rgb colour;
  float opacity, softness;  // softness: edge width in pixels
  float texture_freq, texture_phase;
};

struct Strand {
  float root_angle, length, bend, width, opacity;
  Rgb colour;
};

struct Shot {
  Rgb screen;
  float light_x, light_y, vignette;
  std::vector<Shape> shapes;  // shapes[0] is the body the strands grow from
  std::vector<Strand> strands;
  float velocity_x, velocity_y;
  bool motion_blur;
  float blur_length, blur_angle;
  float spill;
  float noise;
  bool chroma_420;
  bool hint_grown;
  float hint_radius, hint_blur;
  int hint_holes, hint_blobs;
};

// A subject's colour, led by neither green nor blue, so that a shot's green and blue twins
// show the same subject; always four draws, so that the twins' random sequences stay equal.
Rgb subject_colour(Random& r) {
  Rgb c{r.uniform(0.02f, 0.8f), r.uniform(0.02f, 0.8f), r.uniform(0.02f, 0.8f)};
  const float shrink = r.uniform(0.5f, 1.0f);
  if (c[1] > 0.9f * std::max(c[0], c[2])) c[1] = 0.9f * std::max(c[0], c[2]) * shrink;
  if (c[2] > 0.9f * std::max(c[0], c[1])) c[2] = 0.9f * std::max(c[0], c[1]) * shrink;
  return c;
}

Shot make_shot(uint64_t seed, ScreenColour screen, int width, int height) {
  Random r(seed);
  const float size = static_cast<float>(std::min(width, height));
  Shot s;
  if (screen == ScreenColour::kBlue) {
    s.screen = {r.uniform(0.01f, 0.05f), r.uniform(0.05f, 0.14f), r.uniform(0.30f, 0.55f)};
  } else {
    s.screen = {r.uniform(0.02f, 0.08f), r.uniform(0.25f, 0.50f), r.uniform(0.02f, 0.09f)};
  }
  s.light_x = r.uniform(-0.5f, 0.5f);
  s.light_y = r.uniform(-0.5f, 0.5f);
  s.vignette = r.uniform(0.0f, 0.6f);
  auto shape = [&](ShapeKind kind, float scale) {
    Shape sh;
    sh.kind = kind;
    sh.cx = width * r.uniform(0.35f, 0.65f);
    sh.cy = height * r.uniform(0.35f, 0.7f);
    sh.a = size * scale * r.uniform(0.6f, 1.0f);
    sh.b = size * scale * r.uniform(0.6f, 1.0f);
    sh.angle = r.uniform(0, kPi);
    for (int k = 0; k < 3; ++k) {
      sh.wobble[static_cast<size_t>(k)] = r.uniform(0.0f, 0.12f);
      sh.phase[static_cast<size_t>(k)] = r.uniform(0, 2 * kPi);
    }
    sh.colour = subject_colour(r);
    sh.opacity = 1.0f;
    sh.softness = r.chance(0.5f) ? 1.0f : r.uniform(1.0f, 0.02f * size);
    sh.texture_freq = r.uniform(2.0f, 12.0f) / size;
    sh.texture_phase = r.uniform(0, 2 * kPi);
    return sh;
  };
  s.shapes.push_back(shape(ShapeKind::kBlob, r.uniform(0.15f, 0.28f)));
  const int extra = r.integer(0, 2);
  for (int i = 0; i < extra; ++i) s.shapes.push_back(shape(r.chance(0.5f) ? ShapeKind::kEllipse : ShapeKind::kBox, r.uniform(0.06f, 0.14f)));
  if (r.chance(0.5f)) {  // a semi-transparent veil
    Shape veil = shape(ShapeKind::kEllipse, r.uniform(0.08f, 0.16f));
    veil.opacity = r.uniform(0.3f, 0.7f);
    veil.softness = r.uniform(2.0f, 0.03f * size);
    s.shapes.push_back(veil);
  }
  const int strands = r.chance(0.7f) ? r.integer(10, 60) : 0;
  const float sector = r.uniform(0, 2 * kPi), spread = r.uniform(0.5f, 2.5f);
  const Rgb hair = subject_colour(r);
  for (int i = 0; i < strands; ++i) {
    Strand st;
    st.root_angle = sector + r.uniform(-spread, spread) * 0.5f;
    st.length = size * r.uniform(0.04f, 0.14f);
    st.bend = r.uniform(-0.5f, 0.5f);
    st.width = r.uniform(0.5f, 1.6f);
    st.opacity = r.uniform(0.4f, 1.0f);
    st.colour = {hair[0] * r.uniform(0.8f, 1.2f), hair[1] * r.uniform(0.8f, 1.2f), hair[2] * r.uniform(0.8f, 1.2f)};
    s.strands.push_back(st);
  }
  s.velocity_x = size * r.uniform(-0.004f, 0.004f);
  s.velocity_y = size * r.uniform(-0.003f, 0.003f);
  s.motion_blur = r.chance(0.3f);
  s.blur_length = size * r.uniform(0.008f, 0.035f);
  s.blur_angle = r.uniform(0, kPi);
  s.spill = r.uniform(0.05f, 0.35f);
  s.noise = r.uniform(0.002f, 0.015f);
  s.chroma_420 = r.chance(0.5f);
  s.hint_grown = r.chance(0.3f);
  s.hint_radius = size * r.uniform(0.005f, 0.02f);
  s.hint_blur = size * r.uniform(0.004f, 0.014f);
  s.hint_holes = r.integer(0, 2);
  s.hint_blobs = r.integer(0, 1);
  return s;
}

// Signed distance (pixels, negative inside) of (x, y) to a shape.
float signed_distance(const Shape& s, float x, float y) {
  const float dx = x - s.cx, dy = y - s.cy;
  const float c = std::cos(s.angle), sn = std::sin(s.angle);
  const float u = c * dx + sn * dy, v = -sn * dx + c * dy;
  switch (s.kind) {
    case ShapeKind::kEllipse: {
      const float k = std::sqrt((u / s.a) * (u / s.a) + (v / s.b) * (v / s.b));
      return (k - 1.0f) * std::min(s.a, s.b);
    }
    case ShapeKind::kBox: return std::max(std::abs(u) - s.a, std::abs(v) - s.b);
    case ShapeKind::kBlob: {
      const float theta = std::atan2(v / s.b, u / s.a), rho = std::sqrt((u / s.a) * (u / s.a) + (v / s.b) * (v / s.b));
      const float radius = 1.0f + s.wobble[0] * std::sin(2 * theta + s.phase[0]) + s.wobble[1] * std::sin(3 * theta + s.phase[1]) +
                           s.wobble[2] * std::sin(5 * theta + s.phase[2]);
      return (rho - radius) * std::min(s.a, s.b);
    }
  }
  return 0;
}

float distance_to_segment(float px, float py, float ax, float ay, float bx, float by) {
  const float vx = bx - ax, vy = by - ay;
  const float t = std::clamp(((px - ax) * vx + (py - ay) * vy) / std::max(vx * vx + vy * vy, 1e-12f), 0.0f, 1.0f);
  const float ex = px - ax - t * vx, ey = py - ay - t * vy;
  return std::sqrt(ex * ex + ey * ey);
}

// Premultiplied colour and alpha, composited layer by layer ("over").
struct Layers {
  int width, height;
  std::vector<float> colour, alpha;
  void over(size_t i, const Rgb& c, float a) {
    for (int k = 0; k < 3; ++k) colour[i * 3 + k] = c[static_cast<size_t>(k)] * a + colour[i * 3 + k] * (1 - a);
    alpha[i] = a + alpha[i] * (1 - a);
  }
};

void draw_shape(Layers& l, const Shape& s) {
  for (int y = 0; y < l.height; ++y) {
    for (int x = 0; x < l.width; ++x) {
      const float fx = static_cast<float>(x) + 0.5f, fy = static_cast<float>(y) + 0.5f;
      const float d = signed_distance(s, fx, fy);
      const float a = std::clamp(0.5f - d / s.softness, 0.0f, 1.0f) * s.opacity;
      if (a <= 0) continue;
      const float shade = 1.0f + 0.25f * std::sin((fx + 0.7f * fy) * s.texture_freq * 2 * kPi + s.texture_phase);
      l.over(static_cast<size_t>(y) * l.width + x, {s.colour[0] * shade, s.colour[1] * shade, s.colour[2] * shade}, a);
    }
  }
}

void draw_strand(Layers& l, const Shape& body, const Strand& st, float sway) {
  // From the body's edge outwards along a quadratic curve, as 12 segments.
  float rx = body.cx, ry = body.cy;
  const float dx = std::cos(st.root_angle), dy = std::sin(st.root_angle);
  for (float t = 0; t < 4 * std::max(body.a, body.b); t += 0.5f) {  // walk out to the edge
    if (signed_distance(body, body.cx + dx * t, body.cy + dy * t) > 0) {
      rx = body.cx + dx * (t - 2);
      ry = body.cy + dy * (t - 2);
      break;
    }
  }
  const float bend = st.bend + sway;
  const float ex = rx + dx * st.length, ey = ry + dy * st.length;
  const float mx = (rx + ex) / 2 - dy * bend * st.length, my = (ry + ey) / 2 + dx * bend * st.length;
  std::array<float, 26> p{};
  for (int i = 0; i <= 12; ++i) {
    const float t = static_cast<float>(i) / 12.0f;
    p[static_cast<size_t>(2 * i)] = (1 - t) * (1 - t) * rx + 2 * (1 - t) * t * mx + t * t * ex;
    p[static_cast<size_t>(2 * i + 1)] = (1 - t) * (1 - t) * ry + 2 * (1 - t) * t * my + t * t * ey;
  }
  const int x0 = std::max(0, static_cast<int>(std::min({rx, mx, ex}) - 3)),
            x1 = std::min(l.width - 1, static_cast<int>(std::max({rx, mx, ex}) + 3));
  const int y0 = std::max(0, static_cast<int>(std::min({ry, my, ey}) - 3)),
            y1 = std::min(l.height - 1, static_cast<int>(std::max({ry, my, ey}) + 3));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const float fx = static_cast<float>(x) + 0.5f, fy = static_cast<float>(y) + 0.5f;
      float d = 1e9f;
      for (size_t i = 0; i + 3 < p.size(); i += 2) d = std::min(d, distance_to_segment(fx, fy, p[i], p[i + 1], p[i + 2], p[i + 3]));
      const float a = std::clamp(st.width / 2 + 0.5f - d, 0.0f, 1.0f) * st.opacity;
      if (a > 0) l.over(static_cast<size_t>(y) * l.width + x, st.colour, a);
    }
  }
}

// 4:2:0 chroma: each 2 x 2 block shares its mean chroma (BT.709 Y'CbCr on the encoded values).
void subsample_chroma(std::vector<float>& rgb, int width, int height) {
  for (int by = 0; by < height; by += 2) {
    for (int bx = 0; bx < width; bx += 2) {
      float cb = 0, cr = 0;
      int n = 0;
      for (int y = by; y < std::min(by + 2, height); ++y) {
        for (int x = bx; x < std::min(bx + 2, width); ++x) {
          const float* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
          const float luma = 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
          cb += (p[2] - luma) / 1.8556f;
          cr += (p[0] - luma) / 1.5748f;
          ++n;
        }
      }
      cb /= static_cast<float>(n);
      cr /= static_cast<float>(n);
      for (int y = by; y < std::min(by + 2, height); ++y) {
        for (int x = bx; x < std::min(bx + 2, width); ++x) {
          float* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
          const float luma = 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
          p[0] = luma + 1.5748f * cr;
          p[2] = luma + 1.8556f * cb;
          p[1] = (luma - 0.2126f * p[0] - 0.0722f * p[2]) / 0.7152f;
        }
      }
    }
  }
}

}  // namespace

SyntheticPlate make_synthetic_plate(const SyntheticPlateOptions& o) {
  const int w = o.width, h = o.height;
  const ScreenColour screen = o.screen == ScreenColour::kBlue ? ScreenColour::kBlue : ScreenColour::kGreen;
  const Shot shot = make_shot(o.seed, screen, w, h);
  Random frame_random(o.seed * 1000003ull + static_cast<uint64_t>(o.frame) + 17);
  const size_t n = static_cast<size_t>(w) * h;

  // The subject, moved to this frame.
  Layers l{w, h, std::vector<float>(n * 3, 0.0f), std::vector<float>(n, 0.0f)};
  const float t = static_cast<float>(o.frame);
  std::vector<Shape> shapes = shot.shapes;
  for (Shape& s : shapes) {
    s.cx += shot.velocity_x * t;
    s.cy += shot.velocity_y * t;
    s.angle += 0.01f * t;
  }
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (shapes[i].opacity >= 1.0f) draw_shape(l, shapes[i]);
  }
  for (const Strand& st : shot.strands) draw_strand(l, shapes[0], st, 0.08f * std::sin(0.3f * t + st.root_angle * 5));
  for (const Shape& s : shapes) {
    if (s.opacity < 1.0f) draw_shape(l, s);
  }
  if (shot.motion_blur) {
    l.alpha = motion_blur(l.alpha, w, h, shot.blur_length, shot.blur_angle);
    std::vector<float> channel(n);
    for (int c = 0; c < 3; ++c) {
      for (size_t i = 0; i < n; ++i) channel[i] = l.colour[i * 3 + static_cast<size_t>(c)];
      channel = motion_blur(channel, w, h, shot.blur_length, shot.blur_angle);
      for (size_t i = 0; i < n; ++i) l.colour[i * 3 + static_cast<size_t>(c)] = channel[i];
    }
  }

  // The screen, lit unevenly; spill where the subject's edge meets it.
  const Mask near_screen = blur([&] {
    Mask m(n);
    for (size_t i = 0; i < n; ++i) m[i] = 1.0f - l.alpha[i];
    return m;
  }(), w, h, 0.012f * static_cast<float>(std::min(w, h)));
  SyntheticPlate out;
  out.plate = {w, h, 3, std::vector<float>(n * 3)};
  out.fg = {w, h, 3, std::vector<float>(n * 3)};
  out.alpha = {w, h, 1, l.alpha};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      const float u = static_cast<float>(x) / w - 0.5f, v = static_cast<float>(y) / h - 0.5f;
      const float light = std::max(0.3f, 1.0f + shot.light_x * u + shot.light_y * v - shot.vignette * (u * u + v * v) * 2);
      const float a = l.alpha[i];
      for (int c = 0; c < 3; ++c) {
        const float screen_c = shot.screen[static_cast<size_t>(c)] * light;
        const float fg = a > 1e-5f ? l.colour[i * 3 + static_cast<size_t>(c)] / a : 0.0f;
        const float spilled = fg + shot.spill * near_screen[i] * screen_c;
        out.plate.pixels[i * 3 + static_cast<size_t>(c)] = spilled * a + screen_c * (1 - a);
        out.fg.pixels[i * 3 + static_cast<size_t>(c)] = linear_to_srgb(std::clamp(fg, 0.0f, 1.0f));
      }
    }
  }
  // The camera: sRGB, sensor noise, 4:2:0 chroma and 8 bits.
  for (float& p : out.plate.pixels) p = linear_to_srgb(std::clamp(p, 0.0f, 1.0f)) + shot.noise * frame_random.normal();
  if (shot.chroma_420) subsample_chroma(out.plate.pixels, w, h);
  for (float& p : out.plate.pixels) p = std::round(std::clamp(p, 0.0f, 1.0f) * 255.0f) / 255.0f;

  // A user's hint: the key grown or shrunk, a hole or a stray blob, blurred.
  Mask hint(n);
  for (size_t i = 0; i < n; ++i) hint[i] = l.alpha[i] > 0.5f ? 1.0f : 0.0f;
  hint = shot.hint_grown ? dilate(hint, w, h, shot.hint_radius) : erode(hint, w, h, shot.hint_radius);
  Random hint_random(o.seed ^ 0xA11CEull);
  for (int k = 0; k < shot.hint_holes + shot.hint_blobs; ++k) {
    const bool hole = k < shot.hint_holes;
    const float cx = shapes[0].cx + hint_random.uniform(-1, 1) * shapes[0].a * (hole ? 0.6f : 1.6f);
    const float cy = shapes[0].cy + hint_random.uniform(-1, 1) * shapes[0].b * (hole ? 0.6f : 1.6f);
    const float radius = static_cast<float>(std::min(w, h)) * hint_random.uniform(0.01f, 0.03f);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius) hint[static_cast<size_t>(y) * w + x] = hole ? 0.0f : 1.0f;
      }
    }
  }
  out.hint = {w, h, 1, blur(hint, w, h, shot.hint_blur)};
  return out;
}

}  // namespace ck
