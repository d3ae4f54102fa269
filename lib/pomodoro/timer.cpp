// `rlab pomodoro start|repeat|break|finish|cancel|status`: the timer's transitions over the state
// file, serialised by a lock on the state folder.
#include "rlab/files.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "runtime.h"

namespace rlab::pomodoro_cmd {

namespace {

using nlohmann::json;

// Records the running work session (actual length up to `now`, at most the planned one).
pd::Session finish_work(Runtime& rt, const pd::State& s, long long now) {
  pd::Session h;
  h.start = s.start;
  h.offset = s.offset;
  h.seconds = std::max(0LL, std::min(now - s.start, s.duration));
  h.description = s.task;
  h.tags = s.tags;
  h.type = s.type;
  h.completed = now - s.start >= s.duration;
  append_line_durable(rt.st.history_path, pd::format_history_line(h));
  clear_state();
  run_hook(rt, "on_finish", s, s.start + h.seconds);
  return h;
}

// Ends whatever is in the state file when it is over (work is recorded as completed). Returns
// the state still running, if any.
std::optional<pd::State> settle(Runtime& rt) {
  auto s = load_state();
  if (!s) return s;
  const long long now = rt.clock.now();
  if (now < s->start + s->duration) return s;
  if (s->phase == pd::Phase::kWork) {
    finish_work(rt, *s, s->start + s->duration);
    rt.ctx.log.info("recorded the finished session '" + s->task + "'");
  } else {
    clear_state();
    run_hook(rt, "on_break_end", *s, s->start + s->duration);
  }
  return std::nullopt;
}

void wait_for(Runtime& rt, const pd::State& s) {
  const long long end = s.start + s.duration;
  const bool tty = ::isatty(2) == 1;
  if (!rt.clock.is_fixed()) {
    for (;;) {
      const long long now = rt.clock.now();
      if (now >= end) break;
      if (tty) {
        const double frac = std::clamp(double(now - s.start) / double(s.duration), 0.0, 1.0);
        const int width = 30;
        const int filled = static_cast<int>(frac * width);
        rt.ctx.err << "\r" << (s.phase == pd::Phase::kWork ? "work  " : "break ") << "["
                   << std::string(filled, '#') << std::string(width - filled, '-') << "] "
                   << mmss(end - now) << " left " << std::flush;
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min<long long>(1000, (end - now) * 1000)));
      // A state file changed by another rlab (finish, cancel) ends the wait.
      std::optional<pd::State> cur;
      try {
        cur = load_state();
      } catch (const Error&) {
        break;
      }
      if (!cur || cur->start != s.start || cur->phase != s.phase) {
        if (tty) rt.ctx.err << "\n";
        rt.ctx.log.info("the timer was changed by another command; stopped waiting");
        return;
      }
    }
    if (tty) rt.ctx.err << "\r" << std::string(50, ' ') << "\r";
  }
  if (tty) rt.ctx.err << '\a' << std::flush;
  DirLock lock(state_dir());
  const auto cur = load_state();
  if (!cur || cur->start != s.start) return;
  if (s.phase == pd::Phase::kWork) {
    finish_work(rt, s, end);
    notify(rt, "Pomodoro finished",
           s.task.empty() ? "Time for a break" : s.task + ": time for a break");
    rt.ctx.out << "finished '" << s.task << "' at " << clock_hm(end, rt.zone->offset_at(end))
               << "\n";
  } else {
    clear_state();
    run_hook(rt, "on_break_end", s, end);
    notify(rt, "Break over", "Back to work");
    rt.ctx.out << "break over at " << clock_hm(end, rt.zone->offset_at(end)) << "\n";
  }
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      const auto b = cur.find_first_not_of(' ');
      if (b != std::string::npos) out.push_back(cur.substr(b, cur.find_last_not_of(' ') - b + 1));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

const pd::Profile& profile_of(const Runtime& rt, const std::string& type,
                              const std::string& where) {
  const auto it = rt.st.profiles.find(type);
  if (it == rt.st.profiles.end()) {
    std::vector<std::string> names;
    for (const auto& [n, p] : rt.st.profiles) names.push_back(n);
    throw InputError(where + ": unknown task type '" + type + "'" + did_you_mean(type, names) +
                     " (profiles: " + join(names, ", ") + ")");
  }
  return it->second;
}

void print_state_line(Runtime& rt, const pd::State& s, const char* verb) {
  const long long end = s.start + s.duration;
  std::string what = s.phase == pd::Phase::kWork
                         ? "'" + s.task + "'" + (s.type.empty() ? "" : " (" + s.type + ")")
                         : std::string(s.long_break ? "long break" : "break");
  const std::string length =
      s.duration % 60 == 0 ? std::to_string(s.duration / 60) + " min" : mmss(s.duration);
  rt.ctx.out << verb << " " << what << ": " << length << ", " << clock_hm(s.start, s.offset) << "-"
             << clock_hm(end, s.offset) << "\n";
}

ExitCode start_state(Runtime& rt, pd::State s, bool wait) {
  {
    DirLock lock(state_dir());
    auto running = settle(rt);
    if (running) {
      if (running->phase == pd::Phase::kWork) {
        const long long left = running->start + running->duration - rt.clock.now();
        InputError e("a pomodoro is already running: '" + running->task + "' started " +
                     clock_hm(running->start, running->offset) + ", " + mmss(left) + " left");
        e.add_note("finish it (rlab pomodoro finish) or cancel it (rlab pomodoro cancel) first");
        throw e;
      }
      clear_state();  // starting work ends a break early
      run_hook(rt, "on_break_end", *running, rt.clock.now());
    }
    write_file_atomic(state_path(), pd::encode_state(s));
    run_hook(rt, "on_start", s, s.start + s.duration);
  }
  print_state_line(rt, s, "started");
  if (wait) wait_for(rt, s);
  return ExitCode::kSuccess;
}

}  // namespace

ExitCode run_start(const Options& o, Runtime& rt, bool repeat) {
  pd::State s;
  s.phase = pd::Phase::kWork;
  const long long now = rt.clock.now();
  s.task = o.task;
  s.type = o.type;
  s.tags = split_commas(o.tags);
  if (repeat) {
    const auto h = load_history(rt.st, rt.ctx);
    if (h.empty()) throw InputError(rt.st.history_path + ": no session to repeat");
    const pd::Session& last = h.back();
    if (s.task.empty()) s.task = last.description;
    if (s.type.empty()) s.type = last.type;
    if (s.tags.empty()) s.tags = last.tags;
  }
  if (s.type.empty()) s.type = rt.st.default_type;
  const pd::Profile& p = profile_of(rt, s.type, "--type " + s.type);
  const double minutes = o.duration ? *o.duration : p.work;
  s.duration = static_cast<long long>(minutes * 60 + 0.5);
  s.start = now - (o.ago ? static_cast<long long>(*o.ago * 60 + 0.5) : 0);
  s.offset = rt.zone->offset_at(s.start);
  return start_state(rt, s, o.wait);
}

ExitCode run_break(const Options& o, Runtime& rt) {
  pd::State b;
  {
    DirLock lock(state_dir());
    auto running = settle(rt);
    const long long now = rt.clock.now();
    std::string type = rt.st.default_type;
    if (running && running->phase == pd::Phase::kWork) {
      finish_work(rt, *running, now);
      type = running->type;
    } else if (running) {
      clear_state();
    } else {
      const auto h = load_history(rt.st, rt.ctx);
      if (!h.empty() && !h.back().type.empty()) type = h.back().type;
    }
    const auto pit = rt.st.profiles.find(type);
    const pd::Profile p = pit != rt.st.profiles.end() ? pit->second : pd::Profile{};
    b.phase = pd::Phase::kBreak;
    b.type = type;
    b.start = now;
    b.offset = rt.zone->offset_at(now);
    b.long_break =
        pd::next_break_is_long(load_history(rt.st, rt.ctx), now, b.offset, p.long_break_every);
    const double minutes =
        o.break_minutes ? *o.break_minutes : (b.long_break ? p.long_break : p.short_break);
    b.duration = std::max(1LL, static_cast<long long>(minutes * 60 + 0.5));
    write_file_atomic(state_path(), pd::encode_state(b));
  }
  print_state_line(rt, b, "started");
  if (o.wait) wait_for(rt, b);
  return ExitCode::kSuccess;
}

ExitCode run_finish(Runtime& rt) {
  DirLock lock(state_dir());
  auto s = load_state();
  if (!s) {
    rt.ctx.log.warn("no pomodoro is running");
    return ExitCode::kNo;
  }
  const long long now = rt.clock.now();
  if (s->phase == pd::Phase::kWork) {
    const pd::Session h = finish_work(rt, *s, now);
    rt.ctx.out << "finished '" << s->task << "': " << mmss(h.seconds)
               << (h.completed ? " (completed)" : " (ended early)") << "\n";
  } else {
    clear_state();
    run_hook(rt, "on_break_end", *s, std::min(now, s->start + s->duration));
    rt.ctx.out << "break ended\n";
  }
  return ExitCode::kSuccess;
}

ExitCode run_cancel(Runtime& rt) {
  DirLock lock(state_dir());
  auto s = load_state();
  if (!s) {
    rt.ctx.log.warn("no pomodoro is running");
    return ExitCode::kNo;
  }
  clear_state();
  rt.ctx.out << "cancelled " << (s->phase == pd::Phase::kWork ? "'" + s->task + "'" : "the break")
             << " (not recorded)\n";
  return ExitCode::kSuccess;
}

ExitCode run_status(const Options& o, Runtime& rt) {
  const auto s = load_state();
  const long long now = rt.clock.now();
  pd::StatusView v;
  v.now = now;
  v.daily_goal = rt.st.daily_goal;
  v.completed_today = pd::completed_on_day(load_history(rt.st, rt.ctx), now, rt.offset_now());
  if (s) {
    v.active = true;
    v.state = *s;
    // A finished-but-unrecorded work session counts as completed today.
    if (s->phase == pd::Phase::kWork && now >= s->start + s->duration) ++v.completed_today;
  }
  std::string fmt = o.status_format;
  Format out_format = rt.ctx.options.format;
  if (!fmt.empty()) {
    try {
      out_format = parse_format(fmt);
      fmt.clear();
    } catch (const UsageError&) {
      // a template
    }
  }
  if (!fmt.empty()) {
    const std::string line = pd::format_status(fmt, v);
    if (!line.empty()) rt.ctx.out << line << "\n";
    return ExitCode::kSuccess;
  }
  require_format(out_format, {Format::kTable, Format::kJson}, "pomodoro status");
  if (out_format == Format::kJson) {
    json j;
    j["state"] = !s ? "idle" : s->phase == pd::Phase::kWork ? "work" : "break";
    j["completed_today"] = v.completed_today;
    j["daily_goal"] = v.daily_goal;
    if (s) {
      const long long end = s->start + s->duration;
      j["task"] = s->task;
      j["type"] = s->type;
      j["tags"] = s->tags;
      j["long_break"] = s->long_break;
      j["start"] = pd::format_iso(s->start, s->offset);
      j["end"] = pd::format_iso(end, s->offset);
      j["duration_s"] = s->duration;
      // A clock set back before the start shows a session not yet begun, not negative time.
      j["elapsed_s"] = std::clamp(now - s->start, 0LL, s->duration);
      j["remaining_s"] = std::clamp(end - now, 0LL, s->duration);
      j["over"] = now >= end;
    }
    rt.ctx.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return ExitCode::kSuccess;
  }
  if (!s) {
    rt.ctx.out << "idle; " << v.completed_today << "/" << v.daily_goal << " completed today\n";
    return ExitCode::kSuccess;
  }
  const long long end = s->start + s->duration;
  const std::string what = s->phase == pd::Phase::kWork
                               ? "work '" + s->task + "' (" + s->type + ")"
                               : std::string(s->long_break ? "long break" : "break");
  if (now >= end) {
    rt.ctx.out << what << ": time is up since " << clock_hm(end, s->offset) << " (rlab pomodoro "
               << (s->phase == pd::Phase::kWork ? "finish" : "start") << ")";
  } else {
    rt.ctx.out << what << ": " << mmss(end - now) << " left, ends " << clock_hm(end, s->offset);
  }
  rt.ctx.out << "; " << v.completed_today << "/" << v.daily_goal << " completed today\n";
  return ExitCode::kSuccess;
}

}  // namespace rlab::pomodoro_cmd
