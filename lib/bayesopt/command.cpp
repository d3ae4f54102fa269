// `rlab bayesopt`: YAML space + objective -> Optimizer ask/tell loop -> study file, report,
// SVG plots. Also `rlab bayesopt ask` / `tell` on a study file for trials that run elsewhere.
#include "rlab/bayesopt.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"
#include "rlab/version.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "process.h"

namespace rlab {

namespace {

namespace bo = bayesopt;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Configuration

struct Objective {
  std::string type;  // "builtin" or "command"
  std::string builtin;
  std::vector<std::string> argv;
  std::vector<std::string> argv_where;
  double timeout_s = 0;
  std::string json_key;  // "" = last number on stdout
  std::string config_dir = ".";
};

struct Job {
  bo::Space space;
  Objective objective;
  bo::Settings settings;
  int n_calls = 50;
  std::string n_calls_where;
  bool maximize = false;
  int jobs = 1;
  std::string study;
  std::string plots;
};

struct Options {
  std::string file;
  std::string builtin;
  std::optional<int> n_calls;
  std::optional<int> n_initial;
  std::string initial_design;
  std::string acq;
  std::optional<std::uint64_t> random_state;
  bool maximize = false;
  std::optional<int> jobs;
  std::optional<double> timeout;
  std::string study;
  std::string plots;
  std::string output;
  // ask / tell
  int n_ask = 1;
  std::optional<long long> ask_id;
  std::optional<double> value;
  bool failed = false;
  std::string error_text;
};

const std::vector<std::string> kTopKeys = {
    "space",          "objective",   "n_calls",      "n_initial_points",
    "initial_design", "acquisition", "random_state", "maximize",
    "jobs",           "study",       "plots",        "xi",
    "kappa",          "n_candidates"};

bo::Space read_space(const ConfigNode& s) {
  bo::Space space;
  space.where = s.location().str();
  if (s.is_null()) return space;  // "empty space" from validate_space
  if (!s.is_map())
    s.fail("'space' must be a map from parameter name to its range, got " + s.kind());
  s.check_keys(s.keys());  // rejects a name given twice
  for (const std::string& name : s.keys()) {
    const ConfigNode d = s[name];
    bo::Dimension dim;
    dim.name = name;
    dim.where = d.location().str();
    if (d.is_sequence()) {  // shorthand: [a, b, c] = categorical
      dim.kind = bo::Dimension::Kind::kCategorical;
      for (const ConfigNode& c : d.items()) dim.categories.push_back(c.as_string());
      space.dims.push_back(dim);
      continue;
    }
    if (!d.is_map()) d.fail("'space." + name + "' must be a map with 'type', got " + d.kind());
    d.check_keys({"type", "low", "high", "prior", "categories"});
    const std::string type = d.required("type").as_choice({"real", "integer", "categorical"});
    if (type == "categorical") {
      dim.kind = bo::Dimension::Kind::kCategorical;
      const ConfigNode cats = d.required("categories");
      if (!cats.is_sequence()) cats.fail("'space." + name + ".categories' must be a list");
      for (const ConfigNode& c : cats.items()) dim.categories.push_back(c.as_string());
    } else {
      dim.kind = type == "real" ? bo::Dimension::Kind::kReal : bo::Dimension::Kind::kInteger;
      const ConfigNode lo = d.required("low");
      const ConfigNode hi = d.required("high");
      if (type == "integer") {
        dim.low = static_cast<double>(lo.as_int());
        dim.high = static_cast<double>(hi.as_int());
      } else {
        dim.low = lo.as_double();
        dim.high = hi.as_double();
        if (d.has("prior"))
          dim.log = d["prior"].as_choice({"uniform", "log-uniform"}) == "log-uniform";
      }
      if (type == "integer" && d.has("prior"))
        d["prior"].fail("'prior' applies to real dimensions only");
      if (dim.low >= dim.high) {
        lo.fail("'space." + name + "' has low >= high (" + format_number(dim.low, 6) +
                " >= " + format_number(dim.high, 6) + ")");
      }
      if (dim.log && dim.low <= 0) {
        lo.fail("'space." + name + "' is log-uniform, so low must be > 0 (got " +
                format_number(dim.low, 6) + ")");
      }
    }
    space.dims.push_back(dim);
  }
  return space;
}

Objective read_objective(const ConfigNode& o, const std::string& config_dir) {
  Objective obj;
  obj.config_dir = config_dir;
  if (!o.is_map()) o.fail("'objective' must be a map with 'type', got " + o.kind());
  o.check_keys({"type", "name", "argv", "timeout", "json_key"});
  const ConfigNode type = o.required("type");
  const std::string t = type.as_string();
  if (t == "prototype") {
    type.fail("objective type 'prototype' is not available in this build (use builtin or command)");
  }
  obj.type = type.as_choice({"builtin", "command"});
  if (obj.type == "builtin") {
    const ConfigNode n = o.required("name");
    obj.builtin = n.as_string();
    if (!bo::builtin(obj.builtin)) {
      n.fail("unknown builtin '" + obj.builtin + "'" +
             did_you_mean(obj.builtin, bo::builtin_names()) +
             " (available: branin, hartmann6, ackley5, rosenbrock4, mixed4)");
    }
    return obj;
  }
  const ConfigNode argv = o.required("argv");
  if (!argv.is_sequence() || argv.size() == 0)
    argv.fail("'objective.argv' must be a non-empty list");
  for (const ConfigNode& a : argv.items()) {
    obj.argv.push_back(a.as_string());
    obj.argv_where.push_back(a.location().str());
  }
  if (o.has("timeout")) obj.timeout_s = o["timeout"].as_double(0, 1e7);
  if (o.has("json_key")) obj.json_key = o["json_key"].as_string();
  return obj;
}

// Placeholders in an argv template: {name} for a parameter, {trial}, {config_dir}; "{{" and
// "}}" are literal braces. `names` empty = only collect errors.
std::string expand(const std::string& tmpl, const std::map<std::string, std::string>& values,
                   const std::string& where) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      const std::size_t close = tmpl.find('}', i);
      if (close == std::string::npos) throw InputError(where + ": unclosed '{' in '" + tmpl + "'");
      const std::string key = tmpl.substr(i + 1, close - i - 1);
      const auto it = values.find(key);
      if (it == values.end()) {
        std::vector<std::string> names;
        for (const auto& kv : values) names.push_back(kv.first);
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        throw InputError(where + ": unknown placeholder '{" + key + "}'" +
                         did_you_mean(key, names) + " (known: " + list + ")");
      }
      out += it->second;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

std::string shortest(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, r.ptr};
}

std::map<std::string, std::string> placeholder_values(const bo::Space& space, const bo::Point& x,
                                                      long long trial, const Objective& obj) {
  std::map<std::string, std::string> v;
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const bo::Dimension& d = space.dims[i];
    if (d.kind == bo::Dimension::Kind::kCategorical) {
      v[d.name] = d.categories[static_cast<std::size_t>(x[i])];
    } else if (d.kind == bo::Dimension::Kind::kInteger) {
      v[d.name] = std::to_string(static_cast<long long>(x[i]));
    } else {
      v[d.name] = shortest(x[i]);
    }
  }
  v["trial"] = std::to_string(trial);
  v["config_dir"] = obj.config_dir;
  return v;
}

Job read_job(const ConfigNode& s, const std::string& config_dir) {
  s.check_keys(kTopKeys);
  Job job;
  const ConfigNode obj = s.required("objective");
  job.objective = read_objective(obj, config_dir);
  if (s.has("space")) {
    if (job.objective.type == "builtin") {
      s["space"].fail("a builtin objective brings its own space: remove 'space'");
    }
    job.space = read_space(s["space"]);
  } else if (job.objective.type == "builtin") {
    job.space = bo::builtin(job.objective.builtin)->space;
  } else {
    job.space.where = s.location().str();
  }
  if (s.has("space") || job.objective.type != "builtin") bo::validate_space(job.space);
  if (job.objective.type == "command") {
    // Every placeholder must name a parameter (checked once, before anything runs).
    bo::Point probe(job.space.dims.size(), 0.0);
    for (std::size_t i = 0; i < job.space.dims.size(); ++i) {
      if (job.space.dims[i].kind != bo::Dimension::Kind::kCategorical)
        probe[i] = job.space.dims[i].low;
    }
    const auto vals = placeholder_values(job.space, probe, 0, job.objective);
    for (std::size_t i = 0; i < job.objective.argv.size(); ++i) {
      (void)expand(job.objective.argv[i], vals, job.objective.argv_where[i]);
    }
  }
  if (s.has("n_calls")) {
    job.n_calls = static_cast<int>(s["n_calls"].as_int(1, 100000));
    job.n_calls_where = s["n_calls"].location().str();
  }
  if (s.has("n_initial_points")) {
    job.settings.n_initial_points = static_cast<int>(s["n_initial_points"].as_int(0, 100000));
  }
  if (s.has("initial_design")) {
    job.settings.initial_design =
        bo::parse_initial_design(s["initial_design"].as_choice({"random", "lhs", "sobol"}));
  }
  if (s.has("acquisition")) {
    job.settings.acquisition =
        bo::parse_acquisition(s["acquisition"].as_choice({"gp_hedge", "EI", "PI", "LCB"}));
  }
  if (s.has("random_state")) {
    job.settings.random_state = static_cast<std::uint64_t>(s["random_state"].as_int(0, 1LL << 62));
  }
  if (s.has("maximize")) job.maximize = s["maximize"].as_bool();
  if (s.has("jobs")) job.jobs = static_cast<int>(s["jobs"].as_int(1, 256));
  if (s.has("study")) job.study = s["study"].as_string();
  if (s.has("plots")) job.plots = s["plots"].as_string();
  if (s.has("xi")) job.settings.xi = s["xi"].as_double(0, 10);
  if (s.has("kappa")) job.settings.kappa = s["kappa"].as_double(0, 100);
  if (s.has("n_candidates"))
    job.settings.n_candidates = static_cast<int>(s["n_candidates"].as_int(16, 1000000));
  return job;
}

// ---------------------------------------------------------------------------------------------
// Objective evaluation

struct Outcome {
  bool ok = false;
  double value = 0;
  double seconds = 0;
  std::string error;
  std::string tail;
};

std::string tail_of(const std::string& out, const std::string& err) {
  std::string both = out;
  if (!err.empty()) both += (both.empty() || both.back() == '\n' ? "" : "\n") + err;
  if (both.size() > 500) both = "..." + both.substr(both.size() - 500);
  return both;
}

// The last number written on stdout ("loss=0.25" -> 0.25, "1e-3" -> 0.001).
std::optional<double> last_number(const std::string& s) {
  std::optional<double> found;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const bool starts =
        std::isdigit(static_cast<unsigned char>(c)) != 0 ||
        ((c == '-' || c == '+' || c == '.') && i + 1 < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0 || s[i + 1] == '.'));
    const bool boundary = i == 0 || (std::isalnum(static_cast<unsigned char>(s[i - 1])) == 0 &&
                                     s[i - 1] != '.' && s[i - 1] != '_');
    if (starts && boundary) {
      const char* b = s.c_str() + i;
      char* e = nullptr;
      const double v = std::strtod(b, &e);
      if (e != b) {
        if (std::isfinite(v)) found = v;
        i += static_cast<std::size_t>(e - b);
        continue;
      }
    }
    ++i;
  }
  return found;
}

std::optional<double> json_value(const std::string& s, const std::string& key, std::string* why) {
  // The last line that is a JSON object holding `key` (or the whole output as one document).
  std::vector<std::string> docs;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) docs.push_back(line);
  docs.push_back(s);
  for (auto it = docs.rbegin(); it != docs.rend(); ++it) {
    const json j = json::parse(*it, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains(key)) continue;
    if (!j[key].is_number()) {
      *why = "JSON key '" + key + "' is not a number: " + j[key].dump();
      return std::nullopt;
    }
    return j[key].get<double>();
  }
  *why = "printed no JSON object with key '" + key + "'";
  return std::nullopt;
}

std::vector<Outcome> evaluate(const Job& job, const std::vector<bo::Point>& xs,
                              long long first_trial) {
  std::vector<Outcome> out(xs.size());
  if (job.objective.type == "builtin") {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const auto t0 = Clock::now();
      out[i].value = bo::builtin_value(job.objective.builtin, xs[i]);
      out[i].seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      out[i].ok = true;
    }
    return out;
  }
  std::vector<std::vector<std::string>> argvs;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const auto vals = placeholder_values(job.space, xs[i], first_trial + static_cast<long long>(i),
                                         job.objective);
    std::vector<std::string> argv;
    for (std::size_t k = 0; k < job.objective.argv.size(); ++k) {
      argv.push_back(expand(job.objective.argv[k], vals, job.objective.argv_where[k]));
    }
    argvs.push_back(std::move(argv));
  }
  const auto results = bo::run_processes(argvs, job.objective.timeout_s);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const bo::ProcessResult& r = results[i];
    Outcome& o = out[i];
    o.seconds = r.seconds;
    if (!r.started) {
      throw EnvironmentError(job.objective.argv_where[0] + ": objective command '" + argvs[i][0] +
                             "' cannot run: " + r.start_error);
    }
    o.tail = tail_of(r.out, r.err);
    if (r.timed_out) {
      o.error = "timed out after " + format_number(job.objective.timeout_s, 6) + " s";
    } else if (r.signal != 0) {
      o.error = std::string("killed by signal ") + std::to_string(r.signal) + " (" +
                strsignal(r.signal) + ")";
    } else if (r.exit_code == 127 && r.out.empty()) {
      throw EnvironmentError(job.objective.argv_where[0] + ": objective command '" + argvs[i][0] +
                             "' cannot run (exit 127): " + tail_of("", r.err));
    } else if (r.exit_code != 0) {
      o.error = "exited with status " + std::to_string(r.exit_code);
    } else if (job.objective.json_key.empty()) {
      const auto v = last_number(r.out);
      if (v) {
        o.ok = true;
        o.value = *v;
      } else {
        o.error = "printed no number on stdout";
      }
    } else {
      std::string why;
      const auto v = json_value(r.out, job.objective.json_key, &why);
      if (v) {
        o.ok = true;
        o.value = *v;
      } else {
        o.error = why;
      }
    }
    if (o.ok) o.tail.clear();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Study file (JSON Lines): {"meta": ...}, then trial lines and, for ask/tell, ask lines.

struct Trial {
  long long trial = 0;
  json params;
  bo::Point x;
  std::optional<double> value;  // as the objective returned it
  std::string status = "ok";
  std::string acq;
  double elapsed_s = 0;
  double objective_s = 0;
  double suggest_s = 0;
  std::string error;
  std::string tail;
  std::optional<long long> ask;
  std::vector<double> hedge_gains;
  std::vector<std::vector<double>> hedge_candidates;
};

struct Study {
  json meta;
  std::vector<Trial> trials;
  std::map<long long, json> asks;  // open asks: id -> params
  long long next_ask = 0;
  bool truncated = false;  // last line was cut (killed while writing)
};

json meta_for(const Job& job) {
  json m;
  m["tool"] = "rlab";
  m["version"] = version();
  m["space"] = bo::space_to_json(job.space);
  m["random_state"] = job.settings.random_state;
  m["n_initial_points"] = job.settings.n_initial_points;
  m["initial_design"] = bo::initial_design_name(job.settings.initial_design);
  m["acquisition"] = bo::acquisition_name(job.settings.acquisition);
  m["maximize"] = job.maximize;
  m["objective"] =
      job.objective.type == "builtin" ? json(job.objective.builtin) : json(job.objective.argv);
  return m;
}

void read_study_line(Study& st, const json& j, int line_no, const std::string& where,
                     const bo::Space* space);

Study read_study(const std::string& path, const bo::Space* space) {
  Study st;
  const std::string text = read_file(path);
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const bool complete = nl != std::string::npos;
    const std::string line = text.substr(pos, complete ? nl - pos : std::string::npos);
    pos = complete ? nl + 1 : text.size();
    ++line_no;
    const std::string where = path + ":" + std::to_string(line_no) + ":1";
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (!complete) {  // a line cut short by a kill: ignored, overwritten on the next append
        st.truncated = true;
        break;
      }
      throw InputError(where + ": not a JSON object");
    }
    try {
      read_study_line(st, j, line_no, where, space);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(where + ": malformed study line: " + e.what());
    }
  }
  if (st.meta.is_null()) throw InputError(path + ":1:1: a study file starts with a 'meta' line");
  return st;
}

void read_study_line(Study& st, const json& j, int line_no, const std::string& where,
                     const bo::Space* space) {
  {
    if (j.contains("meta")) {
      if (line_no != 1) throw InputError(where + ": 'meta' must be the first line");
      if (!j["meta"].is_object()) throw InputError(where + ": 'meta' must be an object");
      st.meta = j["meta"];
      if (space != nullptr) {
        const std::string diff = bo::space_difference(*space, st.meta.value("space", json()));
        if (!diff.empty()) {
          throw InputError(where + ": the study was made with a different space: " + diff);
        }
      }
      return;
    }
    if (line_no == 1) throw InputError(where + ": a study file starts with a 'meta' line");
    if (space == nullptr) throw InputError(where + ": the study file has no space");
    if (j.contains("ask") && !j.contains("trial")) {
      if (!j["ask"].is_number_integer()) throw InputError(where + ": 'ask' must be an integer");
      const long long id = j["ask"].get<long long>();
      st.asks[id] = j.value("params", json::object());
      st.next_ask = std::max(st.next_ask, id + 1);
      return;
    }
    if (!j.contains("trial")) return;
    Trial t;
    t.trial = j["trial"].is_number_integer() ? j["trial"].get<long long>() : -1;
    if (t.trial != static_cast<long long>(st.trials.size())) {
      throw InputError(where + ": trial " + j["trial"].dump() + " out of order (expected " +
                       std::to_string(st.trials.size()) + ")");
    }
    t.params = j.value("params", json::object());
    t.x = bo::point_from_json(*space, t.params, where);
    t.status = j.value("status", std::string("ok"));
    if (j.contains("value") && j["value"].is_number()) t.value = j["value"].get<double>();
    if (t.status == "ok" && !t.value) throw InputError(where + ": trial without a numeric 'value'");
    t.acq = j.value("acq", std::string());
    t.elapsed_s = j.value("elapsed_s", 0.0);
    t.objective_s = j.value("objective_s", 0.0);
    t.suggest_s = j.value("suggest_s", 0.0);
    t.error = j.value("error", std::string());
    t.tail = j.value("output_tail", std::string());
    if (j.contains("ask")) {
      t.ask = j["ask"].get<long long>();
      st.asks.erase(*t.ask);
    }
    if (j.contains("hedge") && j["hedge"].is_object()) {
      t.hedge_gains = j["hedge"].value("gains", std::vector<double>());
      t.hedge_candidates = j["hedge"].value("candidates", std::vector<std::vector<double>>());
    }
    st.trials.push_back(std::move(t));
  }
}

json trial_json(const Trial& t) {
  json j;
  j["trial"] = t.trial;
  j["params"] = t.params;
  j["value"] = t.value ? json(*t.value) : json(nullptr);
  j["status"] = t.status;
  j["elapsed_s"] = t.elapsed_s;
  j["objective_s"] = t.objective_s;
  j["suggest_s"] = t.suggest_s;
  if (!t.acq.empty()) j["acq"] = t.acq;
  if (t.ask) j["ask"] = *t.ask;
  if (!t.error.empty()) j["error"] = t.error;
  if (!t.tail.empty()) j["output_tail"] = t.tail;
  if (!t.hedge_gains.empty())
    j["hedge"] = {{"gains", t.hedge_gains}, {"candidates", t.hedge_candidates}};
  return j;
}

// Appends JSON lines, one flushed write per line. A file whose last line was cut short is first
// truncated to its last complete line.
class StudyWriter {
 public:
  StudyWriter() = default;
  void open(const std::string& path, bool truncate_partial) {
    path_ = path;
    if (truncate_partial) {
      const std::string text = read_file(path);
      const std::size_t nl = text.rfind('\n');
      std::filesystem::resize_file(path, nl == std::string::npos ? 0 : nl + 1);
    }
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    f_ = std::fopen(path.c_str(), "a");
    if (f_ == nullptr)
      throw EnvironmentError(path + ": cannot write the study file: " + std::strerror(errno));
  }
  ~StudyWriter() {
    if (f_ != nullptr) std::fclose(f_);
  }
  StudyWriter(const StudyWriter&) = delete;
  StudyWriter& operator=(const StudyWriter&) = delete;
  void write(const json& j) {
    if (f_ == nullptr) return;
    const std::string line = j.dump() + "\n";
    if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0) {
      throw EnvironmentError(path_ + ": cannot append to the study file: " + std::strerror(errno));
    }
    fsync(fileno(f_));
    // Appends to a file that was deleted (its folder removed mid-run) succeed and are lost.
    struct stat st {};
    if (fstat(fileno(f_), &st) == 0 && st.st_nlink == 0) {
      throw EnvironmentError(path_ + ": the study file was removed during the run");
    }
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

// An existing, non-empty file (an empty one, e.g. from a kill before the meta line was
// written, starts a new study).
bool file_exists(const std::string& p) {
  std::error_code ec;
  // file_size fails (and returns -1) for a device or a folder: not a study to resume.
  if (!std::filesystem::exists(p, ec)) return false;
  const auto size = std::filesystem::file_size(p, ec);
  return !ec && size > 0;
}

// Replays finished trials into the optimiser.
void replay(bo::Optimizer& opt, const Study& st, bool maximize) {
  const Trial* last_hedge = nullptr;
  for (const Trial& t : st.trials) {
    if (t.status == "ok" && t.value) {
      opt.tell(t.x, maximize ? -*t.value : *t.value);
    } else {
      opt.tell_failed(t.x);
    }
    if (!t.hedge_gains.empty()) last_hedge = &t;
  }
  if (last_hedge != nullptr)
    opt.restore_hedge(last_hedge->hedge_gains, last_hedge->hedge_candidates);
}

// ---------------------------------------------------------------------------------------------
// Report

struct Report {
  const Job* job = nullptr;
  std::vector<Trial> trials;
  std::optional<std::size_t> best;
  double overhead_per_call = 0;
  std::vector<std::string> plots;
  int resumed = 0;
};

std::string value_cell(const std::optional<double>& v) { return v ? format_number(*v, 6) : "-"; }

std::string param_cell(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return format_number(v.get<double>(), 5);
  return v.dump();
}

Table trials_table(const Report& r) {
  Table t;
  t.headers = {"trial"};
  for (const auto& d : r.job->space.dims) t.headers.push_back(d.name);
  t.headers.insert(t.headers.end(), {"value", "status", "acq"});
  t.numeric_columns.push_back(0);
  for (std::size_t i = 0; i < r.job->space.dims.size(); ++i) {
    if (r.job->space.dims[i].kind != bo::Dimension::Kind::kCategorical)
      t.numeric_columns.push_back(i + 1);
  }
  t.numeric_columns.push_back(r.job->space.dims.size() + 1);
  for (const Trial& tr : r.trials) {
    std::vector<std::string> row = {std::to_string(tr.trial)};
    for (const auto& d : r.job->space.dims) row.push_back(param_cell(tr.params[d.name]));
    row.push_back(value_cell(tr.value));
    row.push_back(tr.status == "ok" ? "ok" : "failed: " + tr.error);
    row.push_back(tr.acq);
    t.rows.push_back(std::move(row));
  }
  return t;
}

json report_json(const Report& r) {
  json j;
  const Job& job = *r.job;
  j["objective"] =
      job.objective.type == "builtin" ? json(job.objective.builtin) : json(job.objective.argv);
  j["direction"] = job.maximize ? "maximize" : "minimize";
  j["space"] = bo::space_to_json(job.space);
  j["n_calls"] = job.n_calls;
  j["random_state"] = job.settings.random_state;
  j["acquisition"] = bo::acquisition_name(job.settings.acquisition);
  j["study"] = job.study.empty() ? json(nullptr) : json(job.study);
  j["resumed_trials"] = r.resumed;
  if (r.best) {
    const Trial& b = r.trials[*r.best];
    j["best"] = {{"trial", b.trial}, {"value", *b.value}, {"params", b.params}};
  } else {
    j["best"] = nullptr;
  }
  j["n_trials"] = r.trials.size();
  j["n_failed"] = std::count_if(r.trials.begin(), r.trials.end(),
                                [](const Trial& t) { return t.status != "ok"; });
  j["overhead_per_call_s"] = r.overhead_per_call;
  j["plots"] = r.plots;
  json list = json::array();
  for (const Trial& t : r.trials) {
    json tj = trial_json(t);
    tj.erase("hedge");
    list.push_back(tj);
  }
  j["trials"] = list;
  return j;
}

// ---------------------------------------------------------------------------------------------
// SVG plots

std::string fmt(double v) { return format_fixed(v, 1); }

// One panel: axes box, ticks at min/max, polyline + points. Coordinates in panel space.
struct Panel {
  double x0, y0, w, h;
  double xmin, xmax, ymin, ymax;
  bool xlog = false;
  [[nodiscard]] double px(double x) const {
    const double a = xlog ? std::log10(x) : x;
    const double lo = xlog ? std::log10(xmin) : xmin;
    const double hi = xlog ? std::log10(xmax) : xmax;
    return x0 + (hi > lo ? (a - lo) / (hi - lo) : 0.5) * w;
  }
  [[nodiscard]] double py(double y) const {
    return y0 + h - (ymax > ymin ? (y - ymin) / (ymax - ymin) : 0.5) * h;
  }
};

std::string axes(const Panel& p, const std::string& title, const std::string& xlabel,
                 const std::string& ylabel) {
  std::string s;
  s += "<rect x=\"" + fmt(p.x0) + "\" y=\"" + fmt(p.y0) + "\" width=\"" + fmt(p.w) +
       "\" height=\"" + fmt(p.h) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  s += "<text x=\"" + fmt(p.x0 + p.w / 2) + "\" y=\"" + fmt(p.y0 - 8) +
       "\" text-anchor=\"middle\" font-size=\"13\">" + xml_escape(title) + "</text>\n";
  s += "<text x=\"" + fmt(p.x0 + p.w / 2) + "\" y=\"" + fmt(p.y0 + p.h + 32) +
       "\" text-anchor=\"middle\" font-size=\"11\">" + xml_escape(xlabel) + "</text>\n";
  s += "<text x=\"" + fmt(p.x0 - 48) + "\" y=\"" + fmt(p.y0 + p.h / 2) +
       "\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 " + fmt(p.x0 - 48) + " " +
       fmt(p.y0 + p.h / 2) + ")\">" + xml_escape(ylabel) + "</text>\n";
  auto tick = [&](double x, double y, const std::string& label, const char* anchor) {
    s += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" text-anchor=\"" + anchor +
         "\" font-size=\"10\" fill=\"#555\">" + xml_escape(label) + "</text>\n";
  };
  tick(p.x0, p.y0 + p.h + 14, format_number(p.xmin, 3), "start");
  tick(p.x0 + p.w, p.y0 + p.h + 14, format_number(p.xmax, 3), "end");
  tick(p.x0 - 4, p.y0 + p.h, format_number(p.ymin, 4), "end");
  tick(p.x0 - 4, p.y0 + 10, format_number(p.ymax, 4), "end");
  return s;
}

std::string convergence_svg(const Report& r) {
  std::vector<std::pair<double, double>> pts;
  std::vector<std::pair<double, double>> best;
  double b = std::numeric_limits<double>::infinity();
  const bool maxi = r.job->maximize;
  for (const Trial& t : r.trials) {
    if (!t.value) continue;
    const double v = *t.value;
    pts.emplace_back(static_cast<double>(t.trial + 1), v);
    b = std::isinf(b) ? v : (maxi ? std::max(b, v) : std::min(b, v));
    best.emplace_back(static_cast<double>(t.trial + 1), b);
  }
  Panel p{70, 40, 560, 300, 1, std::max(2.0, static_cast<double>(r.trials.size())), 0, 1};
  if (!pts.empty()) {
    p.ymin = p.ymax = pts[0].second;
    for (const auto& q : pts) {
      p.ymin = std::min(p.ymin, q.second);
      p.ymax = std::max(p.ymax, q.second);
    }
  }
  std::string s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"660\" height=\"400\" "
      "font-family=\"sans-serif\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += axes(
      p, std::string("Convergence: best value so far (") + (maxi ? "maximised" : "minimised") + ")",
      "trial", "objective");
  for (const auto& q : pts) {
    s += "<circle cx=\"" + fmt(p.px(q.first)) + "\" cy=\"" + fmt(p.py(q.second)) +
         "\" r=\"2.5\" fill=\"#9ca3af\"/>\n";
  }
  if (!best.empty()) {
    s += "<polyline fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2\" points=\"";
    double prev_y = best[0].second;
    for (std::size_t i = 0; i < best.size(); ++i) {
      if (i > 0) s += fmt(p.px(best[i].first)) + "," + fmt(p.py(prev_y)) + " ";
      s += fmt(p.px(best[i].first)) + "," + fmt(p.py(best[i].second)) + " ";
      prev_y = best[i].second;
    }
    s += "\"/>\n";
  }
  s += "<text x=\"640\" y=\"390\" text-anchor=\"end\" font-size=\"10\" fill=\"#555\">grey: each "
       "trial; blue: best so far</text>\n";
  return s + "</svg>\n";
}

std::string partial_dependence_svg(const Report& r, const bo::Optimizer& opt) {
  const bo::Space& space = r.job->space;
  const auto gp = opt.model();
  const int n = static_cast<int>(space.dims.size());
  const int cols = std::min(n, 3);
  const int rows = (n + cols - 1) / cols;
  const double pw = 260;
  const double ph = 170;
  const double W = cols * (pw + 90) + 20;
  const double H = rows * (ph + 80) + 20;
  std::string s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(W) + "\" height=\"" + fmt(H) +
      "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!gp)
    return s + "<text x=\"20\" y=\"30\">fewer than 2 successful trials: no model</text>\n</svg>\n";
  const double sign = r.job->maximize ? -1 : 1;
  for (int k = 0; k < n; ++k) {
    const bo::Dimension& d = space.dims[static_cast<std::size_t>(k)];
    const bo::PartialDependence pd =
        bo::partial_dependence(space, *gp, k, 40, 200, 7 + static_cast<std::uint64_t>(k));
    std::vector<double> ys;
    for (double m : pd.mean) ys.push_back(sign * m);
    const double x0 = 80 + (k % cols) * (pw + 90);
    const double y0 = 40 + (k / cols) * (ph + 80);
    const bool cat = d.kind == bo::Dimension::Kind::kCategorical;
    Panel p{x0,
            y0,
            pw,
            ph,
            cat ? -0.5 : d.low,
            cat ? static_cast<double>(d.categories.size()) - 0.5 : d.high,
            *std::min_element(ys.begin(), ys.end()),
            *std::max_element(ys.begin(), ys.end())};
    p.xlog = d.log;
    // Observed points as a rug on the x axis.
    for (const Trial& t : r.trials) {
      if (!t.value) continue;
      const double xv = t.x[static_cast<std::size_t>(k)];
      s += "<line x1=\"" + fmt(p.px(xv)) + "\" x2=\"" + fmt(p.px(xv)) + "\" y1=\"" + fmt(y0 + ph) +
           "\" y2=\"" + fmt(y0 + ph - 6) + "\" stroke=\"#9ca3af\"/>\n";
    }
    std::string title = "partial dependence: " + d.name;
    s += axes(p, title, d.name + (d.log ? " (log scale)" : ""), "objective");
    if (cat) {
      for (std::size_t c = 0; c < pd.x.size(); ++c) {
        const double cx = p.px(pd.x[c]);
        s += "<rect x=\"" + fmt(cx - 12) + "\" y=\"" + fmt(p.py(ys[c]) - 3) +
             "\" width=\"24\" height=\"6\" fill=\"#2563eb\"/>\n";
        s += "<text x=\"" + fmt(cx) + "\" y=\"" + fmt(y0 + ph + 14) +
             "\" text-anchor=\"middle\" font-size=\"10\">" + xml_escape(d.categories[c]) +
             "</text>\n";
      }
    } else {
      s += "<polyline fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2\" points=\"";
      for (std::size_t g = 0; g < pd.x.size(); ++g)
        s += fmt(p.px(pd.x[g])) + "," + fmt(p.py(ys[g])) + " ";
      s += "\"/>\n";
    }
  }
  return s + "</svg>\n";
}

// ---------------------------------------------------------------------------------------------
// Runners

Job load_job(const Options& o, Context& ctx) {
  std::string file = o.file.empty() ? ctx.options.config_path : o.file;
  Job job;
  if (file.empty()) {
    if (o.builtin.empty()) {
      throw UsageError("bayesopt needs a config file or --builtin NAME: rlab bayesopt FILE");
    }
  } else {
    const ConfigNode root = load_config_file(file);
    const ConfigNode section = select_section(root, "bayesopt");
    apply_overrides(section, "bayesopt", ctx.options.sets);
    std::string dir = std::filesystem::path(file).parent_path().string();
    job = read_job(section, dir.empty() ? "." : dir);
  }
  if (!o.builtin.empty()) {
    const auto b = bo::builtin(o.builtin);
    if (!b) {
      throw UsageError("unknown builtin '" + o.builtin + "'" +
                       did_you_mean(o.builtin, bo::builtin_names()) +
                       " (available: branin, hartmann6, ackley5, rosenbrock4, mixed4)");
    }
    job.objective = Objective{};
    job.objective.type = "builtin";
    job.objective.builtin = o.builtin;
    job.space = b->space;
  }
  if (o.n_calls) {
    job.n_calls = *o.n_calls;
    job.n_calls_where = "--n-calls";
  }
  if (o.n_initial) job.settings.n_initial_points = *o.n_initial;
  if (!o.initial_design.empty())
    job.settings.initial_design = bo::parse_initial_design(o.initial_design);
  if (!o.acq.empty()) job.settings.acquisition = bo::parse_acquisition(o.acq);
  if (o.random_state) job.settings.random_state = *o.random_state;
  if (o.maximize) job.maximize = true;
  if (o.jobs) job.jobs = *o.jobs;
  if (o.timeout) job.objective.timeout_s = *o.timeout;
  if (!o.study.empty()) job.study = o.study;
  if (!o.plots.empty()) job.plots = o.plots;
  if (job.n_calls < job.settings.n_initial_points) {
    const std::string where =
        job.n_calls_where.empty() ? (file.empty() ? "--n-calls" : file) : job.n_calls_where;
    throw InputError(where + ": n_calls (" + std::to_string(job.n_calls) +
                     ") is smaller than n_initial_points (" +
                     std::to_string(job.settings.n_initial_points) + ")");
  }
  return job;
}

void emit(const std::string& text, const Options& o, Context& ctx) {
  if (o.output.empty() || o.output == "-") {
    ctx.out << text;
  } else {
    write_file_atomic(o.output, text);
  }
}

ExitCode run_search(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "bayesopt");
  const Job job = load_job(o, ctx);
  // The model's matrices are allocated and freed on every proposal: keep them on the heap
  // instead of fresh mmaps (page faults were a third of the optimiser's time).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  bo::Optimizer opt(job.space, job.settings);
  Report rep;
  rep.job = &job;
  StudyWriter writer;
  double elapsed_base = 0;
  if (!job.study.empty()) {
    if (file_exists(job.study)) {
      Study st = read_study(job.study, &job.space);
      replay(opt, st, job.maximize);
      rep.trials = st.trials;
      rep.resumed = static_cast<int>(st.trials.size());
      if (!st.trials.empty()) elapsed_base = st.trials.back().elapsed_s;
      if (st.meta.value("random_state", job.settings.random_state) != job.settings.random_state) {
        ctx.log.warn(job.study + ": the study was started with random_state " +
                     st.meta["random_state"].dump() + "; continuing with " +
                     std::to_string(job.settings.random_state));
      }
      if (st.meta.value("maximize", job.maximize) != job.maximize) {
        throw InputError(job.study +
                         ":1:1: the study was made with maximize=" + st.meta["maximize"].dump() +
                         ", this run has maximize=" + (job.maximize ? "true" : "false"));
      }
      if (st.truncated)
        ctx.log.warn(job.study + ": its last line was cut short (a killed run); it is dropped");
      if (rep.resumed > 0)
        ctx.log.info("resuming " + job.study + " with " + std::to_string(rep.resumed) +
                     " trial(s)");
      writer.open(job.study, st.truncated);
    } else {
      writer.open(job.study, false);
      writer.write({{"meta", meta_for(job)}});
    }
  }
  const auto t0 = Clock::now();
  double overhead = 0;
  int new_calls = 0;
  while (static_cast<int>(rep.trials.size()) < job.n_calls) {
    const int batch = std::min(job.jobs, job.n_calls - static_cast<int>(rep.trials.size()));
    const auto a0 = Clock::now();
    const std::vector<bo::Proposal> props = opt.ask_batch(batch);
    const double suggest = std::chrono::duration<double>(Clock::now() - a0).count() / batch;
    std::vector<bo::Point> xs;
    for (const auto& p : props) xs.push_back(p.x);
    const long long first = static_cast<long long>(rep.trials.size());
    const std::vector<Outcome> outs = evaluate(job, xs, first);
    for (std::size_t i = 0; i < props.size(); ++i) {
      Trial t;
      t.trial = first + static_cast<long long>(i);
      t.x = xs[i];
      t.params = bo::point_to_json(job.space, xs[i]);
      t.acq = props[i].acquisition;
      t.suggest_s = suggest;
      t.objective_s = outs[i].seconds;
      t.hedge_gains = props[i].hedge_gains;
      t.hedge_candidates = props[i].hedge_candidates;
      if (outs[i].ok) {
        t.value = outs[i].value;
        opt.tell(xs[i], job.maximize ? -outs[i].value : outs[i].value);
      } else {
        t.status = "failed";
        t.error = outs[i].error;
        t.tail = outs[i].tail;
        opt.tell_failed(xs[i]);
        ctx.log.warn("trial " + std::to_string(t.trial) + " failed: " + t.error);
      }
      t.elapsed_s = elapsed_base + std::chrono::duration<double>(Clock::now() - t0).count();
      writer.write(trial_json(t));
      rep.trials.push_back(std::move(t));
    }
    overhead += suggest * batch;
    new_calls += batch;
  }
  rep.overhead_per_call = new_calls > 0 ? overhead / new_calls : 0;
  for (std::size_t i = 0; i < rep.trials.size(); ++i) {
    const Trial& t = rep.trials[i];
    if (!t.value || t.status != "ok") continue;
    if (!rep.best || (job.maximize ? *t.value > *rep.trials[*rep.best].value
                                   : *t.value < *rep.trials[*rep.best].value)) {
      rep.best = i;
    }
  }
  if (!job.plots.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(job.plots, ec);
    const std::string conv = (std::filesystem::path(job.plots) / "convergence.svg").string();
    const std::string pd = (std::filesystem::path(job.plots) / "partial_dependence.svg").string();
    write_file_atomic(conv, convergence_svg(rep));
    write_file_atomic(pd, partial_dependence_svg(rep, opt));
    rep.plots = {conv, pd};
  }
  if (!rep.best) {
    const Trial& f = rep.trials.front();
    EnvironmentError e("no trial succeeded (" + std::to_string(rep.trials.size()) +
                       " failed); trial 0: " + f.error);
    if (!f.tail.empty()) e.add_note("output of trial 0: " + f.tail);
    throw e;
  }
  std::string text;
  const Trial& b = rep.trials[*rep.best];
  switch (ctx.options.format) {
    case Format::kJson:
      text = report_json(rep).dump(2) + "\n";
      break;
    case Format::kCsv:
      text = render_csv(trials_table(rep));
      break;
    case Format::kMd:
    case Format::kTable: {
      const bool md = ctx.options.format == Format::kMd;
      std::string params;
      for (const auto& d : job.space.dims)
        params += (params.empty() ? "" : ", ") + d.name + "=" + param_cell(b.params[d.name]);
      const auto n_failed = std::count_if(rep.trials.begin(), rep.trials.end(),
                                          [](const Trial& t) { return t.status != "ok"; });
      text = md ? render_markdown(trials_table(rep)) : render_plain(trials_table(rep));
      const char* bullet = md ? "- " : "";
      text += "\n";
      text += std::string(bullet) + "best: " + format_number(*b.value, 8) + " at trial " +
              std::to_string(b.trial) + " (" + params + ")\n";
      text += std::string(bullet) + "trials: " + std::to_string(rep.trials.size()) + " (" +
              std::to_string(n_failed) + " failed" +
              (rep.resumed > 0 ? ", " + std::to_string(rep.resumed) + " resumed from the study"
                               : std::string()) +
              ")\n";
      text += std::string(bullet) +
              "optimiser overhead: " + format_number(rep.overhead_per_call, 3) + " s per call\n";
      for (const auto& p : rep.plots) text += std::string(bullet) + "plot: " + p + "\n";
      break;
    }
    default:
      break;
  }
  emit(text, o, ctx);
  return ExitCode::kSuccess;
}

// The space recorded in a study's meta line.
bo::Space space_from_meta_unchecked(const json& meta, const std::string& where);

// A meta line with values of the wrong JSON type is bad input, not a bug.
bo::Space space_from_meta(const json& meta, const std::string& where) {
  try {
    return space_from_meta_unchecked(meta, where);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": malformed study meta: " + e.what());
  }
}

bo::Space space_from_meta_unchecked(const json& meta, const std::string& where) {
  bo::Space sp;
  sp.where = where;
  const json list = meta.value("space", json::array());
  if (!list.is_array()) throw InputError(where + ": the study's 'space' is not a list");
  for (const json& d : list) {
    if (!d.is_object()) throw InputError(where + ": the study's space holds a non-object");
    bo::Dimension dim;
    dim.name = d.value("name", std::string());
    const std::string type = d.value("type", std::string("real"));
    dim.kind = type == "categorical" ? bo::Dimension::Kind::kCategorical
               : type == "integer"   ? bo::Dimension::Kind::kInteger
                                     : bo::Dimension::Kind::kReal;
    dim.low = d.value("low", 0.0);
    dim.high = d.value("high", 1.0);
    dim.log = d.value("prior", std::string()) == "log-uniform";
    dim.categories = d.value("categories", std::vector<std::string>());
    dim.where = where;
    sp.dims.push_back(dim);
  }
  bo::validate_space(sp);
  return sp;
}

json read_meta_line(const std::string& path) {
  const std::string text = read_file(path);
  const json j = json::parse(text.substr(0, text.find('\n')), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("meta") || !j["meta"].is_object()) {
    throw InputError(path + ":1:1: a study file starts with a 'meta' line");
  }
  return j["meta"];
}

// `ask`: proposes points for trials that run elsewhere and records them as open asks.
ExitCode run_ask(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson}, "bayesopt ask");
  if (o.study.empty()) throw UsageError("bayesopt ask needs --study FILE");
  const bool has_config = !o.file.empty() || !ctx.options.config_path.empty() || !o.builtin.empty();
  Job job;
  Study st;
  StudyWriter writer;
  if (file_exists(o.study)) {
    // The study holds the space and settings; a config, if given, must have the same space.
    const json meta = read_meta_line(o.study);
    job.space = space_from_meta(meta, o.study + ":1:1");
    if (has_config) {
      const Job mine = load_job(o, ctx);
      const std::string diff = bo::space_difference(mine.space, meta.value("space", json()));
      if (!diff.empty())
        throw InputError(o.study + ":1:1: the study was made with a different space: " + diff);
    }
    try {
      job.settings.random_state = meta.value("random_state", 0ULL);
      job.settings.n_initial_points = meta.value("n_initial_points", 10);
      job.settings.initial_design =
          bo::parse_initial_design(meta.value("initial_design", std::string("random")));
      job.settings.acquisition =
          bo::parse_acquisition(meta.value("acquisition", std::string("gp_hedge")));
      job.maximize = meta.value("maximize", false);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(o.study + ":1:1: malformed study meta: " + e.what());
    }
    st = read_study(o.study, &job.space);
    writer.open(o.study, st.truncated);
  } else {
    if (!has_config) {
      throw UsageError("bayesopt ask: " + o.study +
                       " does not exist yet; give the config FILE (or --builtin) to start it");
    }
    job = load_job(o, ctx);
    writer.open(o.study, false);
    writer.write({{"meta", meta_for(job)}});
  }
  bo::Optimizer opt(job.space, job.settings);
  replay(opt, st, job.maximize);
  // Open asks count as pending: new proposals avoid them (constant liar).
  for (const auto& kv : st.asks)
    opt.add_pending(bo::point_from_json(job.space, kv.second, o.study));
  const auto a0 = Clock::now();
  const std::vector<bo::Proposal> props = opt.ask_batch(o.n_ask);
  const double suggest = std::chrono::duration<double>(Clock::now() - a0).count();
  json out = json::array();
  Table t;
  t.headers = {"ask"};
  for (const auto& d : job.space.dims) t.headers.push_back(d.name);
  t.headers.push_back("acq");
  for (const auto& p : props) {
    const long long id = st.next_ask++;
    json line = {{"ask", id},
                 {"params", bo::point_to_json(job.space, p.x)},
                 {"acq", p.acquisition},
                 {"suggest_s", suggest / static_cast<double>(props.size())}};
    if (!p.hedge_gains.empty())
      line["hedge"] = {{"gains", p.hedge_gains}, {"candidates", p.hedge_candidates}};
    writer.write(line);
    line.erase("hedge");
    out.push_back(line);
    std::vector<std::string> row = {std::to_string(id)};
    for (const auto& d : job.space.dims) row.push_back(param_cell(line["params"][d.name]));
    row.push_back(p.acquisition);
    t.rows.push_back(row);
  }
  emit(ctx.options.format == Format::kJson ? out.dump(2) + "\n" : render_plain(t), o, ctx);
  return ExitCode::kSuccess;
}

ExitCode run_tell(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson}, "bayesopt tell");
  if (o.study.empty()) throw UsageError("bayesopt tell needs --study FILE");
  if (!o.ask_id) throw UsageError("bayesopt tell needs --ask ID (printed by 'rlab bayesopt ask')");
  if (o.value.has_value() == o.failed)
    throw UsageError("bayesopt tell needs exactly one of --value V and --failed");
  if (!file_exists(o.study)) throw InputError(o.study + ": cannot read: No such file or directory");
  const std::string text = read_file(o.study);
  const bo::Space sp = space_from_meta(read_meta_line(o.study), o.study + ":1:1");
  const Study st = read_study(o.study, &sp);
  const auto it = st.asks.find(*o.ask_id);
  if (it == st.asks.end()) {
    const bool done = std::any_of(st.trials.begin(), st.trials.end(),
                                  [&](const Trial& t) { return t.ask && *t.ask == *o.ask_id; });
    throw InputError(o.study + ": ask " + std::to_string(*o.ask_id) +
                     (done ? " was already told" : " is not an open ask in this study"));
  }
  StudyWriter writer;
  writer.open(o.study, st.truncated);
  Trial t;
  t.trial = static_cast<long long>(st.trials.size());
  t.params = it->second;
  t.x = bo::point_from_json(sp, t.params, o.study);
  t.ask = *o.ask_id;
  if (o.failed) {
    t.status = "failed";
    t.error = o.error_text.empty() ? "reported failed" : o.error_text;
  } else {
    if (!std::isfinite(*o.value)) throw UsageError("--value must be a finite number");
    t.value = *o.value;
  }
  t.elapsed_s = st.trials.empty() ? 0 : st.trials.back().elapsed_s;
  // The hedge state of the ask travels into the trial line, so a later `ask` restores it.
  {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      const json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.contains("ask") && !j.contains("trial") &&
          j["ask"] == *o.ask_id) {
        t.acq = j.value("acq", std::string());
        t.suggest_s = j.value("suggest_s", 0.0);
        if (j.contains("hedge")) {
          t.hedge_gains = j["hedge"].value("gains", std::vector<double>());
          t.hedge_candidates = j["hedge"].value("candidates", std::vector<std::vector<double>>());
        }
      }
    }
  }
  writer.write(trial_json(t));
  json j = trial_json(t);
  j.erase("hedge");
  emit(ctx.options.format == Format::kJson
           ? j.dump(2) + "\n"
           : "trial " + std::to_string(t.trial) + " recorded (" +
                 (t.value ? format_number(*t.value, 8) : "failed") + ")\n",
       o, ctx);
  return ExitCode::kSuccess;
}

void add_search_options(CLI::App& app, Options& o) {
  app.add_option("file", o.file, "Config (YAML): space and objective")->type_name("FILE");
  app.add_option("--builtin", o.builtin,
                 "Built-in test function instead of the config's objective: branin, hartmann6, "
                 "ackley5, rosenbrock4, mixed4")
      ->type_name("NAME");
  app.add_option("--n-calls", o.n_calls, "Total number of objective evaluations (default 50)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  app.add_option("--n-initial-points", o.n_initial,
                 "Initial design points before the model is used (default 10)")
      ->type_name("N")
      ->check(CLI::Range(0, 100000));
  app.add_option("--initial-design", o.initial_design, "random (default), lhs or sobol")
      ->type_name("KIND")
      ->check(CLI::IsMember({"random", "lhs", "sobol"}));
  app.add_option("--acq-func", o.acq, "gp_hedge (default), EI, PI or LCB")
      ->type_name("ACQ")
      ->check(CLI::IsMember({"gp_hedge", "EI", "PI", "LCB"}));
  app.add_option("--random-state", o.random_state,
                 "Seed: the same seed gives the same run (default 0)")
      ->type_name("N");
  app.add_flag("--maximize", o.maximize, "Maximise the objective instead of minimising it");
  app.add_option("--study", o.study,
                 "Study file (JSON Lines): one line per finished trial; an existing one is resumed")
      ->type_name("FILE");
}

}  // namespace

Command bayesopt_command() {
  return {
      "bayesopt", "Bayesian optimisation of hyperparameters (GP, EI/PI/LCB/gp_hedge)",
      [](CLI::App& sub, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        add_search_options(sub, *o);
        sub.add_option("--jobs", o->jobs,
                       "Trials evaluated in parallel (constant liar batches; default 1)")
            ->type_name("N")
            ->check(CLI::Range(1, 256));
        sub.add_option("--timeout", o->timeout,
                       "Per-trial timeout in seconds for command objectives (0 = none)")
            ->type_name("S")
            ->check(CLI::NonNegativeNumber);
        sub.add_option("--plots", o->plots,
                       "Write convergence.svg and partial_dependence.svg into DIR")
            ->type_name("DIR");
        sub.add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
            ->type_name("FILE");
        CLI::App* ask =
            sub.add_subcommand("ask", "propose the next point(s) for a trial run elsewhere");
        add_search_options(*ask, *o);
        ask->add_option("-n,--n-points", o->n_ask, "Number of points (constant liar between them)")
            ->type_name("N")
            ->check(CLI::Range(1, 1000));
        CLI::App* tell = sub.add_subcommand("tell", "record the result of an asked point");
        tell->add_option("--study", o->study, "Study file the ask came from")
            ->type_name("FILE")
            ->required();
        tell->add_option("--ask", o->ask_id, "The ask id printed by 'rlab bayesopt ask'")
            ->type_name("ID")
            ->required();
        tell->add_option("--value", o->value, "Objective value")->type_name("V");
        tell->add_flag("--failed", o->failed, "The trial failed");
        tell->add_option("--error", o->error_text, "Why it failed (with --failed)")
            ->type_name("TEXT");
        sub.footer(
            "Examples:\n"
            "  rlab bayesopt configs/examples/bayesopt.yaml --plots out/\n"
            "  rlab bayesopt --builtin branin --n-calls 50 --random-state 0 --study branin.jsonl\n"
            "  rlab bayesopt ask space.yaml --study s.jsonl   then   rlab bayesopt tell --study "
            "s.jsonl --ask 0 --value 0.42");
        return [o, &ctx, ask, tell] {
          if (ask->parsed()) return run_ask(*o, ctx);
          if (tell->parsed()) return run_tell(*o, ctx);
          return run_search(*o, ctx);
        };
      }};
}

}  // namespace rlab
