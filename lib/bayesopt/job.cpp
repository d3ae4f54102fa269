// `rlab bayesopt`: the config section and the command line -> a Job; the study's meta line
// (what a study records of its job, and what a run or a worker takes back from it).
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/prototype.h"
#include "rlab/text.h"
#include "rlab/version.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "command_parts.h"
#include "slurm.h"

namespace rlab::bayesopt_cmd {

namespace {

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
