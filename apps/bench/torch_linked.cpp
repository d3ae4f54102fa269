// Start-up reference for scripts/bench/startup.sh: does nothing but is linked to libtorch, so
// running it measures what every rlab command would pay if rlab linked libtorch directly.
#include <ATen/Version.h>

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--show") == 0) std::cout << at::show_config() << '\n';
  return 0;
}
