// rlab cost: the pure core (interruption model, simulation, solver); the catalogues are parsed in
// catalogue.cpp.
#include "rlab/cost.h"

#include "rlab/clock.h"
#include "rlab/error.h"
#include "rlab/text.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

namespace rlab::cost {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr long kStaleDays = 180;
// Beyond this many expected interruptions per job a plan is refused (it would never finish,
// and simulating it would not either).
constexpr double kMaxInterruptions = 1e4;

// Jobs simulated per percentile estimate: fewer when each job has many interruptions, so one
// estimate stays around 2e7 random draws.
std::size_t jobs_for(std::size_t wanted, double interruptions) {
  const double cap = 2e7 / (1 + interruptions);
  return std::max<std::size_t>(1000, std::min<std::size_t>(std::min<std::size_t>(wanted, 20000),
                                                           static_cast<std::size_t>(cap)));
}

// ---------------------------------------------------------------------------------------------
// Random numbers: splitmix64 seeding xoshiro256**, so a seed gives the same jobs everywhere.

struct Rng {
  std::uint64_t s[4];
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& v : s) {
      x += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      v = z ^ (z >> 31);
    }
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  /// Uniform in (0, 1].
  double uniform() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
  double exponential(double mean) { return -std::log(uniform()) * mean; }
};

double bill(double hours, double granularity) {
  if (granularity <= 0) return hours;
  return std::ceil(hours / granularity - 1e-9) * granularity;
}

// Number of full segments and the remainder of `work` cut into pieces of `interval`.
std::pair<double, double> cut(double work, double interval) {
  if (work <= 0) return {0, 0};
  if (!std::isfinite(interval)) return {0, work};  // no checkpoints: one segment
  double n = std::floor(work / interval);
  double r = work - n * interval;
  if (r <= interval * 1e-12) r = 0;
  return {n, r};
}

double od_wall(const JobModel& m, double work) {
  const auto [n, r] = cut(work, m.interval);
  return work + (n + (r > 0 ? 1 : 0)) * m.checkpoint_write;
}

}  // namespace

const std::vector<std::string>& band_names() {
  static const std::vector<std::string> kBands = {"<5", "5-10", "10-15", "15-20", ">20"};
  return kBands;
}

double band_fraction(const std::string& band) {
  if (band == "<5") return 0.05;
  if (band == "5-10") return 0.10;
  if (band == "10-15") return 0.15;
  if (band == "15-20") return 0.20;
  if (band == ">20") return 0.30;
  throw std::invalid_argument("unknown interruption band '" + band + "'");
}

double rate_from_fraction(double fraction) { return -std::log1p(-fraction) / 720.0; }

double young_interval(double delta, double mtbf) { return std::sqrt(2 * delta * mtbf); }

double daly_interval(double delta, double mtbf) {
  if (delta >= 2 * mtbf) return mtbf;
  const double x = delta / (2 * mtbf);
  return std::sqrt(2 * delta * mtbf) * (1 + std::sqrt(x) / 3 + x / 9) - delta;
}

double segment_time(double length, double restart, double mtbf) {
  if (!std::isfinite(mtbf)) return length;
  const double lambda = 1 / mtbf;
  return std::exp(restart * lambda) * std::expm1(length * lambda) / lambda;
}

Expectation expect(const JobModel& m) {
  Expectation e;
  const double T = m.work_instance_hours;
  e.spot_work = m.spot_share * T;
  e.od_work = T - e.spot_work;
  const bool finite = std::isfinite(m.mtbf);
  const double lambda = finite ? 1 / m.mtbf : 0;
  auto add_segments = [&](double count, double length) {
    if (count <= 0) return;
    const double wall = segment_time(length, m.restart, m.mtbf);
    const double fails = finite ? std::expm1(length * lambda) * std::exp(m.restart * lambda) : 0;
    const double restart =
        finite ? std::expm1(length * lambda) * std::expm1(m.restart * lambda) / lambda : 0;
    e.spot_wall += count * wall;
    e.interruptions += count * fails;
    e.restarts += count * restart;
    e.checkpoints += count * m.checkpoint_write;
  };
  const auto [n, r] = cut(e.spot_work, m.interval);
  add_segments(n, m.interval + m.checkpoint_write);
  if (r > 0) add_segments(1, r + m.checkpoint_write);
  e.lost = std::max(0.0, e.spot_wall - e.spot_work - e.checkpoints - e.restarts);
  e.daly_spot_wall = e.spot_work > 0
                         ? e.spot_work / m.interval *
                               segment_time(m.interval + m.checkpoint_write, m.restart, m.mtbf)
                         : 0;
  e.od_wall = e.od_work > 0 ? od_wall(m, e.od_work) : 0;
  const double spot_billed =
      e.spot_work > 0 ? e.spot_wall + (1 + e.interruptions) * m.granularity / 2 : 0;
  const double od_billed = bill(e.od_wall, m.granularity);
  e.cost = m.price_spot * spot_billed + m.price_on_demand * od_billed;
  e.naive_cost = T * (m.spot_share * m.price_spot + (1 - m.spot_share) * m.price_on_demand);
  e.wall = m.streams == Streams::kSequential ? e.spot_wall + e.od_wall
                                             : std::max(e.spot_wall, e.od_wall);
  return e;
}

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

Simulation simulate(const JobModel& m, std::size_t jobs, std::uint64_t seed) {
  Simulation sim;
  sim.jobs = jobs;
  sim.seed = seed;
  Rng rng(seed);
  const double T = m.work_instance_hours;
  const double spot_work = m.spot_share * T;
  const double od_work = T - spot_work;
  const double od = od_work > 0 ? od_wall(m, od_work) : 0;
  const double od_cost = m.price_on_demand * bill(od, m.granularity);
  const auto [n_full, rem] = cut(spot_work, m.interval);
  const double full = m.interval + m.checkpoint_write;
  const bool finite = std::isfinite(m.mtbf);
  std::vector<double> costs(jobs);
  sim.walls.resize(jobs);
  std::vector<double> spot_walls(jobs);
  double interruptions = 0;
  for (std::size_t j = 0; j < jobs; ++j) {
    double wall = 0;
    double life = 0;  // current instance's lifetime, billed when it ends
    double billed = 0;
    double gap = finite ? rng.exponential(m.mtbf) : kInf;  // time to the next interruption
    auto interrupted = [&] {
      // The instance runs until the interruption due, is billed, and the next one is drawn;
      // an interruption during the restart starts it again.
      do {
        wall += gap;
        life += gap;
        billed += bill(life, m.granularity);
        life = 0;
        interruptions += 1;
        gap = rng.exponential(m.mtbf);
      } while (gap < m.restart);
      wall += m.restart;
      life += m.restart;
      gap -= m.restart;
    };
    auto segment = [&](double length) {
      while (gap < length) interrupted();
      wall += length;
      life += length;
      gap -= length;
    };
    if (spot_work > 0) {
      double done = 0;
      while (done < n_full) {
        // Segments that fit before the next interruption, all at once (memoryless gaps).
        const double fit =
            std::isfinite(gap) ? std::min(n_full - done, std::floor(gap / full)) : n_full - done;
        wall += fit * full;
        life += fit * full;
        gap -= fit * full;
        done += fit;
        if (done < n_full) {
          segment(full);
          done += 1;
        }
      }
      if (rem > 0) segment(rem + m.checkpoint_write);
      billed += bill(life, m.granularity);
    }
    spot_walls[j] = wall;
    sim.walls[j] = m.streams == Streams::kSequential ? wall + od : std::max(wall, od);
    costs[j] = m.price_spot * billed + od_cost;
  }
  auto mean_se = [&](const std::vector<double>& v, double& mean, double& se) {
    double s = 0;
    for (double x : v) s += x;
    mean = jobs > 0 ? s / static_cast<double>(jobs) : 0;
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    se = jobs > 1 ? std::sqrt(ss / static_cast<double>(jobs - 1) / static_cast<double>(jobs)) : 0;
  };
  mean_se(costs, sim.mean_cost, sim.se_cost);
  mean_se(sim.walls, sim.mean_wall, sim.se_wall);
  mean_se(spot_walls, sim.mean_spot_wall, sim.se_spot_wall);
  sim.mean_interruptions = jobs > 0 ? interruptions / static_cast<double>(jobs) : 0;
  std::sort(costs.begin(), costs.end());
  std::sort(sim.walls.begin(), sim.walls.end());
  sim.p50_cost = quantile(costs, 0.5);
  sim.p90_cost = quantile(costs, 0.9);
  sim.p50_wall = quantile(sim.walls, 0.5);
  sim.p90_wall = quantile(sim.walls, 0.9);
  return sim;
}

long days_between(const std::string& from, const std::string& to) {
  const auto a = parse_date(from);
  const auto b = parse_date(to);
  if (!a || !b) throw std::invalid_argument("bad date");
  return *b - *a;
}

// ---------------------------------------------------------------------------------------------
// Planning.

namespace {

std::string money(double v) { return format_fixed(v, 2) + " $"; }
std::string hours(double v) { return format_fixed(v, 1) + " h"; }
std::string share(double v) { return format_fixed(v, 2); }
// A minimum share rounded up and a maximum rounded down, so the printed value still holds.
std::string share_up(double v) { return format_fixed(std::ceil(v * 100 - 1e-9) / 100, 2); }
std::string share_down(double v) { return format_fixed(std::floor(v * 100 + 1e-9) / 100, 2); }

JobModel at_share(JobModel m, double s) {
  m.spot_share = s;
  return m;
}

// Fraction of simulated jobs finishing within `deadline`.
double p_within(const JobModel& m, double deadline, std::size_t jobs, std::uint64_t seed) {
  const Simulation sim = simulate(m, jobs, seed);
  const auto k = std::upper_bound(sim.walls.begin(), sim.walls.end(), deadline) - sim.walls.begin();
  return static_cast<double>(k) / static_cast<double>(std::max<std::size_t>(jobs, 1));
}

// Smallest s in [0, 1] with E[cost](s) <= budget (grid of 1e-4, then bisection in the cell).
std::optional<double> min_share_for_budget(const JobModel& m, double budget, bool spot) {
  auto cost = [&](double s) { return expect(at_share(m, s)).cost; };
  if (cost(0) <= budget) return 0.0;
  if (!spot) return std::nullopt;
  constexpr int kSteps = 10000;
  for (int i = 1; i <= kSteps; ++i) {
    const double s = static_cast<double>(i) / kSteps;
    if (cost(s) <= budget) {
      double lo = static_cast<double>(i - 1) / kSteps;
      double hi = s;
      for (int it = 0; it < 40; ++it) {
        const double mid = (lo + hi) / 2;
        (cost(mid) <= budget ? hi : lo) = mid;
      }
      return hi;
    }
  }
  return std::nullopt;
}

// The offers that pass the request's filters, with the plan's prices applied; throws when an
// instance is unknown or no offer fits.
std::vector<Offer> matching_offers(const Request& q, const Catalogue& catalogue) {
  std::vector<std::string> instances;
  for (const auto& o : catalogue.offers) instances.push_back(o.instance);
  if (!q.instance.empty() &&
      std::find(instances.begin(), instances.end(), q.instance) == instances.end()) {
    std::sort(instances.begin(), instances.end());
    instances.erase(std::unique(instances.begin(), instances.end()), instances.end());
    throw InputError(q.where_instance + ": unknown instance '" + q.instance + "' in " +
                     catalogue.name + did_you_mean(q.instance, instances));
  }
  if ((q.price_on_demand || q.price_spot) && q.instance.empty()) {
    throw InputError(q.where_prices +
                     ": prices in the plan override the catalogue for one instance; set "
                     "'instance' too");
  }
  std::vector<Offer> offers;
  for (const auto& o : catalogue.offers) {
    if (!q.instance.empty() && o.instance != q.instance) continue;
    if (!q.provider.empty() && ascii_lower(o.provider) != ascii_lower(q.provider)) continue;
    if (!q.region.empty() && o.region != q.region) continue;
    if (!q.gpu_type.empty() && ascii_lower(o.gpu_type) != ascii_lower(q.gpu_type)) continue;
    if (o.gpus < q.gpus) continue;
    Offer x = o;
    if (q.price_on_demand) x.on_demand = *q.price_on_demand;
    if (q.price_spot) x.spot = *q.price_spot;
    if (q.price_on_demand || q.price_spot) x.source = "plan file";
    offers.push_back(std::move(x));
  }
  if (offers.empty()) {
    std::string what = std::to_string(q.gpus) + " GPU(s)";
    if (!q.gpu_type.empty()) what += " of type " + q.gpu_type;
    if (!q.instance.empty()) what += " on " + q.instance;
    if (!q.provider.empty()) what += " at " + q.provider;
    if (!q.region.empty()) what += " in " + q.region;
    throw InputError(q.where_instance + ": no instance in " + catalogue.name + " offers " + what);
  }
  return offers;
}

// Staleness of the prices used.
void warn_price_age(const std::vector<Offer>& offers, const Catalogue& catalogue,
                    const std::string& today, std::vector<std::string>& warnings) {
  std::string oldest;
  bool undated = false;
  for (const auto& o : offers) {
    if (o.source == "plan file") continue;
    if (o.as_of.empty()) {
      undated = true;
    } else if (oldest.empty() || o.as_of < oldest) {
      oldest = o.as_of;
    }
  }
  if (!oldest.empty() && !today.empty()) {
    const long age = days_between(oldest, today);
    if (age > kStaleDays) {
      warnings.push_back("prices in " + catalogue.name + " are " + std::to_string(age) +
                         " days old (as of " + oldest + ", today " + today + "; more than " +
                         std::to_string(kStaleDays) + "): check them or pass --prices FILE");
    }
  }
  if (undated) {
    warnings.push_back("some prices in " + catalogue.name +
                       " carry no as-of date; their age is unknown");
  }
}

// One offer modelled: interruption rate, checkpoint interval, expected cost, the percentile
// wall time and the cheapest spot share. `default_band_used` is set when the offer fell back
// to the request's default band.
Candidate candidate_for(const Request& q, const Offer& o, bool& default_band_used) {
  Candidate c;
  c.offer = o;
  if (q.rate) {
    c.rate = *q.rate;
    c.band = "rate";
  } else {
    c.band = !q.band.empty() ? q.band : !o.band.empty() ? o.band : q.default_band;
    if (q.band.empty() && o.band.empty()) default_band_used = true;
    c.rate = rate_from_fraction(band_fraction(c.band));
  }
  c.mtbf = c.rate > 0 ? 1 / c.rate : kInf;
  c.interval = q.interval              ? *q.interval
               : std::isfinite(c.mtbf) ? daly_interval(q.checkpoint_write, c.mtbf)
                                       : kInf;
  if (!(c.interval > 0)) c.interval = kInf;
  JobModel& m = c.model;
  m.work_instance_hours = q.work_in_gpu_hours ? q.work / o.gpus : q.work;
  m.spot_share = o.spot ? q.spot_share : 0;  // no spot offered: all on demand
  m.mtbf = c.mtbf;
  m.checkpoint_write = q.checkpoint_write;
  m.interval = c.interval;
  m.restart = q.restart;
  m.granularity = q.granularity;
  m.price_on_demand = o.on_demand;
  m.price_spot = o.spot.value_or(0);
  m.streams = q.streams;
  c.expected = expect(m);
  if (!(c.expected.interruptions <= kMaxInterruptions) || !std::isfinite(c.expected.cost)) {
    throw InputError(q.where_instance + ": interruptions too frequent on " + o.provider + " " +
                     o.region + " " + o.instance + ": " +
                     format_number(c.expected.interruptions, 3) + " expected per job (MTBF " +
                     format_number(c.mtbf, 4) + " h, checkpoint every " +
                     format_number(c.interval, 4) + " h, restart " + format_number(q.restart, 4) +
                     " h); the job would practically never finish on spot");
  }
  const double gpu_hours = m.work_instance_hours * o.gpus;
  c.per_useful_gpu_hour = c.expected.cost / gpu_hours;
  c.percentile_jobs = jobs_for(q.sim_jobs, c.expected.interruptions);
  const Simulation sim = simulate(m, c.percentile_jobs, q.seed);
  c.p90_wall = quantile(sim.walls, q.deadline ? q.deadline_percentile : 0.9);
  c.meets_deadline = !q.deadline || c.p90_wall <= *q.deadline;
  // Cheapest plan over s: the cost is near-linear in s, so the ends and a grid suffice.
  c.cheapest = kInf;
  const int steps = o.spot ? 100 : 0;
  for (int i = 0; i <= steps; ++i) {
    const double s = static_cast<double>(i) / 100;
    const double v = expect(at_share(m, s)).cost;
    if (v < c.cheapest) {
      c.cheapest = v;
      c.cheapest_share = s;
    }
  }
  return c;
}

// A budget below the cheapest possible plan is a question whose answer is no: the plan is
// infeasible, and the reason names the cheapest plan there is. True when that is so.
bool below_cheapest_plan(const Request& q, Result& res) {
  if (!q.budget) return false;
  const auto best = std::min_element(
      res.candidates.begin(), res.candidates.end(),
      [](const Candidate& a, const Candidate& b) { return a.cheapest < b.cheapest; });
  if (!(*q.budget < best->cheapest)) return false;
  res.feasible = false;
  res.infeasible.push_back("budget " + money(*q.budget) + " is below the cheapest possible plan, " +
                           money(best->cheapest) + " (" + best->offer.provider + " " +
                           best->offer.region + " " + best->offer.instance + " at spot share " +
                           share(best->cheapest_share) + ", interruptions included)");
  return true;
}

// CHOSEN: cheapest expected cost among offers that can run the requested share and meet the
// deadline; when none meets the deadline, the cheapest that can run the share.
std::size_t choose(const Request& q, const Result& res, const Catalogue& catalogue) {
  auto eligible = [&](const Candidate& c) { return c.offer.spot || q.spot_share == 0; };
  std::optional<std::size_t> pick;
  for (std::size_t i = 0; i < res.candidates.size() && !pick; ++i) {
    if (eligible(res.candidates[i]) && res.candidates[i].meets_deadline) pick = i;
  }
  if (!pick) {
    for (std::size_t i = 0; i < res.candidates.size() && !pick; ++i) {
      if (eligible(res.candidates[i])) pick = i;
    }
  }
  if (!pick) {
    throw InputError(q.where_instance + ": no matching offer in " + catalogue.name +
                     " has a spot price, and the spot share is " + share(q.spot_share) +
                     " (set spot_share: 0 for on-demand only)");
  }
  return *pick;
}

// The largest spot share that meets the deadline on the chosen offer, or why none does.
void solve_deadline(const Request& q, const Candidate& c, const std::string& name, Result& res) {
  const double pct = q.deadline_percentile;
  const std::size_t deadline_jobs = jobs_for(q.sim_jobs, c.expected.interruptions);
  const int pct100 = static_cast<int>(std::lround(pct * 100));
  const int top = c.offer.spot ? 100 : 0;
  for (int i = top; i >= 0; --i) {
    const double s = static_cast<double>(i) / 100;
    if (p_within(at_share(c.model, s), *q.deadline, deadline_jobs, q.seed) >= pct) {
      res.max_share_deadline = s;
      break;
    }
  }
  if (!res.max_share_deadline) {
    res.feasible = false;
    const Simulation od = simulate(at_share(c.model, 0), deadline_jobs, q.seed);
    res.infeasible.push_back(
        "deadline " + hours(*q.deadline) + " cannot be met at P" + std::to_string(pct100) + " on " +
        name + " with any spot share: all on-demand takes " + hours(quantile(od.walls, pct)));
  } else if (!c.meets_deadline) {
    res.infeasible.push_back(
        "at spot share " + share(q.spot_share) + " the P" + std::to_string(pct100) + " time " +
        hours(c.p90_wall) + " misses the deadline " + hours(*q.deadline) +
        "; a spot share of at most " + share_down(*res.max_share_deadline) + " meets it");
  }
}

}  // namespace

Result plan(const Request& q, const Catalogue& catalogue, const std::string& today,
            bool simulate_report) {
  Result res;
  const std::vector<Offer> offers = matching_offers(q, catalogue);
  warn_price_age(offers, catalogue, today, res.warnings);

  bool default_band_used = false;
  for (const auto& o : offers) res.candidates.push_back(candidate_for(q, o, default_band_used));
  if (default_band_used) {
    res.warnings.push_back("no interruption band known for some offers; assuming '" +
                           q.default_band + "' (set 'interruption' in the plan)");
  }
  res.work_gpu_hours = q.work_in_gpu_hours ? q.work : q.work * res.candidates.front().offer.gpus;

  std::sort(res.candidates.begin(), res.candidates.end(),
            [](const Candidate& a, const Candidate& b) {
              return std::tie(a.expected.cost, a.offer.provider, a.offer.region, a.offer.instance) <
                     std::tie(b.expected.cost, b.offer.provider, b.offer.region, b.offer.instance);
            });

  const bool below_cheapest = below_cheapest_plan(q, res);
  res.chosen = choose(q, res, catalogue);
  Candidate& c = res.candidates[res.chosen];
  c.chosen = true;
  const std::string name = c.offer.provider + " " + c.offer.region + " " + c.offer.instance;

  if (q.budget) {
    res.over_budget = c.expected.cost > *q.budget;
    res.min_share_budget = min_share_for_budget(c.model, *q.budget, c.offer.spot.has_value());
    if (!res.min_share_budget) {
      res.feasible = false;
      if (!below_cheapest)
        res.infeasible.push_back("budget " + money(*q.budget) + " is below the cheapest plan on " +
                                 name + " (" + money(c.cheapest) + " at spot share " +
                                 share(c.cheapest_share) + ")");
    }
  }
  if (q.deadline) solve_deadline(q, c, name, res);
  if (res.min_share_budget && res.max_share_deadline &&
      *res.min_share_budget > *res.max_share_deadline + 1e-12) {
    res.feasible = false;
    res.infeasible.push_back("the budget needs a spot share of at least " +
                             share_up(*res.min_share_budget) + " but the deadline allows at most " +
                             share_down(*res.max_share_deadline) + " on " + name);
  }
  if (q.deadline && !c.meets_deadline) res.feasible = false;
  if (res.over_budget && res.min_share_budget) {
    res.infeasible.push_back("at spot share " + share(q.spot_share) + " the expected cost " +
                             money(c.expected.cost) + " exceeds the budget " + money(*q.budget) +
                             "; a spot share of at least " + share_up(*res.min_share_budget) +
                             " meets it");
    res.feasible = false;
  }
  if (simulate_report) res.simulation = simulate(c.model, q.sim_jobs, q.seed);
  return res;
}

}  // namespace rlab::cost
