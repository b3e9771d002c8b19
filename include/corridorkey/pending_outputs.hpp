// The process's unfinished outputs: temporaries not yet renamed into place and directories a
// run created. Signals are process-wide, so this record is too: a program that handles
// SIGINT/SIGTERM (the `corridorkey` tool) calls abandon_pending_outputs() from its handler
// thread, and a failed run calls remove_created_directories().
//
// Temporaries are named `<target>.cktmp-<pid>-<seq>-<host>` beside their target, so that a
// later run can recognise and remove those of a killed process (SIGKILL, power loss) without
// touching those of a live one, on this host or another sharing the folder.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstddef>
#include <mutex>
#include <string>

#include "corridorkey/durable_file.hpp"
#include "corridorkey/status.hpp"

namespace ck {

// Creates a fresh, registered temporary file beside `target`. Before the first temporary in
// a folder, stale temporaries there (of dead processes on this host) are removed. Fails once
// outputs were abandoned.
Result<FileSink> create_temporary_beside(const std::string& target);
// The temporary was renamed or removed by its owner.
void forget_temporary(const std::string& path);

// Held while a set of outputs is renamed into place, so that abandoning never splits a set.
std::unique_lock<std::mutex> lock_commits();

// Creates `dir` and its missing parents, recording the ones it created.
Status create_output_directories(const std::string& dir);
// Removes the directories this process created that are still empty (after a failure).
void remove_created_directories();

// Removes every registered temporary and the empty directories this process created, and
// refuses commits from then on. Returns how many temporaries were removed. Meant for the
// moment before the process exits on a signal.
size_t abandon_pending_outputs();

}  // namespace ck

#pragma GCC visibility pop
