#include "rlab/commands.h"

namespace rlab {

const std::vector<Command>& command_table() {
  // One row per subcommand, in `rlab --help` order. Adding a command = one row here.
  static const std::vector<Command> kTable = {
      prioritize_command(),
      lit_search_command(),
      doctor_command(),
      completion_command(),
      cost_command(),
      trl_command(),
      pomodoro_command(),
      validate_command(),
      bayesopt_command(),
      prototype_command(),
      exp_command(),
  };
  return kTable;
}

}  // namespace rlab
