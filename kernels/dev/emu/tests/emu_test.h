// A few helpers for the emulated runtime's own tests (kernels/dev/emu/tests/*.cu, run by ctest):
// checks that count and print, the last error's text, and isolated cases. A case that makes the
// device fault (sticky, as on a GPU) runs in a child process: the test runs itself again with the
// case's name and checks the child's exit status and output.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include <cuda_runtime.h>

namespace emu_test {
inline int failures = 0, checks = 0;
inline const char* program = "";
inline std::map<std::string, std::function<void()>>& isolated() {
  static std::map<std::string, std::function<void()>> cases;
  return cases;
}

inline void check(bool ok, const char* what, int line) {
  ++checks;
  if (!ok) {
    ++failures;
    std::printf("FAIL line %d: %s\n", line, what);
  }
}

inline std::string text(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

/** Runs registered case name in a child process; returns its exit status, its output in out. */
inline int run_child(const std::string& name, std::string* out) {
  const std::string cmd = std::string(program) + " " + name + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) *out += buf;
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/** Runs case name isolated; passes when its output holds every one of the expected texts. */
inline void expect_child(const std::string& name, std::initializer_list<const char*> expected, int line) {
  std::string out;
  const int status = run_child(name, &out);
  bool ok = status == 0;
  for (const char* e : expected) ok = ok && out.find(e) != std::string::npos;
  check(ok, ("isolated case " + name).c_str(), line);
  if (!ok) std::printf("  exit %d, output:\n%s\n", status, out.c_str());
}

/** main(): runs an isolated case when named, else all plain tests; prints the tally. */
inline int main(int argc, char** argv, void (*all)()) {
  program = argv[0];
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  if (argc > 1) {
    auto it = isolated().find(argv[1]);
    if (it == isolated().end()) return 3;
    it->second();
    return 0;
  }
  all();
  std::printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
}  // namespace emu_test

#define CHECK(cond) ::emu_test::check((cond), #cond, __LINE__)
#define CHECK_OK(call)                                                                                  \
  do {                                                                                                  \
    cudaError_t e_ = (call);                                                                            \
    ::emu_test::check(e_ == cudaSuccess, (std::string(#call) + " -> " + ::emu_test::text(e_)).c_str(), \
                      __LINE__);                                                                        \
  } while (0)
#define CHECK_ERR(call, code)                                                                                 \
  do {                                                                                                        \
    cudaError_t e_ = (call);                                                                                  \
    ::emu_test::check(e_ == (code), (std::string(#call) + " -> " + ::emu_test::text(e_) + ", want " #code).c_str(), \
                      __LINE__);                                                                              \
  } while (0)

/** A case that faults the device: defined with ISOLATED(name) { ... }, run with expect_child. */
#define ISOLATED(name)                                                                                 \
  static void isolated_##name();                                                                       \
  static const bool registered_##name = (::emu_test::isolated()[#name] = isolated_##name, true);       \
  static void isolated_##name()
