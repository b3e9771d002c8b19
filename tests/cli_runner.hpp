// Runs the `corridorkey` tool as a user would, capturing its exit code and combined output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace ck::test {

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a command line through /bin/sh with no standard input; its exit code and output.
inline CliResult run_command(const std::string& cmd) {
  CliResult r;
  FILE* pipe = popen((cmd + " 2>&1 </dev/null").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CliResult run_cli(const std::string& args) { return run_command(std::string(CK_CLI_PATH) + " " + args); }

// Runs a shell line under bash (for ulimit, timeout, pipes) and returns its exit code and output.
inline CliResult run_shell(const std::string& line) { return run_command("bash -c '" + line + "'"); }

}  // namespace ck::test
