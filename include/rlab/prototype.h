// `rlab prototype` and `rlab exp`: the parts that need no libtorch. Datasets (IDX, CIFAR-10,
// synthetic) are parsed from bytes, split and summarised here; experiment records, metric
// curves and the lab's log template are rendered here. Training itself runs in the training
// core (include/rlab/train.h). No I/O in this module: the adapter reads and writes files.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace rlab::prototype {

/// Images of one shape, 0-255 bytes in NCHW order, and one label per image (or none).
struct Images {
  int channels = 0;
  int height = 0;
  int width = 0;
  int classes =
      0;  ///< Number of classes (max label + 1, or the dataset's known count); 0 without labels.
  std::vector<std::uint8_t> pixels;  ///< count * channels * height * width bytes.
  std::vector<std::int32_t> labels;  ///< count labels, or empty.
  [[nodiscard]] long long count() const {
    const long long per = static_cast<long long>(channels) * height * width;
    return per > 0 ? static_cast<long long>(pixels.size()) / per : 0;
  }
  [[nodiscard]] long long image_size() const {
    return static_cast<long long>(channels) * height * width;
  }
};

/// Inflates gzip data (any number of members); other bytes are returned unchanged. Throws
/// InputError "<name>: corrupt gzip data: ..." when the data starts like gzip but does not inflate.
std::string gunzip_if_needed(const std::string& bytes, const std::string& name);

/// Parses an IDX image file (magic 0x00000803: count, rows, cols) and, when `labels` is not
/// empty, an IDX label file (magic 0x00000801) with the same count. Both may be gzip. Errors
/// (InputError, message starting with the file name): wrong magic, size fields that do not
/// match the data (truncated or trailing bytes), label count different from image count.
Images parse_idx(const std::string& images, const std::string& images_name,
                 const std::string& labels, const std::string& labels_name);

/// Parses CIFAR-10 binary batches (each record: 1 label byte, 3072 pixel bytes, 3x32x32),
/// concatenated in the order given. Errors: size not a multiple of 3073 (truncated), label > 9.
Images parse_cifar10(const std::vector<std::pair<std::string, std::string>>& files);

/// Deterministic synthetic classification data for tests and demos: `classes` patterns (one
/// bright square at a class-specific position) plus uniform noise, all from `seed`.
struct SyntheticSpec {
  long long samples = 512;
  int channels = 1;
  int size = 16;
  int classes = 4;
  std::uint64_t seed = 0;
};
Images synthetic(const SyntheticSpec& spec);

/// The rows [begin, begin + count) of `from` in the order of `index`.
Images subset(const Images& from, const std::vector<long long>& index);

/// Seeded train/validation split of [0, n): a Fisher-Yates permutation (splitmix64 from
/// `seed`); the first round(n * fraction) go to validation, both lists sorted.
struct Split {
  std::vector<long long> train;
  std::vector<long long> validation;
};
Split split_indices(long long n, double validation_fraction, std::uint64_t seed);

/// Per-channel mean and standard deviation of the pixels scaled to [0, 1].
void channel_stats(const Images& images, std::vector<double>& mean, std::vector<double>& stddev);

/// An expected result, e.g. "psnr>=20", "val_accuracy > 0.9", "loss<0.3". The metric is looked
/// up in the run's metrics as written, then with the prefixes "test_" and "val_".
struct Expectation {
  std::string text;
  std::string metric;
  std::string op;  ///< ">=", ">", "<=", "<", "=="
  double value = 0;
};
/// Throws InputError "<where>: ..." for a malformed expression.
Expectation parse_expectation(const std::string& text, const std::string& where);
/// Resolves the metric in `metrics` (see Expectation); returns the name used, "" if absent.
std::string resolve_metric(const Expectation& e, const nlohmann::json& metrics);
bool expectation_met(const Expectation& e, double actual);

/// The metrics a finished run reports, in the order the training core writes them: train_loss;
/// per evaluated split (val_ when `validation`, test_ when `test`) loss and accuracy for
/// classification, loss, mse and psnr for reconstruction; compression_ratio for the
/// autoencoder. Header-only, so a command can check a metric name before it starts a run.
inline std::vector<std::string> produced_metrics(const std::string& task,
                                                 const std::string& model_type, bool validation,
                                                 bool test) {
  std::vector<std::string> out = {"train_loss"};
  for (const auto& [split, on] :
       {std::pair<const char*, bool>{"val_", validation}, {"test_", test}}) {
    if (!on) continue;
    const std::string p = split;
    if (task == "classification") {
      out.insert(out.end(), {p + "loss", p + "accuracy"});
    } else {
      out.insert(out.end(), {p + "loss", p + "mse", p + "psnr"});
    }
  }
  if (model_type == "autoencoder") out.emplace_back("compression_ratio");
  return out;
}

/// The next run id EXP-YYYYMMDD-NNN for `date` (YYYYMMDD) given the names already present.
std::string next_run_id(const std::vector<std::string>& existing, const std::string& date);

/// YAML (block style) for a JSON value; strings are double-quoted JSON strings, which YAML
/// reads back exactly. Used for record.yaml.
std::string to_yaml(const nlohmann::json& value);

/// An SVG chart of a run: the training and validation curves in `rows` (metrics.jsonl objects)
/// with loss on the left panel and the task metric (accuracy or PSNR) on the right, and the
/// final validation and test values of `results` (record.yaml's results: metrics, steps) as
/// points at the last step.
std::string render_svg(const std::vector<nlohmann::json>& rows, const std::string& title,
                       const nlohmann::json& results = nlohmann::json());

/// The record as Markdown in the lab's log template: goal, parameters, expected, actual,
/// failure analysis (from the diagnostics), next steps.
std::string record_markdown(const nlohmann::json& record);

/// Verdict line for a finished run ("hypothesis feasible: ...").
std::string verdict(const nlohmann::json& record);

// Run folders on disk (written by `rlab prototype`, read by `rlab exp`).

/// The names in folder `dir` ("." and ".." left out), sorted; none when it cannot be read.
std::vector<std::string> list_names(const std::string& dir);

/// The record of the run in folder `dir` (its record.yaml) as JSON; InputError when the folder
/// has none or the file is not YAML.
nlohmann::json read_record(const std::string& dir);

/// A metric as tables show it (5 significant digits).
std::string format_metric(double v);

/// Data-parallel settings from torchrun's environment variables (RANK, WORLD_SIZE, LOCAL_RANK,
/// MASTER_ADDR, MASTER_PORT). WORLD_SIZE unset or 1: one process.
struct Distributed {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;
  int master_port = 0;
  [[nodiscard]] bool active() const { return world_size > 1; }
};

/// Reads the variables from `env` (name -> value; absent names are unset). Throws InputError
/// "NAME=value: ..." for a value that is not a number, out of range, or missing where
/// WORLD_SIZE > 1 needs it.
Distributed parse_distributed(const std::map<std::string, std::string>& env);

/// A Slurm batch script for `rlab prototype`: an array job with one task per seed.
struct SbatchSpec {
  std::string job_name = "rlab-prototype";
  std::vector<long long> seeds;  ///< --array indices; each task runs with --seed = its index.
  std::string time = "01:00:00";
  int nodes = 1;
  int gpus_per_node = 0;   ///< --gres=gpu:N.
  int ranks_per_node = 0;  ///< Data-parallel ranks (srun tasks) per node; 0: one per GPU, >= 1.
  int cpus_per_task = 4;
  std::string mem;  ///< e.g. "16G"; "" = the partition's default.
  std::string partition;
  std::string account;
  std::string qos;
  std::string output = "slurm-%A_%a.out";
  std::string workdir;                 ///< --chdir (absolute).
  std::vector<std::string> extra;      ///< More #SBATCH options, verbatim ("--constraint=a100").
  std::vector<std::string> setup;      ///< Shell lines run before rlab (module load ...).
  std::string rlab;                    ///< Absolute path of the rlab binary.
  std::vector<std::string> arguments;  ///< After "rlab prototype": config, flags.
};

/// The script's text. Arguments are single-quoted for the shell; the seeds become
/// "--array=" in Slurm's compact form (0-4,7). Throws InputError for an empty seed list or a
/// negative seed.
std::string sbatch_script(const SbatchSpec& spec);

/// Slurm's compact index list: {0,1,2,3,7,9,10} -> "0-3,7,9-10" (sorted, duplicates dropped).
std::string compact_ranges(std::vector<long long> values);

/// A word quoted for POSIX shells ('it'\''s').
std::string shell_quote(const std::string& word);

}  // namespace rlab::prototype
