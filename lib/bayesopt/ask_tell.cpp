// `rlab bayesopt ask` / `tell`: points proposed for trials that run elsewhere, and their results,
// on a JSON Lines study file or a shared storage.
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "command_parts.h"

namespace rlab::bayesopt_cmd {

namespace {

// The study in a shared storage, its settings from the stored meta (and the config, if given,
// checked against it).
Job shared_job(bo::SharedStudy& store, const Options& o, Context& ctx, bool may_create) {
  const bool has_config = !o.file.empty() || !ctx.options.config_path.empty() || !o.builtin.empty();
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
  const bo::Space space = space_from_meta(*meta, name);
  if (has_config) check_meta(job, *meta, name);
  job.space = space;
  job.maximize = meta->value("maximize", false);
  settings_from_meta(job, *meta, name, ctx);
  return job;
}

ExitCode run_ask_shared(const bo::StorageUrl& url, const Options& o, Context& ctx) {
  std::unique_ptr<bo::SharedStudy> store = bo::open_shared_study(url, o.busy_timeout);
  const Job job = shared_job(*store, o, ctx, true);
  const bo::Reservation res =
      store->reserve(o.n_ask, std::numeric_limits<long long>::max() / 2, "ask:" + worker_id(),
                     o.heartbeat_timeout, false, proposer_for(job, url.shown));
  for (const auto& l : res.lost)
    ctx.log.warn(url.shown + ": trial " + std::to_string(l.id) + " failed: " + l.error);
  json out = json::array();
  Table t;
  t.headers = {"ask"};
  for (const auto& d : job.space.dims) t.headers.push_back(d.name);
  t.headers.push_back("acq");
  for (const auto& r : res.trials) {
    out.push_back(
        {{"ask", r.id}, {"params", r.params}, {"acq", r.acq}, {"suggest_s", r.suggest_s}});
    std::vector<std::string> row = {std::to_string(r.id)};
    for (const auto& d : job.space.dims) row.push_back(param_cell(r.params[d.name]));
    row.push_back(r.acq);
    t.rows.push_back(row);
  }
  emit(ctx.options.format == Format::kJson ? out.dump(2) + "\n" : render_plain(t), o, ctx);
  return ExitCode::kSuccess;
}

ExitCode run_tell_shared(const bo::StorageUrl& url, const Options& o, Context& ctx) {
  std::unique_ptr<bo::SharedStudy> store = bo::open_shared_study(url, o.busy_timeout);
  const Job job = shared_job(*store, o, ctx, false);
  const std::vector<bo::TrialRecord> trials = store->trials();
  const auto it = std::find_if(trials.begin(), trials.end(),
                               [&](const bo::TrialRecord& r) { return r.id == *o.ask_id; });
  if (it == trials.end())
    throw InputError(url.shown + ": ask " + std::to_string(*o.ask_id) + " is not in this study");
  bo::TrialRecord r = *it;
  if (o.failed) {
    r.state = "failed";
    r.error = o.error_text.empty() ? "reported failed" : o.error_text;
  } else {
    if (!std::isfinite(*o.value)) throw UsageError("--value must be a finite number");
    r.state = "ok";
    r.value = *o.value;
  }
  if (it->state != "running" || !store->finish(r, "")) {
    throw InputError(url.shown + ": ask " + std::to_string(*o.ask_id) + " was already told" +
                     (it->lost ? " (failed as lost)" : ""));
  }
  Trial t = to_trial(r, job.space, url.shown);
  json j = trial_json(t);
  emit(ctx.options.format == Format::kJson
           ? j.dump(2) + "\n"
           : "trial " + std::to_string(t.trial) + " recorded (" +
                 (t.value ? format_number(*t.value, 8) : "failed") + ")\n",
       o, ctx);
  return ExitCode::kSuccess;
}

}  // namespace

// `ask`: proposes points for trials that run elsewhere and records them as open asks.
ExitCode run_ask(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson}, "bayesopt ask");
  if (o.study.empty()) throw UsageError("bayesopt ask needs --study FILE or --storage URL");
  if (const bo::StorageUrl url = bo::parse_storage_url(o.study);
      url.kind != bo::StorageUrl::Kind::kJsonl) {
    return run_ask_shared(url, o, ctx);
  }
  const bool has_config = !o.file.empty() || !ctx.options.config_path.empty() || !o.builtin.empty();
  Job job;
  Study st;
  StudyWriter writer;
  // Waits (up to --busy-timeout) for another ask/tell on the same file to finish.
  std::optional<bo::StudyFileLock> lock;
  if (file_exists(o.study) || has_config) lock.emplace(o.study, o.busy_timeout);
  if (file_exists(o.study)) {
    // The study holds the space and settings; a config, if given, must have the same space.
    const json meta = read_meta_line(o.study);
    job.space = space_from_meta(meta, o.study + ":1:1");
    if (has_config) {
      const Job mine = load_job(o, ctx);
      const std::string diff = bo::space_difference(mine.space, meta.value("space", json()));
      if (!diff.empty())
        throw InputError(o.study + ":1:1: the study was made with a different space: " + diff);
    }
    try {
      job.settings.random_state = meta.value("random_state", 0ULL);
      job.settings.n_initial_points = meta.value("n_initial_points", 10);
      job.settings.initial_design =
          bo::parse_initial_design(meta.value("initial_design", std::string("random")));
      job.settings.acquisition =
          bo::parse_acquisition(meta.value("acquisition", std::string("gp_hedge")));
      job.maximize = meta.value("maximize", false);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(o.study + ":1:1: malformed study meta: " + e.what());
    }
    st = read_study(o.study, &job.space);
    writer.open(o.study, st.truncated);
  } else {
    if (!has_config) {
      throw UsageError("bayesopt ask: " + o.study +
                       " does not exist yet; give the config FILE (or --builtin) to start it");
    }
    job = load_job(o, ctx);
    writer.open(o.study, false);
    writer.write({{"meta", meta_for(job)}});
  }
  bo::Optimizer opt(job.space, job.settings);
  replay(opt, st, job.maximize);
  // Open asks count as pending: new proposals avoid them (constant liar).
  for (const auto& kv : st.asks)
    opt.add_pending(bo::point_from_json(job.space, kv.second, o.study));
  const auto a0 = Clock::now();
  const std::vector<bo::Proposal> props = opt.ask_batch(o.n_ask);
  const double suggest = std::chrono::duration<double>(Clock::now() - a0).count();
  if (opt.exhausted()) {
    ctx.log.warn(
        "all " + format_number(bo::finite_size(job.space).value_or(0), 15) +
        " points of the search space have been evaluated or asked; " +
        (props.empty() ? std::string("nothing") : std::to_string(props.size()) + " point(s)") +
        " left to ask");
  }
  json out = json::array();
  Table t;
  t.headers = {"ask"};
  for (const auto& d : job.space.dims) t.headers.push_back(d.name);
  t.headers.push_back("acq");
  for (const auto& p : props) {
    const long long id = st.next_ask++;
    json line = {{"ask", id},
                 {"params", bo::point_to_json(job.space, p.x)},
                 {"acq", p.acquisition},
                 {"suggest_s", suggest / static_cast<double>(props.size())}};
    if (!p.hedge_gains.empty())
      line["hedge"] = {{"gains", p.hedge_gains}, {"candidates", p.hedge_candidates}};
    writer.write(line);
    line.erase("hedge");
    out.push_back(line);
    std::vector<std::string> row = {std::to_string(id)};
    for (const auto& d : job.space.dims) row.push_back(param_cell(line["params"][d.name]));
    row.push_back(p.acquisition);
    t.rows.push_back(row);
  }
  emit(ctx.options.format == Format::kJson ? out.dump(2) + "\n" : render_plain(t), o, ctx);
  return ExitCode::kSuccess;
}

ExitCode run_tell(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson}, "bayesopt tell");
  if (o.study.empty()) throw UsageError("bayesopt tell needs --study FILE or --storage URL");
  if (!o.ask_id) throw UsageError("bayesopt tell needs --ask ID (printed by 'rlab bayesopt ask')");
  if (o.value.has_value() == o.failed)
    throw UsageError("bayesopt tell needs exactly one of --value V and --failed");
  if (const bo::StorageUrl url = bo::parse_storage_url(o.study);
      url.kind != bo::StorageUrl::Kind::kJsonl) {
    return run_tell_shared(url, o, ctx);
  }
  if (!file_exists(o.study)) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(o.study, ec);
    InputError e(o.study + (exists ? ": the study file is empty, so it holds no ask to tell"
                                   : ": no such study file, so it holds no ask to tell"));
    e.add_note("'rlab bayesopt ask CONFIG --study " + o.study +
               "' starts a study and prints the ask ids that 'tell' takes");
    throw e;
  }
  const bo::StudyFileLock lock(o.study, o.busy_timeout);
  const std::string text = read_file(o.study);
  const bo::Space sp = space_from_meta(read_meta_line(o.study), o.study + ":1:1");
  const Study st = read_study(o.study, &sp);
  const auto it = st.asks.find(*o.ask_id);
  if (it == st.asks.end()) {
    const bool done = std::any_of(st.trials.begin(), st.trials.end(),
                                  [&](const Trial& t) { return t.ask && *t.ask == *o.ask_id; });
    throw InputError(o.study + ": ask " + std::to_string(*o.ask_id) +
                     (done ? " was already told" : " is not an open ask in this study"));
  }
  StudyWriter writer;
  writer.open(o.study, st.truncated);
  Trial t;
  t.trial = static_cast<long long>(st.trials.size());
  t.params = it->second;
  t.x = bo::point_from_json(sp, t.params, o.study);
  t.ask = *o.ask_id;
  if (o.failed) {
    t.status = "failed";
    t.error = o.error_text.empty() ? "reported failed" : o.error_text;
  } else {
    if (!std::isfinite(*o.value)) throw UsageError("--value must be a finite number");
    t.value = *o.value;
  }
  t.elapsed_s = st.trials.empty() ? 0 : st.trials.back().elapsed_s;
  // The hedge state of the ask travels into the trial line, so a later `ask` restores it.
  {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      const json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.contains("ask") && !j.contains("trial") &&
          j["ask"] == *o.ask_id) {
        t.acq = j.value("acq", std::string());
        t.suggest_s = j.value("suggest_s", 0.0);
        if (j.contains("hedge")) {
          t.hedge_gains = j["hedge"].value("gains", std::vector<double>());
          t.hedge_candidates = j["hedge"].value("candidates", std::vector<std::vector<double>>());
        }
      }
    }
  }
  writer.write(trial_json(t));
  json j = trial_json(t);
  j.erase("hedge");
  emit(ctx.options.format == Format::kJson
           ? j.dump(2) + "\n"
           : "trial " + std::to_string(t.trial) + " recorded (" +
                 (t.value ? format_number(*t.value, 8) : "failed") + ")\n",
       o, ctx);
  return ExitCode::kSuccess;
}

}  // namespace rlab::bayesopt_cmd
