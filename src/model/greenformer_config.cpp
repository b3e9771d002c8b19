#include "model/greenformer_config.hpp"

#include <sstream>

namespace ck {

GreenFormerConfig GreenFormerConfig::base_plus() { return {}; }

GreenFormerConfig GreenFormerConfig::tiny() {
  GreenFormerConfig c;
  c.embed_dim = 8;
  c.num_heads = 1;
  c.stages = {1, 2, 3, 2};
  c.decoder_dim = 32;
  c.refiner_channels = 16;
  return c;
}

int GreenFormerConfig::depth() const { return stages[0] + stages[1] + stages[2] + stages[3]; }

std::array<int, 4> GreenFormerConfig::stage_ends() const {
  std::array<int, 4> ends{};
  int acc = 0;
  for (int s = 0; s < 4; ++s) ends[static_cast<size_t>(s)] = (acc += stages[static_cast<size_t>(s)]) - 1;
  return ends;
}

int GreenFormerConfig::block_stage(int block) const {
  const auto ends = stage_ends();
  for (int s = 0; s < 4; ++s) {
    if (block <= ends[static_cast<size_t>(s)]) return s;
  }
  return 3;
}

bool GreenFormerConfig::is_pooling_block(int block) const {
  const auto ends = stage_ends();
  return block == ends[0] + 1 || block == ends[1] + 1 || block == ends[2] + 1;
}

std::string GreenFormerConfig::describe() const {
  std::ostringstream os;
  os << "embed " << embed_dim << ", heads " << num_heads << ", stages " << stages[0] << '-' << stages[1] << '-'
     << stages[2] << '-' << stages[3] << ", decoder " << decoder_dim << ", refiner " << refiner_channels;
  return os.str();
}

Status GreenFormerConfig::validate() const {
  if (embed_dim <= 0 || num_heads <= 0 || embed_dim % num_heads != 0) {
    return err(ErrorCode::kInvalidArgument, "embed_dim ", embed_dim, " must split evenly into ", num_heads, " heads");
  }
  for (int s : stages) {
    if (s < 1) return err(ErrorCode::kInvalidArgument, "every Hiera stage needs at least one block");
  }
  if (decoder_dim <= 0 || refiner_channels <= 0 || refiner_groups <= 0 || refiner_channels % refiner_groups != 0) {
    return err(ErrorCode::kInvalidArgument, "refiner channels ", refiner_channels, " must split into ",
               refiner_groups, " groups");
  }
  return ok_status();
}

}  // namespace ck
