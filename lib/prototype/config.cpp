// The `prototype:` section (and the experiment file around it): its declaration, and the
// resolved config read from a checked section.
#include "rlab/commands.h"
#include "rlab/config_schema.h"
#include "rlab/text.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <limits>

#include "command_parts.h"

namespace rlab {

namespace {

// 'slurm.KEY' is one word: it is written unquoted into the #SBATCH lines.
void one_word(const ConfigNode& n) {
  const std::string v = n.as_string();
  const std::string path = n.path();
  if (v.empty() || v.find_first_of(" \t\n'\"") != std::string::npos)
    n.fail("'slurm." + path.substr(path.rfind('.') + 1) + "' must be one word without quotes");
}

// slurm.seeds / experiment.seeds: a list of seeds, or a count N meaning 0..N-1.
std::vector<long long> seeds_of(const ConfigNode& n) {
  std::vector<long long> v;
  if (n.is_sequence()) {
    if (n.size() == 0) n.fail("'" + n.path() + "' is empty");
    for (const ConfigNode& c : n.items()) v.push_back(c.as_int(0, 4000000000LL));
  } else {
    const long long count = n.as_int(1, 100000);
    for (long long i = 0; i < count; ++i) v.push_back(i);
  }
  return v;
}

// One line of the job script: 'slurm.setup' and 'slurm.extra' entries.
void one_line(const ConfigNode& n) {
  if (n.as_string().find('\n') != std::string::npos) n.fail("one line per entry, please");
}

}  // namespace

const config::Section& prototype_config_section() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  const long long kMax = std::numeric_limits<long long>::max();
  const double kLowest = std::numeric_limits<double>::lowest();
  const double kHighest = std::numeric_limits<double>::max();
  static const Section kSection{
      "prototype",
      "rlab prototype: train a small model on real data to test a hypothesis (flags win over "
      "these keys)",
      {
          text("name", "the run's name in its record (default: experiment.name)"),
          text("hypothesis", "what this run should show (recorded)",
               "the autoencoder reconstructs Fashion-MNIST"),
          text("expect", "the expected result, e.g. \"psnr>=20\"; exit 1 when it is not met"),
          text("out", "folder of the run records, relative to this file (default runs)"),
          map("data",
              {
                  choice("dataset", {"fashion-mnist", "idx", "cifar10", "synthetic"},
                         "which data (default fashion-mnist, the Debian package's files)",
                         "fashion-mnist"),
                  text("path", "a folder with the dataset's files, relative to this file"),
                  text("train_images", "IDX file of the training images (idx, fashion-mnist)"),
                  text("train_labels", "IDX file of the training labels"),
                  text("test_images", "IDX file of the test images"),
                  text("test_labels", "IDX file of the test labels"),
                  number("validation", 0, 0.9,
                         "share of the training set held out for validation (seeded split)", "0.1"),
                  integer("split_seed", 0, kMax, "seed of the split (default: seed)"),
                  flag("normalize", "standardise each channel (classification)", "true"),
                  integer("limit", 0, kMax, "train on the first N images (0: all)", "0"),
                  integer("test_limit", 0, kMax, "evaluate on the first N test images (0: all)",
                          "0"),
                  integer("samples", 8, 10000000, "synthetic: images (default 512)"),
                  integer("size", 4, 1024, "synthetic: side in pixels (default 16)"),
                  integer("channels", 1, 16, "synthetic: channels (default 1)"),
                  integer("classes", 2, 1000, "synthetic: classes (default 4)"),
                  integer("seed", 0, kMax, "synthetic: seed of the images (default 0)"),
              },
              "the data (default: Fashion-MNIST)"),
          or_scalar(
              map("model",
                  {
                      choice("type", {"autoencoder", "classifier", "torchscript"},
                             "the model (default autoencoder)", "autoencoder"),
                      checked(list_of("channels", integer("", 1, 4096, "channels of one layer"),
                                      "convolution channels (default [16, 32]; classifier "
                                      "[32, 64])",
                                      "[16, 32]"),
                              [](const ConfigNode& n) {
                                if (n.size() == 0)
                                  n.fail("'" + n.path() + "' must be a non-empty list of integers");
                              }),
                      integer("hidden", 1, 1 << 20, "classifier: hidden units (default 128)"),
                      text("file", "torchscript: the module file, relative to this file"),
                      text("torchscript", "the module file: the same as type torchscript + file"),
                      choice("task", {"classification", "reconstruction"},
                             "torchscript: the task (default: classification with labels)"),
                  },
                  "the model; 'model: classifier' names just its type"),
              choice("", {"autoencoder", "classifier"}, "the model's type")),
          or_scalar(
              map("optimizer",
                  {
                      choice("name", {"adam", "adamw", "sgd", "layerwise-adam"},
                             "the optimiser (default adam)", "adam"),
                      checked(number("lr", kLowest, kHighest, "learning rate, > 0", "0.001"),
                              [](const ConfigNode& n) {
                                const double v = n.as_double();
                                if (!(v > 0))
                                  n.fail("'" + n.path() + "' is " + format_number(v) +
                                         ", must be > 0");
                              }),
                      number("weight_decay", 0, 1, "weight decay (default 0; adamw 0.01)"),
                      number("momentum", 0, 0.999999, "sgd: momentum", "0.9"),
                      flag("nesterov", "sgd: Nesterov momentum (needs momentum > 0)", "false"),
                      checked(list_of("betas", number("", 0, 0.999999, "one beta"),
                                      "adam, adamw, layerwise-adam: the two betas", "[0.9, 0.999]"),
                              [](const ConfigNode& n) {
                                if (n.size() != 2)
                                  n.fail(
                                      "'optimizer.betas' must be a list of two numbers in "
                                      "[0, 1)");
                              }),
                      number("clip_grad_norm", 0, 1e9,
                             "clip the gradient norm to this (0: no clipping)", "0"),
                  },
                  "the optimiser; 'optimizer: sgd' names just the optimiser"),
              choice("", {"adam", "adamw", "sgd", "layerwise-adam"}, "the optimiser")),
          or_scalar(
              map("schedule",
                  {
                      choice("name", {"constant", "cosine", "step"},
                             "the factor on the learning rate (default constant)", "constant"),
                      integer("step_size", 1, kMax, "step: steps per factor gamma", "100"),
                      number("gamma", 0, 1, "step: the factor", "0.1"),
                      number("min_factor", 0, 1, "cosine: the factor at the last step", "0"),
                      integer("warmup_steps", 0, kMax, "linear warm-up steps", "0"),
                  },
                  "the learning-rate schedule; 'schedule: cosine' names just the schedule"),
              choice("", {"constant", "cosine", "step"}, "the schedule")),
          map("budget",
              {
                  choice("profile", {"quick", "full"},
                         "without a budget: quick (50 batches) or full (5 epochs)", "quick"),
                  integer("max_batches", 1, kMax / 4, "stop after N training steps"),
                  integer("epochs", 1, 1000000, "train N passes over the training split"),
                  checked(number("minutes", 0, 1e7, "wall-clock budget in minutes, > 0"),
                          [](const ConfigNode& n) {
                            if (n.as_double() <= 0) n.fail("'budget.minutes' must be > 0");
                          }),
              },
              "how long to train (the first limit reached ends the run)"),
          integer("batch_size", 1, 65536, "images per step (global in a data-parallel run)", "64"),
          integer("eval_every", 0, kMax,
                  "evaluate every N steps (0: at the end; an epoch with full or early stopping)",
                  "0"),
          integer("log_every", 1, kMax, "a metrics line every N steps", "10"),
          integer("checkpoint_every", 0, kMax, "checkpoint every N steps (0: at the end)", "0"),
          map("early_stopping",
              {
                  choice("metric", {"val_loss", "val_accuracy", "val_mse", "val_psnr"},
                         "the metric watched (default val_loss)"),
                  integer("patience", 1, 1000000,
                          "evaluations without improvement before stopping (default 3)"),
                  number("min_delta", 0, 1e9, "the least change that counts (default 0)"),
                  choice("mode", {"auto", "min", "max"},
                         "min or max is better (default auto: max for accuracy and psnr)"),
              },
              "stop when the metric stops improving (absent or empty: never)"),
          integer("seed", 0, kMax, "seed of initialisation, split and shuffling", "0"),
          text("device", "auto, cpu, cuda or cuda:N", "auto"),
          flag("amp", "bf16 autocast (CUDA only)", "false"),
          integer("threads", 0, 1024, "libtorch CPU threads (0: its default)", "0"),
          flag("diagnose", "per-layer gradient norms and activation statistics", "false"),
          map("checks",
              {
                  integer("no_progress_steps", 0, kMax,
                          "steps without a lower loss before the no-progress warning", "25"),
                  number("exploding_grad_norm", 0, 1e300, "gradient norm called exploding", "1000"),
                  number("vanishing_grad_norm", 0, 1e300, "gradient norm called vanishing", "1e-7"),
                  number("overfit_gap", 0, 1, "validation-training gap called overfitting", "0.25"),
              },
              "thresholds of the training diagnostics"),
          map("slurm",
              {
                  checked(text("partition", "#SBATCH --partition"), one_word),
                  checked(text("account", "#SBATCH --account"), one_word),
                  checked(text("qos", "#SBATCH --qos"), one_word),
                  checked(text("time", "minutes or [D-]HH:MM:SS"),
                          [](const ConfigNode& n) {
                            const std::string t = n.as_string();
                            if (t.empty() ||
                                t.find_first_not_of("0123456789:-") != std::string::npos)
                              n.fail("'slurm.time' must be minutes or [D-]HH:MM:SS, got '" + t +
                                     "'");
                          }),
                  integer("nodes", 1, 4096, "nodes per task"),
                  integer("gpus", 0, 64, "GPUs per task"),
                  integer("cpus_per_task", 1, 1024, "CPUs per task"),
                  checked(text("mem", "memory per node, e.g. 16G"), one_word),
                  checked(text("output", "the log file pattern"), one_word),
                  checked(text("job_name", "the job's name"), one_word),
                  any("seeds", "seeds of the array: a list, or a count N for 0..N-1", "",
                      [](const ConfigNode& n) { (void)seeds_of(n); }),
                  list_of("setup", checked(text("", "one shell line"), one_line),
                          "shell lines run before rlab (module load, ...)"),
                  list_of("extra",
                          checked(text("", "one sbatch option"),
                                  [](const ConfigNode& n) {
                                    one_line(n);
                                    const std::string line = n.as_string();
                                    if (line.rfind("--", 0) != 0)
                                      n.fail(
                                          "'slurm.extra' entries are sbatch options "
                                          "starting with --, got '" +
                                          line + "'");
                                  }),
                          "more sbatch options, each starting with --"),
              },
              "resources of --emit-sbatch (absent or empty: Slurm's defaults)"),
      }};
  return kSection;
}

namespace prototype_cmd {

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

// Every value read below was checked against prototype_config_section(): the readers only
// apply defaults and the rules between keys.

std::vector<int> int_list(const ConfigNode& n) {
  std::vector<int> v;
  for (const ConfigNode& c : n.items()) v.push_back(static_cast<int>(c.as_int()));
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
  where["data"] = d.location().str();
  if (d.has("dataset")) j["dataset"] = d["dataset"].as_string();
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
  if (d.has("validation")) j["validation"] = d["validation"].as_double();
  for (const char* k : {"split_seed", "limit", "test_limit"}) {
    if (d.has(k)) j[k] = d[k].as_int();
  }
  if (d.has("normalize")) j["normalize"] = d["normalize"].as_bool();
  if (ds == "synthetic") {
    const std::pair<const char*, long long> defaults[] = {
        {"samples", 512}, {"size", 16}, {"channels", 1}, {"classes", 4}, {"seed", 0}};
    for (const auto& [k, v] : defaults) j[k] = d.has(k) ? d[k].as_int() : v;
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
      j["type"] = m.as_string();
    } else {
      if (m.has("type")) j["type"] = m["type"].as_string();
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
        if (m.has("task")) j["task"] = m["task"].as_string();
      } else {
        for (const char* k : {"file", "task"}) {
          if (m.has(k))
            m[k].fail("'model." + std::string(k) + "' applies to torchscript models only");
        }
      }
      if (m.has("channels")) {
        if (j["type"] == "torchscript")
          m["channels"].fail("'model.channels' does not apply to torchscript models");
        j["channels"] = int_list(m["channels"]);
      }
      if (m.has("hidden")) {
        if (j["type"] != "classifier")
          m["hidden"].fail("'model.hidden' applies to the classifier only");
        j["hidden"] = m["hidden"].as_int();
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
  std::optional<double> wd;
  if (o.defined() && !o.is_null()) {
    if (o.is_scalar()) {
      j["name"] = o.as_string();
    } else {
      if (o.has("name")) j["name"] = o["name"].as_string();
      for (const char* k : {"lr", "momentum", "clip_grad_norm"}) {
        if (o.has(k)) j[k] = o[k].as_double();
      }
      if (o.has("weight_decay")) wd = o["weight_decay"].as_double();
      if (o.has("nesterov")) j["nesterov"] = o["nesterov"].as_bool();
      if (o.has("betas")) {
        j["beta1"] = o["betas"].at(0).as_double();
        j["beta2"] = o["betas"].at(1).as_double();
      }
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
  if (!s.defined() || s.is_null()) return j;
  if (s.is_scalar()) {
    j["name"] = s.as_string();
    return j;
  }
  if (s.has("name")) j["name"] = s["name"].as_string();
  for (const char* k : {"step_size", "warmup_steps"}) {
    if (s.has(k)) j[k] = s[k].as_int();
  }
  for (const char* k : {"gamma", "min_factor"}) {
    if (s.has(k)) j[k] = s[k].as_double();
  }
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
    // A file that is the section itself may also hold the shared experiment section.
    std::vector<config::Key> keys = prototype_config_section().keys;
    keys.push_back(config::any("version", "the file's version"));
    keys.push_back(config::any("experiment", "the shared experiment section"));
    config::check(s, keys);
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
    if (b.has("profile")) budget["profile"] = b["profile"].as_string();
    for (const char* k : {"max_batches", "epochs"}) {
      if (b.has(k)) budget[k] = b[k].as_int();
    }
    if (b.has("minutes")) budget["minutes"] = b["minutes"].as_double();
  }
  cfg["budget"] = budget;
  const std::pair<const char*, long long> whole[] = {{"batch_size", 64}, {"eval_every", 0},
                                                     {"log_every", 10},  {"checkpoint_every", 0},
                                                     {"seed", 0},        {"threads", 0}};
  for (const auto& [k, v] : whole) cfg[k] = s.has(k) ? s[k].as_int() : v;
  cfg["device"] = "auto";
  if (s.has("device")) {
    cfg["device"] = s["device"].as_string();
    where["device"] = s["device"].location().str();
  }
  cfg["amp"] = s.has("amp") ? s["amp"].as_bool() : false;
  cfg["diagnose"] = s.has("diagnose") ? s["diagnose"].as_bool() : false;
  json es = nullptr;
  if (s.has("early_stopping") && !s["early_stopping"].is_null()) {
    const ConfigNode e = s["early_stopping"];
    es = {{"metric", "val_loss"}, {"patience", 3}, {"min_delta", 0.0}};
    if (e.has("metric")) es["metric"] = e["metric"].as_string();
    if (e.has("patience")) es["patience"] = e["patience"].as_int();
    if (e.has("min_delta")) es["min_delta"] = e["min_delta"].as_double();
    const std::string metric = es["metric"];
    std::string mode = metric == "val_accuracy" || metric == "val_psnr" ? "max" : "min";
    if (e.has("mode") && e["mode"].as_string() != "auto") mode = e["mode"].as_string();
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
    if (c.has("no_progress_steps")) checks["no_progress_steps"] = c["no_progress_steps"].as_int();
    for (const char* k : {"exploding_grad_norm", "vanishing_grad_norm", "overfit_gap"}) {
      if (c.has(k)) checks[k] = c[k].as_double();
    }
  }
  cfg["checks"] = checks;
  r.cfg = cfg;
  return r;
}

// The `slurm:` section (resources of --emit-sbatch) and the seeds of the array: slurm.seeds,
// else experiment.seeds (a list, or a count N meaning 0..N-1).
json read_slurm(const ConfigNode* root, const ConfigNode& s) {
  json j = json::object();
  if (root != nullptr && root->is_map() && root->has("experiment")) {
    const ConfigNode e = (*root)["experiment"];
    if (e.is_map() && e.has("seeds")) j["seeds"] = seeds_of(e["seeds"]);
  }
  if (!s.defined() || !s.has("slurm") || s["slurm"].is_null()) return j;
  const ConfigNode c = s["slurm"];
  for (const char* k : {"partition", "account", "qos", "mem", "output", "job_name", "time"}) {
    if (c.has(k)) j[k] = c[k].as_string();
  }
  for (const char* k : {"nodes", "gpus", "cpus_per_task"}) {
    if (c.has(k)) j[k] = c[k].as_int();
  }
  if (c.has("seeds")) j["seeds"] = seeds_of(c["seeds"]);
  for (const char* k : {"setup", "extra"}) {
    if (!c.has(k)) continue;
    std::vector<std::string> v;
    for (const ConfigNode& x : c[k].items()) v.push_back(x.as_string());
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

}  // namespace prototype_cmd

}  // namespace rlab
