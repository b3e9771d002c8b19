// Between image files and the network: the (1, 4, S, S) input built from a plate and an alpha
// hint, and the network's S x S outputs brought back to the plate's size. Resizing here is
// plain half-pixel bilinear.
#pragma once

#include "backends/backend.hpp"
#include "io/image_file.hpp"

namespace ck {

// The plate's RGB (a grey plate is repeated, a 4th channel ignored) resized to S and
// ImageNet-normalised, and the hint's first channel resized to S, raw, as channel 4.
// The hint must already have the plate's size (see resize_image).
Result<Tensor> make_network_input(Backend& be, const Image& plate, const Image& hint, int img_size);

// Any image to another size, every channel (bilinear, half-pixel centres, no antialias).
Result<Image> resize_image(Backend& be, const Image& image, int width, int height);

// A (1, C, h, w) map to an Image of (height, width, C).
Result<Image> map_to_image(Backend& be, const Tensor& map, int width, int height);

}  // namespace ck
