// The command table: each subcommand is a name, a one-line summary and a setup function.
#pragma once

#include "rlab/context.h"
#include "rlab/error.h"

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace rlab {

namespace config {
struct Section;
}  // namespace config

/// Runs the parsed command and returns its exit code; errors are thrown as rlab::Error.
using Runner = std::function<ExitCode()>;

/// One row of the command table (ninja's tool table). `setup` declares the subcommand's
/// options on `app` and returns the runner that the app calls after parsing succeeded.
struct Command {
  std::string name;
  std::string summary;
  std::function<Runner(CLI::App& app, Context& ctx)> setup;
  /// The config section the command reads, declared (rlab/config_schema.h): reference.yaml,
  /// the docs test and the top-level keys of an experiment file come from it.
  const config::Section& (*config)() = nullptr;
};

/// The config sections the commands of `table` read, in table order: the top-level keys an
/// experiment file may hold besides `version` and `experiment` (Context::config_sections).
std::vector<std::string> config_section_names(const std::vector<Command>& table);

/// Parses `args` (args[0] is the program name), runs the chosen command and maps every error to
/// its exit code, printing "rlab: error: ..." on `err`. Never throws.
int run_app(const std::vector<std::string>& args, const std::vector<Command>& table,
            std::ostream& out, std::ostream& err, bool stdout_is_tty = false,
            bool stderr_is_tty = false);
/// The same with the clock given (in-process tests fix "now" this way; the form above reads
/// RLAB_NOW / RLAB_TODAY).
int run_app(const std::vector<std::string>& args, const std::vector<Command>& table,
            std::ostream& out, std::ostream& err, const Clock& clock, bool stdout_is_tty = false,
            bool stderr_is_tty = false);

/// Calls `visit` for the root app and every sub-command of the CLI11 tree built from `table`,
/// depth first, with the path from the root ({"rlab", "pomodoro", "journal"}). The tree is the
/// one run_app parses with; completion and the property tests read options from it.
void walk_cli_tree(
    const std::vector<Command>& table,
    const std::function<void(const std::vector<std::string>& path, const CLI::App& app)>& visit);

/// Completion script for `shell` ("bash" or "zsh") listing every command and its options.
std::string completion_script(const std::string& shell, const std::vector<Command>& table);

}  // namespace rlab
