// `rlab bayesopt`: the search. One loop for every storage: reserve trials, evaluate them,
// record them, until the study holds n_calls finished trials; then report the whole study. On a
// JSON Lines study file (one process) the command line's settings win and the run shows
// progress; on a shared storage (SQLite, PostgreSQL) the process is one of possibly many
// workers, the stored settings win and a heartbeat keeps its trials alive.
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
#include <memory>
#include <mutex>
#include <thread>

#include "command_parts.h"
#include "process.h"

namespace rlab::bayesopt_cmd {

std::string worker_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "%s", "host");
  return std::string(host) + ":" + std::to_string(getpid());
}

namespace {

// Tells a finished trial (a running one, or a lost one whose point waits to be run again, is
// pending instead; a lost one whose point was reserved again teaches nothing).
void tell_record(bo::Optimizer& opt, const Trial& r, const bo::Point& x, bool maximize,
                 std::vector<bo::Point>& pending) {
  if (r.state == "running" || (r.lost && !r.requeued)) {
    pending.push_back(x);
  } else if (r.lost) {
    // Its point was reserved again (a later trial): nothing learnt from this one.
  } else if (r.state == "ok" && r.value) {
    opt.tell(x, maximize ? -*r.value : *r.value);
  } else {
    opt.tell_failed(x);
  }
}

// Replays the trials of a study: told in order, then the pending points, then the gp_hedge
// state of the last proposal.
void replay_records(bo::Optimizer& opt, const std::vector<Trial>& trials, const bo::Space& space,
                    bool maximize, const std::string& name) {
  const Trial* last_hedge = nullptr;
  std::vector<bo::Point> pending;
  for (const Trial& r : trials) {
    const bo::Point x =
        bo::point_from_json(space, r.params, name + ": trial " + std::to_string(r.id));
    tell_record(opt, r, x, maximize, pending);
    if (r.hedge.is_object()) last_hedge = &r;
  }
  for (const auto& x : pending) opt.add_pending(x);
  if (last_hedge != nullptr) {
    opt.restore_hedge(last_hedge->hedge.value("gains", std::vector<double>()),
                      last_hedge->hedge.value("candidates", std::vector<std::vector<double>>()));
  }
}

// Proposals from the optimiser's answer to `trials`.
std::vector<bo::NewPoint> propose(bo::Optimizer& opt, const bo::Space& space, int n,
                                  bool* exhausted) {
  const auto a0 = Clock::now();
  const std::vector<bo::Proposal> props = opt.ask_batch(n);
  if (exhausted != nullptr && opt.exhausted()) *exhausted = true;
  const double suggest = std::chrono::duration<double>(Clock::now() - a0).count() / n;
  std::vector<bo::NewPoint> out;
  for (const auto& p : props) {
    bo::NewPoint np;
    np.params = bo::point_to_json(space, p.x);
    np.acq = p.acquisition;
    np.suggest_s = suggest;
    if (!p.hedge_gains.empty())
      np.hedge = {{"gains", p.hedge_gains}, {"candidates", p.hedge_candidates}};
    out.push_back(std::move(np));
  }
  return out;
}

// A search on a study file, where only this process adds trials: one optimiser for the whole
// run, told each finished trial once (replaying the study for every batch would propose the
// same points, but refit the model's hyperparameters each time).
bo::Proposer continuing_proposer(const Job& job, bool* exhausted) {
  struct State {
    bo::Optimizer opt;
    bool started = false;
    std::size_t told = 0;
  };
  auto state = std::make_shared<State>(State{bo::Optimizer(job.space, job.settings), false, 0});
  return [&job, exhausted, state](const std::vector<Trial>& trials, int n) {
    if (!state->started) {
      state->started = true;
      replay_records(state->opt, trials, job.space, job.maximize, job.study);
    } else {
      std::vector<bo::Point> pending;
      for (std::size_t i = state->told; i < trials.size(); ++i) {
        tell_record(state->opt, trials[i],
                    bo::point_from_json(job.space, trials[i].params, job.study), job.maximize,
                    pending);
      }
    }
    state->told = trials.size();
    return propose(state->opt, job.space, n, exhausted);
  };
}

// Keeps the heartbeat of this worker's running trials fresh, on a connection of its own.
class Heartbeat {
 public:
  Heartbeat(const bo::StorageUrl& url, double busy_timeout, std::string worker, double interval)
      : thread_([this, url, busy_timeout, worker = std::move(worker), interval] {
          std::unique_ptr<bo::StudyStorage> db;
          std::unique_lock<std::mutex> lock(m_);
          for (;;) {
            cv_.wait_for(lock, std::chrono::duration<double>(interval), [this] { return stop_; });
            if (stop_) return;
            const std::vector<long long> ids = ids_;
            if (ids.empty()) continue;
            lock.unlock();
            std::string err;
            try {
              if (!db) db = bo::open_study(url, busy_timeout);
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

// What a search says when a finite space has no point left that was not evaluated.
std::string exhausted_note(const bo::Space& space, std::size_t trials) {
  return "all " + format_number(bo::finite_size(space).value_or(0), 15) +
         " points of the search space have been evaluated; stopping after " +
         std::to_string(trials) + " trial(s)";
}

// On a terminal: one progress line (stderr a TTY, colour allowed, not -q) and, on Ctrl-C
// (SIGINT) or SIGTERM, a note of what is saved and how to go on. Only a run on a study file
// shows them.
class RunNotes {
 public:
  RunNotes(const Job& job, Context& ctx, bool on, std::vector<Trial> done)
      : job_(job), ctx_(ctx), done_(std::move(done)) {
    if (!on) return;
    note_.emplace();
    progress_ = ctx.options.color && ctx.options.log_level != LogLevel::kQuiet;
    update();
  }
  void clear() {
    if (progress_) ctx_.err << "\r\033[K" << std::flush;
  }
  void add(const Trial& t) { done_.push_back(t); }
  void batch_done(int new_calls) {
    update();
    show(new_calls);
  }

 private:
  void update() {
    if (!note_) return;
    std::string cmd;
    for (const auto& a : ctx_.argv) cmd += (cmd.empty() ? "" : " ") + bo::shell_word(a);
    bo::InterruptNote::set(
        job_.study.empty()
            ? "\nrlab: interrupted: without --study the trials are not saved (--study FILE "
              "makes a run resumable)\n"
            : "\nrlab: interrupted: " + std::to_string(done_.size()) +
                  " finished trial(s) are saved in " + job_.study +
                  "; run the same command again to resume:\n  " + cmd + "\n");
  }
  void show(int new_calls) {
    if (!progress_ || done_.empty()) return;
    double best = std::numeric_limits<double>::quiet_NaN();
    for (const Trial& t : done_) {
      if (t.value && (std::isnan(best) || (job_.maximize ? *t.value > best : *t.value < best)))
        best = *t.value;
    }
    const Trial& last = done_.back();
    const double spent = std::chrono::duration<double>(Clock::now() - t0_).count();
    const int left = job_.n_calls - static_cast<int>(done_.size());
    const double eta = new_calls > 0 ? spent / new_calls * left : 0;
    ctx_.err << "\r\033[Ktrial " << done_.size() << "/" << job_.n_calls << "  best "
             << (std::isnan(best) ? std::string("-") : format_number(best, 6)) << "  last "
             << (last.value ? format_number(*last.value, 6) : std::string("failed")) << "  ETA "
             << (format_number(std::round(eta), 6) + " s") << std::flush;
  }

  const Job& job_;
  Context& ctx_;
  std::vector<Trial> done_;
  std::optional<bo::InterruptNote> note_;
  bool progress_ = false;
  Clock::time_point t0_ = Clock::now();
};

// The finished trials of a study.
std::vector<Trial> finished_trials(bo::StudyStorage& store) {
  std::vector<Trial> out;
  for (const Trial& r : store.trials()) {
    if (r.state != "running") out.push_back(r);
  }
  return out;
}

// Evaluates reserved trials and records them. An error that stops the evaluation releases them
// and is rethrown.
void evaluate_batch(const Job& job, bo::StudyStorage& store, const bo::Reservation& res,
                    const std::string& worker, Heartbeat* beat, RunNotes& notes, const Options& o,
                    Context& ctx) {
  const std::string& name = store.name();
  std::vector<long long> ids;
  std::vector<bo::Point> xs;
  for (const auto& t : res.trials) {
    ids.push_back(t.id);
    xs.push_back(bo::point_from_json(job.space, t.params, name));
  }
  if (beat != nullptr) beat->set(ids);
  std::vector<Outcome> outs;
  try {
    outs = evaluate(job, xs, res.trials.front().id);
  } catch (const Error& e) {
    if (beat != nullptr) beat->set({});
    store.release(res.trials, e.what(), worker);  // not left running until the timeout
    throw;
  }
  if (beat != nullptr) {
    beat->set({});
    const std::string hb_error = beat->take_error();
    if (!hb_error.empty()) ctx.log.warn("heartbeat: " + hb_error);
  }
  for (std::size_t i = 0; i < res.trials.size(); ++i) {
    Trial t = res.trials[i];
    t.objective_s = outs[i].seconds;
    t.run = outs[i].run;
    if (outs[i].ok) {
      t.state = "ok";
      t.value = outs[i].value;
    } else {
      t.state = "failed";
      t.error = outs[i].error;
      t.tail = outs[i].tail;
      notes.clear();
      ctx.log.warn("trial " + std::to_string(t.id) + " failed: " + t.error);
    }
    if (!store.finish(t, worker)) {
      ctx.log.warn(name + ": trial " + std::to_string(t.id) +
                   " was given up as lost while it ran (no heartbeat within " +
                   format_number(o.heartbeat_timeout, 6) + " s); its result is not recorded");
    }
    notes.add(t);
  }
}

// The search loop and its report.
ExitCode search(const Job& job, bo::StudyStorage& store, const bo::StorageUrl& url,
                const bo::Proposer& propose, const bool& exhausted, int resumed, const Options& o,
                Context& ctx) {
  const std::string& name = store.name();
  const std::string worker = worker_id();
  std::optional<Heartbeat> beat;
  if (store.shared()) beat.emplace(url, o.busy_timeout, worker, o.heartbeat_interval);
  RunNotes notes(job, ctx, !store.shared(),
                 store.shared() ? std::vector<Trial>() : finished_trials(store));
  const double poll = std::clamp(o.heartbeat_interval, 0.05, 2.0);
  int mine = 0;
  double overhead = 0;
  for (;;) {
    const bo::Reservation res =
        store.reserve(job.jobs, job.n_calls, worker, o.heartbeat_timeout, true, propose);
    for (const auto& l : res.lost)
      ctx.log.warn(name + ": trial " + std::to_string(l.id) + " failed: " + l.error);
    if (res.trials.empty()) {
      if (res.finished >= job.n_calls) break;
      if (exhausted && res.running == 0) {
        notes.clear();
        ctx.log.warn(exhausted_note(job.space, static_cast<std::size_t>(res.finished)));
        break;
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(poll));
      continue;
    }
    for (const auto& t : res.trials) overhead += t.suggest_s;
    evaluate_batch(job, store, res, worker, beat ? &*beat : nullptr, notes, o, ctx);
    mine += static_cast<int>(res.trials.size());
    notes.batch_done(mine);
  }
  notes.clear();
  // The report covers the whole study.
  Report rep;
  rep.job = &job;
  rep.resumed = resumed;
  if (store.shared()) rep.storage = name;
  rep.trials = finished_trials(store);
  for (const Trial& r : rep.trials) rep.lost += r.lost ? 1 : 0;
  bo::Optimizer opt(job.space, job.settings);
  replay_records(opt, rep.trials, job.space, job.maximize, name);
  rep.overhead_per_call = mine > 0 ? overhead / mine : 0;
  if (store.shared()) {
    ctx.log.info(name + ": this worker (" + worker + ") ran " + std::to_string(mine) + " of " +
                 std::to_string(rep.trials.size() - static_cast<std::size_t>(rep.lost)) +
                 " trial(s)");
  }
  return finish_report(rep, opt, o, ctx);
}

// A study file (or none): the command line's settings win (a different random_state is said);
// the direction must be the study's.
int open_study_file(const Job& job, bo::StudyStorage& store, Context& ctx) {
  const bool resuming = file_exists(job.study);
  const json meta = store.open(meta_for(job));
  if (!resuming) return 0;
  const int resumed = static_cast<int>(finished_trials(store).size());
  if (meta.value("random_state", job.settings.random_state) != job.settings.random_state) {
    ctx.log.warn(job.study + ": the study was started with random_state " +
                 meta["random_state"].dump() + "; continuing with " +
                 std::to_string(job.settings.random_state));
  }
  if (meta.value("maximize", job.maximize) != job.maximize) {
    throw InputError(job.study +
                     ":1:1: the study was made with maximize=" + meta["maximize"].dump() +
                     ", this run has maximize=" + (job.maximize ? "true" : "false"));
  }
  if (store.truncated())
    ctx.log.warn(job.study + ": its last line was cut short (a killed run); it is dropped");
  if (resumed > 0)
    ctx.log.info("resuming " + job.study + " with " + std::to_string(resumed) + " trial(s)");
  return resumed;
}

}  // namespace

bo::Proposer proposer_for(const Job& job, const std::string& name, bool* exhausted) {
  return [&job, name, exhausted](const std::vector<Trial>& trials, int n) {
    bo::Optimizer opt(job.space, job.settings);
    replay_records(opt, trials, job.space, job.maximize, name);
    return propose(opt, job.space, n, exhausted);
  };
}

ExitCode run_search(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "bayesopt");
  Job job = load_job(o, ctx);
  // The model's matrices are allocated and freed on every proposal: keep them on the heap
  // instead of fresh mmaps (page faults were a third of the optimiser's time).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  bool exhausted = false;
  const bo::StorageUrl url =
      job.study.empty() ? bo::StorageUrl{} : bo::parse_storage_url(job.study);
  if (url.kind == bo::StorageUrl::Kind::kJsonl) {
    // One process per study file: locked until the run ends.
    const bo::Proposer propose = continuing_proposer(job, &exhausted);
    const std::unique_ptr<bo::StudyStorage> store = bo::open_study(url, 0.0);
    const int resumed = open_study_file(job, *store, ctx);
    return search(job, *store, url, propose, exhausted, resumed, o, ctx);
  }
  if (o.heartbeat_timeout <= o.heartbeat_interval) {
    throw UsageError("--heartbeat-timeout (" + format_number(o.heartbeat_timeout, 6) +
                     " s) must be longer than --heartbeat-interval (" +
                     format_number(o.heartbeat_interval, 6) + " s)");
  }
  const std::unique_ptr<bo::StudyStorage> store = bo::open_study(url, o.busy_timeout);
  const json meta = store->open(meta_for(job));
  check_meta(job, meta, store->name());
  settings_from_meta(job, meta, store->name(), ctx);
  return search(job, *store, url, proposer_for(job, store->name(), &exhausted), exhausted, 0, o,
                ctx);
}

}  // namespace rlab::bayesopt_cmd
