#include "rlab/commands.h"

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
  // clang-format off
  return {
      &lit_search_config_section(),
      &prototype_config_section(),
      &validate_config_section(),
      &cost_config_section(),
  };
  // clang-format on
}

}  // namespace rlab
