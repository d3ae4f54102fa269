// `rlab bayesopt`: YAML space + objective -> Optimizer ask/tell loop -> study file, report,
// SVG plots. Also `rlab bayesopt ask` / `tell` on a study file for trials that run elsewhere.
#include "rlab/bayesopt.h"
#include "rlab/chart.h"
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/prototype.h"
#include "rlab/study_storage.h"
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
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "process.h"
#include "slurm.h"
#include "storage_jsonl.h"

namespace rlab {

namespace {

namespace bo = bayesopt;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Configuration

struct Objective {
  std::string type;  // "builtin", "command" or "prototype"
  std::string builtin;
  // prototype: a `rlab prototype` run per trial; each space name is a dotted key of the
  // prototype section, set with --set; the value is results.metrics[metric] of its record.
  std::string proto_config;
  std::string metric;
  std::string runs;
  std::vector<std::string> proto_args;
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
  std::optional<bo::SlurmSettings> slurm;  // executor: slurm
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
  std::string storage;
  double heartbeat_interval = 10;
  double heartbeat_timeout = 60;
  double busy_timeout = 60;
  std::string plots;
  std::string output;
  std::string executor;
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
  const ConfigNode type = o.required("type");
  obj.type = type.as_choice({"builtin", "command", "prototype"});
  if (obj.type == "prototype") {
    o.check_keys({"type", "config", "metric", "timeout", "runs", "args"});
    const ConfigNode c = o.required("config");
    obj.proto_config = c.as_string();
    if (std::filesystem::path(obj.proto_config).is_relative() && config_dir != ".")
      obj.proto_config =
          (std::filesystem::path(config_dir) / obj.proto_config).lexically_normal().string();
    std::error_code exists_error;
    if (!std::filesystem::exists(obj.proto_config, exists_error))
      c.fail("prototype config '" + obj.proto_config + "' does not exist");
    obj.metric = o.required("metric").as_string();
    if (obj.metric.empty()) o["metric"].fail("'objective.metric' must name a metric");
    if (o.has("runs")) {
      obj.runs = o["runs"].as_string();
      if (std::filesystem::path(obj.runs).is_relative() && config_dir != ".")
        obj.runs = (std::filesystem::path(config_dir) / obj.runs).lexically_normal().string();
    }
    if (o.has("args")) {
      const ConfigNode a = o["args"];
      if (!a.is_sequence()) a.fail("'objective.args' must be a list of rlab prototype flags");
      for (const ConfigNode& x : a.items()) obj.proto_args.push_back(x.as_string());
    }
    if (o.has("timeout")) obj.timeout_s = o["timeout"].as_double(0, 1e7);
    // What the study and the report show as the objective.
    obj.argv = {"rlab", "prototype", obj.proto_config};
    if (!obj.runs.empty()) obj.argv.insert(obj.argv.end(), {"--out", obj.runs});
    obj.argv.insert(obj.argv.end(), obj.proto_args.begin(), obj.proto_args.end());
    obj.argv_where.push_back(o.location().str());
    return obj;
  }
  o.check_keys({"type", "name", "argv", "timeout", "json_key"});
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

// Metrics where larger is better (accuracy, PSNR, with or without a val_/test_ prefix); the
// others (loss, mse) are minimised.
bool metric_is_maximised(const std::string& metric) {
  std::string m = metric;
  for (const char* p : {"val_", "test_", "train_"}) {
    if (m.rfind(p, 0) == 0) m = m.substr(std::strlen(p));
  }
  return m == "accuracy" || m == "psnr";
}

// A metric that no run of the prototype's model reports would fail every trial, each after its
// training: it is checked once, before anything runs (unless the space varies the kind of
// model; model.hidden or model.channels do not change the metrics).
void check_prototype_metric(const Objective& ob, const bo::Space& space, const ConfigNode& obj) {
  for (const auto& d : space.dims) {
    for (const char* k : {"model", "model.type", "model.task", "model.torchscript", "model.file"})
      if (d.name == k) return;
  }
  std::string type = "autoencoder";
  std::string task;
  try {
    const ConfigNode root = load_config_file(ob.proto_config);
    const ConfigNode s = select_section(root, "prototype");
    if (s.is_map() && s.has("model")) {
      const ConfigNode m = s["model"];
      if (m.is_scalar()) {
        type = m.as_string();
      } else if (m.is_map()) {
        if (m.has("type")) {
          type = m["type"].as_string();
        } else if (m.has("torchscript")) {
          type = "torchscript";
        }
        if (m.has("task")) task = m["task"].as_string();
      }
    }
  } catch (const Error&) {
    return;  // rlab prototype reports its own config's errors, with their place
  }
  if (type == "autoencoder") task = "reconstruction";
  if (type == "classifier") task = "classification";
  std::vector<std::string> names;
  for (const std::string t : {"classification", "reconstruction"}) {
    if (!task.empty() && t != task) continue;
    for (const auto& n : prototype::produced_metrics(t, type, true, true)) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
  }
  if (std::find(names.begin(), names.end(), ob.metric) != names.end()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  obj["metric"].fail("'objective.metric' " + ob.metric + " is not reported by the " + type +
                     " model of " + ob.proto_config + did_you_mean(ob.metric, names) +
                     " (its runs report: " + list + ")");
}

Job read_job(const ConfigNode& s, const std::string& config_dir) {
  s.check_keys(bo::with_executor_keys(kTopKeys));
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
  if (job.objective.type == "prototype") check_prototype_metric(job.objective, job.space, obj);
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
  if (s.has("maximize")) {
    job.maximize = s["maximize"].as_bool();
  } else if (job.objective.type == "prototype") {
    job.maximize = metric_is_maximised(job.objective.metric);
  }
  if (s.has("jobs")) job.jobs = static_cast<int>(s["jobs"].as_int(1, 256));
  if (s.has("study")) job.study = s["study"].as_string();
  if (s.has("plots")) job.plots = s["plots"].as_string();
  if (s.has("xi")) job.settings.xi = s["xi"].as_double(0, 10);
  if (s.has("kappa")) job.settings.kappa = s["kappa"].as_double(0, 100);
  if (s.has("n_candidates"))
    job.settings.n_candidates = static_cast<int>(s["n_candidates"].as_int(16, 1000000));
  job.slurm = bo::read_slurm_settings(s);
  if (job.slurm && job.objective.type == "builtin")
    s["executor"].fail("executor slurm runs command objectives, not builtins");
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
  std::string run;  // prototype: the trial's run folder
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

// The last line of a child rlab's stderr that starts with "rlab: error: " (without it).
std::string child_error(const std::string& err) {
  std::string found;
  std::istringstream in(err);
  const std::string tag = "rlab: error: ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(tag, 0) == 0) found = line.substr(tag.size());
  }
  return found;
}

// One `rlab prototype` run per point, as child processes of this same binary (in parallel
// with --jobs, each with the timeout); the value is the metric in each run's record.yaml.
std::vector<Outcome> evaluate_prototype(const Job& job, const std::vector<bo::Point>& xs) {
  const Objective& ob = job.objective;
  std::error_code ec;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec || self.empty()) self = "rlab";
  std::vector<std::vector<std::string>> argvs;
  for (const bo::Point& x : xs) {
    std::vector<std::string> argv = {self, "--format", "json", "-q"};
    for (std::size_t i = 0; i < job.space.dims.size(); ++i) {
      const bo::Dimension& d = job.space.dims[i];
      std::string v;
      if (d.kind == bo::Dimension::Kind::kCategorical) {
        v = d.categories[static_cast<std::size_t>(x[i])];
      } else if (d.kind == bo::Dimension::Kind::kInteger) {
        v = std::to_string(static_cast<long long>(x[i]));
      } else {
        v = shortest(x[i]);
      }
      argv.insert(argv.end(), {"--set", "prototype." + d.name + "=" + v});
    }
    argv.insert(argv.end(), {"prototype", ob.proto_config});
    if (!ob.runs.empty()) argv.insert(argv.end(), {"--out", ob.runs});
    argv.insert(argv.end(), ob.proto_args.begin(), ob.proto_args.end());
    argvs.push_back(std::move(argv));
  }
  const auto results = bo::run_processes(argvs, ob.timeout_s);
  std::vector<Outcome> out(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const bo::ProcessResult& r = results[i];
    Outcome& o = out[i];
    o.seconds = r.seconds;
    if (!r.started) {
      throw EnvironmentError(ob.argv_where[0] + ": cannot start '" + self +
                             " prototype': " + r.start_error);
    }
    o.tail = tail_of(r.out, r.err);
    const std::string why = child_error(r.err);
    if (r.timed_out) {
      o.error = "timed out after " + format_number(ob.timeout_s, 6) + " s";
      continue;
    }
    if (r.signal != 0) {
      o.error = std::string("killed by signal ") + std::to_string(r.signal) + " (" +
                strsignal(r.signal) + ")";
      continue;
    }
    if (r.exit_code == 2) {  // the --set paths or the extra flags: the same for every trial
      InputError e(ob.argv_where[0] + ": rlab prototype rejects the trial's arguments: " + why);
      e.add_note(
          "each space name is a dotted key of the prototype config section (e.g. "
          "optimizer.lr, batch_size, model.channels.1)");
      throw e;
    }
    if (r.exit_code == 4) {  // training core missing, CUDA absent, run folder not writable
      throw EnvironmentError(ob.argv_where[0] + ": rlab prototype cannot run: " + why);
    }
    if (r.exit_code == 3 && why.find("unknown key") != std::string::npos) {
      // A space name that is no key of the prototype section: no trial can succeed.
      InputError e(ob.argv_where[0] + ": rlab prototype rejects the trial's config: " + why);
      e.add_note(
          "each space name is a dotted key of the prototype config section (e.g. "
          "optimizer.lr, batch_size, model.channels.1)");
      throw e;
    }
    if (r.exit_code != 0 && r.exit_code != 1) {  // 3: this point makes an invalid config
      o.error = "rlab prototype exited with status " + std::to_string(r.exit_code) +
                (why.empty() ? std::string() : ": " + why);
      continue;
    }
    // 0, or 1 (an `expect` not met, or a diverged loss): the record tells which.
    const json res = json::parse(r.out, nullptr, false);
    if (res.is_discarded() || !res.is_object() || !res.contains("record") ||
        !res["record"].is_string()) {
      o.error = "rlab prototype printed no JSON result with a 'record'";
      continue;
    }
    const std::string record = res["record"].get<std::string>();
    o.run = res.value("run_dir", std::filesystem::path(record).parent_path().string());
    try {
      const ConfigNode rec = load_config_file(record);
      const std::string status = rec.get("status", std::string("?"));
      if (status != "completed" && status != "early_stopped" && status != "time_budget") {
        o.error = "the run ended with status '" + status + "' (" + record + ")";
        continue;
      }
      const ConfigNode metrics = rec["results"]["metrics"];
      if (!metrics.is_map() || !metrics.has(ob.metric)) {
        std::string names;
        if (metrics.is_map()) {
          for (const auto& k : metrics.keys()) names += (names.empty() ? "" : ", ") + k;
        }
        o.error = "the run's record has no metric '" + ob.metric + "' (it has: " + names + ")";
        continue;
      }
      o.value = metrics[ob.metric].as_double();
      if (!std::isfinite(o.value)) {
        o.error = "metric '" + ob.metric + "' is not finite";
        continue;
      }
      o.ok = true;
      o.tail.clear();
    } catch (const Error& e) {
      o.error = std::string("cannot read the run's record: ") + e.what();
    }
  }
  return out;
}

std::vector<Outcome> evaluate(const Job& job, const std::vector<bo::Point>& xs,
                              long long first_trial) {
  if (job.objective.type == "prototype") return evaluate_prototype(job, xs);
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
  const auto results = job.slurm
                           ? bo::run_slurm(argvs, *job.slurm, job.objective.timeout_s, first_trial)
                           : bo::run_processes(argvs, job.objective.timeout_s);
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
// Study file (JSON Lines): storage_jsonl.h. Shared storages: rlab/study_storage.h.

using bo::file_exists;
using bo::read_meta_line;
using bo::read_study;
using bo::Study;
using bo::StudyWriter;
using bo::Trial;
using bo::trial_json;

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
  std::string storage;  // a shared storage as shown (no password); "" for a study file
  int lost = 0;         // trials failed because their worker was lost
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
  j["study"] = job.study.empty() ? json(nullptr) : json(r.storage.empty() ? job.study : r.storage);
  j["resumed_trials"] = r.resumed;
  if (r.best) {
    const Trial& b = r.trials[*r.best];
    j["best"] = {{"trial", b.trial}, {"value", *b.value}, {"params", b.params}};
  } else {
    j["best"] = nullptr;
  }
  j["n_trials"] = r.trials.size() - static_cast<std::size_t>(r.lost);
  if (!r.storage.empty()) j["n_lost"] = r.lost;
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

// The objective's axis title: the metric or JSON key it reads, when it names one.
std::string objective_title(const Job& job) {
  const std::string& name =
      !job.objective.metric.empty() ? job.objective.metric : job.objective.json_key;
  return name.empty() ? "objective" : "objective: " + name;
}

// Convergence: every trial's value (points) and the best so far (steps).
std::string convergence_svg(const Report& r) {
  const bool maxi = r.job->maximize;
  chart::Chart c;
  c.title =
      std::string("Convergence: best value so far (") + (maxi ? "maximised" : "minimised") + ")";
  c.x.title = "trial";
  c.x.integer = true;
  c.y.title = objective_title(*r.job);
  c.y.scale = chart::Scale::kAuto;
  c.plot_width = 520;
  c.plot_height = 300;
  chart::Series each{"each trial", {}, {}};
  each.style = chart::Style::kPoints;
  each.color = "#9ca3af";
  chart::Series best{"best so far", {}, {}};
  best.style = chart::Style::kStep;
  best.color = "#2563eb";
  double b = std::numeric_limits<double>::infinity();
  for (const Trial& t : r.trials) {
    if (!t.value) continue;
    const double v = *t.value;
    const auto x = static_cast<double>(t.trial + 1);
    each.x.push_back(x);
    each.y.push_back(v);
    b = std::isinf(b) ? v : (maxi ? std::max(b, v) : std::min(b, v));
    best.x.push_back(x);
    best.y.push_back(b);
  }
  c.series = {each, best};
  c.empty_note = "no successful trial yet";
  return chart::render(c);
}

// Partial dependence of the model's mean on each dimension, the others averaged out; a
// categorical dimension as one point per category with the spread over the other dimensions.
std::string partial_dependence_svg(const Report& r, const bo::Optimizer& opt) {
  const bo::Space& space = r.job->space;
  const auto gp = opt.model();
  const int n = static_cast<int>(space.dims.size());
  std::vector<chart::Chart> panels;
  const double sign = r.job->maximize ? -1 : 1;
  const std::string ytitle = objective_title(*r.job);
  for (int k = 0; k < n; ++k) {
    const bo::Dimension& d = space.dims[static_cast<std::size_t>(k)];
    chart::Chart c;
    c.title = "partial dependence: " + d.name;
    c.y.title = ytitle;
    c.y.scale = chart::Scale::kAuto;
    c.plot_width = 300;
    c.plot_height = 180;
    const bool cat = d.kind == bo::Dimension::Kind::kCategorical;
    if (!gp) {
      c.empty_note = "fewer than 2 successful trials: no model";
      panels.push_back(c);
      continue;
    }
    const bo::PartialDependence pd =
        bo::partial_dependence(space, *gp, k, 40, 200, 7 + static_cast<std::uint64_t>(k));
    chart::Series model{"", pd.x, {}};
    for (double m : pd.mean) model.y.push_back(sign * m);
    model.color = "#2563eb";
    chart::Series trials{"", {}, {}};
    trials.style = chart::Style::kRug;
    trials.color = "#6b7280";
    for (const Trial& t : r.trials) {
      if (t.value) trials.x.push_back(t.x[static_cast<std::size_t>(k)]);
    }
    if (cat) {
      c.x.categories = d.categories;
      c.x.title = d.name;
      model.style = chart::Style::kPoints;
      model.spread = pd.sd;
      std::vector<int> count(d.categories.size(), 0);
      for (double x : trials.x) {
        const auto i = static_cast<std::size_t>(x);
        if (i < count.size()) ++count[i];
      }
      for (int m : count) c.x.category_notes.push_back(std::to_string(m) + " trials");
      c.notes.push_back("point: mean over the other dimensions; bar: their spread (1 sd)");
      c.series = {model};
    } else {
      c.x.title = d.name + (d.log ? " (log scale)" : "");
      c.x.scale = d.log ? chart::Scale::kLog : chart::Scale::kLinear;
      c.x.integer = d.kind == bo::Dimension::Kind::kInteger;
      c.x.min = d.low;
      c.x.max = d.high;
      c.notes.push_back("ticks on the x axis: the trials");
      c.series = {model, trials};
    }
    panels.push_back(c);
  }
  return chart::render_grid("Partial dependence: the model's mean, other dimensions averaged out",
                            panels, std::min(n, 3));
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
  if (!o.executor.empty()) bo::select_executor(job.slurm, o.executor, job.objective.type);
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

// Best trial, plots and the rendered report (shared by the study-file run and the workers).
ExitCode finish_report(Report& rep, const bo::Optimizer& opt, const Options& o, Context& ctx) {
  const Job& job = *rep.job;
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

ExitCode run_workers(const Job& job_in, const bo::StorageUrl& url, const Options& o, Context& ctx);

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
  if (!job.study.empty()) {
    const bo::StorageUrl url = bo::parse_storage_url(job.study);
    if (url.kind != bo::StorageUrl::Kind::kJsonl) return run_workers(job, url, o, ctx);
  }
  StudyWriter writer;
  double elapsed_base = 0;
  // One process per study file: held until the run ends.
  std::optional<bo::StudyFileLock> lock;
  if (!job.study.empty()) lock.emplace(job.study, 0.0);
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
      t.run = outs[i].run;
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
  return finish_report(rep, opt, o, ctx);
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

// ---------------------------------------------------------------------------------------------
// Shared storages (SQLite, PostgreSQL): cooperating workers, ask/tell.

std::string worker_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "%s", "host");
  return std::string(host) + ":" + std::to_string(getpid());
}

// The study's stored settings win over the command line, so that every worker proposes alike.
void settings_from_meta(Job& job, const json& meta, const std::string& name, Context& ctx) {
  const auto rs = meta.value("random_state", job.settings.random_state);
  if (rs != job.settings.random_state) {
    ctx.log.warn(name + ": the study was started with random_state " + std::to_string(rs) +
                 "; continuing with it");
  }
  job.settings.random_state = rs;
  job.settings.n_initial_points = meta.value("n_initial_points", job.settings.n_initial_points);
  job.settings.initial_design = bo::parse_initial_design(
      meta.value("initial_design", bo::initial_design_name(job.settings.initial_design)));
  job.settings.acquisition = bo::parse_acquisition(
      meta.value("acquisition", bo::acquisition_name(job.settings.acquisition)));
}

// Checks that the stored study is this job's (space, direction); exit 3 otherwise.
void check_meta(const Job& job, const json& meta, const std::string& name) {
  const std::string diff = bo::space_difference(job.space, meta.value("space", json()));
  if (!diff.empty())
    throw InputError(name + ": the study was made with a different space: " + diff);
  if (meta.value("maximize", job.maximize) != job.maximize) {
    throw InputError(name + ": the study was made with maximize=" + meta["maximize"].dump() +
                     ", this run has maximize=" + (job.maximize ? "true" : "false"));
  }
}

// Finished trials are told, running ones (and points waiting to be run again) are pending.
void replay_records(bo::Optimizer& opt, const std::vector<bo::TrialRecord>& trials,
                    const bo::Space& space, bool maximize, const std::string& name) {
  const bo::TrialRecord* last_hedge = nullptr;
  std::vector<bo::Point> pending;
  for (const bo::TrialRecord& r : trials) {
    const bo::Point x =
        bo::point_from_json(space, r.params, name + ": trial " + std::to_string(r.id));
    if (r.state == "running" || (r.lost && !r.requeued)) {
      pending.push_back(x);
    } else if (r.lost) {
      // Its point was reserved again (a later trial): nothing learnt from this one.
    } else if (r.state == "ok" && r.value) {
      opt.tell(x, maximize ? -*r.value : *r.value);
    } else {
      opt.tell_failed(x);
    }
    if (r.hedge.is_object()) last_hedge = &r;
  }
  for (const auto& x : pending) opt.add_pending(x);
  if (last_hedge != nullptr) {
    opt.restore_hedge(last_hedge->hedge.value("gains", std::vector<double>()),
                      last_hedge->hedge.value("candidates", std::vector<std::vector<double>>()));
  }
}

bo::Proposer proposer_for(const Job& job, const std::string& name) {
  return [&job, name](const std::vector<bo::TrialRecord>& trials, int n) {
    bo::Optimizer opt(job.space, job.settings);
    replay_records(opt, trials, job.space, job.maximize, name);
    const auto a0 = Clock::now();
    const std::vector<bo::Proposal> props = opt.ask_batch(n);
    const double suggest = std::chrono::duration<double>(Clock::now() - a0).count() / n;
    std::vector<bo::NewPoint> out;
    for (const auto& p : props) {
      bo::NewPoint np;
      np.params = bo::point_to_json(job.space, p.x);
      np.acq = p.acquisition;
      np.suggest_s = suggest;
      if (!p.hedge_gains.empty())
        np.hedge = {{"gains", p.hedge_gains}, {"candidates", p.hedge_candidates}};
      out.push_back(std::move(np));
    }
    return out;
  };
}

Trial to_trial(const bo::TrialRecord& r, const bo::Space& space, const std::string& name) {
  Trial t;
  t.trial = r.id;
  t.params = r.params;
  t.x = bo::point_from_json(space, r.params, name + ": trial " + std::to_string(r.id));
  t.value = r.value;
  t.status = r.state == "ok" ? "ok" : "failed";
  t.acq = r.acq;
  t.elapsed_s = r.elapsed_s;
  t.objective_s = r.objective_s;
  t.suggest_s = r.suggest_s;
  t.error = r.error;
  t.tail = r.tail;
  t.worker = r.worker;
  t.lost = r.lost;
  t.retry_of = r.retry_of;
  return t;
}

// Keeps the heartbeat of this worker's running trials fresh, on a connection of its own.
class Heartbeat {
 public:
  Heartbeat(const bo::StorageUrl& url, double busy_timeout, std::string worker, double interval)
      : thread_([this, url, busy_timeout, worker = std::move(worker), interval] {
          std::unique_ptr<bo::SharedStudy> db;
          std::unique_lock<std::mutex> lock(m_);
          for (;;) {
            cv_.wait_for(lock, std::chrono::duration<double>(interval), [this] { return stop_; });
            if (stop_) return;
            const std::vector<long long> ids = ids_;
            if (ids.empty()) continue;
            lock.unlock();
            std::string err;
            try {
              if (!db) db = bo::open_shared_study(url, busy_timeout);
              db->heartbeat(ids, worker);
            } catch (const std::exception& e) {
              err = e.what();
              db.reset();
            }
            lock.lock();
            if (!err.empty()) error_ = err;
          }
        }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;
  void set(std::vector<long long> ids) {
    std::lock_guard<std::mutex> g(m_);
    ids_ = std::move(ids);
  }
  // The last error of the heartbeat thread ("" when none), cleared.
  std::string take_error() {
    std::lock_guard<std::mutex> g(m_);
    std::string e;
    e.swap(error_);
    return e;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<long long> ids_;
  std::string error_;
  std::thread thread_;  // last: started when everything above exists
};

// `rlab bayesopt --storage URL`: one of possibly many workers on a shared study. Reserves
// trials atomically, evaluates them, records them, until the study holds n_calls finished
// trials; then reports the whole study.
ExitCode run_workers(const Job& job_in, const bo::StorageUrl& url, const Options& o, Context& ctx) {
  if (o.heartbeat_timeout <= o.heartbeat_interval) {
    throw UsageError("--heartbeat-timeout (" + format_number(o.heartbeat_timeout, 6) +
                     " s) must be longer than --heartbeat-interval (" +
                     format_number(o.heartbeat_interval, 6) + " s)");
  }
  Job job = job_in;
  const std::string& name = url.shown;
  std::unique_ptr<bo::SharedStudy> store = bo::open_shared_study(url, o.busy_timeout);
  const json meta = store->open(meta_for(job));
  check_meta(job, meta, name);
  settings_from_meta(job, meta, name, ctx);
  const std::string worker = worker_id();
  const bo::Proposer propose = proposer_for(job, name);
  Heartbeat beat(url, o.busy_timeout, worker, o.heartbeat_interval);
  const double poll = std::clamp(o.heartbeat_interval, 0.05, 2.0);
  int mine = 0;
  double overhead = 0;
  for (;;) {
    const bo::Reservation res =
        store->reserve(job.jobs, job.n_calls, worker, o.heartbeat_timeout, true, propose);
    for (const auto& l : res.lost)
      ctx.log.warn(name + ": trial " + std::to_string(l.id) + " failed: " + l.error);
    if (res.trials.empty()) {
      if (res.finished >= job.n_calls) break;
      std::this_thread::sleep_for(std::chrono::duration<double>(poll));
      continue;
    }
    std::vector<long long> ids;
    std::vector<bo::Point> xs;
    for (const auto& t : res.trials) {
      ids.push_back(t.id);
      xs.push_back(bo::point_from_json(job.space, t.params, name));
      overhead += t.suggest_s;
    }
    beat.set(ids);
    std::vector<Outcome> outs;
    try {
      outs = evaluate(job, xs, res.trials.front().id);
    } catch (const Error& e) {
      beat.set({});
      for (bo::TrialRecord t : res.trials) {  // not left running until the timeout
        t.state = "failed";
        t.error = e.what();
        store->finish(t, worker);
      }
      throw;
    }
    beat.set({});
    const std::string hb_error = beat.take_error();
    if (!hb_error.empty()) ctx.log.warn("heartbeat: " + hb_error);
    for (std::size_t i = 0; i < res.trials.size(); ++i) {
      bo::TrialRecord t = res.trials[i];
      t.objective_s = outs[i].seconds;
      if (outs[i].ok) {
        t.state = "ok";
        t.value = outs[i].value;
      } else {
        t.state = "failed";
        t.error = outs[i].error;
        t.tail = outs[i].tail;
        ctx.log.warn("trial " + std::to_string(t.id) + " failed: " + t.error);
      }
      if (!store->finish(t, worker)) {
        ctx.log.warn(name + ": trial " + std::to_string(t.id) +
                     " was given up as lost while it ran (no heartbeat within " +
                     format_number(o.heartbeat_timeout, 6) + " s); its result is not recorded");
      }
      ++mine;
    }
  }
  // The report covers the whole study.
  Report rep;
  rep.job = &job;
  rep.storage = name;
  bo::Optimizer opt(job.space, job.settings);
  std::vector<bo::TrialRecord> finished;
  for (const bo::TrialRecord& r : store->trials()) {
    if (r.state == "running") continue;
    finished.push_back(r);
    rep.trials.push_back(to_trial(r, job.space, name));
    if (r.lost) ++rep.lost;
  }
  replay_records(opt, finished, job.space, job.maximize, name);
  rep.overhead_per_call = mine > 0 ? overhead / mine : 0;
  ctx.log.info(name + ": this worker (" + worker + ") ran " + std::to_string(mine) + " of " +
               std::to_string(rep.trials.size() - static_cast<std::size_t>(rep.lost)) +
               " trial(s)");
  return finish_report(rep, opt, o, ctx);
}

// The study in a shared storage, its settings from the stored meta (and the config, if given,
// checked against it).
Job shared_job(bo::SharedStudy& store, const Options& o, Context& ctx, bool may_create) {
  const bool has_config = !o.file.empty() || !ctx.options.config_path.empty() || !o.builtin.empty();
  const std::string& name = store.name();
  std::optional<json> meta = store.meta();
  Job job;
  if (has_config) {
    job = load_job(o, ctx);
    if (!meta && may_create) meta = store.open(meta_for(job));
  }
  if (!meta) {
    if (may_create) {
      throw UsageError("bayesopt ask: " + name +
                       " holds no study yet; give the config FILE (or --builtin) to start it");
    }
    throw InputError(name + ": the storage holds no study");
  }
  const bo::Space space = space_from_meta(*meta, name);
  if (has_config) check_meta(job, *meta, name);
  job.space = space;
  job.maximize = meta->value("maximize", false);
  settings_from_meta(job, *meta, name, ctx);
  return job;
}

ExitCode run_ask_shared(const bo::StorageUrl& url, const Options& o, Context& ctx) {
  std::unique_ptr<bo::SharedStudy> store = bo::open_shared_study(url, o.busy_timeout);
  const Job job = shared_job(*store, o, ctx, true);
  const bo::Reservation res =
      store->reserve(o.n_ask, std::numeric_limits<long long>::max() / 2, "ask:" + worker_id(),
                     o.heartbeat_timeout, false, proposer_for(job, url.shown));
  for (const auto& l : res.lost)
    ctx.log.warn(url.shown + ": trial " + std::to_string(l.id) + " failed: " + l.error);
  json out = json::array();
  Table t;
  t.headers = {"ask"};
  for (const auto& d : job.space.dims) t.headers.push_back(d.name);
  t.headers.push_back("acq");
  for (const auto& r : res.trials) {
    out.push_back(
        {{"ask", r.id}, {"params", r.params}, {"acq", r.acq}, {"suggest_s", r.suggest_s}});
    std::vector<std::string> row = {std::to_string(r.id)};
    for (const auto& d : job.space.dims) row.push_back(param_cell(r.params[d.name]));
    row.push_back(r.acq);
    t.rows.push_back(row);
  }
  emit(ctx.options.format == Format::kJson ? out.dump(2) + "\n" : render_plain(t), o, ctx);
  return ExitCode::kSuccess;
}

ExitCode run_tell_shared(const bo::StorageUrl& url, const Options& o, Context& ctx) {
  std::unique_ptr<bo::SharedStudy> store = bo::open_shared_study(url, o.busy_timeout);
  const Job job = shared_job(*store, o, ctx, false);
  const std::vector<bo::TrialRecord> trials = store->trials();
  const auto it = std::find_if(trials.begin(), trials.end(),
                               [&](const bo::TrialRecord& r) { return r.id == *o.ask_id; });
  if (it == trials.end())
    throw InputError(url.shown + ": ask " + std::to_string(*o.ask_id) + " is not in this study");
  bo::TrialRecord r = *it;
  if (o.failed) {
    r.state = "failed";
    r.error = o.error_text.empty() ? "reported failed" : o.error_text;
  } else {
    if (!std::isfinite(*o.value)) throw UsageError("--value must be a finite number");
    r.state = "ok";
    r.value = *o.value;
  }
  if (it->state != "running" || !store->finish(r, "")) {
    throw InputError(url.shown + ": ask " + std::to_string(*o.ask_id) + " was already told" +
                     (it->lost ? " (failed as lost)" : ""));
  }
  Trial t = to_trial(r, job.space, url.shown);
  json j = trial_json(t);
  emit(ctx.options.format == Format::kJson
           ? j.dump(2) + "\n"
           : "trial " + std::to_string(t.trial) + " recorded (" +
                 (t.value ? format_number(*t.value, 8) : "failed") + ")\n",
       o, ctx);
  return ExitCode::kSuccess;
}

// `ask`: proposes points for trials that run elsewhere and records them as open asks.
ExitCode run_ask(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson}, "bayesopt ask");
  if (o.study.empty()) throw UsageError("bayesopt ask needs --study FILE or --storage URL");
  if (const bo::StorageUrl url = bo::parse_storage_url(o.study);
      url.kind != bo::StorageUrl::Kind::kJsonl) {
    return run_ask_shared(url, o, ctx);
  }
  const bool has_config = !o.file.empty() || !ctx.options.config_path.empty() || !o.builtin.empty();
  Job job;
  Study st;
  StudyWriter writer;
  // Waits (up to --busy-timeout) for another ask/tell on the same file to finish.
  std::optional<bo::StudyFileLock> lock;
  if (file_exists(o.study) || has_config) lock.emplace(o.study, o.busy_timeout);
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
  if (o.study.empty()) throw UsageError("bayesopt tell needs --study FILE or --storage URL");
  if (!o.ask_id) throw UsageError("bayesopt tell needs --ask ID (printed by 'rlab bayesopt ask')");
  if (o.value.has_value() == o.failed)
    throw UsageError("bayesopt tell needs exactly one of --value V and --failed");
  if (const bo::StorageUrl url = bo::parse_storage_url(o.study);
      url.kind != bo::StorageUrl::Kind::kJsonl) {
    return run_tell_shared(url, o, ctx);
  }
  if (!file_exists(o.study)) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(o.study, ec);
    InputError e(o.study + (exists ? ": the study file is empty, so it holds no ask to tell"
                                   : ": no such study file, so it holds no ask to tell"));
    e.add_note("'rlab bayesopt ask CONFIG --study " + o.study +
               "' starts a study and prints the ask ids that 'tell' takes");
    throw e;
  }
  const bo::StudyFileLock lock(o.study, o.busy_timeout);
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

void add_storage_options(CLI::App& app, Options& o) {
  app.add_option("--storage", o.storage,
                 "Study storage: a JSON Lines FILE (one process), sqlite:///PATH (processes on "
                 "one machine) or postgresql://USER:PASSWORD@HOST:PORT/DB (many machines)")
      ->type_name("URL");
  app.add_option("--busy-timeout", o.busy_timeout,
                 "Seconds to wait for a storage another process holds locked (default 60)")
      ->type_name("S")
      ->check(cli::non_negative(1e6));
}

void add_search_options(CLI::App& app, Options& o) {
  app.add_option("file", o.file, "Config (YAML): space and objective")->type_name("FILE");
  app.add_option("--builtin", o.builtin,
                 "Built-in test function instead of the config's objective: branin, hartmann6, "
                 "ackley5, rosenbrock4, mixed4")
      ->type_name("NAME")
      ->check(cli::values({"branin", "hartmann6", "ackley5", "rosenbrock4", "mixed4"}));
  app.add_option("--n-calls", o.n_calls, "Total number of objective evaluations (default 50)")
      ->type_name("N")
      ->check(cli::whole<int>(1, 100000));
  app.add_option("--n-initial-points", o.n_initial,
                 "Initial design points before the model is used (default 10)")
      ->type_name("N")
      ->check(cli::whole<int>(0, 100000));
  app.add_option("--initial-design", o.initial_design, "random (default), lhs or sobol")
      ->type_name("KIND")
      ->check(cli::one_of({"random", "lhs", "sobol"}));
  app.add_option("--acq-func", o.acq, "gp_hedge (default), EI, PI or LCB")
      ->type_name("ACQ")
      ->check(cli::one_of({"gp_hedge", "EI", "PI", "LCB"}));
  app.add_option("--random-state", o.random_state,
                 "Seed: the same seed gives the same run (default 0)")
      ->type_name("N")
      ->check(cli::whole<std::uint64_t>(0));
  app.add_flag("--maximize", o.maximize, "Maximise the objective instead of minimising it");
  app.add_option("--study", o.study,
                 "Study file (JSON Lines): one line per finished trial; an existing one is resumed")
      ->type_name("FILE");
  add_storage_options(app, o);
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
            ->check(cli::whole<int>(1, 256));
        sub.add_option("--timeout", o->timeout,
                       "Per-trial timeout in seconds for command objectives (0 = none)")
            ->type_name("S")
            ->check(cli::non_negative());
        sub.add_option("--heartbeat-interval", o->heartbeat_interval,
                       "Shared storage: seconds between heartbeats of a running trial (default 10)")
            ->type_name("S")
            ->check(cli::real(0.01, 1e6));
        sub.add_option("--heartbeat-timeout", o->heartbeat_timeout,
                       "Shared storage: a running trial without heartbeat for S seconds is failed "
                       "as lost and its point proposed again (default 60)")
            ->type_name("S")
            ->check(cli::real(0.02, 1e7));
        sub.add_option("--plots", o->plots,
                       "Write convergence.svg and partial_dependence.svg into DIR")
            ->type_name("DIR");
        sub.add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
            ->type_name("FILE");
        sub.add_option("--executor", o->executor,
                       "local (default) or slurm: each batch of trials as a Slurm job array")
            ->check(cli::one_of({"local", "slurm"}));
        CLI::App* ask =
            sub.add_subcommand("ask", "propose the next point(s) for a trial run elsewhere");
        add_search_options(*ask, *o);
        ask->add_option("-n,--n-points", o->n_ask, "Number of points (constant liar between them)")
            ->type_name("N")
            ->check(cli::whole<int>(1, 1000));
        CLI::App* tell = sub.add_subcommand("tell", "record the result of an asked point");
        tell->add_option("--study", o->study, "Study file the ask came from")->type_name("FILE");
        add_storage_options(*tell, *o);
        tell->add_option("--ask", o->ask_id, "The ask id printed by 'rlab bayesopt ask'")
            ->type_name("ID")
            ->check(cli::whole<long long>(0))
            ->required();
        tell->add_option("--value", o->value, "Objective value")
            ->type_name("V")
            ->check(cli::real());
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
          if (!o->storage.empty()) {
            if (!o->study.empty() && o->study != o->storage)
              throw UsageError("give either --study or --storage, not both");
            o->study = o->storage;
          }
          if (ask->parsed()) return run_ask(*o, ctx);
          if (tell->parsed()) return run_tell(*o, ctx);
          return run_search(*o, ctx);
        };
      }};
}

}  // namespace rlab
