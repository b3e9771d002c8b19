// Uses the installed C++ API as an application would: reads the sample plate and hint (image
// files go through the module the library loads from its install folder), keys them with the
// checkpoint given, writes the matte, and reports the build.
#include <corridorkey/engine.hpp>
#include <corridorkey/image_file.hpp>
#include <corridorkey/system_info.hpp>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: cpp_consumer CHECKPOINT PLATE HINT OUT.png\n";
    return 2;
  }
  const ck::SystemInfo info = ck::system_info();
  std::cout << "corridorkey " << info.version << " (" << info.revision << "), kernels " << info.cpu_level << "\n";
  ck::EngineOptions options;
  options.img_size = 64;
  auto engine = ck::Engine::create(argv[1], options);
  auto plate = ck::read_image(argv[2]);
  auto hint = ck::read_image(argv[3]);
  if (!engine.ok() || !plate.ok() || !hint.ok()) {
    std::cerr << (!engine.ok() ? engine.error().message : !plate.ok() ? plate.error().message : hint.error().message) << "\n";
    return 1;
  }
  auto keyed = engine.value()->process_frame(ck::view_of(plate.value()), ck::view_of(hint.value()), ck::FrameOptions{});
  if (!keyed.ok()) {
    std::cerr << keyed.error().message << "\n";
    return 1;
  }
  const ck::Status written = ck::write_image_8bit(argv[4], keyed.value().alpha);
  if (!written.ok()) {
    std::cerr << written.error().message << "\n";
    return 1;
  }
  std::cout << "keyed " << keyed.value().alpha.width << "x" << keyed.value().alpha.height << " into " << argv[4] << "\n";
  return 0;
}
