// `rlab bayesopt`: the search loop on a JSON Lines study file (one process) and the workers on
// a shared storage (SQLite, PostgreSQL), with the heartbeat that keeps their trials alive.
#include "rlab/error.h"
#include "rlab/text.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <thread>

#include "command_parts.h"
#include "process.h"

namespace rlab::bayesopt_cmd {

// Replays finished trials into the optimiser.
void replay(bo::Optimizer& opt, const Study& st, bool maximize) {
  const Trial* last_hedge = nullptr;
  for (const Trial& t : st.trials) {
    if (t.status == "ok" && t.value) {
      opt.tell(t.x, maximize ? -*t.value : *t.value);
    } else {
      opt.tell_failed(t.x);
    }
    if (!t.hedge_gains.empty()) last_hedge = &t;
  }
  if (last_hedge != nullptr)
    opt.restore_hedge(last_hedge->hedge_gains, last_hedge->hedge_candidates);
}

std::string worker_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "%s", "host");
  return std::string(host) + ":" + std::to_string(getpid());
}

namespace {

// Finished trials are told, running ones (and points waiting to be run again) are pending.
void replay_records(bo::Optimizer& opt, const std::vector<bo::TrialRecord>& trials,
                    const bo::Space& space, bool maximize, const std::string& name) {
  const bo::TrialRecord* last_hedge = nullptr;
  std::vector<bo::Point> pending;
  for (const bo::TrialRecord& r : trials) {
    const bo::Point x =
        bo::point_from_json(space, r.params, name + ": trial " + std::to_string(r.id));
    if (r.state == "running" || (r.lost && !r.requeued)) {
      pending.push_back(x);
    } else if (r.lost) {
      // Its point was reserved again (a later trial): nothing learnt from this one.
    } else if (r.state == "ok" && r.value) {
      opt.tell(x, maximize ? -*r.value : *r.value);
    } else {
      opt.tell_failed(x);
    }
    if (r.hedge.is_object()) last_hedge = &r;
  }
  for (const auto& x : pending) opt.add_pending(x);
  if (last_hedge != nullptr) {
    opt.restore_hedge(last_hedge->hedge.value("gains", std::vector<double>()),
                      last_hedge->hedge.value("candidates", std::vector<std::vector<double>>()));
  }
}

}  // namespace

// `exhausted` (optional) is set when a finite space has no point left to propose.
bo::Proposer proposer_for(const Job& job, const std::string& name, bool* exhausted) {
  return [&job, name, exhausted](const std::vector<bo::TrialRecord>& trials, int n) {
    bo::Optimizer opt(job.space, job.settings);
    replay_records(opt, trials, job.space, job.maximize, name);
    const auto a0 = Clock::now();
    const std::vector<bo::Proposal> props = opt.ask_batch(n);
    if (exhausted != nullptr && opt.exhausted()) *exhausted = true;
    const double suggest = std::chrono::duration<double>(Clock::now() - a0).count() / n;
    std::vector<bo::NewPoint> out;
    for (const auto& p : props) {
      bo::NewPoint np;
      np.params = bo::point_to_json(job.space, p.x);
      np.acq = p.acquisition;
      np.suggest_s = suggest;
      if (!p.hedge_gains.empty())
        np.hedge = {{"gains", p.hedge_gains}, {"candidates", p.hedge_candidates}};
      out.push_back(std::move(np));
    }
    return out;
  };
}

Trial to_trial(const bo::TrialRecord& r, const bo::Space& space, const std::string& name) {
  Trial t;
  t.trial = r.id;
  t.params = r.params;
  t.x = bo::point_from_json(space, r.params, name + ": trial " + std::to_string(r.id));
  t.value = r.value;
  t.status = r.state == "ok" ? "ok" : "failed";
  t.acq = r.acq;
  t.elapsed_s = r.elapsed_s;
  t.objective_s = r.objective_s;
  t.suggest_s = r.suggest_s;
  t.error = r.error;
  t.tail = r.tail;
  t.worker = r.worker;
  t.lost = r.lost;
  t.retry_of = r.retry_of;
  return t;
}

namespace {

// What a search says when a finite space has no point left that was not evaluated.
std::string exhausted_note(const bo::Space& space, std::size_t trials) {
  return "all " + format_number(bo::finite_size(space).value_or(0), 15) +
         " points of the search space have been evaluated; stopping after " +
         std::to_string(trials) + " trial(s)";
}

// Keeps the heartbeat of this worker's running trials fresh, on a connection of its own.
class Heartbeat {
 public:
  Heartbeat(const bo::StorageUrl& url, double busy_timeout, std::string worker, double interval)
      : thread_([this, url, busy_timeout, worker = std::move(worker), interval] {
          std::unique_ptr<bo::SharedStudy> db;
          std::unique_lock<std::mutex> lock(m_);
          for (;;) {
            cv_.wait_for(lock, std::chrono::duration<double>(interval), [this] { return stop_; });
            if (stop_) return;
            const std::vector<long long> ids = ids_;
            if (ids.empty()) continue;
            lock.unlock();
            std::string err;
            try {
              if (!db) db = bo::open_shared_study(url, busy_timeout);
              db->heartbeat(ids, worker);
            } catch (const std::exception& e) {
              err = e.what();
              db.reset();
            }
            lock.lock();
            if (!err.empty()) error_ = err;
          }
        }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;
  void set(std::vector<long long> ids) {
    std::lock_guard<std::mutex> g(m_);
    ids_ = std::move(ids);
  }
  // The last error of the heartbeat thread ("" when none), cleared.
  std::string take_error() {
    std::lock_guard<std::mutex> g(m_);
    std::string e;
    e.swap(error_);
    return e;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<long long> ids_;
  std::string error_;
  std::thread thread_;  // last: started when everything above exists
};

// `rlab bayesopt --storage URL`: one of possibly many workers on a shared study. Reserves
// trials atomically, evaluates them, records them, until the study holds n_calls finished
// trials; then reports the whole study.
ExitCode run_workers(const Job& job_in, const bo::StorageUrl& url, const Options& o, Context& ctx) {
  if (o.heartbeat_timeout <= o.heartbeat_interval) {
    throw UsageError("--heartbeat-timeout (" + format_number(o.heartbeat_timeout, 6) +
                     " s) must be longer than --heartbeat-interval (" +
                     format_number(o.heartbeat_interval, 6) + " s)");
  }
  Job job = job_in;
  const std::string& name = url.shown;
  std::unique_ptr<bo::SharedStudy> store = bo::open_shared_study(url, o.busy_timeout);
  const json meta = store->open(meta_for(job));
  check_meta(job, meta, name);
  settings_from_meta(job, meta, name, ctx);
  const std::string worker = worker_id();
  bool exhausted = false;
  const bo::Proposer propose = proposer_for(job, name, &exhausted);
  Heartbeat beat(url, o.busy_timeout, worker, o.heartbeat_interval);
  const double poll = std::clamp(o.heartbeat_interval, 0.05, 2.0);
  int mine = 0;
  double overhead = 0;
  for (;;) {
    const bo::Reservation res =
        store->reserve(job.jobs, job.n_calls, worker, o.heartbeat_timeout, true, propose);
    for (const auto& l : res.lost)
      ctx.log.warn(name + ": trial " + std::to_string(l.id) + " failed: " + l.error);
    if (res.trials.empty()) {
      if (res.finished >= job.n_calls) break;
      if (exhausted && res.running == 0) {
        ctx.log.warn(exhausted_note(job.space, static_cast<std::size_t>(res.finished)));
        break;
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(poll));
      continue;
    }
    std::vector<long long> ids;
    std::vector<bo::Point> xs;
    for (const auto& t : res.trials) {
      ids.push_back(t.id);
      xs.push_back(bo::point_from_json(job.space, t.params, name));
      overhead += t.suggest_s;
    }
    beat.set(ids);
    std::vector<Outcome> outs;
    try {
      outs = evaluate(job, xs, res.trials.front().id);
    } catch (const Error& e) {
      beat.set({});
      for (bo::TrialRecord t : res.trials) {  // not left running until the timeout
        t.state = "failed";
        t.error = e.what();
        store->finish(t, worker);
      }
      throw;
    }
    beat.set({});
    const std::string hb_error = beat.take_error();
    if (!hb_error.empty()) ctx.log.warn("heartbeat: " + hb_error);
    for (std::size_t i = 0; i < res.trials.size(); ++i) {
      bo::TrialRecord t = res.trials[i];
      t.objective_s = outs[i].seconds;
      if (outs[i].ok) {
        t.state = "ok";
        t.value = outs[i].value;
      } else {
        t.state = "failed";
        t.error = outs[i].error;
        t.tail = outs[i].tail;
        ctx.log.warn("trial " + std::to_string(t.id) + " failed: " + t.error);
      }
      if (!store->finish(t, worker)) {
        ctx.log.warn(name + ": trial " + std::to_string(t.id) +
                     " was given up as lost while it ran (no heartbeat within " +
                     format_number(o.heartbeat_timeout, 6) + " s); its result is not recorded");
      }
      ++mine;
    }
  }
  // The report covers the whole study.
  Report rep;
  rep.job = &job;
  rep.storage = name;
  bo::Optimizer opt(job.space, job.settings);
  std::vector<bo::TrialRecord> finished;
  for (const bo::TrialRecord& r : store->trials()) {
    if (r.state == "running") continue;
    finished.push_back(r);
    rep.trials.push_back(to_trial(r, job.space, name));
    if (r.lost) ++rep.lost;
  }
  replay_records(opt, finished, job.space, job.maximize, name);
  rep.overhead_per_call = mine > 0 ? overhead / mine : 0;
  ctx.log.info(name + ": this worker (" + worker + ") ran " + std::to_string(mine) + " of " +
               std::to_string(rep.trials.size() - static_cast<std::size_t>(rep.lost)) +
               " trial(s)");
  return finish_report(rep, opt, o, ctx);
}

}  // namespace

ExitCode run_search(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "bayesopt");
  const Job job = load_job(o, ctx);
  // The model's matrices are allocated and freed on every proposal: keep them on the heap
  // instead of fresh mmaps (page faults were a third of the optimiser's time).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  bo::Optimizer opt(job.space, job.settings);
  Report rep;
  rep.job = &job;
  if (!job.study.empty()) {
    const bo::StorageUrl url = bo::parse_storage_url(job.study);
    if (url.kind != bo::StorageUrl::Kind::kJsonl) return run_workers(job, url, o, ctx);
  }
  StudyWriter writer;
  double elapsed_base = 0;
  // One process per study file: held until the run ends.
  std::optional<bo::StudyFileLock> lock;
  if (!job.study.empty()) lock.emplace(job.study, 0.0);
  if (!job.study.empty()) {
    if (file_exists(job.study)) {
      Study st = read_study(job.study, &job.space);
      replay(opt, st, job.maximize);
      rep.trials = st.trials;
      rep.resumed = static_cast<int>(st.trials.size());
      if (!st.trials.empty()) elapsed_base = st.trials.back().elapsed_s;
      if (st.meta.value("random_state", job.settings.random_state) != job.settings.random_state) {
        ctx.log.warn(job.study + ": the study was started with random_state " +
                     st.meta["random_state"].dump() + "; continuing with " +
                     std::to_string(job.settings.random_state));
      }
      if (st.meta.value("maximize", job.maximize) != job.maximize) {
        throw InputError(job.study +
                         ":1:1: the study was made with maximize=" + st.meta["maximize"].dump() +
                         ", this run has maximize=" + (job.maximize ? "true" : "false"));
      }
      if (st.truncated)
        ctx.log.warn(job.study + ": its last line was cut short (a killed run); it is dropped");
      if (rep.resumed > 0)
        ctx.log.info("resuming " + job.study + " with " + std::to_string(rep.resumed) +
                     " trial(s)");
      writer.open(job.study, st.truncated);
    } else {
      writer.open(job.study, false);
      writer.write({{"meta", meta_for(job)}});
    }
  }
  const auto t0 = Clock::now();
  double overhead = 0;
  int new_calls = 0;
  // Ctrl-C (SIGINT) or SIGTERM: say what is saved and how to go on.
  const bo::InterruptNote interrupt_note;
  auto update_note = [&]() {
    std::string cmd;
    for (const auto& a : ctx.argv) cmd += (cmd.empty() ? "" : " ") + bo::shell_word(a);
    bo::InterruptNote::set(
        job.study.empty()
            ? "\nrlab: interrupted: without --study the trials are not saved (--study FILE "
              "makes a run resumable)\n"
            : "\nrlab: interrupted: " + std::to_string(rep.trials.size()) +
                  " finished trial(s) are saved in " + job.study +
                  "; run the same command again to resume:\n  " + cmd + "\n");
  };
  update_note();
  // One progress line on a terminal (stderr a TTY, colour allowed, not -q).
  const bool progress = ctx.options.color && ctx.options.log_level != LogLevel::kQuiet;
  auto clear_progress = [&]() {
    if (progress) ctx.err << "\r\033[K" << std::flush;
  };
  auto show_progress = [&]() {
    if (!progress || rep.trials.empty()) return;
    double best = std::numeric_limits<double>::quiet_NaN();
    for (const Trial& t : rep.trials) {
      if (t.value && (std::isnan(best) || (job.maximize ? *t.value > best : *t.value < best)))
        best = *t.value;
    }
    const Trial& last = rep.trials.back();
    const double spent = std::chrono::duration<double>(Clock::now() - t0).count();
    const int left = job.n_calls - static_cast<int>(rep.trials.size());
    const double eta = new_calls > 0 ? spent / new_calls * left : 0;
    ctx.err << "\r\033[Ktrial " << rep.trials.size() << "/" << job.n_calls << "  best "
            << (std::isnan(best) ? std::string("-") : format_number(best, 6)) << "  last "
            << (last.value ? format_number(*last.value, 6) : std::string("failed")) << "  ETA "
            << (format_number(std::round(eta), 6) + " s") << std::flush;
  };
  while (static_cast<int>(rep.trials.size()) < job.n_calls) {
    const int batch = std::min(job.jobs, job.n_calls - static_cast<int>(rep.trials.size()));
    const auto a0 = Clock::now();
    const std::vector<bo::Proposal> props = opt.ask_batch(batch);
    if (props.empty()) {
      clear_progress();
      ctx.log.warn(exhausted_note(job.space, rep.trials.size()));
      break;
    }
    const double suggest = std::chrono::duration<double>(Clock::now() - a0).count() / batch;
    std::vector<bo::Point> xs;
    for (const auto& p : props) xs.push_back(p.x);
    const long long first = static_cast<long long>(rep.trials.size());
    const std::vector<Outcome> outs = evaluate(job, xs, first);
    for (std::size_t i = 0; i < props.size(); ++i) {
      Trial t;
      t.trial = first + static_cast<long long>(i);
      t.x = xs[i];
      t.params = bo::point_to_json(job.space, xs[i]);
      t.acq = props[i].acquisition;
      t.suggest_s = suggest;
      t.objective_s = outs[i].seconds;
      t.run = outs[i].run;
      t.hedge_gains = props[i].hedge_gains;
      t.hedge_candidates = props[i].hedge_candidates;
      if (outs[i].ok) {
        t.value = outs[i].value;
        opt.tell(xs[i], job.maximize ? -outs[i].value : outs[i].value);
      } else {
        t.status = "failed";
        t.error = outs[i].error;
        t.tail = outs[i].tail;
        opt.tell_failed(xs[i]);
        clear_progress();
        ctx.log.warn("trial " + std::to_string(t.trial) + " failed: " + t.error);
      }
      t.elapsed_s = elapsed_base + std::chrono::duration<double>(Clock::now() - t0).count();
      writer.write(trial_json(t));
      rep.trials.push_back(std::move(t));
    }
    overhead += suggest * static_cast<double>(props.size());
    new_calls += static_cast<int>(props.size());
    update_note();
    show_progress();
  }
  clear_progress();
  rep.overhead_per_call = new_calls > 0 ? overhead / new_calls : 0;
  return finish_report(rep, opt, o, ctx);
}

}  // namespace rlab::bayesopt_cmd
