// `rlab trl`: levels, assess (file or bare FILE), ask (questionnaire), history, diff, quick.
// This file declares the command line; command_parts.h names the files that do the work.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/trl.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "command_parts.h"

namespace rlab {

namespace {

using namespace trl_cmd;  // NOLINT(google-build-using-namespace)

void add_assess_options(CLI::App& app, Options& o) {
  app.add_option("--scale", o.scale,
                 "Scale: nasa, eu, or a scale file (default: the file's, else nasa)")
      ->type_name("SCALE")
      ->check(cli::values({"nasa", "eu"}));
  app.add_option("--require", o.require, "Exit 1 when the (system) level is below N")
      ->type_name("N")
      ->check(cli::whole<int>(1, 1000));
  app.add_flag("--record", o.record, "Append this assessment to the history file");
  app.add_option("--history", o.history, "History file (JSON Lines; default trl-history.jsonl)")
      ->type_name("FILE");
  app.add_option("-o,--output", o.output, "Write the report to FILE (atomically)")
      ->type_name("FILE");
}

}  // namespace

Command trl_command() {
  return {
      "trl", "technology readiness level: assessment with evidence, gaps and history",
      [](CLI::App& sub, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        sub.add_option("file", o->file, "Answers file (YAML): same as 'rlab trl assess FILE'")
            ->type_name("FILE");
        add_assess_options(sub, *o);

        CLI::App* levels =
            sub.add_subcommand("levels", "print a scale's levels, definitions and criteria");
        levels->add_option("--scale", o->scale, "Scale: nasa (default), eu, or a scale file")
            ->type_name("SCALE")
            ->check(cli::values({"nasa", "eu"}));
        levels->add_option("-o,--output", o->output, "Write to FILE (atomically)")
            ->type_name("FILE");

        CLI::App* assess = sub.add_subcommand("assess", "assess a technology from an answers file");
        assess->add_option("file", o->file, "Answers file (YAML)")->type_name("FILE")->required();
        add_assess_options(*assess, *o);

        CLI::App* ask =
            sub.add_subcommand("ask", "interactive questionnaire on a terminal; resumable");
        ask->add_option("file", o->file, "Answers file to write (created, or resumed)")
            ->type_name("FILE")
            ->required();
        ask->add_option("--scale", o->scale,
                        "Scale for a new file: nasa (default), eu, or a scale file")
            ->type_name("SCALE")
            ->check(cli::values({"nasa", "eu"}));
        ask->add_option("--kind", o->kind, "Element kind: software (default) or hardware")
            ->type_name("KIND")
            ->check(cli::one_of({"hardware", "software"}));
        ask->add_option("--element", o->element, "Element to answer (added when new)")
            ->type_name("ID");
        ask->add_option("--technology", o->technology, "Technology name for a new file")
            ->type_name("NAME");
        ask->add_option("--assessor", o->assessor, "Assessor for a new file (default $USER)")
            ->type_name("NAME");
        ask->add_option("--require", o->require, "Exit 1 when the level is below N")
            ->type_name("N")
            ->check(cli::whole<int>(1, 1000));

        CLI::App* history = sub.add_subcommand("history", "list recorded assessments");
        history->add_option("--history", o->history, "History file (default trl-history.jsonl)")
            ->type_name("FILE");

        CLI::App* diff = sub.add_subcommand("diff", "what changed between two assessments");
        diff->add_option("a", o->a, "Record number, latest, previous, or an answers file")
            ->required();
        diff->add_option("b", o->b, "Record number, latest, previous, or an answers file")
            ->required();
        diff->add_option("--history", o->history, "History file (default trl-history.jsonl)")
            ->type_name("FILE");
        diff->add_option("--scale", o->scale, "Scale for answers-file operands")
            ->type_name("SCALE")
            ->check(cli::values({"nasa", "eu"}));

        CLI::App* quick =
            sub.add_subcommand("quick", "the lab's five milestones mapped onto NASA TRLs");
        const auto& ms = trl::milestones();
        for (std::size_t i = 0; i < ms.size(); ++i) {
          quick->add_flag_callback(
              "--" + ms[i].flag, [o, i] { o->milestones[i] = true; },
              ms[i].label + " (NASA TRL " + std::to_string(ms[i].level) + ")");
        }
        quick->add_option("--require", o->require, "Exit 1 when the level is below N")
            ->type_name("N")
            ->check(cli::whole<int>(1, 9));

        sub.footer(
            "Examples:\n"
            "  rlab trl levels --scale eu\n"
            "  rlab trl assess configs/examples/trl.yaml --require 4 --record\n"
            "  rlab trl ask answers.yaml        (interactive; resumes where it stopped)\n"
            "  rlab trl history;  rlab trl diff previous latest\n"
            "  rlab trl quick --theory --lab-prototype\n"
            "Formats: table (default), json, md.");
        return [o, &ctx, levels, assess, ask, history, diff, quick]() -> ExitCode {
          if (levels->parsed()) return run_levels(*o, ctx);
          if (assess->parsed()) return run_assess(*o, ctx);
          if (ask->parsed()) return run_ask(*o, ctx);
          if (history->parsed()) return run_history(*o, ctx);
          if (diff->parsed()) return run_diff(*o, ctx);
          if (quick->parsed()) return run_quick(*o, ctx);
          if (!o->file.empty() || !ctx.options.config_path.empty()) return run_assess(*o, ctx);
          throw UsageError("trl needs a subcommand or an answers file: " +
                           std::string("levels, assess FILE, ask FILE, history, diff A B, quick; "
                                       "run 'rlab trl --help'"));
        };
      },
      &trl_config_section};
}

}  // namespace rlab
