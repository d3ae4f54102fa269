// The `prototype:` section (and the experiment file around it) -> the resolved config.
#include "rlab/text.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>

#include "command_parts.h"

namespace rlab::prototype_cmd {

const char* const kFashionDir = "/usr/share/datasets/fashion-mnist";

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
  return path.empty() ? path : resolve_beside(config_file, path);
}

namespace {

std::vector<int> int_list(const ConfigNode& n, int min, int max) {
  std::vector<int> v;
  if (!n.is_sequence() || n.size() == 0)
    n.fail("'" + n.path() + "' must be a non-empty list of integers");
  for (const ConfigNode& c : n.items()) v.push_back(static_cast<int>(c.as_int(min, max)));
  return v;
}

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
        if (!path_exists(j["file"])) {
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

}  // namespace

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

}  // namespace rlab::prototype_cmd
