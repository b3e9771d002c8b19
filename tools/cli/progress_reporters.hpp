// How a shot's progress is shown: a bar on a terminal, plain lines otherwise, or NDJSON events
// on stdout (--json; the schema is in README.md).
#pragma once

#include <memory>
#include <string>

#include "corridorkey/shot.hpp"

namespace ck::cli {

class ProgressReporter : public ShotObserver {
 public:
  // A run-level failure (the JSON form's `failed` event; others print it as an error).
  virtual void on_failure(const std::string& shot, const std::string& message) = 0;
};

// The events' names in NDJSON and the keying station's stream: started, frame_done, ...
const char* shot_event_kind_name(ShotEvent::Kind kind);

// json: NDJSON on stdout. Else a bar when stderr is a terminal (and not `plain`), else lines.
std::unique_ptr<ProgressReporter> make_progress_reporter(bool json, bool plain);

}  // namespace ck::cli
