// PyTorch .pth reading: real files written by torch.save, and hostile or broken ones.
#include <filesystem>
#include <fstream>

#include "test_util.hpp"
#include "weights/pickle.hpp"
#include "weights/pth.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

void expect_same_values(const Tensor& got, const Tensor& want, const std::string& name) {
  ASSERT_EQ(got.shape(), want.shape()) << name;
  ASSERT_EQ(got.dtype(), DType::F32) << name;
  ASSERT_TRUE(got.is_contiguous()) << name;
  EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0) << name;
}

TEST(Pth, ReadsTheOfficialLayout) {
  // {"state_dict": {"_orig_mod." + key: tensor}, "epoch": ..}, BatchNorm counters, a strided pos_embed.
  StateDict sd = unwrap(read_pth(fixture_path("checkpoints/tiny_official.pth")));
  EXPECT_EQ(sd.size(), tiny_weights().size() + 2);  // + two num_batches_tracked
  for (const auto& [name, want] : tiny_weights()) {
    ASSERT_TRUE(sd.count("_orig_mod." + name)) << name;
    expect_same_values(sd.at("_orig_mod." + name), want, name);
  }
  const Tensor& counter = sd.at("_orig_mod.alpha_decoder.bn.num_batches_tracked");
  EXPECT_EQ(counter.dtype(), DType::I64);
  EXPECT_EQ(counter.data<int64_t>()[0], 1234);
}

TEST(Pth, ReadsAPlainStateDictOfParameters) {
  StateDict sd = unwrap(read_pth(fixture_path("checkpoints/tiny_plain.pth")));
  ASSERT_EQ(sd.size(), tiny_weights().size());
  for (const auto& [name, want] : tiny_weights()) expect_same_values(sd.at(name), want, name);
}

TEST(Pth, RefusesAPickleThatRunsACommandAndRunsNothing) {
  const std::string marker = "/tmp/corridorkey_malicious_pickle_ran";
  fs::remove(marker);
  auto r = read_pth(fixture_path("checkpoints/malicious.pth"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFormat);
  EXPECT_NE(r.error().message.find("posix.system"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("malicious.pth"), std::string::npos);
  EXPECT_FALSE(fs::exists(marker));
}

TEST(Pth, TruncatedArchiveIsRejected) {
  const std::string path = (fs::temp_directory_path() / "ck_test_truncated.pth").string();
  std::ifstream in(fixture_path("checkpoints/tiny_official.pth"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() * 2 / 3));
  auto r = read_pth(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFormat);
  EXPECT_NE(r.error().message.find(path), std::string::npos);
  fs::remove(path);
}

Error unpickle_error(const std::string& bytes) {
  auto r = pickle::unpickle(bytes, "test");
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error{ErrorCode::kInternal, ""} : r.error();
}

TEST(Pickle, RefusesEveryWayOfReachingArbitraryCode) {
  using namespace std::string_literals;
  // GLOBAL builtins.eval, then REDUCE.
  EXPECT_NE(unpickle_error("\x80\x02" "cbuiltins\neval\n" "X\x01\x00\x00\x00" "1" "\x85R."s).message.find("builtins.eval"),
            std::string::npos);
  // STACK_GLOBAL os.system (protocol 4 style).
  EXPECT_NE(unpickle_error("\x80\x04\x8c\x02os\x8c\x06system\x93."s).message.find("os.system"), std::string::npos);
  // INST, OBJ and NEWOBJ opcodes build arbitrary objects: refused by opcode.
  EXPECT_NE(unpickle_error("(ios\nsystem\n."s).message.find("opcode 0x69"), std::string::npos);
  EXPECT_NE(unpickle_error("\x80\x02)\x81."s).message.find("opcode 0x81"), std::string::npos);
  // An allowed global used as something else than its role.
  EXPECT_NE(unpickle_error("\x80\x02" "ctorch\nFloatStorage\n)R."s).message.find("not an allowed constructor"),
            std::string::npos);
}

TEST(Pickle, ReadsPlainDataAndRejectsBrokenStreams) {
  using namespace std::string_literals;
  // {"a": [1, -2, 3.5, True, None]} at protocol 2 with memo use.
  const std::string ok = "\x80\x02}q\x00X\x01\x00\x00\x00" "aq\x01]q\x02(K\x01J\xfe\xff\xff\xff"
                         "G@\x0c\x00\x00\x00\x00\x00\x00\x88Ne" "s."s;
  auto v = pickle::unpickle(ok, "test");
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_EQ((*v)->dict.size(), 1u);
  const auto& list = (*v)->dict[0].second->items;
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[1]->i, -2);
  EXPECT_EQ(list[2]->f, 3.5);
  EXPECT_TRUE(list[3]->b);
  EXPECT_NE(unpickle_error("\x80\x02}"s).message.find("STOP"), std::string::npos);
  EXPECT_NE(unpickle_error("\x80\x02X\xff\xff\x00\x00ab."s).message.find("truncated"), std::string::npos);
  EXPECT_NE(unpickle_error("\x80\x02h\x07."s).message.find("memo"), std::string::npos);
  EXPECT_NE(unpickle_error("\x80\x02s."s).message.find("empty stack"), std::string::npos);
}

}  // namespace
}  // namespace ck::test
