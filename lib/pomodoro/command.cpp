// `rlab pomodoro`: plan a day of focus sessions, run a timer from a state file, keep a history in
// Open Pomodoro Format, a mood/energy journal in JSON Lines, and reports/exports over them. This
// file declares the command line; runtime.h names the files that do the work.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/error.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "runtime.h"

namespace rlab {

using namespace pomodoro_cmd;  // NOLINT(google-build-using-namespace)

namespace {

// The subcommands, each declared on its parent; the runner asks which one was parsed.
struct Subcommands {
  CLI::App* plan = nullptr;
  CLI::App* start = nullptr;
  CLI::App* repeat = nullptr;
  CLI::App* status = nullptr;
  CLI::App* finish = nullptr;
  CLI::App* cancel = nullptr;
  CLI::App* brk = nullptr;
  CLI::App* exp = nullptr;
  CLI::App* rep = nullptr;
  CLI::App* jadd = nullptr;
  CLI::App* jweek = nullptr;
  CLI::App* jslots = nullptr;
};

CLI::App* add_plan(CLI::App& sub, Options& o) {
  auto* plan = sub.add_subcommand("plan", "schedule a day's tasks with breaks");
  plan->fallthrough();
  plan->add_option("file", o.file, "Plan (YAML): date, timezone, window, fixed, tasks")
      ->type_name("FILE");
  plan->add_option("--date", o.date, "Plan this date instead of the file's (YYYY-MM-DD)");
  plan->add_flag("--partial", o.partial,
                 "Print the schedule of what fits instead of failing when tasks do not fit");
  plan->add_option("--ics", o.ics, "Also write the schedule as iCalendar to FILE ('-': stdout)")
      ->type_name("FILE");
  plan->add_option("--journal", o.journal, "Journal to find the best energy slot in")
      ->type_name("FILE");
  plan->add_flag("--no-journal", o.no_journal, "Ignore the journal (no deep-work slot)");
  plan->add_option("--deep-slot", o.deep_slot, "Start hour (even, 0-22) of the deep-work slot")
      ->type_name("HOUR")
      ->check(cli::whole<int>(0, 22));
  plan->add_option("-o,--output", o.output, "Write the output to FILE (atomically)")
      ->type_name("FILE");
  return plan;
}

void add_timer(CLI::App& sub, Options& o, Subcommands& c) {
  c.start = sub.add_subcommand("start", "start a work session");
  c.start->fallthrough();
  c.start->add_option("--task,-d,--description", o.task, "What you work on")->type_name("TEXT");
  c.start->add_option("--type", o.type, "Task type = profile (default: default_type, classic)")
      ->type_name("TYPE");
  c.start->add_option("--tags,-t", o.tags, "Comma-separated tags")->type_name("A,B");
  c.start->add_option("--duration", o.duration, "Length in minutes (default: the profile's)")
      ->type_name("MIN")
      ->check(cli::positive(1440));
  c.start->add_option("--ago", o.ago, "Started MIN minutes ago")
      ->type_name("MIN")
      ->check(cli::non_negative(10080));
  c.start->add_flag("--wait", o.wait, "Wait until it ends, with a progress bar on a terminal");

  c.repeat = sub.add_subcommand("repeat", "start a session like the last one");
  c.repeat->fallthrough();
  c.repeat->add_flag("--wait", o.wait, "Wait until it ends");

  c.status = sub.add_subcommand("status", "what is running, time left, completed today");
  c.status->fallthrough();
  c.status
      ->add_option("--format,-f", o.status_format,
                   "table, json, or a template: %r left mm:ss, %R left min, %!r with '!' "
                   "when over, %l/%L length, %e elapsed, %d task, %t tags, %y type, "
                   "%p phase, %c completed today, %g daily goal")
      ->type_name("FMT")
      ->check(cli::values({"table", "json"}));
  c.finish = sub.add_subcommand("finish", "end the running session now and record it");
  c.finish->fallthrough();
  c.cancel = sub.add_subcommand("cancel", "drop the running session without recording it");
  c.cancel->fallthrough();
  c.brk = sub.add_subcommand("break", "start a break (long after every Nth completed session)");
  c.brk->fallthrough();
  c.brk->add_option("minutes", o.break_minutes, "Break length in minutes (default: profile)")
      ->type_name("MIN")
      ->check(cli::positive(1440));
  c.brk->add_flag("--wait", o.wait, "Wait until it ends");
}

void add_reports(CLI::App& sub, Options& o, Subcommands& c) {
  c.exp = sub.add_subcommand("export", "history as iCalendar or Timewarrior JSON");
  c.exp->fallthrough();
  c.exp->add_flag("--ics", o.export_ics, "RFC 5545 iCalendar");
  c.exp->add_flag("--timewarrior", o.export_timew, "Timewarrior export JSON (intervals)");
  c.exp->add_option("--from", o.from, "First date (YYYY-MM-DD)");
  c.exp->add_option("--to", o.to, "Last date (YYYY-MM-DD)");
  c.exp->add_option("-o,--output", o.output, "Write to FILE (atomically)")->type_name("FILE");

  c.rep = sub.add_subcommand("report", "sessions and minutes by day, week, type or tag");
  c.rep->fallthrough();
  c.rep->add_option("--by", o.by, "day, week, type or tag")
      ->check(cli::one_of({"day", "week", "type", "tag"}));
  c.rep->add_option("--from", o.from, "First date (YYYY-MM-DD)");
  c.rep->add_option("--to", o.to, "Last date (YYYY-MM-DD)");
  c.rep->add_option("--plan", o.plan_file, "Day plan to compare with (planned vs done)")
      ->type_name("FILE");
}

void add_journal(CLI::App& sub, Options& o, Subcommands& c) {
  auto* jr = sub.add_subcommand("journal", "mood/energy journal");
  jr->fallthrough();
  jr->require_subcommand(1);
  c.jadd = jr->add_subcommand("add", "record mood and energy (1 = lowest, 10 = highest)");
  c.jadd->fallthrough();
  c.jadd->add_option("--mood", o.mood, "Mood 1-10")->type_name("N")->check(cli::whole<int>(1, 10));
  c.jadd->add_option("--energy", o.energy, "Energy 1-10")
      ->type_name("N")
      ->check(cli::whole<int>(1, 10));
  c.jadd->add_option("--note", o.note, "Free text")->type_name("TEXT");
  c.jadd->add_option("--at", o.at, "When (ISO 8601 with offset; default now)")->type_name("TIME");
  c.jadd->add_option("--journal", o.journal, "Journal file")->type_name("FILE");
  c.jweek = jr->add_subcommand("week", "weekly averages and warnings");
  c.jweek->fallthrough();
  c.jweek->add_option("--date", o.date, "A day of the week (default: today)");
  c.jweek->add_option("--journal", o.journal, "Journal file")->type_name("FILE");
  c.jslots = jr->add_subcommand("slots", "mean energy per 2-hour slot, best slot");
  c.jslots->fallthrough();
  c.jslots
      ->add_option("--min-samples", o.min_samples,
                   "Samples every compared slot needs before a best slot is named (3)")
      ->type_name("K")
      ->check(cli::whole<int>(1, 1000));
  c.jslots->add_option("--days", o.days, "Only the last N days")
      ->type_name("N")
      ->check(cli::whole<int>(1));
  c.jslots->add_option("--svg", o.svg, "Draw the chart to FILE")->type_name("FILE");
  c.jslots->add_option("--journal", o.journal, "Journal file")->type_name("FILE");
}

// The parsed subcommand, run.
ExitCode run(const Options& o, Context& ctx, const CLI::App& sub, const Subcommands& c) {
  // A --format the subcommand cannot render is a usage error, before any file is read.
  const Format f = ctx.options.format;
  for (const CLI::App* a : {c.start, c.repeat, c.finish, c.cancel, c.brk}) {
    if (a->parsed()) require_format(f, {Format::kTable}, "pomodoro " + a->get_name());
  }
  if (c.jadd->parsed()) require_format(f, {Format::kTable, Format::kJson}, "pomodoro journal add");
  if (c.exp->parsed() && ctx.options.format_given) {
    if (o.export_ics) {
      throw UsageError("pomodoro export --ics writes iCalendar; it takes no --format");
    }
    require_format(f, {Format::kJson}, "pomodoro export --timewarrior");
  }
  const bool is_plan = c.plan->parsed() || sub.get_subcommands().empty();
  const ConfigNode section = load_section(is_plan ? o.file : "", ctx, is_plan);
  Runtime rt{ctx, read_settings(section), ctx.clock, nullptr};
  rt.zone = std::make_unique<pd::SystemZone>(rt.st.timezone);
  if (is_plan) return run_plan(o, rt, section);
  if (c.start->parsed()) return run_start(o, rt, false);
  if (c.repeat->parsed()) return run_start(o, rt, true);
  if (c.status->parsed()) return run_status(o, rt);
  if (c.finish->parsed()) return run_finish(rt);
  if (c.cancel->parsed()) return run_cancel(rt);
  if (c.brk->parsed()) return run_break(o, rt);
  if (c.exp->parsed()) return run_export(o, rt);
  if (c.rep->parsed()) return run_report(o, rt);
  if (c.jadd->parsed()) return run_journal_add(o, rt);
  if (c.jweek->parsed()) return run_journal_week(o, rt);
  if (c.jslots->parsed()) return run_journal_slots(o, rt);
  throw UsageError("pomodoro needs a subcommand; run 'rlab pomodoro --help'");
}

}  // namespace

Command pomodoro_command() {
  return {"pomodoro", "plan a day of focus sessions, run a timer, keep a mood/energy journal",
          [](CLI::App& sub, Context& ctx) -> Runner {
            auto o = std::make_shared<Options>();
            auto c = std::make_shared<Subcommands>();
            sub.fallthrough();
            sub.require_subcommand(0, 1);
            sub.add_option("file", o->file, "Plan (YAML); 'rlab pomodoro FILE' is 'plan FILE'")
                ->type_name("FILE");
            c->plan = add_plan(sub, *o);
            add_timer(sub, *o, *c);
            add_reports(sub, *o, *c);
            add_journal(sub, *o, *c);
            sub.footer(
                "Example: rlab pomodoro plan configs/examples/pomodoro.yaml --ics day.ics\n"
                "Timer: start --task T --type coding --tags a,b [--wait] | status -f '%r %c/%g' | "
                "finish | cancel | break [MIN] | repeat\n"
                "Files: <data dir>/pomodoro/{state.json,history,journal.jsonl}; RLAB_NOW fixes "
                "the clock.");
            return [o, c, &ctx, &sub]() -> ExitCode { return run(*o, ctx, sub, *c); };
          },
          &pomodoro_config_section};
}

}  // namespace rlab
