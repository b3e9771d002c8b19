// The steps of process_frame on planar float images, each on its own so that the reference
// harness's fixtures can check them one by one.
#pragma once

#include "core/stage_clock.hpp"
#include "core/tensor.hpp"
#include "image/planar.hpp"
#include "corridorkey/engine.hpp"

namespace ck {

// A caller's image to float planes: channels [first, first + count) (a single-channel image
// is repeated when more are asked), integers scaled to [0, 1]. NaN or Inf is an error naming
// `what` and the first bad pixel.
Result<Planar> view_to_planar(const ImageView& view, int first, int count, const char* what);

// Plate (3 planes) and hint (1 plane, the plate's size) to the network's S x S planes
// [R, G, B, hint]: antialiased bilinear; a linear plate is resized in linear light, then
// encoded to sRGB.
Planar prepare_network_planes(const Planar& plate, const Planar& hint, int img_size, bool input_is_linear);

// The four network planes ImageNet-normalised into the (1, S, S, 4) channels-last input tensor.
Result<Tensor> normalise_network_input(const Planar& planes);

// From the network's S x S alpha (1 plane) and fg (3 planes) to every output at width x height.
// `clock`, when given, gets a lap per step (resize, despeckle, colour, interleave).
FrameResult postprocess_frame(const Planar& alpha_s, const Planar& fg_s, int width, int height,
                              const FrameOptions& options, StageClock* clock = nullptr);

}  // namespace ck
