// `rlab prototype` (config + data -> training core -> experiment record) and `rlab exp`
// (list and show records).
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/environment.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/prototype.h"
#include "rlab/text.h"
#include "rlab/train.h"
#include "rlab/train_json.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "launch.h"
#include "train_config.h"

namespace rlab {

namespace {

using nlohmann::json;
using prototype::Images;

const char* const kFashionDir = "/usr/share/datasets/fashion-mnist";

struct Options {
  std::string file;
  std::optional<long long> max_batches;
  std::optional<long long> epochs;
  std::optional<double> minutes;
  std::string profile;
  std::string device;
  bool amp = false;
  bool diagnose = false;
  std::string hypothesis;
  std::string expect;
  std::string resume;
  std::string out;
  std::optional<long long> seed;
  long long stop_at_step = 0;
  std::optional<int> threads;
  bool no_record = false;
  int nproc = 0;
  double dist_timeout = 180;
  std::string emit_sbatch;
};

// ---------------------------------------------------------------------------------------------
// Config

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof buf) == nullptr) return path;
  return std::string(buf) + "/" + path;
}

// Paths in a config file are relative to the file's directory.
std::string relative_to(const std::string& config_file, const std::string& path) {
  if (path.empty() || path[0] == '/' || config_file.empty()) return path;
  const auto slash = config_file.rfind('/');
  return slash == std::string::npos ? path : config_file.substr(0, slash + 1) + path;
}

std::vector<int> int_list(const ConfigNode& n, int min, int max) {
  std::vector<int> v;
  if (!n.is_sequence() || n.size() == 0)
    n.fail("'" + n.path() + "' must be a non-empty list of integers");
  for (const ConfigNode& c : n.items()) v.push_back(static_cast<int>(c.as_int(min, max)));
  return v;
}

struct Resolved {
  json cfg;                     // the resolved config (also handed to the training core)
  json where = json::object();  // key -> "file:line:col" for messages from later checks
  std::string name;
  std::string hypothesis;
  std::string expect;
  std::string expect_where;
  std::string out = "runs";
};

json read_data(const ConfigNode& d, const std::string& file, json& where) {
  json j = {{"dataset", "fashion-mnist"},
            {"validation", 0.1},
            {"normalize", true},
            {"limit", 0},
            {"test_limit", 0}};
  if (!d.defined() || d.is_null()) {
    j["path"] = kFashionDir;
    where["data.path"] = file.empty() ? "data.path" : file;
    return j;
  }
  if (!d.is_map()) d.fail("'data' must be a map, got " + d.kind());
  d.check_keys({"dataset", "path", "train_images", "train_labels", "test_images", "test_labels",
                "validation", "split_seed", "normalize", "limit", "test_limit", "samples", "size",
                "channels", "classes", "seed"});
  where["data"] = d.location().str();
  if (d.has("dataset")) {
    j["dataset"] = d["dataset"].as_choice({"fashion-mnist", "idx", "cifar10", "synthetic"});
  }
  const std::string ds = j["dataset"];
  if (d.has("path")) {
    j["path"] = absolute(relative_to(file, d["path"].as_string()));
    where["data.path"] = d["path"].location().str();
  } else if (ds == "fashion-mnist") {
    j["path"] = kFashionDir;
    where["data.path"] = d.has("dataset") ? d["dataset"].location().str() : d.location().str();
  } else if (ds != "synthetic" && !d.has("train_images")) {
    d.fail("data.dataset '" + ds + "' needs 'path' (a directory with the files)");
  }
  for (const char* k : {"train_images", "train_labels", "test_images", "test_labels"}) {
    if (d.has(k)) {
      if (ds != "idx" && ds != "fashion-mnist")
        d[k].fail("'data." + std::string(k) + "' applies to IDX datasets only");
      j[k] = absolute(relative_to(file, d[k].as_string()));
      where[std::string("data.") + k] = d[k].location().str();
    }
  }
  if (d.has("validation")) {
    j["validation"] = d["validation"].as_double(0, 0.9);
  }
  if (d.has("split_seed")) j["split_seed"] = d["split_seed"].as_int(0, LLONG_MAX);
  if (d.has("normalize")) j["normalize"] = d["normalize"].as_bool();
  if (d.has("limit")) j["limit"] = d["limit"].as_int(0, LLONG_MAX);
  if (d.has("test_limit")) j["test_limit"] = d["test_limit"].as_int(0, LLONG_MAX);
  if (ds == "synthetic") {
    j["samples"] = d.has("samples") ? d["samples"].as_int(8, 10000000) : 512;
    j["size"] = d.has("size") ? d["size"].as_int(4, 1024) : 16;
    j["channels"] = d.has("channels") ? d["channels"].as_int(1, 16) : 1;
    j["classes"] = d.has("classes") ? d["classes"].as_int(2, 1000) : 4;
    j["seed"] = d.has("seed") ? d["seed"].as_int(0, LLONG_MAX) : 0;
  } else {
    for (const char* k : {"samples", "size", "channels", "classes", "seed"}) {
      if (d.has(k))
        d[k].fail("'data." + std::string(k) + "' applies to the synthetic dataset only");
    }
  }
  return j;
}

json read_model(const ConfigNode& m, const std::string& file, json& where) {
  json j = {{"type", "autoencoder"}};
  if (m.defined() && !m.is_null()) {
    if (m.is_scalar()) {
      j["type"] = m.as_choice({"autoencoder", "classifier"});
    } else {
      if (!m.is_map()) m.fail("'model' must be a map, got " + m.kind());
      m.check_keys({"type", "channels", "hidden", "file", "torchscript", "task"});
      if (m.has("type"))
        j["type"] = m["type"].as_choice({"autoencoder", "classifier", "torchscript"});
      if (m.has("torchscript")) {
        if (m.has("type") && j["type"] != "torchscript")
          m["torchscript"].fail("'model.torchscript' needs type torchscript (or no type)");
        j["type"] = "torchscript";
        j["file"] = m["torchscript"].as_string();
        where["model.file"] = m["torchscript"].location().str();
      }
      if (m.has("file")) {
        j["file"] = m["file"].as_string();
        where["model.file"] = m["file"].location().str();
      }
      if (j["type"] == "torchscript") {
        if (!j.contains("file"))
          m.fail("model type torchscript needs 'file' (or 'torchscript: FILE')");
        j["file"] = absolute(relative_to(file, j["file"]));
        if (!exists(j["file"])) {
          throw InputError(where["model.file"].get<std::string>() + ": TorchScript file '" +
                           j["file"].get<std::string>() + "' does not exist");
        }
        j["where"] = where["model.file"];
        if (m.has("task")) j["task"] = m["task"].as_choice({"classification", "reconstruction"});
      } else {
        for (const char* k : {"file", "task"}) {
          if (m.has(k))
            m[k].fail("'model." + std::string(k) + "' applies to torchscript models only");
        }
      }
      if (m.has("channels")) {
        if (j["type"] == "torchscript")
          m["channels"].fail("'model.channels' does not apply to torchscript models");
        j["channels"] = int_list(m["channels"], 1, 4096);
      }
      if (m.has("hidden")) {
        if (j["type"] != "classifier")
          m["hidden"].fail("'model.hidden' applies to the classifier only");
        j["hidden"] = m["hidden"].as_int(1, 1 << 20);
      }
      where["model"] = m.location().str();
    }
  }
  if (j["type"] == "autoencoder") {
    if (!j.contains("channels")) j["channels"] = {16, 32};
    j["task"] = "reconstruction";
  } else if (j["type"] == "classifier") {
    if (!j.contains("channels")) j["channels"] = {32, 64};
    if (!j.contains("hidden")) j["hidden"] = 128;
    j["task"] = "classification";
  }
  return j;
}

json read_optimizer(const ConfigNode& o, json& where) {
  json j = {{"name", "adam"}, {"lr", 1e-3},     {"momentum", 0.9},      {"nesterov", false},
            {"beta1", 0.9},   {"beta2", 0.999}, {"clip_grad_norm", 0.0}};
  const std::vector<std::string> names = {"adam", "adamw", "sgd", "layerwise-adam"};
  std::optional<double> wd;
  if (o.defined() && !o.is_null()) {
    if (o.is_scalar()) {
      j["name"] = o.as_choice(names);
    } else {
      if (!o.is_map()) o.fail("'optimizer' must be a map, got " + o.kind());
      o.check_keys(
          {"name", "lr", "weight_decay", "momentum", "nesterov", "betas", "clip_grad_norm"});
      if (o.has("name")) j["name"] = o["name"].as_choice(names);
      if (o.has("lr")) {
        const ConfigNode lr = o["lr"];
        const double v = lr.as_double();
        if (!(v > 0) || !std::isfinite(v))
          lr.fail("'" + lr.path() + "' is " + format_number(v) + ", must be > 0");
        j["lr"] = v;
      }
      if (o.has("weight_decay")) wd = o["weight_decay"].as_double(0, 1);
      if (o.has("momentum")) j["momentum"] = o["momentum"].as_double(0, 0.999999);
      if (o.has("nesterov")) j["nesterov"] = o["nesterov"].as_bool();
      if (o.has("betas")) {
        const ConfigNode b = o["betas"];
        if (!b.is_sequence() || b.size() != 2)
          b.fail("'optimizer.betas' must be a list of two numbers in [0, 1)");
        j["beta1"] = b.at(0).as_double(0, 0.999999);
        j["beta2"] = b.at(1).as_double(0, 0.999999);
      }
      if (o.has("clip_grad_norm")) j["clip_grad_norm"] = o["clip_grad_norm"].as_double(0, 1e9);
      if (j["nesterov"].get<bool>() && (j["name"] != "sgd" || j["momentum"].get<double>() <= 0)) {
        o["nesterov"].fail("'optimizer.nesterov' needs sgd with momentum > 0");
      }
      where["optimizer"] = o.location().str();
    }
  }
  j["weight_decay"] = wd ? *wd : (j["name"] == "adamw" ? 0.01 : 0.0);
  return j;
}

json read_schedule(const ConfigNode& s) {
  json j = {{"name", "constant"},
            {"step_size", 100},
            {"gamma", 0.1},
            {"min_factor", 0.0},
            {"warmup_steps", 0}};
  const std::vector<std::string> names = {"constant", "cosine", "step"};
  if (!s.defined() || s.is_null()) return j;
  if (s.is_scalar()) {
    j["name"] = s.as_choice(names);
    return j;
  }
  if (!s.is_map()) s.fail("'schedule' must be a map, got " + s.kind());
  s.check_keys({"name", "step_size", "gamma", "min_factor", "warmup_steps"});
  if (s.has("name")) j["name"] = s["name"].as_choice(names);
  if (s.has("step_size")) j["step_size"] = s["step_size"].as_int(1, LLONG_MAX);
  if (s.has("gamma")) j["gamma"] = s["gamma"].as_double(0, 1);
  if (s.has("min_factor")) j["min_factor"] = s["min_factor"].as_double(0, 1);
  if (s.has("warmup_steps")) j["warmup_steps"] = s["warmup_steps"].as_int(0, LLONG_MAX);
  return j;
}

Resolved resolve(const ConfigNode* root_ptr, const ConfigNode* s_ptr, const std::string& file) {
  Resolved r;
  json cfg;
  json& where = r.where;
  const ConfigNode empty;
  const ConfigNode& s = s_ptr != nullptr ? *s_ptr : empty;
  if (s.defined()) {
    s.check_keys({"version",    "experiment", "name",      "hypothesis",       "expect",
                  "data",       "model",      "optimizer", "schedule",         "budget",
                  "batch_size", "eval_every", "log_every", "checkpoint_every", "early_stopping",
                  "seed",       "device",     "amp",       "threads",          "diagnose",
                  "checks",     "out",        "slurm"});
  }
  // The shared experiment section (a whole experiment file): name, hypothesis, output folder.
  if (root_ptr != nullptr && root_ptr->is_map() && root_ptr->has("experiment")) {
    const ConfigNode e = (*root_ptr)["experiment"];
    if (e.is_map()) {
      if (e.has("name")) r.name = e["name"].as_string();
      if (e.has("hypothesis")) r.hypothesis = e["hypothesis"].as_string();
      if (e.has("output")) r.out = relative_to(file, e["output"].as_string());
    }
  }
  if (s.has("name")) r.name = s["name"].as_string();
  if (s.has("hypothesis")) r.hypothesis = s["hypothesis"].as_string();
  if (s.has("expect")) {
    r.expect = s["expect"].as_string();
    r.expect_where = s["expect"].location().str();
  }
  if (s.has("out")) r.out = relative_to(file, s["out"].as_string());
  cfg["data"] = read_data(s["data"], file, where);
  cfg["model"] = read_model(s["model"], file, where);
  cfg["optimizer"] = read_optimizer(s["optimizer"], where);
  cfg["schedule"] = read_schedule(s["schedule"]);
  json budget = {{"profile", "quick"}};
  if (s.has("budget")) {
    const ConfigNode b = s["budget"];
    if (!b.is_map()) b.fail("'budget' must be a map, got " + b.kind());
    b.check_keys({"profile", "max_batches", "epochs", "minutes"});
    if (b.has("profile")) budget["profile"] = b["profile"].as_choice({"quick", "full"});
    if (b.has("max_batches")) budget["max_batches"] = b["max_batches"].as_int(1, LLONG_MAX / 4);
    if (b.has("epochs")) budget["epochs"] = b["epochs"].as_int(1, 1000000);
    if (b.has("minutes")) {
      const double m = b["minutes"].as_double(0, 1e7);
      if (m <= 0) b["minutes"].fail("'budget.minutes' must be > 0");
      budget["minutes"] = m;
    }
  }
  cfg["budget"] = budget;
  cfg["batch_size"] = s.has("batch_size") ? s["batch_size"].as_int(1, 65536) : 64;
  cfg["eval_every"] = s.has("eval_every") ? s["eval_every"].as_int(0, LLONG_MAX) : 0;
  cfg["log_every"] = s.has("log_every") ? s["log_every"].as_int(1, LLONG_MAX) : 10;
  cfg["checkpoint_every"] =
      s.has("checkpoint_every") ? s["checkpoint_every"].as_int(0, LLONG_MAX) : 0;
  cfg["seed"] = s.has("seed") ? s["seed"].as_int(0, LLONG_MAX) : 0;
  cfg["device"] = "auto";
  if (s.has("device")) {
    cfg["device"] = s["device"].as_string();
    where["device"] = s["device"].location().str();
  }
  cfg["amp"] = s.has("amp") ? s["amp"].as_bool() : false;
  cfg["threads"] = s.has("threads") ? s["threads"].as_int(0, 1024) : 0;
  cfg["diagnose"] = s.has("diagnose") ? s["diagnose"].as_bool() : false;
  json es = nullptr;
  if (s.has("early_stopping") && !s["early_stopping"].is_null()) {
    const ConfigNode e = s["early_stopping"];
    if (!e.is_map()) e.fail("'early_stopping' must be a map, got " + e.kind());
    e.check_keys({"metric", "patience", "min_delta", "mode"});
    es = {{"metric", "val_loss"}, {"patience", 3}, {"min_delta", 0.0}};
    if (e.has("metric")) {
      es["metric"] = e["metric"].as_choice({"val_loss", "val_accuracy", "val_mse", "val_psnr"});
    }
    if (e.has("patience")) es["patience"] = e["patience"].as_int(1, 1000000);
    if (e.has("min_delta")) es["min_delta"] = e["min_delta"].as_double(0, 1e9);
    const std::string metric = es["metric"];
    std::string mode = metric == "val_accuracy" || metric == "val_psnr" ? "max" : "min";
    if (e.has("mode")) {
      const std::string m = e["mode"].as_choice({"auto", "min", "max"});
      if (m != "auto") mode = m;
    }
    es["mode"] = mode;
    const std::string task = cfg["model"].value("task", "");
    const bool cls_metric = metric == "val_accuracy";
    const bool rec_metric = metric == "val_mse" || metric == "val_psnr";
    if ((cls_metric && task == "reconstruction") || (rec_metric && task == "classification")) {
      e["metric"].fail("'early_stopping.metric' " + metric + " does not exist for a " + task +
                       " model");
    }
  }
  cfg["early_stopping"] = es;
  json checks = {{"no_progress_steps", 25},
                 {"exploding_grad_norm", 1000.0},
                 {"vanishing_grad_norm", 1e-7},
                 {"overfit_gap", 0.25}};
  if (s.has("checks")) {
    const ConfigNode c = s["checks"];
    if (!c.is_map()) c.fail("'checks' must be a map, got " + c.kind());
    c.check_keys(
        {"no_progress_steps", "exploding_grad_norm", "vanishing_grad_norm", "overfit_gap"});
    if (c.has("no_progress_steps"))
      checks["no_progress_steps"] = c["no_progress_steps"].as_int(0, LLONG_MAX);
    if (c.has("exploding_grad_norm"))
      checks["exploding_grad_norm"] = c["exploding_grad_norm"].as_double(0, 1e300);
    if (c.has("vanishing_grad_norm"))
      checks["vanishing_grad_norm"] = c["vanishing_grad_norm"].as_double(0, 1e300);
    if (c.has("overfit_gap")) checks["overfit_gap"] = c["overfit_gap"].as_double(0, 1);
  }
  cfg["checks"] = checks;
  r.cfg = cfg;
  return r;
}

// The `slurm:` section (resources of --emit-sbatch) and the seeds of the array: slurm.seeds,
// else experiment.seeds (a list, or a count N meaning 0..N-1).
json read_slurm(const ConfigNode* root, const ConfigNode& s) {
  json j = json::object();
  auto seeds_of = [](const ConfigNode& n) {
    std::vector<long long> v;
    if (n.is_sequence()) {
      if (n.size() == 0) n.fail("'" + n.path() + "' is empty");
      for (const ConfigNode& c : n.items()) v.push_back(c.as_int(0, 4000000000LL));
    } else {
      const long long count = n.as_int(1, 100000);
      for (long long i = 0; i < count; ++i) v.push_back(i);
    }
    return v;
  };
  if (root != nullptr && root->is_map() && root->has("experiment")) {
    const ConfigNode e = (*root)["experiment"];
    if (e.is_map() && e.has("seeds")) j["seeds"] = seeds_of(e["seeds"]);
  }
  if (!s.defined() || !s.has("slurm") || s["slurm"].is_null()) return j;
  const ConfigNode c = s["slurm"];
  if (!c.is_map()) c.fail("'slurm' must be a map, got " + c.kind());
  c.check_keys({"partition", "account", "qos", "time", "nodes", "gpus", "cpus_per_task", "mem",
                "output", "job_name", "seeds", "setup", "extra"});
  for (const char* k : {"partition", "account", "qos", "mem", "output", "job_name"}) {
    if (c.has(k)) {
      const std::string v = c[k].as_string();
      if (v.empty() || v.find_first_of(" \t\n'\"") != std::string::npos)
        c[k].fail("'slurm." + std::string(k) + "' must be one word without quotes");
      j[k] = v;
    }
  }
  if (c.has("time")) {
    const std::string t = c["time"].as_string();
    if (t.empty() || t.find_first_not_of("0123456789:-") != std::string::npos)
      c["time"].fail("'slurm.time' must be minutes or [D-]HH:MM:SS, got '" + t + "'");
    j["time"] = t;
  }
  if (c.has("nodes")) j["nodes"] = c["nodes"].as_int(1, 4096);
  if (c.has("gpus")) j["gpus"] = c["gpus"].as_int(0, 64);
  if (c.has("cpus_per_task")) j["cpus_per_task"] = c["cpus_per_task"].as_int(1, 1024);
  if (c.has("seeds")) j["seeds"] = seeds_of(c["seeds"]);
  for (const char* k : {"setup", "extra"}) {
    if (!c.has(k)) continue;
    const ConfigNode l = c[k];
    if (!l.is_sequence()) l.fail("'slurm." + std::string(k) + "' must be a list of strings");
    std::vector<std::string> v;
    for (const ConfigNode& x : l.items()) {
      const std::string line = x.as_string();
      if (line.find('\n') != std::string::npos) x.fail("one line per entry, please");
      if (std::string(k) == "extra" && line.rfind("--", 0) != 0)
        x.fail("'slurm.extra' entries are sbatch options starting with --, got '" + line + "'");
      v.push_back(line);
    }
    j[k] = v;
  }
  return j;
}

void check_device(const std::string& d, const std::string& where) {
  bool ok = d == "auto" || d == "cpu" || d == "cuda";
  if (!ok && d.rfind("cuda:", 0) == 0 && d.size() > 5 && d.size() < 9) {
    ok = std::all_of(d.begin() + 5, d.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  }
  if (!ok) throw InputError(where + ": device '" + d + "' must be auto, cpu, cuda or cuda:N");
}

// ---------------------------------------------------------------------------------------------
// Data

std::string find_idx(const std::string& dir, const std::string& base, const std::string& where) {
  for (const std::string& name : {base + ".gz", base}) {
    if (exists(dir + "/" + name)) return dir + "/" + name;
  }
  throw InputError(where + ": '" + dir + "' has no " + base + "[.gz]");
}

struct Loaded {
  Images train;  // before the validation split
  Images test;
  std::string description;
};

Loaded load_data(const json& d, const json& where) {
  Loaded l;
  const std::string ds = d["dataset"];
  const std::string w = where.value("data.path", where.value("data", std::string("data")));
  if (ds == "synthetic") {
    prototype::SyntheticSpec spec;
    spec.samples = d["samples"];
    spec.size = d["size"];
    spec.channels = d["channels"];
    spec.classes = d["classes"];
    spec.seed = d["seed"];
    l.train = prototype::synthetic(spec);
    spec.samples = std::max<long long>(8, spec.samples / 4);
    spec.seed = spec.seed + 1;
    l.test = prototype::synthetic(spec);
    l.description = "synthetic";
    return l;
  }
  const std::string path = d.value("path", "");
  if (!path.empty() && !exists(path)) {
    InputError e(w + ": dataset path '" + path + "' does not exist");
    if (ds == "fashion-mnist")
      e.add_note("install Debian's dataset-fashion-mnist (scripts/setup.sh does)");
    throw e;
  }
  if (ds == "cifar10") {
    if (!is_dir(path))
      throw InputError(w + ": '" + path + "' must be a directory with data_batch_*.bin");
    std::vector<std::pair<std::string, std::string>> files;
    for (int i = 1; i <= 5; ++i) {
      const std::string f = path + "/data_batch_" + std::to_string(i) + ".bin";
      if (exists(f)) files.emplace_back(f, read_file(f));
    }
    if (files.empty())
      throw InputError(w + ": '" + path + "' has no data_batch_*.bin (CIFAR-10 binary version)");
    l.train = prototype::parse_cifar10(files);
    const std::string t = path + "/test_batch.bin";
    if (exists(t)) l.test = prototype::parse_cifar10({{t, read_file(t)}});
    l.description = "cifar10 " + path;
    return l;
  }
  // IDX: explicit files, else the standard names in the directory.
  auto file_of = [&](const char* key, const std::string& base, bool required) -> std::string {
    if (d.contains(key)) {
      const std::string f = d[key];
      const std::string kw = where.value(std::string("data.") + key, w);
      if (!exists(f)) throw InputError(kw + ": file '" + f + "' does not exist");
      return f;
    }
    if (path.empty()) {
      if (required) throw InputError(w + ": no 'path' and no 'data." + std::string(key) + "'");
      return "";
    }
    if (!is_dir(path)) throw InputError(w + ": '" + path + "' is not a directory");
    if (!required) {
      for (const std::string& name : {base + ".gz", base}) {
        if (exists(path + "/" + name)) return path + "/" + name;
      }
      return "";
    }
    return find_idx(path, base, w);
  };
  const std::string ti = file_of("train_images", "train-images-idx3-ubyte", true);
  const std::string tl = file_of("train_labels", "train-labels-idx1-ubyte", false);
  l.train = prototype::parse_idx(read_file(ti), ti, tl.empty() ? "" : read_file(tl), tl);
  const std::string vi = file_of("test_images", "t10k-images-idx3-ubyte", false);
  if (!vi.empty()) {
    const std::string vl = file_of("test_labels", "t10k-labels-idx1-ubyte", false);
    l.test = prototype::parse_idx(read_file(vi), vi, vl.empty() ? "" : read_file(vl), vl);
    if (l.test.height != l.train.height || l.test.width != l.train.width) {
      throw InputError(vi + ": test images are " + std::to_string(l.test.height) + "x" +
                       std::to_string(l.test.width) + ", training images " +
                       std::to_string(l.train.height) + "x" + std::to_string(l.train.width));
    }
    l.test.classes = std::max(l.test.classes, l.train.classes);
    l.train.classes = l.test.classes;
    if (l.train.labels.empty() != l.test.labels.empty()) {
      throw InputError(vi + ": training and test data must both have labels or both have none");
    }
  }
  if (ds == "fashion-mnist") {
    l.train.classes = l.test.classes = 10;
  }
  l.description = ds + " " + (path.empty() ? ti : path);
  return l;
}

// ---------------------------------------------------------------------------------------------
// Runs

volatile int g_cancel = 0;

extern "C" void on_signal(int) { g_cancel = 1; }

struct SignalGuard {
  struct sigaction old_int {
  }, old_term{};
  SignalGuard() {
    g_cancel = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;  // a second signal kills at once
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);
  }
  ~SignalGuard() {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
};

std::vector<std::string> list_names(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string utc_now(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// A new run folder EXP-YYYYMMDD-NNN under `out` (mkdir is the lock: two runs never share one).
std::pair<std::string, std::string> new_run_dir(const std::string& out) {
  make_dirs(out);
  const std::string date = utc_now("%Y%m%d");
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const std::string id = prototype::next_run_id(list_names(out), date);
    const std::string dir = out + "/" + id;
    if (::mkdir(dir.c_str(), 0755) == 0) return {id, dir};
    if (errno != EEXIST)
      throw EnvironmentError(dir + ": cannot create run folder: " + std::strerror(errno));
  }
  throw EnvironmentError(out + ": cannot allocate a run id");
}

json node_to_json(const ConfigNode& n) {
  if (n.is_map()) {
    json j = json::object();
    for (const auto& k : n.keys()) j[k] = node_to_json(n[k]);
    return j;
  }
  if (n.is_sequence()) {
    json j = json::array();
    for (std::size_t i = 0; i < n.size(); ++i) j.push_back(node_to_json(n.at(i)));
    return j;
  }
  const std::string kind = n.kind();
  if (kind == "null") return nullptr;
  if (kind == "boolean") return n.as_bool();
  if (kind == "number") {
    const std::string text = n.as_string();
    if (text.find_first_of(".eEn") == std::string::npos) return n.as_int();
    return n.as_double();
  }
  return n.as_string();
}

json read_record(const std::string& dir) {
  const std::string path = dir + "/record.yaml";
  if (!exists(path)) throw InputError(dir + ": not a run folder (no record.yaml)");
  return node_to_json(load_config_file(path));
}

std::vector<json> read_metrics(const std::string& path) {
  std::vector<json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) rows.push_back(j);
  }
  return rows;
}

std::string git_commit_of_cwd() {
  // The working directory's commit, when it is a git checkout (read from .git, no process).
  std::string dir = absolute(".");
  for (int up = 0; up < 32 && !dir.empty(); ++up) {
    const std::string head_path = dir + "/.git/HEAD";
    if (exists(head_path)) {
      std::ifstream in(head_path);
      std::string head;
      std::getline(in, head);
      if (head.rfind("ref: ", 0) == 0) {
        std::ifstream ref(dir + "/.git/" + head.substr(5));
        std::string sha;
        if (std::getline(ref, sha)) return sha;
        return "";
      }
      return head;
    }
    const auto slash = dir.rfind('/');
    if (slash == std::string::npos || slash == 0) break;
    dir = dir.substr(0, slash);
  }
  return "";
}

// A string member, "" when absent or null.
std::string text_of(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string fmt_metric(double v) { return format_number(v, 5); }

// Progress on a TTY: one line redrawn; elsewhere nothing (lines come with -v).
class Progress {
 public:
  Progress(Context& ctx, bool tty) : ctx_(ctx), tty_(tty) {}
  void update(const train::ProgressEvent& p) {
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    const long long step = p.step;
    const long long total = p.total;
    if (step != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 24;
    const double frac =
        total > 0 ? std::min(1.0, static_cast<double>(step) / static_cast<double>(total)) : 0;
    const int fill = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(fill), '#');
    bar += std::string(static_cast<std::size_t>(width - fill), '.');
    char buf[256];
    std::snprintf(buf, sizeof buf, "\r[%s] step %lld/%lld  loss %.4g  %.0f img/s  ETA %.0fs ",
                  bar.c_str(), step, total, p.loss, p.images_per_s, p.eta_s);
    ctx_.err << buf << std::flush;
    drawn_ = true;
  }
  void finish() {
    if (drawn_) ctx_.err << "\n" << std::flush;
    drawn_ = false;
  }

 private:
  Context& ctx_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

json make_analysis(const json& record) {
  json next = json::array();
  const std::string status = record.value("status", "");
  const std::string id = record.value("id", "");
  if (status == "interrupted")
    next.push_back("resume: rlab prototype --resume " + record.value("run_dir", "runs/" + id));
  for (const auto& w : record.value("warnings", json::array())) {
    const auto tries = w.value("try", json::array());
    if (!tries.empty()) next.push_back(w.value("code", "") + ": " + tries[0].get<std::string>());
  }
  const json ex = record.value("expectation", json());
  const bool met = ex.is_object() && ex.value("met", json()).is_boolean() && ex["met"].get<bool>();
  if (status == "completed" || status == "early_stopped" || status == "time_budget") {
    if (met || (!ex.is_object() && record.value("warnings", json::array()).empty())) {
      next.push_back("scale up: the full profile (--profile full) or more epochs on all the data");
      next.push_back("check that the result holds across seeds: rlab validate");
    } else {
      next.push_back("train longer (--epochs N) or tune the learning rate (rlab bayesopt)");
    }
  }
  return next;
}

nlohmann::json environment_json(const json& result, const std::string& device) {
  const Environment env = collect_environment();
  return {{"rlab_version", env.rlab_version},
          {"rlab_commit", env.git_commit},
          {"git_commit", git_commit_of_cwd()},
          {"compiler", env.compiler},
          {"libtorch", result.value("torch_version", "")},
          {"device", device},
          {"threads", result.value("threads", 0)},
          {"cpu", env.cpu_model},
          {"cpu_count", env.cpu_count},
          {"os", env.os},
          {"hostname", env.hostname}};
}

std::map<std::string, std::string> environment_map() {
  std::map<std::string, std::string> env;
  for (const char* k : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) {
    if (const char* v = std::getenv(k)) env[k] = v;
  }
  return env;
}

ExitCode emit_sbatch(const Options& o, Context& ctx, const Resolved& r, const json& slurm,
                     const std::string& file);

ExitCode run_prototype(const Options& o, Context& ctx, const prototype::Distributed& dist) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd}, "prototype");
  // Data-parallel: rank 0 alone writes the run folder, records, metrics and checkpoints and
  // prints; the other ranks train in step with it and stay silent.
  const bool writer = dist.rank == 0;
  const std::string file = !o.file.empty() ? o.file : ctx.options.config_path;
  json prior;  // the record of the run being resumed
  std::string run_dir;
  std::string id;
  if (!o.resume.empty()) {
    if (!is_dir(o.resume)) throw InputError("--resume " + o.resume + ": no such run folder");
    prior = read_record(o.resume);
    run_dir = o.resume;
    id = text_of(prior, "id");
    if (!exists(run_dir + "/checkpoint.pt")) {
      throw InputError("--resume " + o.resume + ": the run has no checkpoint to continue from");
    }
  }
  Resolved r;
  json slurm = json::object();
  if (!file.empty()) {
    const ConfigNode root = load_config_file(file);
    const ConfigNode s = select_section(root, "prototype");
    apply_overrides(s, "prototype", ctx.options.sets);
    r = resolve(&root, &s, file);
    slurm = read_slurm(&root, s);
    if (!prior.is_null()) {
      const json old_model = prior["config"].value("model", json());
      if (old_model != r.cfg["model"]) {
        throw InputError(r.where.value("model", file) + ": --resume " + o.resume +
                         " trained model " + old_model.dump() + ", this config asks for " +
                         r.cfg["model"].dump());
      }
    }
  } else if (!prior.is_null()) {
    r.cfg = prior["config"];
    r.name = text_of(prior, "name");
    r.hypothesis = text_of(prior, "hypothesis");
    const json ex = prior.value("expectation", json());
    if (ex.is_object()) r.expect = text_of(ex, "text");
  } else {
    if (!ctx.options.sets.empty())
      throw UsageError("--set needs a config file (rlab prototype FILE)");
    r = resolve(nullptr, nullptr, "");
  }
  json& cfg = r.cfg;
  // Command-line flags win over the file.
  if (o.max_batches || o.epochs || o.minutes) {
    json b = {{"profile", cfg["budget"].value("profile", "quick")}};
    if (o.max_batches) b["max_batches"] = *o.max_batches;
    if (o.epochs) b["epochs"] = *o.epochs;
    if (o.minutes) b["minutes"] = *o.minutes;
    cfg["budget"] = b;
  }
  if (!o.profile.empty()) cfg["budget"]["profile"] = o.profile;
  if (!o.device.empty()) {
    cfg["device"] = o.device;
    r.where["device"] = "--device";
  }
  check_device(cfg["device"], r.where.value("device", file.empty() ? "device" : file));
  if (o.amp) cfg["amp"] = true;
  if (o.diagnose) cfg["diagnose"] = true;
  if (o.seed) cfg["seed"] = *o.seed;
  if (o.threads) cfg["threads"] = *o.threads;
  if (!o.hypothesis.empty()) r.hypothesis = o.hypothesis;
  if (!o.expect.empty()) {
    r.expect = o.expect;
    r.expect_where = "--expect";
  }
  std::optional<prototype::Expectation> expectation;
  if (!r.expect.empty()) {
    expectation =
        prototype::parse_expectation(r.expect, r.expect_where.empty() ? "expect" : r.expect_where);
  }
  if (!o.out.empty()) r.out = o.out;
  if (!o.emit_sbatch.empty()) return emit_sbatch(o, ctx, r, slurm, file);

  // Data: load, limit, split with the seed, normalisation statistics from the training split.
  const json& dcfg = cfg["data"];
  Loaded data = load_data(dcfg, r.where);
  const long long limit = dcfg.value("limit", 0LL);
  if (limit > 0 && limit < data.train.count()) {
    std::vector<long long> idx(static_cast<std::size_t>(limit));
    for (long long i = 0; i < limit; ++i) idx[static_cast<std::size_t>(i)] = i;
    data.train = prototype::subset(data.train, idx);
  }
  const long long test_limit = dcfg.value("test_limit", 0LL);
  if (test_limit > 0 && test_limit < data.test.count()) {
    std::vector<long long> idx(static_cast<std::size_t>(test_limit));
    for (long long i = 0; i < test_limit; ++i) idx[static_cast<std::size_t>(i)] = i;
    data.test = prototype::subset(data.test, idx);
  }
  const std::uint64_t split_seed = dcfg.contains("split_seed")
                                       ? dcfg["split_seed"].get<std::uint64_t>()
                                       : cfg["seed"].get<std::uint64_t>();
  const prototype::Split split =
      prototype::split_indices(data.train.count(), dcfg.value("validation", 0.1), split_seed);
  const Images train = prototype::subset(data.train, split.train);
  const Images val = prototype::subset(data.train, split.validation);
  if (train.count() == 0)
    throw InputError(r.where.value("data", file) + ": no training images left after the split");
  json& model = cfg["model"];
  if (model["type"] == "torchscript" && !model.contains("task")) {
    model["task"] = train.labels.empty() ? "reconstruction" : "classification";
  }
  if (model["task"] == "classification" && train.labels.empty()) {
    throw InputError(r.where.value("model", file) +
                     ": a classification model needs labelled data; '" + data.description +
                     "' has no labels");
  }
  const std::string task = model["task"];
  if (expectation) {
    // An expected metric this model never reports would be found missing only after training.
    const std::vector<std::string> available = prototype::produced_metrics(
        task, model["type"].get<std::string>(), val.count() > 0, data.test.count() > 0);
    json names = json::object();
    for (const auto& n : available) names[n] = 0.0;
    if (prototype::resolve_metric(*expectation, names).empty()) {
      std::string list;
      for (const auto& n : available) list += (list.empty() ? "" : ", ") + n;
      throw InputError((r.expect_where.empty() ? std::string("expect") : r.expect_where) +
                       ": metric '" + expectation->metric + "' of the expected result '" +
                       expectation->text + "' is not reported by a " + task + " model (" +
                       model["type"].get<std::string>() + "); it reports: " + list);
    }
  }
  std::optional<train::NormalizeConfig> normalize;
  if (task == "classification" && dcfg.value("normalize", true)) {
    std::vector<double> mean;
    std::vector<double> sd;
    prototype::channel_stats(train, mean, sd);
    normalize = train::NormalizeConfig{mean, sd};
  }
  const long long batch = cfg["batch_size"];
  if (dist.active() && batch < dist.world_size) {
    throw InputError(r.where.value("batch_size", file.empty() ? "batch_size" : file) +
                     ": batch_size " + std::to_string(batch) + " cannot be split across " +
                     std::to_string(dist.world_size) +
                     " ranks (the batch is global: each rank takes batch_size / WORLD_SIZE)");
  }
  const long long spe = (train.count() + batch - 1) / batch;
  const json& budget = cfg["budget"];
  long long max_steps = 0;
  const bool any_budget =
      budget.contains("max_batches") || budget.contains("epochs") || budget.contains("minutes");
  if (budget.contains("max_batches")) max_steps = budget["max_batches"];
  if (budget.contains("epochs")) {
    const long long e = budget["epochs"].get<long long>() * spe;
    max_steps = max_steps > 0 ? std::min(max_steps, e) : e;
  }
  if (!any_budget) max_steps = budget["profile"] == "full" ? 5 * spe : 50;
  if (max_steps == 0) max_steps = LLONG_MAX / 4;  // minutes only
  long long eval_every = cfg["eval_every"];
  if (eval_every == 0 && (budget["profile"] == "full" || !cfg["early_stopping"].is_null()))
    eval_every = spe;

  // The run folder and its record.
  if (run_dir.empty() && writer) {
    std::tie(id, run_dir) = new_run_dir(r.out);
  }
  const std::string created =
      prior.is_null() ? utc_now("%Y-%m-%dT%H:%M:%SZ") : prior.value("created", "");
  json record = {{"id", id},
                 {"name", r.name.empty() ? json(nullptr) : json(r.name)},
                 {"created", created},
                 {"status", "running"},
                 {"run_dir", run_dir},
                 {"hypothesis", r.hypothesis.empty() ? json(nullptr) : json(r.hypothesis)},
                 {"command", ctx.argv},
                 {"config", cfg},
                 {"data",
                  {{"dataset", dcfg["dataset"]},
                   {"source", data.description},
                   {"train", train.count()},
                   {"validation", val.count()},
                   {"test", data.test.count()},
                   {"shape", std::to_string(train.channels) + "x" + std::to_string(train.height) +
                                 "x" + std::to_string(train.width)},
                   {"classes", train.classes},
                   {"split_seed", split_seed}}}};
  if (expectation) record["expectation"] = {{"text", expectation->text}};
  if (dist.active()) {
    record["distributed"] = {{"world_size", dist.world_size},
                             {"global_batch", batch},
                             {"master", dist.master_addr + ":" + std::to_string(dist.master_port)}};
  }
  // A resumed run keeps the checkpoint's step in its record from the start, so a run killed
  // before it writes its results can still be resumed (by every rank of a data-parallel run too,
  // whichever version of the record it reads).
  std::optional<long long> prior_step;
  if (prior.is_object() && prior.contains("results") && prior["results"].is_object() &&
      prior["results"].contains("checkpoint_step")) {
    prior_step = prior["results"]["checkpoint_step"].get<long long>();
    record["results"] = {{"checkpoint_step", *prior_step}};
  }
  if (writer) write_file_atomic(run_dir + "/record.yaml", prototype::to_yaml(record));

  // metrics.jsonl: a resumed run drops lines written after its checkpoint was taken.
  const std::string metrics_path = run_dir + "/metrics.jsonl";
  const train::TrainConfig train_cfg =
      prototype::train_config(cfg,
                              {max_steps, budget.value("minutes", 0.0), eval_every, normalize,
                               run_dir, !prior.is_null(), o.stop_at_step, dist, o.dist_timeout},
                              file.empty() ? run_dir + "/record.yaml" : file);

  train::TrainData td;
  td.channels = train.channels;
  td.height = train.height;
  td.width = train.width;
  td.classes = train.labels.empty() ? 0 : train.classes;
  auto split_of = [](const Images& im) {
    return train::TrainSplit{im.pixels.data(), im.labels.empty() ? nullptr : im.labels.data(),
                             im.count()};
  };
  td.train = split_of(train);
  td.validation = split_of(val);
  td.test = split_of(data.test);

  std::ofstream metrics_out;
  auto open_metrics = [&](long long keep_until) {
    if (keep_until >= 0) {
      std::string kept;
      for (const json& row : read_metrics(metrics_path)) {
        if (row.value("step", 0LL) <= keep_until) kept += row.dump() + "\n";
      }
      write_file_atomic(metrics_path, kept);
    }
    metrics_out.open(metrics_path, std::ios::app);
    if (!metrics_out) throw EnvironmentError(metrics_path + ": cannot open for appending");
  };
  // A resumed run trims metrics.jsonl when the core reports the step its checkpoint holds (the
  // record may not know it: a run killed with -9 never wrote its results).
  if (writer) open_metrics(-1);

  const bool tty = writer && ::isatty(2) != 0 && ctx.log.level() != LogLevel::kQuiet;
  Progress progress(ctx, tty);
  json warnings_seen = json::array();
  auto on_event = [&](const train::TrainEvent& event) {
    if (!writer) return;
    if (const auto* p = std::get_if<train::ProgressEvent>(&event)) {
      progress.update(*p);
    } else if (const auto* resumed = std::get_if<train::ResumedEvent>(&event)) {
      metrics_out.close();
      open_metrics(resumed->step);
    } else if (const auto* m = std::get_if<train::MetricsEvent>(&event)) {
      json row = train::to_json(event);
      row.erase("type");
      metrics_out << row.dump() << "\n" << std::flush;
      std::string line =
          "step " + std::to_string(m->step) + " train_loss " + fmt_metric(m->train_loss);
      for (const char* k : {"val_loss", "val_accuracy", "val_psnr"}) {
        const auto v = m->evaluation.find(k);
        if (v != m->evaluation.end()) line += std::string(" ") + k + " " + fmt_metric(v->second);
      }
      line += " " + format_number(m->images_per_s, 4) + " img/s";
      if (!tty) ctx.log.info(line);
    } else if (const auto* w = std::get_if<train::WarningEvent>(&event)) {
      progress.finish();
      ctx.log.warn(w->message);
    } else if (const auto* l = std::get_if<train::LogEvent>(&event)) {
      progress.finish();
      ctx.log.info(l->message);
    }
  };
  if (writer) {
    ctx.log.info("run " + id + " in " + run_dir + ": " + std::to_string(max_steps) + " steps of " +
                 std::to_string(batch) + " on " + std::to_string(train.count()) + " images" +
                 (dist.active() ? " (" + std::to_string(dist.world_size) + " ranks)" : ""));
  }
  std::string result_text;
  {
    SignalGuard guard;
    try {
      result_text = train::run_training(train_cfg, td, on_event, &g_cancel);
    } catch (const Error& e) {
      progress.finish();
      if (!writer) throw;
      record["status"] = "failed";
      record["error"] = e.what();
      write_file_atomic(run_dir + "/record.yaml", prototype::to_yaml(record));
      throw;
    }
  }
  progress.finish();
  metrics_out.close();
  const json result = json::parse(result_text);
  const std::string status = result.value("status", "completed");
  if (!writer) {
    // The same decisions as rank 0 (the metrics are all-reduced), without a word.
    if (status == "interrupted") return ExitCode::kInterrupted;
    if (status == "diverged") return ExitCode::kNo;
    if (expectation) {
      const json& m = result.value("metrics", json::object());
      const std::string name = prototype::resolve_metric(*expectation, m);
      if (name.empty() || !prototype::expectation_met(*expectation, m[name].get<double>()))
        return ExitCode::kNo;
    }
    return ExitCode::kSuccess;
  }

  json results = result;
  results.erase("warnings");
  record["status"] = status;
  record["finished"] = utc_now("%Y-%m-%dT%H:%M:%SZ");
  record["environment"] = environment_json(result, result.value("device", ""));
  record["warnings"] = result.value("warnings", json::array());
  if (expectation) {
    const json& m = result.value("metrics", json::object());
    const std::string name = prototype::resolve_metric(*expectation, m);
    json ex = {{"text", expectation->text},
               {"metric", name.empty() ? expectation->metric : name},
               {"op", expectation->op},
               {"value", expectation->value}};
    if (name.empty()) {
      ex["actual"] = nullptr;
      ex["met"] = status == "interrupted" ? json(nullptr) : json(false);
    } else {
      ex["actual"] = m[name];
      ex["met"] = prototype::expectation_met(*expectation, m[name].get<double>());
    }
    record["expectation"] = ex;
  }
  record["results"] = results;
  record["conclusion"] = prototype::verdict(record);
  record["next_steps"] = make_analysis(record);
  write_file_atomic(run_dir + "/record.yaml", prototype::to_yaml(record));
  write_file_atomic(run_dir + "/curve.svg",
                    prototype::render_svg(read_metrics(metrics_path),
                                          id + (r.name.empty() ? "" : " " + r.name), results));

  // Output.
  const json& m = result.value("metrics", json::object());
  if (ctx.options.format == Format::kJson) {
    json out = {{"id", id},
                {"run_dir", run_dir},
                {"status", status},
                {"conclusion", record["conclusion"]},
                {"metrics", m},
                {"steps", result["steps"]},
                {"epochs", result["epochs"]},
                {"device", result["device"]},
                {"images_per_s", result["images_per_s"]},
                {"data_share", result["data_share"]},
                {"wall_s", result["wall_s"]},
                {"weights_digest", result["weights_digest"]},
                {"weights_summary", result.value("weights_summary", json::array())},
                {"parameters", result["parameters"]},
                {"expectation", record.value("expectation", json())},
                {"warnings", record["warnings"]},
                {"record", run_dir + "/record.yaml"}};
    if (result.contains("layers")) out["layers"] = result["layers"];
    if (result.contains("distributed")) out["distributed"] = result["distributed"];
    ctx.out << out.dump(2) << "\n";
  } else if (ctx.options.format == Format::kMd) {
    ctx.out << prototype::record_markdown(record);
  } else {
    Table t;
    t.headers = {"metric", "value"};
    t.numeric_columns = {1};
    for (const auto& [k, v] : m.items())
      t.rows.push_back({k, v.is_number() ? fmt_metric(v.get<double>()) : v.dump()});
    t.rows.push_back({"steps", std::to_string(result.value("steps", 0LL))});
    t.rows.push_back({"epochs", format_number(result.value("epochs", 0.0), 3)});
    t.rows.push_back({"images/s", format_number(result.value("images_per_s", 0.0), 4)});
    t.rows.push_back(
        {"data loading share", format_number(100 * result.value("data_share", 0.0), 3) + " %"});
    t.rows.push_back({"wall time s", format_number(result.value("wall_s", 0.0), 3)});
    ctx.out << "run " << id << " (" << status << ", " << result.value("device", "")
            << "): " << run_dir << "\n";
    ctx.out << render(t, Format::kTable);
    if (result.contains("layers") && cfg.value("diagnose", false)) {
      Table d;
      d.headers = {"layer", "grad norm", "act mean", "act std", "act min", "act max", "dead ReLU"};
      d.numeric_columns = {1, 2, 3, 4, 5, 6};
      auto cell = [](const json& l, const char* k) {
        return l.contains(k) && l[k].is_number() ? fmt_metric(l[k].get<double>())
                                                 : std::string("-");
      };
      for (const auto& l : result["layers"]) {
        d.rows.push_back({l.value("layer", ""), cell(l, "grad_norm"), cell(l, "act_mean"),
                          cell(l, "act_std"), cell(l, "act_min"), cell(l, "act_max"),
                          cell(l, "dead_relu")});
      }
      ctx.out << "\n" << render(d, Format::kTable);
    }
    ctx.out << record["conclusion"].get<std::string>() << "\n";
  }
  if (status == "interrupted") {
    InterruptedError e("interrupted at step " + std::to_string(result.value("steps", 0LL)) +
                       "; checkpoint saved in " + run_dir);
    e.add_note("continue with: rlab prototype --resume " + run_dir);
    throw e;
  }
  if (status == "diverged") return ExitCode::kNo;
  if (record.contains("expectation") && record["expectation"].value("met", json()) == json(false)) {
    return ExitCode::kNo;
  }
  return ExitCode::kSuccess;
}

std::string job_name_of(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-'
               ? c
               : '-';
  }
  return out.empty() ? "rlab-prototype" : out;
}

// --emit-sbatch FILE: a Slurm array job over the seeds running this same command.
ExitCode emit_sbatch(const Options& o, Context& ctx, const Resolved& r, const json& slurm,
                     const std::string& file) {
  if (!o.resume.empty()) throw UsageError("--emit-sbatch and --resume cannot be combined");
  const json& cfg = r.cfg;
  prototype::SbatchSpec spec;
  spec.job_name = slurm.value("job_name", job_name_of(r.name));
  if (slurm.contains("seeds")) {
    spec.seeds = slurm["seeds"].get<std::vector<long long>>();
  } else {
    spec.seeds = {o.seed ? *o.seed : cfg.value("seed", 0LL)};
  }
  const json& budget = cfg["budget"];
  if (slurm.contains("time")) {
    spec.time = slurm["time"];
  } else if (budget.contains("minutes")) {
    // The training budget, a quarter more and 5 minutes for loading and evaluation.
    const long long m =
        static_cast<long long>(std::ceil(budget["minutes"].get<double>() * 1.25)) + 5;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:00", m / 60, m % 60);
    spec.time = buf;
  }
  spec.nodes = slurm.value("nodes", 1);
  const std::string device = cfg.value("device", "auto");
  spec.gpus_per_node = slurm.value("gpus", device.rfind("cuda", 0) == 0 ? 1 : 0);
  spec.ranks_per_node = o.nproc;
  const int threads = cfg.value("threads", 0);
  spec.cpus_per_task = slurm.value("cpus_per_task", threads > 0 ? threads : 4);
  spec.mem = slurm.value("mem", "");
  spec.partition = slurm.value("partition", "");
  spec.account = slurm.value("account", "");
  spec.qos = slurm.value("qos", "");
  spec.output = slurm.value("output", spec.output);
  spec.setup = slurm.value("setup", std::vector<std::string>{});
  spec.extra = slurm.value("extra", std::vector<std::string>{});
  spec.workdir = absolute(".");
  spec.rlab = executable_dir() + "/rlab";
  std::vector<std::string>& a = spec.arguments;
  if (!file.empty()) a.push_back(absolute(file));
  for (const auto& s : ctx.options.sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  auto flag = [&a](const std::string& name, const std::string& value) {
    a.push_back(name);
    a.push_back(value);
  };
  if (o.max_batches) flag("--max-batches", std::to_string(*o.max_batches));
  if (o.epochs) flag("--epochs", std::to_string(*o.epochs));
  if (o.minutes) flag("--minutes", format_number(*o.minutes, 12));
  if (!o.profile.empty()) flag("--profile", o.profile);
  if (!o.device.empty()) flag("--device", o.device);
  if (o.amp) a.push_back("--amp");
  if (o.diagnose) a.push_back("--diagnose");
  if (!o.hypothesis.empty()) flag("--hypothesis", o.hypothesis);
  if (!o.expect.empty()) flag("--expect", o.expect);
  if (o.threads) flag("--threads", std::to_string(*o.threads));
  if (o.nproc > 1) flag("--dist-timeout", format_number(o.dist_timeout, 12));
  flag("--out", absolute(r.out));
  const std::string text = prototype::sbatch_script(spec);
  write_file_atomic(o.emit_sbatch, text);
  ::chmod(o.emit_sbatch.c_str(), 0755);
  const std::string array = prototype::compact_ranges(spec.seeds);
  if (ctx.options.format == Format::kJson) {
    ctx.out << json{{"file", o.emit_sbatch},
                    {"array", array},
                    {"seeds", spec.seeds},
                    {"time", spec.time},
                    {"gpus_per_node", spec.gpus_per_node},
                    {"arguments", spec.arguments}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << "wrote " << o.emit_sbatch << ": a Slurm array of " << spec.seeds.size()
            << " task(s), seeds " << array << "; submit with: sbatch " << o.emit_sbatch << "\n";
  }
  return ExitCode::kSuccess;
}

ExitCode prototype_main(const Options& o, Context& ctx) {
  if (o.nproc > 0 && std::getenv("WORLD_SIZE") != nullptr) {
    throw UsageError("--nproc " + std::to_string(o.nproc) +
                     ": WORLD_SIZE=" + std::getenv("WORLD_SIZE") +
                     " is set, so this process is already one rank of a distributed run; use "
                     "--nproc or torchrun's variables, not both");
  }
  if (o.nproc > 1 && o.emit_sbatch.empty()) {
    return prototype::launch_local(prototype::without_nproc(ctx.argv), o.nproc, o.dist_timeout + 15,
                                   ctx);
  }
  const prototype::Distributed dist = prototype::parse_distributed(environment_map());
  if (dist.rank == 0) return run_prototype(o, ctx, dist);
  // Another rank: the same inputs as rank 0, which reports any problem with them.
  try {
    return run_prototype(o, ctx, dist);
  } catch (const InputError&) {
    return ExitCode::kInvalidInput;
  } catch (const UsageError&) {
    return ExitCode::kUsage;
  }
}

// ---------------------------------------------------------------------------------------------
// rlab exp

std::string find_run(const std::string& runs, const std::string& id) {
  if (is_dir(id) && exists(id + "/record.yaml")) return id;
  const std::string dir = runs + "/" + id;
  if (is_dir(dir)) return dir;
  std::vector<std::string> matches;
  for (const auto& n : list_names(runs)) {
    if (n.size() >= id.size() && n.compare(n.size() - id.size(), id.size(), id) == 0)
      matches.push_back(n);
  }
  if (matches.size() == 1) return runs + "/" + matches[0];
  InputError e("no run '" + id + "' in " + runs);
  if (matches.size() > 1)
    e.add_note("ambiguous: " + std::to_string(matches.size()) + " runs end with '" + id + "'");
  throw e;
}

std::string main_metric(const json& rec) {
  const json m = rec.value("results", json::object()).value("metrics", json::object());
  for (const char* k :
       {"test_accuracy", "val_accuracy", "test_psnr", "val_psnr", "val_loss", "train_loss"}) {
    if (m.contains(k) && m[k].is_number())
      return std::string(k) + " " + fmt_metric(m[k].get<double>());
  }
  return "-";
}

// The --runs folder must exist: a mistyped path is no empty list of runs.
void require_runs_folder(const std::string& runs) {
  if (is_dir(runs)) return;
  if (exists(runs)) throw InputError("--runs " + runs + ": not a folder");
  InputError e("--runs " + runs + ": no such folder");
  e.add_note("rlab prototype records each run in <folder>/<id>/record.yaml (--out, default runs)");
  throw e;
}

ExitCode run_exp(Context& ctx, const std::string& runs, const std::string& show_id, bool list) {
  if (list) require_runs_folder(runs);
  if (list) {
    require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                   "exp list");
    json all = json::array();
    Table t;
    t.headers = {"id", "created", "status", "model", "data", "result", "expected", "hypothesis"};
    for (const auto& n : list_names(runs)) {
      const std::string dir = runs + "/" + n;
      if (!exists(dir + "/record.yaml")) continue;
      json rec;
      try {
        rec = read_record(dir);
        if (!rec.is_object()) {
          throw InputError(dir + "/record.yaml: a run record must be a map, got " +
                           std::string(rec.type_name()));
        }
      } catch (const Error& e) {
        ctx.log.warn(std::string(e.what()) + " (skipped)");
        continue;
      }
      for (const char* k : {"config", "results", "data"}) {
        if (rec.contains(k) && rec[k].is_null()) rec.erase(k);
      }
      // One row, built whole before it is added: a field of the wrong type skips the record.
      std::vector<std::string> row;
      json entry;
      try {
        const json ex = rec.value("expectation", json());
        std::string expected = "-";
        if (ex.is_object()) {
          expected = ex.value("text", "") + (ex.contains("met") && ex["met"].is_boolean()
                                                 ? (ex["met"].get<bool>() ? " (met)" : " (not met)")
                                                 : "");
        }
        const json cfg = rec.value("config", json::object());
        row = {rec.value("id", n),
               rec.value("created", ""),
               rec.value("status", ""),
               cfg.value("model", json::object()).value("type", ""),
               rec.value("data", json::object()).value("dataset", ""),
               main_metric(rec),
               expected,
               rec.contains("hypothesis") && rec["hypothesis"].is_string()
                   ? rec["hypothesis"].get<std::string>()
                   : ""};
        entry = {
            {"id", rec.value("id", n)},
            {"dir", dir},
            {"created", rec.value("created", "")},
            {"status", rec.value("status", "")},
            {"hypothesis", rec.value("hypothesis", json())},
            {"expectation", ex},
            {"metrics", rec.value("results", json::object()).value("metrics", json::object())}};
        if (rec.contains("error")) entry["error"] = rec["error"];
      } catch (const json::exception&) {
        ctx.log.warn(dir + "/record.yaml: a field has the wrong type (not a record rlab wrote; " +
                     "skipped)");
        continue;
      }
      t.rows.push_back(std::move(row));
      all.push_back(std::move(entry));
    }
    if (ctx.options.format == Format::kJson) {
      ctx.out << json{{"runs", all}}.dump(2) << "\n";
    } else {
      ctx.out << render(t, ctx.options.format);
    }
    return ExitCode::kSuccess;
  }
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd}, "exp show");
  const std::string dir = find_run(runs, show_id);
  const json rec = read_record(dir);
  if (ctx.options.format == Format::kJson) {
    ctx.out << rec.dump(2) << "\n";
  } else {
    std::string text;
    try {
      if (rec.is_object()) text = prototype::record_markdown(rec);
    } catch (const json::exception&) {
      text.clear();
    }
    if (text.empty()) {
      throw InputError(dir + "/record.yaml: not a run record rlab can show (a field has the " +
                       "wrong type); rlab exp show --format json prints it as it is");
    }
    ctx.out << text;
  }
  return ExitCode::kSuccess;
}

}  // namespace

Command prototype_command() {
  return {
      "prototype", "train a small model on real data to test a hypothesis; record the experiment",
      [](CLI::App& app, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        app.add_option("file", o->file, "Config (prototype: section or an experiment file)");
        app.add_option("--max-batches", o->max_batches, "Stop after N training steps")
            ->check(cli::whole<long long>(1, LLONG_MAX / 4));
        app.add_option("--epochs", o->epochs, "Train N passes over the training split")
            ->check(cli::whole<long long>(1, 1000000));
        app.add_option("--minutes", o->minutes, "Wall-clock budget in minutes")
            ->check(cli::positive(1e7));
        app.add_option("--profile", o->profile,
                       "Budget when none is given: quick (50 batches) or full (5 epochs)")
            ->check(cli::one_of({"quick", "full"}));
        app.add_option("--device", o->device, "auto, cpu, cuda or cuda:N")
            ->check(cli::values({"auto", "cpu", "cuda", "cuda:0"}));
        app.add_flag("--amp", o->amp, "bf16 autocast (CUDA only)");
        app.add_flag("--diagnose", o->diagnose,
                     "Per-layer gradient norms and activation statistics");
        app.add_option("--hypothesis", o->hypothesis, "What this run should show (recorded)");
        app.add_option("--expect", o->expect,
                       "Expected result, e.g. \"psnr>=20\"; exit 1 when not met");
        app.add_option("--resume", o->resume, "Continue the run in this folder (runs/<id>)")
            ->type_name("DIR");
        app.add_option("--out", o->out, "Folder for run records (default runs)")->type_name("DIR");
        app.add_option("--seed", o->seed, "Seed for initialisation, split and shuffling")
            ->check(cli::whole<long long>(0));
        app.add_option("--threads", o->threads, "CPU threads for libtorch (0: its default)")
            ->check(cli::whole<int>(0, 1024));
        app.add_option("--stop-at-step", o->stop_at_step,
                       "Stop after step N as if interrupted (checkpoint, exit 130)")
            ->check(cli::whole<long long>(0));
        app.add_option("--nproc", o->nproc,
                       "Data-parallel training: start N ranks on this host (Gloo on CPU)")
            ->check(cli::whole<int>(1, 1024));
        app.add_option("--dist-timeout", o->dist_timeout,
                       "Seconds a rank waits for the others before it gives up (default 180)")
            ->check(cli::real(1, 86400));
        app.add_option("--emit-sbatch", o->emit_sbatch,
                       "Write a Slurm array job over the seeds to FILE and exit")
            ->type_name("FILE");
        return [o, &ctx]() { return prototype_main(*o, ctx); };
      }};
}

Command exp_command() {
  return {
      "exp", "list and show experiment records (runs/<id>/record.yaml)",
      [](CLI::App& app, Context& ctx) -> Runner {
        auto runs = std::make_shared<std::string>("runs");
        auto id = std::make_shared<std::string>();
        app.require_subcommand(1);
        CLI::App* list = app.add_subcommand("list", "one line per recorded run");
        list->add_option("--runs", *runs, "Folder of run records (default runs)")->type_name("DIR");
        CLI::App* show = app.add_subcommand("show", "a run's record in the lab's log template");
        show->add_option("id", *id, "Run id (EXP-YYYYMMDD-NNN, a unique suffix, or a folder)")
            ->required();
        show->add_option("--runs", *runs, "Folder of run records (default runs)")->type_name("DIR");
        return [runs, id, list, &ctx]() { return run_exp(ctx, *runs, *id, list->parsed()); };
      }};
}

}  // namespace rlab
