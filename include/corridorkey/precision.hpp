// The arithmetic the network's matrix products and convolutions run in.
//   fp32: everything in fp32 (the parity mode).
//   bf16: the linear layers of backbone stages 1-3 store their weights as bf16 and round
//         their inputs to bf16, and so does the global attention of stages 2-3; products are
//         accumulated in fp32 and every other op (norms, windowed attention, activations)
//         stays fp32. The patch embedding and backbone stage 0 stay fp32 (their errors would
//         pass through the whole network), and so do the decoder heads (4 % of the time, a
//         third of the error when in bf16) and the refiner: its fp32 Winograd convolutions
//         are as fast as bf16 direct ones here, twice as accurate, and give the same result
//         for any thread count (the bf16 ones, banded, did not).
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <optional>
#include <string_view>

namespace ck {

enum class Precision { kFP32, kBF16 };

std::string_view precision_name(Precision p);                      // "fp32", "bf16"
std::optional<Precision> precision_from_name(std::string_view name);  // inverse of the above

}  // namespace ck

#pragma GCC visibility pop
