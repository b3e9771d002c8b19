// Green despill on straight sRGB foreground ("average" limit): the green above the mean of
// red and blue is removed and half of it given to each of red and blue, keeping luminance
// roughly even; `strength` blends between the input (0) and the despilled colour (1).
#pragma once

#include "image/planar.hpp"

namespace ck {

void despill_in_place(Planar& rgb, float strength);

}  // namespace ck
