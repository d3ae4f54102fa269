// `rlab pomodoro`: plan a day, run a focus timer from a state file, keep a history in Open
// Pomodoro Format, a mood/energy journal in JSON Lines, and reports/exports over them. This file
// declares the command line; runtime.h names the files that do the work.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/error.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "runtime.h"

namespace rlab {

using namespace pomodoro_cmd;  // NOLINT(google-build-using-namespace)

Command pomodoro_command() {
  return {
      "pomodoro", "plan a day of focus sessions, run a timer, keep a mood/energy journal",
      [](CLI::App& sub, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        sub.fallthrough();
        sub.require_subcommand(0, 1);
        sub.add_option("file", o->file, "Plan (YAML); 'rlab pomodoro FILE' is 'plan FILE'")
            ->type_name("FILE");
        auto* plan = sub.add_subcommand("plan", "schedule a day's tasks with breaks");
        plan->fallthrough();
        plan->add_option("file", o->file, "Plan (YAML): date, timezone, window, fixed, tasks")
            ->type_name("FILE");
        plan->add_option("--date", o->date, "Plan this date instead of the file's (YYYY-MM-DD)");
        plan->add_flag("--partial", o->partial,
                       "Print the schedule of what fits instead of failing when tasks do not fit");
        plan->add_option("--ics", o->ics,
                         "Also write the schedule as iCalendar to FILE ('-': stdout)")
            ->type_name("FILE");
        plan->add_option("--journal", o->journal, "Journal to find the best energy slot in")
            ->type_name("FILE");
        plan->add_flag("--no-journal", o->no_journal, "Ignore the journal (no deep-work slot)");
        plan->add_option("--deep-slot", o->deep_slot,
                         "Start hour (even, 0-22) of the deep-work slot")
            ->type_name("HOUR")
            ->check(cli::whole<int>(0, 22));
        plan->add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
            ->type_name("FILE");

        auto* start = sub.add_subcommand("start", "start a work session");
        start->fallthrough();
        start->add_option("--task,-d,--description", o->task, "What you work on")
            ->type_name("TEXT");
        start->add_option("--type", o->type, "Task type = profile (default: default_type, classic)")
            ->type_name("TYPE");
        start->add_option("--tags,-t", o->tags, "Comma-separated tags")->type_name("A,B");
        start->add_option("--duration", o->duration, "Length in minutes (default: the profile's)")
            ->type_name("MIN")
            ->check(cli::positive(1440));
        start->add_option("--ago", o->ago, "Started MIN minutes ago")
            ->type_name("MIN")
            ->check(cli::non_negative(10080));
        start->add_flag("--wait", o->wait, "Wait until it ends, with a progress bar on a terminal");

        auto* repeat = sub.add_subcommand("repeat", "start a session like the last one");
        repeat->fallthrough();
        repeat->add_flag("--wait", o->wait, "Wait until it ends");

        auto* status = sub.add_subcommand("status", "what is running, time left, completed today");
        status->fallthrough();
        status
            ->add_option("--format,-f", o->status_format,
                         "table, json, or a template: %r left mm:ss, %R left min, %!r with '!' "
                         "when over, %l/%L length, %e elapsed, %d task, %t tags, %y type, "
                         "%p phase, %c completed today, %g daily goal")
            ->type_name("FMT")
            ->check(cli::values({"table", "json"}));
        auto* finish = sub.add_subcommand("finish", "end the running session now and record it");
        finish->fallthrough();
        auto* cancel =
            sub.add_subcommand("cancel", "drop the running session without recording it");
        cancel->fallthrough();
        auto* brk =
            sub.add_subcommand("break", "start a break (long after every Nth completed session)");
        brk->fallthrough();
        brk->add_option("minutes", o->break_minutes, "Break length in minutes (default: profile)")
            ->type_name("MIN")
            ->check(cli::positive(1440));
        brk->add_flag("--wait", o->wait, "Wait until it ends");

        auto* exp = sub.add_subcommand("export", "history as iCalendar or Timewarrior JSON");
        exp->fallthrough();
        exp->add_flag("--ics", o->export_ics, "RFC 5545 iCalendar");
        exp->add_flag("--timewarrior", o->export_timew, "Timewarrior export JSON (intervals)");
        exp->add_option("--from", o->from, "First date (YYYY-MM-DD)");
        exp->add_option("--to", o->to, "Last date (YYYY-MM-DD)");
        exp->add_option("-o,--output", o->output, "Write to FILE (atomically)")->type_name("FILE");

        auto* rep = sub.add_subcommand("report", "sessions and minutes by day, week, type or tag");
        rep->fallthrough();
        rep->add_option("--by", o->by, "day, week, type or tag")
            ->check(cli::one_of({"day", "week", "type", "tag"}));
        rep->add_option("--from", o->from, "First date (YYYY-MM-DD)");
        rep->add_option("--to", o->to, "Last date (YYYY-MM-DD)");
        rep->add_option("--plan", o->plan_file, "Day plan to compare with (planned vs done)")
            ->type_name("FILE");

        auto* jr = sub.add_subcommand("journal", "mood/energy journal");
        jr->fallthrough();
        jr->require_subcommand(1);
        auto* jadd = jr->add_subcommand("add", "record mood and energy (1 = lowest, 10 = highest)");
        jadd->fallthrough();
        jadd->add_option("--mood", o->mood, "Mood 1-10")
            ->type_name("N")
            ->check(cli::whole<int>(1, 10));
        jadd->add_option("--energy", o->energy, "Energy 1-10")
            ->type_name("N")
            ->check(cli::whole<int>(1, 10));
        jadd->add_option("--note", o->note, "Free text")->type_name("TEXT");
        jadd->add_option("--at", o->at, "When (ISO 8601 with offset; default now)")
            ->type_name("TIME");
        jadd->add_option("--journal", o->journal, "Journal file")->type_name("FILE");
        auto* jweek = jr->add_subcommand("week", "weekly averages and warnings");
        jweek->fallthrough();
        jweek->add_option("--date", o->date, "A day of the week (default: today)");
        jweek->add_option("--journal", o->journal, "Journal file")->type_name("FILE");
        auto* jslots = jr->add_subcommand("slots", "mean energy per 2-hour slot, best slot");
        jslots->fallthrough();
        jslots
            ->add_option("--min-samples", o->min_samples,
                         "Samples every compared slot needs before a best slot is named (3)")
            ->type_name("K")
            ->check(cli::whole<int>(1, 1000));
        jslots->add_option("--days", o->days, "Only the last N days")
            ->type_name("N")
            ->check(cli::whole<int>(1));
        jslots->add_option("--svg", o->svg, "Draw the chart to FILE")->type_name("FILE");
        jslots->add_option("--journal", o->journal, "Journal file")->type_name("FILE");

        sub.footer(
            "Example: rlab pomodoro plan configs/examples/pomodoro.yaml --ics day.ics\n"
            "Timer: start --task T --type coding --tags a,b [--wait] | status -f '%r %c/%g' | "
            "finish | cancel | break [MIN] | repeat\n"
            "Files: <data dir>/pomodoro/{state.json,history,journal.jsonl}; RLAB_NOW fixes the "
            "clock.");
        return [o, &ctx, &sub, plan, start, repeat, status, finish, cancel, brk, exp, rep, jadd,
                jweek, jslots]() -> ExitCode {
          // A --format the subcommand cannot render is a usage error, before any file is read.
          const Format f = ctx.options.format;
          for (const CLI::App* a : {start, repeat, finish, cancel, brk}) {
            if (a->parsed()) require_format(f, {Format::kTable}, "pomodoro " + a->get_name());
          }
          if (jadd->parsed())
            require_format(f, {Format::kTable, Format::kJson}, "pomodoro journal add");
          if (exp->parsed() && ctx.options.format_given) {
            if (o->export_ics) {
              throw UsageError("pomodoro export --ics writes iCalendar; it takes no --format");
            }
            require_format(f, {Format::kJson}, "pomodoro export --timewarrior");
          }
          const bool is_plan = plan->parsed() || sub.get_subcommands().empty();
          const ConfigNode section = load_section(is_plan ? o->file : "", ctx, is_plan);
          Runtime rt{ctx, read_settings(section), ctx.clock, nullptr};
          rt.zone = std::make_unique<pd::SystemZone>(rt.st.timezone);
          if (is_plan) return run_plan(*o, rt, section);
          if (start->parsed()) return run_start(*o, rt, false);
          if (repeat->parsed()) return run_start(*o, rt, true);
          if (status->parsed()) return run_status(*o, rt);
          if (finish->parsed()) return run_finish(rt);
          if (cancel->parsed()) return run_cancel(rt);
          if (brk->parsed()) return run_break(*o, rt);
          if (exp->parsed()) return run_export(*o, rt);
          if (rep->parsed()) return run_report(*o, rt);
          if (jadd->parsed()) return run_journal_add(*o, rt);
          if (jweek->parsed()) return run_journal_week(*o, rt);
          if (jslots->parsed()) return run_journal_slots(*o, rt);
          throw UsageError("pomodoro needs a subcommand; run 'rlab pomodoro --help'");
        };
      },
      nullptr, "pomodoro"};
}

}  // namespace rlab
