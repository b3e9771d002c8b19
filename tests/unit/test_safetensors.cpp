// The safetensors reader and writer, including every kind of damaged file.
#include <filesystem>
#include <fstream>

#include "test_util.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) { return (fs::temp_directory_path() / ("ck_test_" + name)).string(); }

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string raw_file(const std::string& header, const std::string& data) {
  const uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

Error read_error(const std::string& path) {
  auto r = read_safetensors(path);
  EXPECT_FALSE(r.ok()) << path << " was accepted";
  return r.ok() ? Error{ErrorCode::kInternal, ""} : r.error();
}

TEST(Safetensors, RoundTripsEveryDtypeAndMetadata) {
  StateDict sd;
  sd["a.f32"] = random_tensor({3, 5}, 1);
  sd["b.f16"] = unwrap(random_tensor({4}, 2).to(DType::F16));
  sd["c.bf16"] = unwrap(random_tensor({2, 2, 2}, 3).to(DType::BF16));
  Tensor scalar = unwrap(Tensor::empty({}, DType::I64));
  scalar.data<int64_t>()[0] = 42;
  sd["d.counter"] = scalar;
  sd["e.empty"] = unwrap(Tensor::empty({0, 3}));
  const std::string path = temp_path("roundtrip.safetensors");
  ASSERT_TRUE(write_safetensors(path, sd, {{"k", "v"}}).ok());
  SafetensorsFile f = unwrap(read_safetensors(path));
  EXPECT_EQ(f.metadata.at("k"), "v");
  ASSERT_EQ(f.tensors.size(), sd.size());
  for (const auto& [name, t] : sd) {
    const Tensor& got = f.tensors.at(name);
    EXPECT_EQ(got.shape(), t.shape()) << name;
    EXPECT_EQ(got.dtype(), t.dtype()) << name;
    EXPECT_EQ(std::memcmp(got.raw(), t.raw(), t.nbytes()), 0) << name;
  }
  fs::remove(path);
}

TEST(Safetensors, WritesStridedTensorsContiguously) {
  Tensor t = random_tensor({3, 4}, 4);
  StateDict sd{{"t", unwrap(t.permute({1, 0}))}};
  const std::string path = temp_path("strided.safetensors");
  ASSERT_TRUE(write_safetensors(path, sd).ok());
  Tensor got = unwrap(read_safetensors(path)).tensors.at("t");
  EXPECT_EQ(got.shape(), (Shape{4, 3}));
  EXPECT_EQ(got.data<float>()[1], t.data<float>()[4]);
  fs::remove(path);
}

TEST(Safetensors, UnalignedDataSectionIsCopiedNotMisread) {
  const float v[2] = {1.5f, -2.0f};
  const std::string path = temp_path("unaligned.safetensors");
  write_bytes(path, raw_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                             std::string(reinterpret_cast<const char*>(v), 8)));
  Tensor x = unwrap(read_safetensors(path)).tensors.at("x");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(x.raw()) % 4, 0u);
  EXPECT_EQ(x.data<float>()[1], -2.0f);
  fs::remove(path);
}

TEST(Safetensors, TruncatedFileIsRejected) {
  const std::string src = fixture_path("tiny/weights.safetensors");
  const std::string path = temp_path("truncated.safetensors");
  std::ifstream in(src, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  write_bytes(path, bytes.substr(0, bytes.size() / 2));
  const Error e = read_error(path);
  EXPECT_EQ(e.code, ErrorCode::kFormat);
  EXPECT_NE(e.message.find("truncated"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(path), std::string::npos);
  write_bytes(path, bytes.substr(0, 5));
  EXPECT_NE(read_error(path).message.find("too short"), std::string::npos);
  fs::remove(path);
}

TEST(Safetensors, CorruptHeadersAreRejectedWithTheReason) {
  const std::string path = temp_path("corrupt.safetensors");
  const std::string data(16, '\0');
  struct Case {
    std::string header, expect;
  };
  const Case cases[] = {
      {"{not json", "not a valid JSON"},
      {"[1,2]", "not a valid JSON object"},
      {R"({"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})", "unsupported dtype F64"},
      {R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "needs 12"},
      {R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", "negative"},
      {R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", "outside the data section"},
      {R"({"x":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", "outside the data section"},
      {R"({"x":{"dtype":"F32","shape":[2]}})", "data_offsets"},
      {R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       "overlap"},
  };
  for (const Case& c : cases) {
    write_bytes(path, raw_file(c.header, data));
    const Error e = read_error(path);
    EXPECT_EQ(e.code, ErrorCode::kFormat);
    EXPECT_NE(e.message.find(c.expect), std::string::npos) << c.header << " -> " << e.message;
  }
  // A header length beyond the file.
  std::string huge(8, '\0');
  huge[3] = 1;
  write_bytes(path, huge + "{}");
  EXPECT_NE(read_error(path).message.find("exceeds the file"), std::string::npos);
  fs::remove(path);
}

TEST(Safetensors, MissingFileIsAnIoError) {
  auto r = read_safetensors("/nonexistent/weights.safetensors");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_NE(r.error().message.find("/nonexistent/weights.safetensors"), std::string::npos);
}

TEST(Safetensors, FailedWriteLeavesNothingBehind) {
  StateDict sd{{"t", random_tensor({4}, 1)}};
  const Status st = write_safetensors("/nonexistent-dir/out.safetensors", sd);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kIo);
  EXPECT_FALSE(fs::exists("/nonexistent-dir"));
}

}  // namespace
}  // namespace ck::test
