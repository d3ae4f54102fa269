// `rlab bayesopt ask` / `tell`: points proposed for trials that run elsewhere, and their results,
// on a JSON Lines study file or a shared storage.
#include "rlab/error.h"
#include "rlab/text.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "command_parts.h"

namespace rlab::bayesopt_cmd {

namespace {

bool has_config(const Options& o, const Context& ctx) {
  return !o.file.empty() || !ctx.options.config_path.empty() || !o.builtin.empty();
}

// The study in a shared storage, its settings from the stored meta (and the config, if given,
// checked against it).
Job shared_job(bo::StudyStorage& store, const Options& o, Context& ctx, bool may_create) {
  const bool has_config = bayesopt_cmd::has_config(o, ctx);
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
  const bo::Space space = bo::study_space(*meta, name);
  if (has_config) check_meta(job, *meta, name);
  job.space = space;
  job.maximize = meta->value("maximize", false);
  settings_from_meta(job, *meta, name, ctx);
  return job;
}

// The study in a study file: its space and settings from the meta line (a config, if given, must
// have the same space); a new study file gets the config's.
Job file_job(bo::StudyStorage& store, const Options& o, Context& ctx) {
  const std::string where = store.name() + ":1:1";
  const std::optional<json> meta = store.meta();
  if (!meta) {
    const Job job = load_job(o, ctx);
    store.open(meta_for(job));
    return job;
  }
  Job job;
  job.space = bo::study_space(*meta, where);
  if (has_config(o, ctx)) {
    const Job mine = load_job(o, ctx);
    const std::string diff = bo::space_difference(mine.space, meta->value("space", json()));
    if (!diff.empty())
      throw InputError(where + ": the study was made with a different space: " + diff);
  }
  try {
    job.settings.random_state = meta->value("random_state", 0ULL);
    job.settings.n_initial_points = meta->value("n_initial_points", 10);
    job.settings.initial_design =
        bo::parse_initial_design(meta->value("initial_design", std::string("random")));
    job.settings.acquisition =
        bo::parse_acquisition(meta->value("acquisition", std::string("gp_hedge")));
    job.maximize = meta->value("maximize", false);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": malformed study meta: " + e.what());
  }
  return job;
}

void print_asks(const Job& job, const std::vector<Trial>& asks, const Options& o, Context& ctx) {
  json out = json::array();
  Table t;
  t.headers = {"ask"};
  for (const auto& d : job.space.dims) t.headers.push_back(d.name);
  t.headers.push_back("acq");
  for (const auto& r : asks) {
    out.push_back(
        {{"ask", r.id}, {"params", r.params}, {"acq", r.acq}, {"suggest_s", r.suggest_s}});
    std::vector<std::string> row = {std::to_string(r.id)};
    for (const auto& d : job.space.dims) row.push_back(param_cell(r.params[d.name]));
    row.push_back(r.acq);
    t.rows.push_back(row);
  }
  emit(ctx.options.format == Format::kJson ? out.dump(2) + "\n" : render_plain(t), o, ctx);
}

// `tell` on a study file that does not hold a study.
void no_study_file(const std::string& path) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  InputError e(path + (exists ? ": the study file is empty, so it holds no ask to tell"
                              : ": no such study file, so it holds no ask to tell"));
  e.add_note("'rlab bayesopt ask CONFIG --study " + path +
             "' starts a study and prints the ask ids that 'tell' takes");
  throw e;
}

}  // namespace

// `ask`: proposes points for trials that run elsewhere and records them as open asks (running
// trials without heartbeat in a shared storage); asks not yet told are avoided (constant liar).
ExitCode run_ask(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson}, "bayesopt ask");
  if (o.study.empty()) throw UsageError("bayesopt ask needs --study FILE or --storage URL");
  const bo::StorageUrl url = bo::parse_storage_url(o.study);
  if (url.kind == bo::StorageUrl::Kind::kJsonl && !file_exists(o.study) && !has_config(o, ctx)) {
    throw UsageError("bayesopt ask: " + o.study +
                     " does not exist yet; give the config FILE (or --builtin) to start it");
  }
  // Waits (up to --busy-timeout) for another ask/tell on the same study to finish.
  const std::unique_ptr<bo::StudyStorage> store = bo::open_study(url, o.busy_timeout);
  Job job = store->shared() ? shared_job(*store, o, ctx, true) : file_job(*store, o, ctx);
  // An ask/tell loop has no budget unless --n-calls gives one (then its last part is the
  // optimiser's local phase, as in a search).
  job.settings.budget = o.n_calls.value_or(0);
  bool exhausted = false;
  const bo::Reservation res =
      store->reserve(o.n_ask, std::numeric_limits<long long>::max() / 2, "ask:" + worker_id(),
                     o.heartbeat_timeout, false, proposer_for(job, store->name(), &exhausted));
  for (const auto& l : res.lost)
    ctx.log.warn(store->name() + ": trial " + std::to_string(l.id) + " failed: " + l.error);
  if (exhausted && !store->shared()) {  // a shared storage's ask says nothing of it
    ctx.log.warn("all " + format_number(bo::finite_size(job.space).value_or(0), 15) +
                 " points of the search space have been evaluated or asked; " +
                 (res.trials.empty() ? std::string("nothing")
                                     : std::to_string(res.trials.size()) + " point(s)") +
                 " left to ask");
  }
  print_asks(job, res.trials, o, ctx);
  return ExitCode::kSuccess;
}

// `tell`: records the result of an ask (in a study file, as its next trial).
ExitCode run_tell(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson}, "bayesopt tell");
  if (o.study.empty()) throw UsageError("bayesopt tell needs --study FILE or --storage URL");
  if (!o.ask_id) throw UsageError("bayesopt tell needs --ask ID (printed by 'rlab bayesopt ask')");
  if (o.value.has_value() == o.failed)
    throw UsageError("bayesopt tell needs exactly one of --value V and --failed");
  const bo::StorageUrl url = bo::parse_storage_url(o.study);
  if (url.kind == bo::StorageUrl::Kind::kJsonl && !file_exists(o.study)) no_study_file(o.study);
  const std::unique_ptr<bo::StudyStorage> store = bo::open_study(url, o.busy_timeout);
  const std::string& name = store->name();
  const bo::Space space = store->shared() ? shared_job(*store, o, ctx, false).space
                                          : bo::study_space(*store->meta(), name + ":1:1");
  const long long id = *o.ask_id;
  const std::vector<Trial> trials = store->trials();
  // A study file numbers its asks apart from its trials; in a shared storage an ask is a trial.
  const auto answers = [&](const Trial& r) {
    return r.ask ? *r.ask == id : store->shared() && r.id == id;
  };
  auto it = std::find_if(trials.begin(), trials.end(),
                         [&](const Trial& r) { return answers(r) && r.state == "running"; });
  if (it == trials.end()) it = std::find_if(trials.begin(), trials.end(), answers);
  if (it == trials.end()) {
    throw InputError(
        name + ": ask " + std::to_string(id) +
        (store->shared() ? " is not in this study" : " is not an open ask in this study"));
  }
  Trial r = *it;
  (void)bo::point_from_json(space, r.params,
                            store->shared() ? name + ": trial " + std::to_string(r.id) : name);
  if (o.failed) {
    r.state = "failed";
    r.error = o.error_text.empty() ? "reported failed" : o.error_text;
  } else {
    if (!std::isfinite(*o.value)) throw UsageError("--value must be a finite number");
    r.state = "ok";
    r.value = *o.value;
  }
  if (it->state != "running" || !store->finish(r, "")) {
    throw InputError(name + ": ask " + std::to_string(id) + " was already told" +
                     (it->lost ? " (failed as lost)" : ""));
  }
  json j = trial_json(r);
  j.erase("hedge");
  emit(ctx.options.format == Format::kJson
           ? j.dump(2) + "\n"
           : "trial " + std::to_string(r.id) + " recorded (" +
                 (r.value ? format_number(*r.value, 8) : "failed") + ")\n",
       o, ctx);
  return ExitCode::kSuccess;
}

}  // namespace rlab::bayesopt_cmd
