// rlab: the command table lives in lib/cli/table.cpp; main only hands over argv.
#include "rlab/commands.h"

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv, argv + argc);
  const int code = rlab::run_app(args, rlab::command_table(), std::cout, std::cerr,
                                 ::isatty(STDOUT_FILENO) != 0, ::isatty(STDERR_FILENO) != 0);
  std::cout.flush();
  return code;
}
