// `rlab prototype`: config + data -> training core -> experiment record and report.
#include "rlab/files.h"
#include "rlab/output.h"
#include "rlab/process.h"
#include "rlab/text.h"
#include "rlab/train.h"
#include "rlab/train_json.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <fstream>
#include <optional>

#include "command_parts.h"

namespace rlab::prototype_cmd {

namespace {

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

// What one run works with, filled in step by step by the functions below.
struct Run {
  std::string file;  // the config file, "" without one
  Resolved r;
  json slurm = json::object();
  json prior;  // the record of the run being resumed
  std::string run_dir;
  std::string id;
  std::optional<prototype::Expectation> expectation;
  Loaded data;  // test split and description; train before the validation split
  Images train;
  Images val;
  std::uint64_t split_seed = 0;
  std::optional<train::NormalizeConfig> normalize;
  long long batch = 0;
  long long max_steps = 0;
  long long eval_every = 0;
  json record;
};

// The config file (or the resumed run's config) with the command line's flags on top.
void resolve_run(Run& run, const Options& o, Context& ctx) {
  const std::string& file = run.file;
  json& prior = run.prior;
  std::string& run_dir = run.run_dir;
  std::string& id = run.id;
  Resolved& r = run.r;
  json& slurm = run.slurm;
  std::optional<prototype::Expectation>& expectation = run.expectation;
  if (!o.resume.empty()) {
    if (!is_dir(o.resume)) throw InputError("--resume " + o.resume + ": no such run folder");
    prior = read_record(o.resume);
    run_dir = o.resume;
    id = text_of(prior, "id");
    if (!path_exists(run_dir + "/checkpoint.pt")) {
      throw InputError("--resume " + o.resume + ": the run has no checkpoint to continue from");
    }
  }
  if (!file.empty()) {
    const ConfigNode root = load_config_file(file);
    const ConfigNode s = select_section(root, "prototype", ctx.config_sections);
    apply_overrides(s, "prototype", ctx.options.sets);
    r = resolve(&root, &s, file);
    slurm = read_slurm(&root, s);
    if (!prior.is_null()) {
      const json old_model = prior["config"].value("model", json());
      const json new_model = model_json(r.cfg.train.model);
      if (old_model != new_model) {
        throw InputError(r.where.value("model", file) + ": --resume " + o.resume +
                         " trained model " + old_model.dump() + ", this config asks for " +
                         new_model.dump());
      }
    }
  } else if (!prior.is_null()) {
    r.cfg = config_from_record(prior["config"], run_dir + "/record.yaml");
    r.name = text_of(prior, "name");
    r.hypothesis = text_of(prior, "hypothesis");
    const json ex = prior.value("expectation", json());
    if (ex.is_object()) r.expect = text_of(ex, "text");
  } else {
    if (!ctx.options.sets.empty())
      throw UsageError("--set needs a config file (rlab prototype FILE)");
    r = resolve(nullptr, nullptr, "");
  }
  train::TrainConfig& cfg = r.cfg.train;
  // Command-line flags win over the file.
  if (o.max_batches || o.epochs || o.minutes) {
    BudgetConfig b;
    b.profile = r.cfg.budget.profile;
    b.max_batches = o.max_batches;
    b.epochs = o.epochs;
    b.minutes = o.minutes;
    r.cfg.budget = b;
  }
  if (!o.profile.empty()) r.cfg.budget.profile = o.profile;
  if (!o.device.empty()) {
    cfg.device = o.device;
    r.where["device"] = "--device";
  }
  check_device(cfg.device, r.where.value("device", file.empty() ? "device" : file));
  if (o.amp) cfg.amp = true;
  if (o.diagnose) cfg.diagnose = true;
  if (o.seed) cfg.seed = static_cast<std::uint64_t>(*o.seed);
  if (o.threads) cfg.threads = *o.threads;
  if (!o.hypothesis.empty()) r.hypothesis = o.hypothesis;
  if (!o.expect.empty()) {
    r.expect = o.expect;
    r.expect_where = "--expect";
  }
  if (!r.expect.empty()) {
    expectation =
        prototype::parse_expectation(r.expect, r.expect_where.empty() ? "expect" : r.expect_where);
  }
  if (!o.out.empty()) r.out = o.out;
}

// Data: load, limit, split with the seed, normalisation statistics from the training split.
void prepare_data(Run& run) {
  const std::string& file = run.file;
  Resolved& r = run.r;
  const std::optional<prototype::Expectation>& expectation = run.expectation;
  Loaded& data = run.data;
  train::TrainConfig& cfg = r.cfg.train;
  const DataConfig& dcfg = r.cfg.data;
  data = load_data(dcfg, r.where);
  const long long limit = dcfg.limit;
  if (limit > 0 && limit < data.train.count()) {
    std::vector<long long> idx(static_cast<std::size_t>(limit));
    for (long long i = 0; i < limit; ++i) idx[static_cast<std::size_t>(i)] = i;
    data.train = prototype::subset(data.train, idx);
  }
  const long long test_limit = dcfg.test_limit;
  if (test_limit > 0 && test_limit < data.test.count()) {
    std::vector<long long> idx(static_cast<std::size_t>(test_limit));
    for (long long i = 0; i < test_limit; ++i) idx[static_cast<std::size_t>(i)] = i;
    data.test = prototype::subset(data.test, idx);
  }
  const std::uint64_t split_seed = run.split_seed =
      dcfg.split_seed ? static_cast<std::uint64_t>(*dcfg.split_seed) : cfg.seed;
  const prototype::Split split =
      prototype::split_indices(data.train.count(), dcfg.validation, split_seed);
  run.train = prototype::subset(data.train, split.train);
  run.val = prototype::subset(data.train, split.validation);
  const Images& train = run.train;
  const Images& val = run.val;
  if (train.count() == 0)
    throw InputError(r.where.value("data", file) + ": no training images left after the split");
  train::ModelConfig& model = cfg.model;
  if (model.type == "torchscript" && model.task.empty()) {
    model.task = train.labels.empty() ? "reconstruction" : "classification";
  }
  if (model.task == "classification" && train.labels.empty()) {
    throw InputError(r.where.value("model", file) +
                     ": a classification model needs labelled data; '" + data.description +
                     "' has no labels");
  }
  const std::string task = model.task;
  if (expectation) {
    // An expected metric this model never reports would be found missing only after training.
    const std::vector<std::string> available =
        prototype::produced_metrics(task, model.type, val.count() > 0, data.test.count() > 0);
    json names = json::object();
    for (const auto& n : available) names[n] = 0.0;
    if (prototype::resolve_metric(*expectation, names).empty()) {
      std::string list;
      for (const auto& n : available) list += (list.empty() ? "" : ", ") + n;
      throw InputError((r.expect_where.empty() ? std::string("expect") : r.expect_where) +
                       ": metric '" + expectation->metric + "' of the expected result '" +
                       expectation->text + "' is not reported by a " + task + " model (" +
                       model.type + "); it reports: " + list);
    }
  }
  std::optional<train::NormalizeConfig>& normalize = run.normalize;
  if (task == "classification" && dcfg.normalize) {
    std::vector<double> mean;
    std::vector<double> sd;
    prototype::channel_stats(train, mean, sd);
    normalize = train::NormalizeConfig{mean, sd};
  }
}

// Steps per epoch, the step budget and the evaluation interval.
void plan_steps(Run& run, const prototype::Distributed& dist) {
  const std::string& file = run.file;
  const Resolved& r = run.r;
  const RunConfig& cfg = run.r.cfg;
  const Images& train = run.train;
  const long long batch = run.batch = cfg.train.batch_size;
  if (dist.active() && batch < dist.world_size) {
    throw InputError(r.where.value("batch_size", file.empty() ? "batch_size" : file) +
                     ": batch_size " + std::to_string(batch) + " cannot be split across " +
                     std::to_string(dist.world_size) +
                     " ranks (the batch is global: each rank takes batch_size / WORLD_SIZE)");
  }
  const long long spe = (train.count() + batch - 1) / batch;
  const BudgetConfig& budget = cfg.budget;
  long long& max_steps = run.max_steps;
  max_steps = 0;
  const bool any_budget = budget.max_batches || budget.epochs || budget.minutes;
  if (budget.max_batches) max_steps = *budget.max_batches;
  if (budget.epochs) {
    const long long e = *budget.epochs * spe;
    max_steps = max_steps > 0 ? std::min(max_steps, e) : e;
  }
  if (!any_budget) max_steps = budget.profile == "full" ? 5 * spe : 50;
  if (max_steps == 0) max_steps = LLONG_MAX / 4;  // minutes only
  long long& eval_every = run.eval_every;
  eval_every = cfg.train.eval_every;
  if (eval_every == 0 && (budget.profile == "full" || cfg.train.early_stopping)) eval_every = spe;
}

// The run folder and its first record.
void start_record(Run& run, Context& ctx, const prototype::Distributed& dist, bool writer) {
  const Resolved& r = run.r;
  const json& prior = run.prior;
  std::string& run_dir = run.run_dir;
  std::string& id = run.id;
  const Loaded& data = run.data;
  const Images& train = run.train;
  const Images& val = run.val;
  const std::optional<prototype::Expectation>& expectation = run.expectation;
  const long long batch = run.batch;
  const std::uint64_t split_seed = run.split_seed;
  if (run_dir.empty() && writer) {
    std::tie(id, run_dir) = new_run_dir(r.out);
  }
  const std::string created =
      prior.is_null() ? utc_now("%Y-%m-%dT%H:%M:%SZ") : prior.value("created", "");
  json& record = run.record;
  record = {{"id", id},
            {"name", r.name.empty() ? json(nullptr) : json(r.name)},
            {"created", created},
            {"status", "running"},
            {"run_dir", run_dir},
            {"hypothesis", r.hypothesis.empty() ? json(nullptr) : json(r.hypothesis)},
            {"command", ctx.argv},
            {"config", config_json(r.cfg)},
            {"data",
             {{"dataset", r.cfg.data.dataset},
              {"source", data.description},
              {"train", train.count()},
              {"validation", val.count()},
              {"test", data.test.count()},
              {"shape", std::to_string(train.channels) + "x" + std::to_string(train.height) + "x" +
                            std::to_string(train.width)},
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
}

// Trains (metrics.jsonl, progress, log lines) and returns the core's result (JSON text).
std::string train_run(Run& run, const Options& o, Context& ctx, const prototype::Distributed& dist,
                      bool writer) {
  const json& prior = run.prior;
  const std::string& run_dir = run.run_dir;
  const std::string& id = run.id;
  const Loaded& data = run.data;
  const Images& train = run.train;
  const Images& val = run.val;
  json& record = run.record;
  const std::optional<train::NormalizeConfig>& normalize = run.normalize;
  const long long batch = run.batch;
  const long long max_steps = run.max_steps;
  const long long eval_every = run.eval_every;
  // metrics.jsonl: a resumed run drops lines written after its checkpoint was taken.
  const std::string metrics_path = run_dir + "/metrics.jsonl";
  // The configured training, with what this run decided: steps, normalisation, folder, ranks.
  train::TrainConfig train_cfg = run.r.cfg.train;
  train_cfg.max_steps = max_steps;
  train_cfg.minutes = run.r.cfg.budget.minutes.value_or(0.0);
  train_cfg.eval_every = eval_every;
  train_cfg.normalize = normalize;
  train_cfg.run_dir = run_dir;
  train_cfg.resume = !prior.is_null();
  train_cfg.stop_at_step = o.stop_at_step;
  if (dist.active()) {
    train_cfg.distributed =
        train::DistributedConfig{dist.rank,        dist.world_size,  dist.local_rank,
                                 dist.master_addr, dist.master_port, o.dist_timeout};
  }

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
          "step " + std::to_string(m->step) + " train_loss " + format_metric(m->train_loss);
      for (const char* k : {"val_loss", "val_accuracy", "val_psnr"}) {
        const auto v = m->evaluation.find(k);
        if (v != m->evaluation.end()) line += std::string(" ") + k + " " + format_metric(v->second);
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
    const SignalGuard guard(SignalGuard::Mode::kRecordOnce);  // a second signal kills at once
    try {
      result_text = train::run_training(train_cfg, td, on_event, SignalGuard::flag());
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
  return result_text;
}

// Another rank's exit: the same decisions as rank 0 (the metrics are all-reduced), without a
// word.
ExitCode rank_exit(const Run& run, const json& result, const std::string& status) {
  const std::optional<prototype::Expectation>& expectation = run.expectation;
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

// The record's results, expectation, conclusion and next steps; the curves.
void finish_record(Run& run, const json& result, const std::string& status) {
  const Resolved& r = run.r;
  const std::string& run_dir = run.run_dir;
  const std::string& id = run.id;
  const std::optional<prototype::Expectation>& expectation = run.expectation;
  json& record = run.record;
  const std::string metrics_path = run_dir + "/metrics.jsonl";
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
}

void print_result(const Run& run, Context& ctx, const json& result, const std::string& status) {
  const std::string& run_dir = run.run_dir;
  const std::string& id = run.id;
  const json& record = run.record;
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
      t.rows.push_back({k, v.is_number() ? format_metric(v.get<double>()) : v.dump()});
    t.rows.push_back({"steps", std::to_string(result.value("steps", 0LL))});
    t.rows.push_back({"epochs", format_number(result.value("epochs", 0.0), 3)});
    t.rows.push_back({"images/s", format_number(result.value("images_per_s", 0.0), 4)});
    t.rows.push_back(
        {"data loading share", format_number(100 * result.value("data_share", 0.0), 3) + " %"});
    t.rows.push_back({"wall time s", format_number(result.value("wall_s", 0.0), 3)});
    ctx.out << "run " << id << " (" << status << ", " << result.value("device", "")
            << "): " << run_dir << "\n";
    ctx.out << render(t, Format::kTable);
    if (result.contains("layers") && run.r.cfg.train.diagnose) {
      Table d;
      d.headers = {"layer", "grad norm", "act mean", "act std", "act min", "act max", "dead ReLU"};
      d.numeric_columns = {1, 2, 3, 4, 5, 6};
      auto cell = [](const json& l, const char* k) {
        return l.contains(k) && l[k].is_number() ? format_metric(l[k].get<double>())
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
}

}  // namespace

ExitCode run_prototype(const Options& o, Context& ctx, const prototype::Distributed& dist) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd}, "prototype");
  // Data-parallel: rank 0 alone writes the run folder, records, metrics and checkpoints and
  // prints; the other ranks train in step with it and stay silent.
  const bool writer = dist.rank == 0;
  Run run;
  run.file = !o.file.empty() ? o.file : ctx.options.config_path;
  resolve_run(run, o, ctx);
  if (!o.emit_sbatch.empty()) return emit_sbatch(o, ctx, run.r, run.slurm, run.file);
  prepare_data(run);
  plan_steps(run, dist);
  start_record(run, ctx, dist, writer);
  const json result = json::parse(train_run(run, o, ctx, dist, writer));
  const std::string status = result.value("status", "completed");
  if (!writer) return rank_exit(run, result, status);
  finish_record(run, result, status);
  print_result(run, ctx, result, status);
  const std::string& run_dir = run.run_dir;
  const json& record = run.record;
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

}  // namespace rlab::prototype_cmd
