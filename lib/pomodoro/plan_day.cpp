// `rlab pomodoro` core: the day scheduler. Fixed blocks first, then tasks by priority with a
// break after each work session, deep work in the best energy slot. No I/O and no clock.
#include "rlab/error.h"
#include "rlab/pomodoro.h"
#include "rlab/text.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace rlab::pomodoro {

std::string block_kind_name(BlockKind kind) {
  switch (kind) {
    case BlockKind::kWork:
      return "work";
    case BlockKind::kShortBreak:
      return "break";
    case BlockKind::kLongBreak:
      return "long break";
    case BlockKind::kFixed:
      return "fixed";
  }
  return "?";
}

namespace {

std::string clock_text(int minutes) {
  char b[32];
  std::snprintf(b, sizeof b, "%02d:%02d", minutes / 60, minutes % 60);
  return b;
}

Civil local_minute(long long day, int minute) {
  Civil c = civil_from_days(day + minute / (24 * 60));
  const int m = minute % (24 * 60);
  c.hour = m / 60;
  c.minute = m % 60;
  return c;
}

struct Span {
  long long start;
  long long end;
};

// Fixed blocks: inside the window, not overlapping each other; placed in `out`, returned in
// start order.
std::vector<Span> place_fixed(const DayPlanInput& in, const Zone& zone, DayPlan& out) {
  std::vector<std::size_t> order(in.fixed.size());
  std::iota(order.begin(), order.end(), 0);
  for (const FixedBlock& f : in.fixed) {
    const std::string span = clock_text(f.start_min) + "-" + clock_text(f.end_min);
    if (f.end_min <= f.start_min) {
      throw InputError(f.where + ": fixed block '" + f.title + "' (" + span +
                       ") must end after it starts");
    }
    if (f.start_min < in.window_start || f.end_min > in.window_end) {
      throw InputError(f.where + ": fixed block '" + f.title + "' (" + span +
                       ") lies outside the window " + clock_text(in.window_start) + "-" +
                       clock_text(in.window_end));
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return in.fixed[a].start_min < in.fixed[b].start_min;
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    const FixedBlock& a = in.fixed[order[k - 1]];
    const FixedBlock& b = in.fixed[order[k]];
    if (b.start_min < a.end_min) {
      const FixedBlock& later = order[k] > order[k - 1] ? b : a;
      const FixedBlock& other = order[k] > order[k - 1] ? a : b;
      throw InputError(later.where + ": fixed block '" + later.title + "' (" +
                       clock_text(later.start_min) + "-" + clock_text(later.end_min) +
                       ") overlaps '" + other.title + "' (" + clock_text(other.start_min) + "-" +
                       clock_text(other.end_min) + ")");
    }
  }
  std::vector<Span> fixed;
  for (std::size_t i : order) {
    const FixedBlock& f = in.fixed[i];
    Block b;
    b.kind = BlockKind::kFixed;
    b.title = f.title;
    b.start = zone.to_utc(local_minute(in.day, f.start_min));
    b.end = zone.to_utc(local_minute(in.day, f.end_min));
    fixed.push_back({b.start, b.end});
    out.blocks.push_back(b);
  }
  return fixed;
}

void check_task_types(const DayPlanInput& in) {
  for (const Task& t : in.tasks) {
    if (in.profiles.count(t.type) != 0) continue;
    std::vector<std::string> names;
    for (const auto& [name, p] : in.profiles) names.push_back(name);
    throw InputError(t.where + ": unknown task type '" + t.type + "'" +
                     did_you_mean(t.type, names) + " (profiles: " + join(names, ", ") + ")");
  }
}

// The tasks' sessions placed one after the other from the window's start.
class Scheduler {
 public:
  Scheduler(const DayPlanInput& in, const Zone& zone, std::vector<Span> fixed, DayPlan& out)
      : in_(in),
        zone_(zone),
        fixed_(std::move(fixed)),
        out_(out),
        queue_(in.tasks.size()),
        left_(in.tasks.size()),
        done_(in.tasks.size(), 0) {
    std::iota(queue_.begin(), queue_.end(), 0);
    std::stable_sort(queue_.begin(), queue_.end(), [&](std::size_t a, std::size_t b) {
      return in.tasks[a].priority < in.tasks[b].priority;
    });
    for (std::size_t i = 0; i < in.tasks.size(); ++i) left_[i] = in.tasks[i].sessions;
  }

  // The best energy slot, where deep tasks go first, when it overlaps the window.
  void use_deep_slot() {
    const bool any_deep =
        std::any_of(in_.tasks.begin(), in_.tasks.end(), [](const Task& t) { return t.deep; });
    if (!in_.deep_slot || !any_deep) return;
    const long long s = zone_.to_utc(local_minute(in_.day, *in_.deep_slot * 60));
    const long long e = zone_.to_utc(local_minute(in_.day, (*in_.deep_slot + 2) * 60));
    if (e <= out_.window_start || s >= out_.window_end) {
      out_.warnings.push_back("best energy slot " + clock_text(*in_.deep_slot * 60) + "-" +
                              clock_text((*in_.deep_slot + 2) * 60) +
                              " lies outside the window; deep tasks are scheduled by priority");
    } else {
      slot_ = std::max(s, out_.window_start);
      out_.deep_slot = in_.deep_slot;
    }
  }

  void run() {
    for (;;) {
      std::optional<std::size_t> pick;
      std::optional<long long> at;
      const bool deep_now = slot_ && deep_pending();
      if (deep_now && cursor_ < *slot_) {
        // Before the slot: the first task that is not deep and ends before it.
        for (std::size_t i : queue_) {
          if (left_[i] == 0 || in_.tasks[i].deep) continue;
          const long long len = in_.profiles.at(in_.tasks[i].type).work * 60LL;
          const auto t = earliest(cursor_, len);
          if (t && *t + len <= *slot_) {
            pick = i;
            at = t;
            break;
          }
        }
        if (!pick) {
          cursor_ = *slot_;
          continue;
        }
      } else {
        for (std::size_t i : queue_) {
          if (left_[i] == 0 || (deep_now && !in_.tasks[i].deep)) continue;
          pick = i;
          break;
        }
        if (!pick) break;
        const int len_min = in_.profiles.at(in_.tasks[*pick].type).work;
        at = earliest(cursor_, len_min * 60LL);
        if (!at) {
          unfit(*pick, len_min);
          continue;
        }
      }
      place(*pick, *at);
    }
  }

 private:
  // Earliest start >= t0 of `len` seconds inside the window that crosses no fixed block.
  std::optional<long long> earliest(long long t0, long long len) const {
    long long t = std::max(t0, out_.window_start);
    for (bool moved = true; moved;) {
      moved = false;
      for (const Span& f : fixed_) {
        if (t < f.end && t + len > f.start) {
          t = f.end;
          moved = true;
        }
      }
    }
    if (t + len > out_.window_end) return std::nullopt;
    return t;
  }

  bool deep_pending() const {
    for (std::size_t i : queue_) {
      if (in_.tasks[i].deep && left_[i] > 0) return true;
    }
    return false;
  }

  void unfit(std::size_t i, int len_min) {
    Unfit u;
    u.task = static_cast<int>(i);
    u.missing = left_[i];
    u.requested = in_.tasks[i].sessions;
    const Civil c = civil_at(cursor_, zone_.offset_at(cursor_));
    u.reason = "no free " + std::to_string(len_min) + "-minute stretch left after " +
               clock_text(c.hour * 60 + c.minute);
    out_.unfit.push_back(u);
    left_[i] = 0;
  }

  // A work session of task `i` at `at`, then its break (cut short by a fixed block, the
  // window's end or a deep slot still to come).
  void place(std::size_t i, long long at) {
    const Task& task = in_.tasks[i];
    const Profile& p = in_.profiles.at(task.type);
    Block w;
    w.kind = BlockKind::kWork;
    w.title = task.title;
    w.type = task.type;
    w.task = static_cast<int>(i);
    w.session = ++done_[i];
    w.of = task.sessions;
    w.start = at;
    w.end = at + p.work * 60LL;
    w.deep = task.deep;
    out_.blocks.push_back(w);
    out_.work_minutes += p.work;
    --left_[i];
    ++completed_;
    const bool long_break = p.long_break_every > 0 && completed_ % p.long_break_every == 0;
    Block br = w;
    br.kind = long_break ? BlockKind::kLongBreak : BlockKind::kShortBreak;
    br.session = 0;
    br.deep = false;
    br.start = w.end;
    br.end = w.end + (long_break ? p.long_break : p.short_break) * 60LL;
    long long limit = out_.window_end;
    for (const Span& f : fixed_) {
      if (f.start >= br.start) limit = std::min(limit, f.start);
    }
    if (slot_ && *slot_ > br.start && !task.deep && deep_pending()) limit = std::min(limit, *slot_);
    if (br.end > limit) {
      br.end = limit;
      br.shortened = true;
    }
    if (br.end > br.start) {
      out_.blocks.push_back(br);
      out_.break_minutes += static_cast<int>((br.end - br.start) / 60);
    }
    cursor_ = std::max(br.end, w.end);
  }

  const DayPlanInput& in_;
  const Zone& zone_;
  const std::vector<Span> fixed_;
  DayPlan& out_;
  std::vector<std::size_t> queue_;  // task indices by priority, then file order
  std::vector<int> left_;           // sessions still to place, per task
  std::vector<int> done_;           // sessions placed, per task
  std::optional<long long> slot_;   // start of the deep-work slot (UTC)
  long long cursor_ = out_.window_start;
  int completed_ = 0;
};

}  // namespace

DayPlan plan_day(const DayPlanInput& in, const Zone& zone) {
  DayPlan out;
  if (in.window_end <= in.window_start) {
    throw InputError("window " + clock_text(in.window_start) + "-" + clock_text(in.window_end) +
                     " is empty: its end must come after its start");
  }
  out.window_start = zone.to_utc(local_minute(in.day, in.window_start));
  out.window_end = zone.to_utc(local_minute(in.day, in.window_end));
  const std::vector<Span> fixed = place_fixed(in, zone, out);
  check_task_types(in);
  Scheduler scheduler(in, zone, fixed, out);
  scheduler.use_deep_slot();
  scheduler.run();

  std::stable_sort(out.blocks.begin(), out.blocks.end(),
                   [](const Block& a, const Block& b) { return a.start < b.start; });
  long long fixed_s = 0;
  for (const Span& f : fixed) fixed_s += f.end - f.start;
  out.free_minutes = static_cast<int>((out.window_end - out.window_start - fixed_s) / 60) -
                     out.work_minutes - out.break_minutes;
  return out;
}

}  // namespace rlab::pomodoro
