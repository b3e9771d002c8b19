// SIGINT, SIGTERM and SIGHUP end the tool without leaving unfinished files: the signals are
// blocked in every thread and taken by one thread that removes the pending temporaries and
// the empty folders the run created (corridorkey/pending_outputs.hpp), waiting for a frame's set of
// outputs being renamed into place, then exits with 128 + the signal number.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "commands.hpp"
#include "corridorkey/pending_outputs.hpp"

namespace ck::cli {

namespace {

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void install_interrupt_cleanup() {
  // Before any other thread exists, so that every thread inherits the mask.
  const sigset_t set = handled_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    const size_t removed = abandon_pending_outputs();
    std::fprintf(stderr, "corridorkey: interrupted by %s; %zu unfinished file%s removed, finished frames kept\n",
                 sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP", removed, removed == 1 ? "" : "s");
    std::fflush(stderr);
    _exit(128 + sig);
  }).detach();
}

}  // namespace ck::cli
