// `rlab bayesopt`: the config section and the command line -> a Job; the study's meta line
// (what a study records of its job, and what a run or a worker takes back from it).
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/prototype.h"
#include "rlab/text.h"
#include "rlab/version.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>

#include "command_parts.h"
#include "slurm.h"

namespace rlab::bayesopt_cmd {

namespace {

// The name of a space entry ("optimizer.lr") from its path: "space.NAME" when the file holds
// the section's keys at top level, "bayesopt.space.NAME" in an experiment file.
std::string dimension_name(const ConfigNode& d) {
  const std::string path = d.path();
  const std::size_t section = path.rfind("space.", 0) == 0 ? 0 : path.find('.') + 1;
  return path.substr(section + std::strlen("space."));
}

// One parameter of the space: a map with its type and range, or a list of categories.
void check_dimension(const ConfigNode& d) {
  if (d.is_sequence()) {
    for (const ConfigNode& c : d.items()) (void)c.as_string();
    return;
  }
  if (!d.is_map()) {
    d.fail("'space." + dimension_name(d) + "' must be a map with 'type', got " + d.kind());
  }
}

// The keys each objective type reads: the others are refused as unknown.
const std::vector<std::string> kPrototypeObjectiveKeys = {"type",    "config", "metric",
                                                          "timeout", "runs",   "args"};
const std::vector<std::string> kCommandObjectiveKeys = {"type", "name", "argv", "timeout",
                                                        "json_key"};

void check_argv(const ConfigNode& a) {
  if (!a.is_sequence() || a.size() == 0) a.fail("'objective.argv' must be a non-empty list");
  for (const ConfigNode& w : a.items()) (void)w.as_string();
}

void check_args(const ConfigNode& a) {
  if (!a.is_sequence()) a.fail("'objective.args' must be a list of rlab prototype flags");
  for (const ConfigNode& x : a.items()) (void)x.as_string();
}

void check_objective(const ConfigNode& o) {
  if (!o.is_map()) o.fail("'objective' must be a map with 'type', got " + o.kind());
  const std::string type = o.required("type").as_choice({"builtin", "command", "prototype"});
  o.check_keys(type == "prototype" ? kPrototypeObjectiveKeys : kCommandObjectiveKeys);
  // An empty value is refused, not read as absent.
  if (type == "command") check_argv(o.required("argv"));
  if (type == "prototype" && o.has("args")) check_args(o["args"]);
}

// A bound of the space may be any finite number (validate_space judges the range).
constexpr double kAnyFinite = std::numeric_limits<double>::infinity();

// Built once, by bayesopt_config_section().
config::Section declare() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  Key dimension = map(
      "",
      {
          required(
              choice("type", {"real", "integer", "categorical"}, "the kind of parameter", "real")),
          number("low", -kAnyFinite, kAnyFinite, "lower bound (real, integer)", "1.0e-5"),
          number("high", -kAnyFinite, kAnyFinite, "upper bound, > low (real, integer)", "1.0e-2"),
          choice("prior", {"uniform", "log-uniform"},
                 "how a real parameter is sampled (default uniform; log-uniform needs low > 0)",
                 "log-uniform"),
          list_of("categories", text("", "a category"), "the values of a categorical parameter"),
      },
      "one parameter: a map with its type and range, or a list of categories ([a, b, c])");
  dimension.check = check_dimension;
  Key space = map_of("space", dimension,
                     "parameter name -> its range (a builtin objective brings its own space)",
                     "learning_rate");
  space.check = [](const ConfigNode& s) {
    if (!s.is_map()) {
      s.fail("'space' must be a map from parameter name to its range, got " + s.kind());
    }
  };
  Key objective =
      map("objective",
          {
              required(choice("type", {"builtin", "command", "prototype"},
                              "builtin (a test function), command (run argv) or prototype (an rlab "
                              "prototype run)",
                              "builtin")),
              text("name", "builtin: branin, hartmann6, ackley5, rosenbrock4 or mixed4", "branin"),
              any("argv", "command: the program and its arguments; {name} is a parameter's value",
                  "", check_argv),
              number("timeout", 0, 1e7, "seconds per trial (command, prototype; default none)"),
              text("json_key",
                   "command: read this key of a JSON object on stdout (default: the last "
                   "number printed)"),
              text("config", "prototype: the rlab prototype config, relative to this file"),
              text("metric", "prototype: the metric of the run's record to optimise"),
              text("runs", "prototype: the runs folder, relative to this file"),
              any("args", "prototype: more rlab prototype flags", "", check_args),
          },
          "what is minimised (or maximised); required");
  objective.check = check_objective;
  std::vector<Key> keys = {
      space,
      objective,
      integer("n_calls", 1, 100000, "evaluations in all (default 50)", "50"),
      integer("n_initial_points", 0, 100000, "evaluations before the model (default 10)", "10"),
      choice("initial_design", {"random", "lhs", "sobol"},
             "how the initial points are drawn (default random)", "lhs"),
      choice("acquisition", {"gp_hedge", "EI", "PI", "LCB"},
             "acquisition function (default gp_hedge)", "gp_hedge"),
      integer("random_state", 0, 1LL << 62, "seed (default 0)", "0"),
      flag("maximize",
           "maximise instead of minimise (default false; a prototype metric such as "
           "accuracy: true)"),
      integer("jobs", 1, 256, "trials evaluated in parallel (default 1)", "1"),
      text("study", "the study to write and resume (a JSON Lines file)"),
      text("plots", "folder for the convergence and objective plots"),
      number("xi", 0, 10, "EI/PI exploration (default 0.001)", "0.001"),
      number("kappa", 0, 100, "LCB exploration (default 1.96)", "1.96"),
      integer("n_candidates", 16, 1000000,
              "points the acquisition is maximised over (default 1000)"),
      number("local_phase", 0, 1,
             "from this fraction of n_calls on, proposals refine the best point within a box "
             "around it (default 0.5; 1: never)",
             "0.5"),
      number("local_radius", 1e-6, 0.5,
             "half-width of the local phase's box, a fraction of each dimension's range "
             "(default 0.1)",
             "0.1"),
  };
  for (Key& k : bo::executor_keys()) keys.push_back(std::move(k));
  return Section{"bayesopt",
                 "rlab bayesopt: Bayesian optimisation of an objective over a search space",
                 std::move(keys)};
}

}  // namespace

}  // namespace rlab::bayesopt_cmd

namespace rlab {

const config::Section& bayesopt_config_section() {
  static const config::Section kSection = bayesopt_cmd::declare();
  return kSection;
}

}  // namespace rlab

namespace rlab::bayesopt_cmd {

namespace {

// The space entries, each checked by bayesopt_config_section(); what is left is between keys.
bo::Space read_space(const ConfigNode& s) {
  bo::Space space;
  space.where = s.location().str();
  if (s.is_null()) return space;  // "empty space" from validate_space
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
    const std::string type = d["type"].as_string();
    if (type == "categorical") {
      dim.kind = bo::Dimension::Kind::kCategorical;
      const ConfigNode cats = d.required("categories");
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
        if (d.has("prior")) dim.log = d["prior"].as_string() == "log-uniform";
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
  obj.type = o["type"].as_string();
  if (obj.type == "prototype") {
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
    for (const ConfigNode& x : o["args"].items()) obj.proto_args.push_back(x.as_string());
    if (o.has("timeout")) obj.timeout_s = o["timeout"].as_double();
    // What the study and the report show as the objective.
    obj.argv = {"rlab", "prototype", obj.proto_config};
    if (!obj.runs.empty()) obj.argv.insert(obj.argv.end(), {"--out", obj.runs});
    obj.argv.insert(obj.argv.end(), obj.proto_args.begin(), obj.proto_args.end());
    obj.argv_where.push_back(o.location().str());
    return obj;
  }
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
  for (const ConfigNode& a : o.required("argv").items()) {
    obj.argv.push_back(a.as_string());
    obj.argv_where.push_back(a.location().str());
  }
  if (o.has("timeout")) obj.timeout_s = o["timeout"].as_double();
  if (o.has("json_key")) obj.json_key = o["json_key"].as_string();
  return obj;
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
void check_prototype_metric(const Objective& ob, const bo::Space& space, const ConfigNode& obj,
                            const std::vector<std::string>& sections) {
  for (const auto& d : space.dims) {
    for (const char* k : {"model", "model.type", "model.task", "model.torchscript", "model.file"})
      if (d.name == k) return;
  }
  std::string type = "autoencoder";
  std::string task;
  try {
    const ConfigNode root = load_config_file(ob.proto_config);
    const ConfigNode s = select_section(root, "prototype", sections);
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

Job read_job(const ConfigNode& s, const std::string& config_dir,
             const std::vector<std::string>& sections) {
  config::check(s, bayesopt_config_section());  // every value below is already checked
  Job job;
  // Not a required key of the declaration: a value that only its kind checks (a bound of the
  // space) may then pass config::check alone, and a missing objective is reported here, where
  // it was.
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
  if (job.objective.type == "prototype")
    check_prototype_metric(job.objective, job.space, obj, sections);
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
    job.n_calls = static_cast<int>(s["n_calls"].as_int());
    job.n_calls_where = s["n_calls"].location().str();
  }
  if (s.has("n_initial_points")) {
    job.settings.n_initial_points = static_cast<int>(s["n_initial_points"].as_int());
  }
  if (s.has("initial_design")) {
    job.settings.initial_design = bo::parse_initial_design(s["initial_design"].as_string());
  }
  if (s.has("acquisition")) {
    job.settings.acquisition = bo::parse_acquisition(s["acquisition"].as_string());
  }
  if (s.has("random_state")) {
    job.settings.random_state = static_cast<std::uint64_t>(s["random_state"].as_int());
  }
  if (s.has("maximize")) {
    job.maximize = s["maximize"].as_bool();
  } else if (job.objective.type == "prototype") {
    job.maximize = metric_is_maximised(job.objective.metric);
  }
  if (s.has("jobs")) job.jobs = static_cast<int>(s["jobs"].as_int());
  if (s.has("study")) job.study = s["study"].as_string();
  if (s.has("plots")) job.plots = s["plots"].as_string();
  if (s.has("xi")) job.settings.xi = s["xi"].as_double();
  if (s.has("kappa")) job.settings.kappa = s["kappa"].as_double();
  if (s.has("n_candidates"))
    job.settings.n_candidates = static_cast<int>(s["n_candidates"].as_int());
  if (s.has("local_phase")) job.settings.local_phase = s["local_phase"].as_double();
  if (s.has("local_radius")) job.settings.local_radius = s["local_radius"].as_double();
  job.slurm = bo::read_slurm_settings(s);
  if (job.slurm && job.objective.type == "builtin")
    s["executor"].fail("executor slurm runs command objectives, not builtins");
  return job;
}

}  // namespace

Job load_job(const Options& o, Context& ctx) {
  std::string file = o.file.empty() ? ctx.options.config_path : o.file;
  Job job;
  if (file.empty()) {
    if (o.builtin.empty()) {
      throw UsageError("bayesopt needs a config file or --builtin NAME: rlab bayesopt FILE");
    }
  } else {
    const ConfigNode root = load_config_file(file);
    const ConfigNode section = select_section(root, "bayesopt", ctx.config_sections);
    apply_overrides(section, "bayesopt", ctx.options.sets);
    std::string dir = std::filesystem::path(file).parent_path().string();
    job = read_job(section, dir.empty() ? "." : dir, ctx.config_sections);
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
  job.settings.budget = job.n_calls;  // the optimiser's local phase is planned on it
  return job;
}

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

}  // namespace rlab::bayesopt_cmd
