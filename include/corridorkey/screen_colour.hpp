// The colour of a plate's screen. The network was trained on green screens; a blue plate is
// keyed through it with its green and blue channels swapped in and out, and despilled
// against blue.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <optional>
#include <string>

namespace ck {

enum class ScreenColour { kAuto, kGreen, kBlue };
const char* screen_colour_name(ScreenColour c);  // "auto", "green", "blue"
std::optional<ScreenColour> screen_colour_from_name(const std::string& name);

}  // namespace ck

#pragma GCC visibility pop
