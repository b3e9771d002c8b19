// Message building for ck::err (kept apart so status.hpp stays readable).
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <sstream>

namespace ck {

template <class... Parts>
Error err(ErrorCode code, const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return Error{code, os.str()};
}

}  // namespace ck

#pragma GCC visibility pop
