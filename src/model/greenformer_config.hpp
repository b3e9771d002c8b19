// The shape of a GreenFormer: Hiera backbone sizes, decoder width and refiner width.
// base_plus() is CorridorKey's network; tiny configs keep the same structure with small dims
// so that tests of the whole network run in milliseconds.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "corridorkey/status.hpp"

namespace ck {

struct GreenFormerConfig {
  int embed_dim = 112;                     // stage-0 channels; doubles at every stage
  int num_heads = 2;                       // stage-0 heads; doubles at every stage
  std::array<int, 4> stages{2, 3, 16, 3};  // blocks per stage
  int in_chans = 4;                        // RGB + alpha hint
  int mlp_ratio = 4;
  int decoder_dim = 256;
  int refiner_channels = 64;
  int refiner_groups = 8;

  static GreenFormerConfig base_plus();
  // embed_dim 8, 1 head, stages (1, 2, 3, 2), decoder 32, refiner 16: the committed test nets.
  static GreenFormerConfig tiny();

  int depth() const;
  int stage_dim(int stage) const { return embed_dim << stage; }
  int stage_heads(int stage) const { return num_heads << stage; }
  int head_dim() const { return embed_dim / num_heads; }
  // Index of the last block of each stage (features are taken there): 1, 4, 20, 23 for base_plus.
  std::array<int, 4> stage_ends() const;
  // Stage a block belongs to, and whether it is the first block of stages 1-3 (dim change + q-pool).
  int block_stage(int block) const;
  bool is_pooling_block(int block) const;

  std::string describe() const;  // "embed 112, heads 2, stages 2-3-16-3, decoder 256, refiner 64"
  Status validate() const;
};

}  // namespace ck
