// The `prototype:` section (and the experiment file around it): its declaration, and the
// resolved config read from a checked section.
#include "rlab/commands.h"
#include "rlab/config_schema.h"
#include "rlab/text.h"
#include "rlab/train_json.h"

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

// `data:` of the section.
config::Key data_key() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  const long long kMax = std::numeric_limits<long long>::max();
  return map(
      "data",
      {
          choice("dataset", {"fashion-mnist", "idx", "cifar10", "synthetic"},
                 "which data (default fashion-mnist, the Debian package's files)", "fashion-mnist"),
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
          integer("test_limit", 0, kMax, "evaluate on the first N test images (0: all)", "0"),
          integer("samples", 8, 10000000, "synthetic: images (default 512)"),
          integer("size", 4, 1024, "synthetic: side in pixels (default 16)"),
          integer("channels", 1, 16, "synthetic: channels (default 1)"),
          integer("classes", 2, 1000, "synthetic: classes (default 4)"),
          integer("seed", 0, kMax, "synthetic: seed of the images (default 0)"),
      },
      "the data (default: Fashion-MNIST)");
}

// `slurm:` of the section.
config::Key slurm_key() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  return map(
      "slurm",
      {
          checked(text("partition", "#SBATCH --partition"), one_word),
          checked(text("account", "#SBATCH --account"), one_word),
          checked(text("qos", "#SBATCH --qos"), one_word),
          checked(text("time", "minutes or [D-]HH:MM:SS"),
                  [](const ConfigNode& n) {
                    const std::string t = n.as_string();
                    if (t.empty() || t.find_first_not_of("0123456789:-") != std::string::npos)
                      n.fail("'slurm.time' must be minutes or [D-]HH:MM:SS, got '" + t + "'");
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
      "resources of --emit-sbatch (absent or empty: Slurm's defaults)");
}

}  // namespace

const config::Section& prototype_config_section() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  const long long kMax = std::numeric_limits<long long>::max();
  const double kInf = std::numeric_limits<double>::infinity();
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
          data_key(),
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
                      checked(number("lr", -kInf, kInf, "learning rate, > 0", "0.001"),
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
          slurm_key(),
      }};
  return kSection;
}

namespace prototype_cmd {

const char* const kFashionDir = "/usr/share/datasets/fashion-mnist";

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
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

// `k` of map `n` into `field` when present.
void read_into(const ConfigNode& n, const char* k, long long& field) {
  if (n.has(k)) field = n[k].as_int();
}
void read_into(const ConfigNode& n, const char* k, int& field) {
  if (n.has(k)) field = static_cast<int>(n[k].as_int());
}
void read_into(const ConfigNode& n, const char* k, double& field) {
  if (n.has(k)) field = n[k].as_double();
}
void read_into(const ConfigNode& n, const char* k, bool& field) {
  if (n.has(k)) field = n[k].as_bool();
}
void read_into(const ConfigNode& n, const char* k, std::string& field) {
  if (n.has(k)) field = n[k].as_string();
}

const char* const kDataFiles[] = {"train_images", "train_labels", "test_images", "test_labels"};
const char* const kSyntheticKeys[] = {"samples", "size", "channels", "classes", "seed"};

DataConfig read_data(const ConfigNode& d, const std::string& file, json& where) {
  DataConfig c;
  if (!d.defined() || d.is_null()) {
    c.path = kFashionDir;
    where["data.path"] = file.empty() ? "data.path" : file;
    return c;
  }
  where["data"] = d.location().str();
  read_into(d, "dataset", c.dataset);
  const std::string& ds = c.dataset;
  if (d.has("path")) {
    c.path = absolute_path(relative_to(file, d["path"].as_string()));
    where["data.path"] = d["path"].location().str();
  } else if (ds == "fashion-mnist") {
    c.path = kFashionDir;
    where["data.path"] = d.has("dataset") ? d["dataset"].location().str() : d.location().str();
  } else if (ds != "synthetic" && !d.has("train_images")) {
    d.fail("data.dataset '" + ds + "' needs 'path' (a directory with the files)");
  }
  for (const char* k : kDataFiles) {
    if (d.has(k)) {
      if (ds != "idx" && ds != "fashion-mnist")
        d[k].fail("'data." + std::string(k) + "' applies to IDX datasets only");
      c.files[k] = absolute_path(relative_to(file, d[k].as_string()));
      where[std::string("data.") + k] = d[k].location().str();
    }
  }
  read_into(d, "validation", c.validation);
  if (d.has("split_seed")) c.split_seed = d["split_seed"].as_int();
  read_into(d, "normalize", c.normalize);
  read_into(d, "limit", c.limit);
  read_into(d, "test_limit", c.test_limit);
  if (ds == "synthetic") {
    prototype::SyntheticSpec& sy = c.synthetic;
    read_into(d, "samples", sy.samples);
    read_into(d, "size", sy.size);
    read_into(d, "channels", sy.channels);
    read_into(d, "classes", sy.classes);
    if (d.has("seed")) sy.seed = static_cast<std::uint64_t>(d["seed"].as_int());
  } else {
    for (const char* k : kSyntheticKeys) {
      if (d.has(k))
        d[k].fail("'data." + std::string(k) + "' applies to the synthetic dataset only");
    }
  }
  return c;
}

train::ModelConfig read_model(const ConfigNode& m, const std::string& file, json& where) {
  train::ModelConfig c;  // type autoencoder
  bool has_channels = false;
  bool has_hidden = false;
  if (m.defined() && !m.is_null()) {
    if (m.is_scalar()) {
      c.type = m.as_string();
    } else {
      read_into(m, "type", c.type);
      if (m.has("torchscript")) {
        if (m.has("type") && c.type != "torchscript")
          m["torchscript"].fail("'model.torchscript' needs type torchscript (or no type)");
        c.type = "torchscript";
        c.file = m["torchscript"].as_string();
        where["model.file"] = m["torchscript"].location().str();
      }
      if (m.has("file")) {
        c.file = m["file"].as_string();
        where["model.file"] = m["file"].location().str();
      }
      if (c.type == "torchscript") {
        if (!m.has("file") && !m.has("torchscript"))
          m.fail("model type torchscript needs 'file' (or 'torchscript: FILE')");
        c.file = absolute_path(relative_to(file, c.file));
        c.where = where["model.file"].get<std::string>();
        if (!path_exists(c.file)) {
          throw InputError(c.where + ": TorchScript file '" + c.file + "' does not exist");
        }
        c.task.clear();  // the run decides from the data, unless given
        read_into(m, "task", c.task);
      } else {
        for (const char* k : {"file", "task"}) {
          if (m.has(k))
            m[k].fail("'model." + std::string(k) + "' applies to torchscript models only");
        }
      }
      if (m.has("channels")) {
        if (c.type == "torchscript")
          m["channels"].fail("'model.channels' does not apply to torchscript models");
        c.channels = int_list(m["channels"]);
        has_channels = true;
      }
      if (m.has("hidden")) {
        if (c.type != "classifier")
          m["hidden"].fail("'model.hidden' applies to the classifier only");
        read_into(m, "hidden", c.hidden);
        has_hidden = true;
      }
      where["model"] = m.location().str();
    }
  }
  if (c.type == "autoencoder") {
    if (!has_channels) c.channels = {16, 32};
    c.task = "reconstruction";
  } else if (c.type == "classifier") {
    if (!has_channels) c.channels = {32, 64};
    if (!has_hidden) c.hidden = 128;
    c.task = "classification";
  }
  return c;
}

train::OptimizerConfig read_optimizer(const ConfigNode& o, json& where) {
  train::OptimizerConfig c;
  std::optional<double> wd;
  if (o.defined() && !o.is_null()) {
    if (o.is_scalar()) {
      c.name = o.as_string();
    } else {
      read_into(o, "name", c.name);
      read_into(o, "lr", c.lr);
      read_into(o, "momentum", c.momentum);
      read_into(o, "clip_grad_norm", c.clip_grad_norm);
      if (o.has("weight_decay")) wd = o["weight_decay"].as_double();
      read_into(o, "nesterov", c.nesterov);
      if (o.has("betas")) {
        c.beta1 = o["betas"].at(0).as_double();
        c.beta2 = o["betas"].at(1).as_double();
      }
      if (c.nesterov && (c.name != "sgd" || c.momentum <= 0)) {
        o["nesterov"].fail("'optimizer.nesterov' needs sgd with momentum > 0");
      }
      where["optimizer"] = o.location().str();
    }
  }
  c.weight_decay = wd ? *wd : (c.name == "adamw" ? 0.01 : 0.0);
  return c;
}

train::ScheduleConfig read_schedule(const ConfigNode& s) {
  train::ScheduleConfig c;
  if (!s.defined() || s.is_null()) return c;
  if (s.is_scalar()) {
    c.name = s.as_string();
    return c;
  }
  read_into(s, "name", c.name);
  read_into(s, "step_size", c.step_size);
  read_into(s, "gamma", c.gamma);
  read_into(s, "min_factor", c.min_factor);
  read_into(s, "warmup_steps", c.warmup_steps);
  return c;
}

std::optional<train::EarlyStoppingConfig> read_early_stopping(const ConfigNode& e,
                                                              const std::string& task) {
  if (!e.defined() || e.is_null()) return std::nullopt;
  train::EarlyStoppingConfig c;
  read_into(e, "metric", c.metric);
  read_into(e, "patience", c.patience);
  read_into(e, "min_delta", c.min_delta);
  const std::string& metric = c.metric;
  c.mode = metric == "val_accuracy" || metric == "val_psnr" ? "max" : "min";
  if (e.has("mode") && e["mode"].as_string() != "auto") c.mode = e["mode"].as_string();
  const bool cls_metric = metric == "val_accuracy";
  const bool rec_metric = metric == "val_mse" || metric == "val_psnr";
  if ((cls_metric && task == "reconstruction") || (rec_metric && task == "classification")) {
    e["metric"].fail("'early_stopping.metric' " + metric + " does not exist for a " + task +
                     " model");
  }
  return c;
}

}  // namespace

Resolved resolve(const ConfigNode* root_ptr, const ConfigNode* s_ptr, const std::string& file) {
  Resolved r;
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
  read_into(s, "name", r.name);
  read_into(s, "hypothesis", r.hypothesis);
  if (s.has("expect")) {
    r.expect = s["expect"].as_string();
    r.expect_where = s["expect"].location().str();
  }
  if (s.has("out")) r.out = relative_to(file, s["out"].as_string());
  RunConfig& c = r.cfg;
  train::TrainConfig& t = c.train;
  c.data = read_data(s["data"], file, where);
  t.model = read_model(s["model"], file, where);
  t.optimizer = read_optimizer(s["optimizer"], where);
  t.schedule = read_schedule(s["schedule"]);
  if (s.has("budget")) {
    const ConfigNode b = s["budget"];
    read_into(b, "profile", c.budget.profile);
    if (b.has("max_batches")) c.budget.max_batches = b["max_batches"].as_int();
    if (b.has("epochs")) c.budget.epochs = b["epochs"].as_int();
    if (b.has("minutes")) c.budget.minutes = b["minutes"].as_double();
  }
  read_into(s, "batch_size", t.batch_size);
  read_into(s, "eval_every", t.eval_every);
  read_into(s, "log_every", t.log_every);
  read_into(s, "checkpoint_every", t.checkpoint_every);
  if (s.has("seed")) t.seed = static_cast<std::uint64_t>(s["seed"].as_int());
  read_into(s, "threads", t.threads);
  if (s.has("device")) {
    t.device = s["device"].as_string();
    where["device"] = s["device"].location().str();
  }
  read_into(s, "amp", t.amp);
  read_into(s, "diagnose", t.diagnose);
  t.early_stopping = read_early_stopping(s["early_stopping"], t.model.task);
  if (s.has("checks")) {
    const ConfigNode k = s["checks"];
    read_into(k, "no_progress_steps", t.checks.no_progress_steps);
    read_into(k, "exploding_grad_norm", t.checks.exploding_grad_norm);
    read_into(k, "vanishing_grad_norm", t.checks.vanishing_grad_norm);
    read_into(k, "overfit_gap", t.checks.overfit_gap);
  }
  return r;
}

json model_json(const train::ModelConfig& m) {
  json j = train::to_json(m);
  if (m.task.empty()) j.erase("task");  // a TorchScript model's task, before the run decides it
  return j;
}

json config_json(const RunConfig& c) {
  json j = train::to_json(c.train);
  // What the run adds to the config is not part of it.
  for (const char* k :
       {"normalize", "distributed", "max_steps", "minutes", "stop_at_step", "run_dir", "resume"}) {
    j.erase(k);
  }
  j["model"] = model_json(c.train.model);
  j["seed"] = static_cast<long long>(c.train.seed);
  const DataConfig& d = c.data;
  json data = {{"dataset", d.dataset},
               {"validation", d.validation},
               {"normalize", d.normalize},
               {"limit", d.limit},
               {"test_limit", d.test_limit}};
  if (!d.path.empty()) data["path"] = d.path;
  for (const auto& [k, f] : d.files) data[k] = f;
  if (d.split_seed) data["split_seed"] = *d.split_seed;
  if (d.dataset == "synthetic") {
    data["samples"] = d.synthetic.samples;
    data["size"] = d.synthetic.size;
    data["channels"] = d.synthetic.channels;
    data["classes"] = d.synthetic.classes;
    data["seed"] = static_cast<long long>(d.synthetic.seed);
  }
  j["data"] = data;
  json budget = {{"profile", c.budget.profile}};
  if (c.budget.max_batches) budget["max_batches"] = *c.budget.max_batches;
  if (c.budget.epochs) budget["epochs"] = *c.budget.epochs;
  if (c.budget.minutes) budget["minutes"] = *c.budget.minutes;
  j["budget"] = budget;
  return j;
}

RunConfig config_from_record(const json& j, const std::string& where) {
  RunConfig c;
  json trainer = j;
  for (const char* adapter_key : {"data", "budget"}) trainer.erase(adapter_key);
  try {
    c.train = train::config_from_json(trainer);
  } catch (const train::SchemaError& e) {
    throw InputError(where + ": " + e.what());
  }
  try {
    const json d = j.value("data", json::object());
    DataConfig& data = c.data;
    data.dataset = d.value("dataset", data.dataset);
    data.path = d.value("path", "");
    for (const char* k : kDataFiles) {
      if (d.contains(k)) data.files[k] = d[k].get<std::string>();
    }
    data.validation = d.value("validation", data.validation);
    if (d.contains("split_seed")) data.split_seed = d["split_seed"].get<long long>();
    data.normalize = d.value("normalize", data.normalize);
    data.limit = d.value("limit", 0LL);
    data.test_limit = d.value("test_limit", 0LL);
    if (data.dataset == "synthetic") {
      data.synthetic.samples = d.value("samples", data.synthetic.samples);
      data.synthetic.size = d.value("size", data.synthetic.size);
      data.synthetic.channels = d.value("channels", data.synthetic.channels);
      data.synthetic.classes = d.value("classes", data.synthetic.classes);
      data.synthetic.seed = d.value("seed", data.synthetic.seed);
    }
    const json b = j.value("budget", json::object());
    c.budget.profile = b.value("profile", c.budget.profile);
    if (b.contains("max_batches")) c.budget.max_batches = b["max_batches"].get<long long>();
    if (b.contains("epochs")) c.budget.epochs = b["epochs"].get<long long>();
    if (b.contains("minutes")) c.budget.minutes = b["minutes"].get<double>();
  } catch (const json::exception& e) {
    throw InputError(where + ": the record's config: " + e.what());
  }
  return c;
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
