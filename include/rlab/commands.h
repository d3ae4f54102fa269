// Factories for every row of the command table, and the table itself (in `rlab --help` order).
#pragma once

#include "rlab/command.h"

#include <vector>

namespace rlab {

Command prioritize_command();
Command lit_search_command();
Command doctor_command();
Command completion_command();
Command cost_command();
Command trl_command();
Command pomodoro_command();
Command validate_command();
Command bayesopt_command();
Command prototype_command();
Command exp_command();

/// Every implemented subcommand, in the order `rlab --help` lists them.
const std::vector<Command>& command_table();

}  // namespace rlab
