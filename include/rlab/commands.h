// Factories for every row of the command table, and the table itself (in `rlab --help` order).
#pragma once

#include "rlab/command.h"

#include <vector>

namespace rlab {

namespace config {
struct Section;
}  // namespace config

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

// The declared config sections (rlab/config_schema.h), one per line; each command's row
// names its own (Command::config).
const config::Section& lit_search_config_section();
const config::Section& prioritize_config_section();
const config::Section& bayesopt_config_section();
const config::Section& prototype_config_section();
const config::Section& validate_config_section();
const config::Section& pomodoro_config_section();
const config::Section& trl_config_section();
const config::Section& cost_config_section();

/// Every declared config section (Command::config of the table's rows), in `rlab --help`
/// order: configs/reference.yaml and the test of the YAML in the docs come from these.
std::vector<const config::Section*> config_sections();

}  // namespace rlab
