#include "backends/ref/ref_backend.hpp"

namespace ck {
std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ref::ReferenceBackend>(); }
}  // namespace ck
