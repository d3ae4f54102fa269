#include "rlab/cli_checks.h"
#include "rlab/commands.h"

#include <CLI/CLI.hpp>

#include <memory>

namespace rlab {

Command completion_command() {
  return {"completion", "print a shell completion script (bash or zsh)",
          [](CLI::App& sub, Context& ctx) -> Runner {
            auto shell = std::make_shared<std::string>();
            sub.add_option("shell", *shell, "bash or zsh")
                ->required()
                ->check(cli::values({"bash", "zsh"}));
            sub.footer("Example: source <(rlab completion bash)");
            return [shell, &ctx] {
              // A shell script has one format; --format json must not pass unnoticed.
              if (ctx.options.format_given) {
                require_format(ctx.options.format, {Format::kTable}, "completion");
              }
              ctx.out << completion_script(*shell, command_table());
              return ExitCode::kSuccess;
            };
          }};
}

}  // namespace rlab
