#include "rlab/commands.h"
#include "rlab/config_schema.h"

namespace rlab {

const std::vector<Command>& command_table() {
  // One row per subcommand, in `rlab --help` order. Adding a command = one row here.
  // One row per line, so branches adding commands merge line by line.
  // clang-format off
  static const std::vector<Command> kTable = {
      lit_search_command(),
      prioritize_command(),
      prototype_command(),
      exp_command(),
      bayesopt_command(),
      validate_command(),
      pomodoro_command(),
      trl_command(),
      cost_command(),
      doctor_command(),
      completion_command(),
  };
  // clang-format on
  return kTable;
}

std::vector<const config::Section*> config_sections() {
  std::vector<const config::Section*> sections;
  for (const Command& c : command_table()) {
    if (c.config) sections.push_back(&c.config());
  }
  return sections;
}

}  // namespace rlab
