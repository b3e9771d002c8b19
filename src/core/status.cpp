#include "corridorkey/status.hpp"

namespace ck {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kFormat: return "format error";
    case ErrorCode::kOutOfMemory: return "out of memory";
    case ErrorCode::kInternal: return "internal error";
    case ErrorCode::kNetwork: return "network error";
    case ErrorCode::kCancelled: return "cancelled";
  }
  return "unknown error";
}

}  // namespace ck
