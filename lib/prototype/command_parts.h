// Internal to `rlab prototype`'s adapter: the options, the resolved config and the pieces the
// files share. config.cpp reads the `prototype:` section into a RunConfig (and a record's
// `config` back into one), datasets.cpp loads the data files,
// runs.cpp keeps run folders and records, run.cpp trains and reports, sbatch.cpp writes the
// Slurm array job; command.cpp declares the CLI.
#pragma once

#include "rlab/config.h"
#include "rlab/context.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/prototype.h"
#include "rlab/train.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rlab::prototype_cmd {

using nlohmann::json;
using prototype::format_metric;
using prototype::Images;
using prototype::list_names;
using prototype::read_record;

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

// `data:` of the config, resolved.
struct DataConfig {
  std::string dataset = "fashion-mnist";     // fashion-mnist | idx | cifar10 | synthetic
  std::string path;                          // the dataset's folder; "" when not given
  std::map<std::string, std::string> files;  // train_images, ... named one by one (absolute)
  double validation = 0.1;
  std::optional<long long> split_seed;  // none: the run's seed
  bool normalize = true;
  long long limit = 0;
  long long test_limit = 0;
  prototype::SyntheticSpec synthetic;  // the synthetic dataset's shape
};

// `budget:` of the config.
struct BudgetConfig {
  std::string profile = "quick";
  std::optional<long long> max_batches;
  std::optional<long long> epochs;
  std::optional<double> minutes;
};

// The resolved `prototype:` section: the record's `config` (config_json) and what a resumed run
// reads back (config_from_record). `train` is the training core's config as configured; the run
// adds its plan (steps, normalisation, folder) to a copy before training.
struct RunConfig {
  DataConfig data;
  BudgetConfig budget;
  train::TrainConfig train;
};

struct Resolved {
  RunConfig cfg;
  json where = json::object();  // key -> "file:line:col" for messages from later checks
  std::string name;
  std::string hypothesis;
  std::string expect;
  std::string expect_where;
  std::string out = "runs";
};

struct Loaded {
  Images train;  // before the validation split
  Images test;
  std::string description;
};

// config.cpp
bool is_dir(const std::string& path);
std::string relative_to(const std::string& config_file, const std::string& path);
Resolved resolve(const ConfigNode* root_ptr, const ConfigNode* s_ptr, const std::string& file);
json read_slurm(const ConfigNode* root, const ConfigNode& s);
json config_json(const RunConfig& c);  // the record's `config`
json model_json(const train::ModelConfig& m);
// A record's `config` (to resume); InputError naming `where` when a value does not fit.
RunConfig config_from_record(const json& j, const std::string& where);
void check_device(const std::string& d, const std::string& where);

// datasets.cpp
Loaded load_data(const DataConfig& d, const json& where);

// runs.cpp
std::string utc_now(const char* format);
std::pair<std::string, std::string> new_run_dir(const std::string& out);
std::vector<json> read_metrics(const std::string& path);
std::string text_of(const json& j, const char* key);
json make_analysis(const json& record);
nlohmann::json environment_json(const json& result, const std::string& device);
std::map<std::string, std::string> environment_map();

// run.cpp
ExitCode run_prototype(const Options& o, Context& ctx, const prototype::Distributed& dist);

// sbatch.cpp
ExitCode emit_sbatch(const Options& o, Context& ctx, const Resolved& r, const json& slurm,
                     const std::string& file);

}  // namespace rlab::prototype_cmd
