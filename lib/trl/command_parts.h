// Internal to `rlab trl`'s adapter: the options every subcommand shares and the pieces the
// subcommands reuse (assessment loading, evidence, records, the gate). command.cpp declares the
// CLI; assess.cpp holds levels, assess and quick; history.cpp history and diff; ask.cpp the
// questionnaire.
#pragma once

#include "rlab/context.h"
#include "rlab/error.h"
#include "rlab/trl.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "read.h"

namespace rlab::trl_cmd {

using nlohmann::json;
using trl::AnswersFile;
using trl::Result;
using trl::Scale;

constexpr const char* kDefaultHistory = "trl-history.jsonl";

struct Options {
  std::string file;   // answers file (assess, bare FILE, ask)
  std::string scale;  // --scale
  std::optional<int> require;
  bool record = false;
  std::string history;  // --history
  std::string output;   // -o
  // ask
  std::string kind;
  std::string element;
  std::string technology;
  std::string assessor;
  // diff
  std::string a, b;
  // quick
  std::vector<bool> milestones = std::vector<bool>(trl::milestones().size(), false);
};

struct Loaded {
  AnswersFile file;
  Scale scale;
  std::string scale_spec;
};

struct EvidenceItem {
  std::string element, criterion, item, type;
  std::optional<bool> exists;  // paths only
};

/// "12.5%".
std::string pct(double v);
/// The report to -o FILE (atomically) or stdout.
void emit(const Options& o, Context& ctx, const std::string& text);
/// The scale's id, name, version, source and url as JSON.
json scale_json(const Scale& s);
/// The answers file at `path` with its scale (--scale wins), checked against each other.
Loaded load_assessment(const std::string& path, const Options& o, Context& ctx, bool allow_empty);
/// Every evidence item of the assessment, with whether a path exists.
std::vector<EvidenceItem> evidence_inventory(const Loaded& l);
/// The assessment report as JSON (levels, gaps, evidence).
json assess_json(const Loaded& l, const Result& r, const std::vector<EvidenceItem>& inv,
                 const Options& o);
/// The assessment report as a table, or Markdown when `md`.
std::string assess_text(const Loaded& l, const Result& r, const std::vector<EvidenceItem>& inv,
                        bool md);
/// The history line for an assessment (JSON Lines).
json record_json(const Loaded& l, const Result& r, const Clock& clock);
/// Exit 1 with a warning naming the bottleneck when the level is below --require.
ExitCode gate(const Options& o, const Result& r, const trl::Assessment& a, Context& ctx);
/// The history file's snapshots; a missing file is an error only when `must_exist`.
std::vector<trl::Snapshot> read_history(const std::string& path, bool must_exist, Context& ctx);

ExitCode run_levels(const Options& o, Context& ctx);
ExitCode run_assess(const Options& o, Context& ctx);
ExitCode run_quick(const Options& o, Context& ctx);
ExitCode run_history(const Options& o, Context& ctx);
ExitCode run_diff(const Options& o, Context& ctx);
ExitCode run_ask(const Options& o, Context& ctx);

}  // namespace rlab::trl_cmd
