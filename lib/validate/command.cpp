// `rlab validate`: run files of a baseline and a candidate -> analyse() -> table/json/csv/md,
// optional JUnit XML, and the gate's exit code. The section's schema and readers are in
// config.cpp, the renderers in render.cpp.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"
#include "rlab/validate.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "command_parts.h"

namespace rlab {

namespace {

namespace v = validate;
using validate_cmd::make_table;
using validate_cmd::metrics_from_config;
using validate_cmd::min_effect_at;
using validate_cmd::parse_center;
using validate_cmd::parse_correction;
using validate_cmd::parse_fail_on;
using validate_cmd::parse_metric_flag;
using validate_cmd::parse_tests;
using validate_cmd::summary_lines;
using validate_cmd::to_json;
using validate_cmd::to_junit;

struct Options {
  std::string baseline;
  std::string candidate;
  std::vector<std::string> metrics;
  std::vector<std::string> tests;
  std::optional<double> alpha;
  std::optional<double> confidence;
  std::string correction;
  std::string min_effect;
  std::string center;
  std::optional<int> bootstrap;
  std::optional<long long> seed;
  std::optional<int> warn_runs;
  std::string fail_on;
  std::string junit;
  std::string output;
};

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> glob_files(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

std::string dir_of(const std::string& file) {
  const auto slash = file.rfind('/');
  return slash == std::string::npos ? "" : file.substr(0, slash + 1);
}

// "[label=]path-or-glob-or-dir" -> label and files. Relative paths from a config file are
// resolved against the config's directory (`base`).
v::Side load_side(const std::string& spec, const std::string& default_label,
                  const std::string& base, const std::string& where, Context& ctx) {
  v::Side side;
  side.label = default_label;
  std::string path = spec;
  const auto eq = spec.find('=');
  if (eq != std::string::npos && eq > 0 && spec.substr(0, eq).find('/') == std::string::npos) {
    side.label = spec.substr(0, eq);
    path = spec.substr(eq + 1);
  }
  if (path.empty()) throw UsageError(where + ": no path given for the " + default_label);
  if (!base.empty() && path.front() != '/') path = base + path;
  if (is_dir(path)) {
    std::string d = path.back() == '/' ? path : path + "/";
    side.files = glob_files(d + "*/record.yaml");
    for (const char* ext : {"*.csv", "*.json", "*.jsonl", "*.yaml", "*.yml"}) {
      for (auto& f : glob_files(d + ext)) side.files.push_back(f);
    }
    if (side.files.empty()) {
      throw InputError(path +
                       ": no run files in this directory (looked for */record.yaml, "
                       "*.csv, *.json, *.jsonl, *.yaml)");
    }
  } else if (has_glob(path)) {
    side.files = glob_files(path);
    if (side.files.empty()) throw InputError(path + ": no file matches this pattern");
  } else {
    side.files = {path};
  }
  // A run that failed (no results in its record) is said and left out, not fatal.
  std::vector<std::string> skipped;
  for (const auto& f : side.files) {
    std::vector<v::Run> runs = v::parse_runs(read_file(f), f, &skipped);
    for (auto& r : runs) side.runs.push_back(std::move(r));
  }
  for (const auto& s : skipped) ctx.log.warn(s);
  if (side.runs.empty()) {
    throw InputError(path + ": no usable runs for the " + side.label + " (" +
                     std::to_string(skipped.size()) + " run record(s) without results skipped)");
  }
  return side;
}

struct Setup {
  std::vector<v::MetricSpec> metrics;
  v::Options options;
  std::string baseline_spec, candidate_spec, baseline_base, candidate_base;
  std::string baseline_where = "BASELINE", candidate_where = "CANDIDATE";
};

// ---- options: defaults < config file < --set < flags ----

Setup resolve(const Options& o, const CLI::App& sub, Context& ctx) {
  Setup s;
  v::Options& opt = s.options;
  if (!ctx.options.config_path.empty()) {
    const std::string file = ctx.options.config_path;
    const ConfigNode root = load_config_file(file);
    const ConfigNode sec = select_section(root, "validate", ctx.config_sections);
    apply_overrides(sec, "validate", ctx.options.sets);
    config::check(sec, validate_config_section());
    const std::string base = dir_of(file);
    if (sec.has("baseline")) {
      s.baseline_spec = sec["baseline"].as_string();
      s.baseline_base = base;
      s.baseline_where = sec["baseline"].location().str();
    }
    if (sec.has("candidate")) {
      s.candidate_spec = sec["candidate"].as_string();
      s.candidate_base = base;
      s.candidate_where = sec["candidate"].location().str();
    }
    if (sec.has("metrics")) s.metrics = metrics_from_config(sec["metrics"]);
    if (sec.has("test")) {
      std::vector<std::string> items;
      for (const ConfigNode& t : sec["test"].items()) {
        const std::string name = t.as_string();
        try {
          for (v::Test x : parse_tests({name})) (void)x;
        } catch (const UsageError& e) {
          t.fail(e.what());
        }
        items.push_back(name);
      }
      opt.tests = parse_tests(items);
    }
    if (sec.has("paired")) opt.paired = sec["paired"].as_bool();
    if (sec.has("alpha")) opt.alpha = sec["alpha"].as_double();
    if (sec.has("confidence")) opt.confidence = sec["confidence"].as_double();
    if (sec.has("correction")) {
      opt.correction = parse_correction(sec["correction"].as_string());
    }
    if (sec.has("min_effect")) opt.min_effect = min_effect_at(sec["min_effect"]);
    if (sec.has("center")) opt.center = parse_center(sec["center"].as_string());
    if (sec.has("bootstrap")) opt.bootstrap = static_cast<int>(sec["bootstrap"].as_int());
    if (sec.has("seed")) opt.seed = static_cast<std::uint64_t>(sec["seed"].as_int());
    if (sec.has("warn_runs")) opt.warn_runs = static_cast<int>(sec["warn_runs"].as_int());
    if (sec.has("fail_on")) {
      opt.fail_on = parse_fail_on(sec["fail_on"].as_string());
    }
  } else if (!ctx.options.sets.empty()) {
    throw UsageError("--set needs a config file (--config FILE)");
  }
  if (!o.baseline.empty()) {
    s.baseline_spec = o.baseline;
    s.baseline_base.clear();
  }
  if (!o.candidate.empty()) {
    s.candidate_spec = o.candidate;
    s.candidate_base.clear();
  }
  if (!o.metrics.empty()) {
    s.metrics.clear();
    for (const auto& m : o.metrics) s.metrics.push_back(parse_metric_flag(m));
  }
  if (!o.tests.empty()) opt.tests = parse_tests(o.tests);
  if (sub.count("--paired") > 0) opt.paired = true;
  if (o.alpha) {
    if (!(*o.alpha > 0 && *o.alpha <= 0.5)) throw UsageError("--alpha must be in (0, 0.5]");
    opt.alpha = *o.alpha;
  }
  if (o.confidence) {
    if (!(*o.confidence >= 0.5 && *o.confidence < 1))
      throw UsageError("--confidence must be in [0.5, 1)");
    opt.confidence = *o.confidence;
  }
  if (!o.correction.empty()) opt.correction = parse_correction(o.correction);
  if (!o.min_effect.empty()) opt.min_effect = v::parse_min_effect(o.min_effect);
  if (!o.center.empty()) opt.center = parse_center(o.center);
  if (o.bootstrap) {
    if (*o.bootstrap < 0) throw UsageError("--bootstrap must be >= 0");
    opt.bootstrap = *o.bootstrap;
  }
  if (o.seed) opt.seed = static_cast<std::uint64_t>(*o.seed);
  if (o.warn_runs) opt.warn_runs = std::max(0, *o.warn_runs);
  if (!o.fail_on.empty()) opt.fail_on = parse_fail_on(o.fail_on);

  if (s.baseline_spec.empty() || s.candidate_spec.empty()) {
    throw UsageError(
        "validate needs a baseline and a candidate: rlab validate BASELINE CANDIDATE "
        "(files, globs or directories; label=path allowed), or --config FILE");
  }
  if (s.metrics.empty()) {
    throw UsageError(
        "no metric declared: give each metric to gate with its direction, "
        "--metric NAME:higher or --metric NAME:lower (or 'metrics:' in --config)");
  }
  for (std::size_t i = 0; i < s.metrics.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (s.metrics[i].name == s.metrics[j].name) {
        throw UsageError(s.metrics[i].where + ": metric '" + s.metrics[i].name +
                         "' declared twice");
      }
    }
  }
  return s;
}

ExitCode run(const Options& o, const CLI::App& sub, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "validate");
  const Setup s = resolve(o, sub, ctx);
  const v::Side baseline =
      load_side(s.baseline_spec, "baseline", s.baseline_base, s.baseline_where, ctx);
  const v::Side candidate =
      load_side(s.candidate_spec, "candidate", s.candidate_base, s.candidate_where, ctx);
  const v::Report rep = v::analyse(s.metrics, baseline, candidate, s.options);
  for (const auto& m : rep.metrics) {
    for (const auto& w : m.warnings) ctx.log.warn(m.name + ": " + w);
  }
  std::string text;
  switch (ctx.options.format) {
    case Format::kJson:
      text = to_json(rep, s.options, baseline, candidate).dump(2) + "\n";
      break;
    case Format::kCsv:
      text = render_csv(make_table(rep, s.options, true));
      break;
    case Format::kMd:
      text = render_markdown(make_table(rep, s.options, false)) + "\n" +
             summary_lines(rep, s.options, "- ");
      break;
    default:
      text = render_plain(make_table(rep, s.options, false)) + "\n" +
             summary_lines(rep, s.options, "");
      break;
  }
  if (!o.junit.empty()) write_file_atomic(o.junit, to_junit(rep, s.options));
  write_output(ctx.out, o.output, text);
  return rep.gate_failed ? ExitCode::kNo : ExitCode::kSuccess;
}

}  // namespace

Command validate_command() {
  return {"validate",
          "is the candidate really better than the baseline? statistics across seeds, CI gate",
          [](CLI::App& sub, Context& ctx) -> Runner {
            auto o = std::make_shared<Options>();
            sub.add_option("baseline", o->baseline,
                           "Baseline runs: file, glob or directory (label=path to name it)")
                ->type_name("BASELINE");
            sub.add_option("candidate", o->candidate, "Candidate runs: file, glob or directory")
                ->type_name("CANDIDATE");
            sub.add_option("--metric", o->metrics,
                           "Metric to compare and its direction: NAME:higher|lower[:MIN_EFFECT] "
                           "(repeatable)")
                ->type_name("SPEC");
            sub.add_option("--test", o->tests,
                           "welch (default), student, mwu, paired-t, wilcoxon; a comma list "
                           "reports several, the first decides")
                ->type_name("TEST")
                ->check(cli::values({"welch", "student", "mwu", "paired-t", "wilcoxon"}));
            sub.add_flag("--paired", "Pair runs by seed (paired t; mwu becomes wilcoxon)");
            sub.add_option("--alpha", o->alpha, "Significance level (default 0.05)")
                ->type_name("A")
                ->check(cli::positive(0.5));
            sub.add_option("--confidence", o->confidence, "Confidence of intervals (default 0.95)")
                ->type_name("C")
                ->check(cli::real());
            sub.add_option("--correction", o->correction,
                           "Across metrics: holm (default), bonferroni, none")
                ->type_name("METHOD")
                ->check(cli::values({"holm", "bonferroni", "none"}));
            sub.add_option("--min-effect", o->min_effect,
                           "Smallest change that counts: 5% (relative) or abs:0.01 (default 0)")
                ->type_name("EFFECT");
            sub.add_option("--center", o->center, "mean (default), median or iqm")
                ->type_name("C")
                ->check(cli::values({"mean", "median", "iqm"}));
            sub.add_option("--bootstrap", o->bootstrap,
                           "Bootstrap resamples (default 10000; 0 = none)")
                ->type_name("N")
                ->check(cli::whole<int>(0));
            sub.add_option("--seed", o->seed, "Seed of the bootstrap (default 0)")
                ->type_name("N")
                ->check(cli::whole<long long>(0));
            sub.add_option("--warn-runs", o->warn_runs, "Warn below this many runs (default 5)")
                ->type_name("N")
                ->check(cli::whole<int>());
            sub.add_option("--fail-on", o->fail_on,
                           "Exit 1 on: regression (default), inconclusive, not-improved, none")
                ->type_name("WHEN")
                ->check(cli::values({"regression", "inconclusive", "not-improved", "none"}));
            sub.add_option("--junit", o->junit, "Also write JUnit XML (one test case per metric)")
                ->type_name("FILE");
            sub.add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
                ->type_name("FILE");
            sub.footer(
                "Example: rlab validate base='runs/base/*.json' new='runs/new/*.json' "
                "--metric accuracy:higher --metric loss:lower\n"
                "Exit codes: 0 pass, 1 gate failed, 2 usage, 3 bad input.");
            return [o, &sub, &ctx] { return run(*o, sub, ctx); };
          },
          &validate_config_section};
}

}  // namespace rlab
