// Internal to `rlab validate`'s adapter: the section's schema and the readers of its values
// (config.cpp), and the renderers of a report (render.cpp: table, Markdown summary, JSON,
// JUnit XML). command.cpp declares the CLI and wires them.
#pragma once

#include "rlab/config.h"
#include "rlab/output.h"
#include "rlab/validate.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace rlab::validate_cmd {

namespace v = validate;

// ---- config.cpp ----

/// NAME:higher|lower[:MIN_EFFECT] from the command line.
v::MetricSpec parse_metric_flag(const std::string& text);
v::MinEffect min_effect_at(const ConfigNode& n);
std::vector<v::MetricSpec> metrics_from_config(const ConfigNode& node);
/// "welch,mwu" items -> tests, each once, in order.
std::vector<v::Test> parse_tests(const std::vector<std::string>& items);
v::Correction parse_correction(const std::string& s);
v::Center parse_center(const std::string& s);
v::FailOn parse_fail_on(const std::string& s);

// ---- render.cpp ----

/// The table of the report; `full` adds the columns CSV carries.
Table make_table(const v::Report& rep, const v::Options& o, bool full);
/// The lines under the table: how it was tested and the verdict, each after `bullet`.
std::string summary_lines(const v::Report& rep, const v::Options& o, const char* bullet);
nlohmann::json to_json(const v::Report& rep, const v::Options& o, const v::Side& b,
                       const v::Side& c);
std::string to_junit(const v::Report& rep, const v::Options& o);

}  // namespace rlab::validate_cmd
