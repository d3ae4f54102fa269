// rlab cost: the pure core (catalogue parsing, interruption model, simulation, solver).
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
// CSV (RFC 4180) with positions.

struct Field {
  std::string text;
  int line = 0;
  int column = 0;
};
struct Row {
  std::vector<Field> fields;
  int line = 0;
};

std::vector<Row> parse_csv(const std::string& text, const std::string& name) {
  std::vector<Row> rows;
  std::size_t i = 0;
  int line = 1;
  int col = 1;
  const std::size_t n = text.size();
  if (n >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // UTF-8 byte order mark
  while (i < n) {
    Row row;
    row.line = line;
    // A blank line (or one holding only a CR) is skipped.
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      col = 1;
      continue;
    }
    while (true) {
      Field f;
      f.line = line;
      f.column = col;
      if (i < n && text[i] == '"') {
        ++i;
        ++col;
        bool closed = false;
        while (i < n) {
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              f.text += '"';
              i += 2;
              col += 2;
              continue;
            }
            ++i;
            ++col;
            closed = true;
            break;
          }
          if (text[i] == '\n') {
            ++line;
            col = 0;
          }
          f.text += text[i++];
          ++col;
        }
        if (!closed) {
          throw InputError(name + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) +
                           ": unterminated quoted field");
        }
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          throw InputError(name + ":" + std::to_string(line) + ":" + std::to_string(col) +
                           ": unexpected character after a closing quote (a quote inside a "
                           "quoted field is written \"\")");
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') {
            throw InputError(name + ":" + std::to_string(line) + ":" + std::to_string(col) +
                             ": quote inside an unquoted field (quote the whole field)");
          }
          f.text += text[i++];
          ++col;
        }
      }
      row.fields.push_back(std::move(f));
      if (i < n && text[i] == ',') {
        ++i;
        ++col;
        continue;
      }
      if (i < n && text[i] == '\r') ++i;
      if (i < n && text[i] == '\n') ++i;
      ++line;
      col = 1;
      break;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string at(const std::string& name, const Field& f) {
  return name + ":" + std::to_string(f.line) + ":" + std::to_string(f.column);
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out);
}

double price_field(const std::string& name, const Field& f, const std::string& column) {
  const std::string v = trim(f.text, " \t");
  if (v.empty()) throw InputError(at(name, f) + ": missing " + column + " price");
  double d = 0;
  if (!parse_number(v, d)) {
    throw InputError(at(name, f) + ": " + column + " price must be a number in $/hour, got '" + v +
                     "'");
  }
  if (d <= 0) {
    throw InputError(at(name, f) + ": " + column + " price must be > 0 $/hour, got " + v);
  }
  return d;
}

std::map<std::string, std::size_t> header_index(const Row& header) {
  std::map<std::string, std::size_t> idx;
  for (std::size_t k = 0; k < header.fields.size(); ++k)
    idx[trim(header.fields[k].text, " \t")] = k;
  return idx;
}

void check_width(const std::string& name, const Row& row, std::size_t width) {
  if (row.fields.size() != width) {
    throw InputError(name + ":" + std::to_string(row.line) + ": row has " +
                     std::to_string(row.fields.size()) + " fields, the header has " +
                     std::to_string(width));
  }
}

Catalogue parse_rlab(const std::vector<Row>& rows, const std::string& name) {
  static const std::vector<std::string> kColumns = {
      "provider",  "region", "instance",     "gpus",   "gpu_type",
      "on_demand", "spot",   "interruption", "source", "as_of"};
  const auto idx = header_index(rows[0]);
  for (const auto& c : kColumns) {
    if (idx.count(c) == 0) {
      throw InputError(name + ":1: missing column '" + c + "' (rlab catalogue columns: " +
                       "provider,region,instance,gpus,gpu_type,on_demand,spot,interruption,"
                       "source,as_of)");
    }
  }
  Catalogue cat;
  cat.name = name;
  cat.format = "rlab";
  std::map<std::tuple<std::string, std::string, std::string>, std::string> seen;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Row& row = rows[r];
    check_width(name, row, rows[0].fields.size());
    auto f = [&](const std::string& c) -> const Field& { return row.fields[idx.at(c)]; };
    Offer o;
    o.where = name + ":" + std::to_string(row.line);
    o.provider = trim(f("provider").text, " \t");
    o.region = trim(f("region").text, " \t");
    o.instance = trim(f("instance").text, " \t");
    for (const char* c : {"provider", "region", "instance"}) {
      if (trim(f(c).text, " \t").empty()) throw InputError(at(name, f(c)) + ": empty " + c);
    }
    double g = 0;
    const std::string gs = trim(f("gpus").text, " \t");
    if (!parse_number(gs, g) || g < 1 || g != std::floor(g) || g > 1024) {
      throw InputError(at(name, f("gpus")) + ": gpus must be a whole number >= 1, got '" + gs +
                       "'");
    }
    o.gpus = static_cast<int>(g);
    o.gpu_type = trim(f("gpu_type").text, " \t");
    o.on_demand = price_field(name, f("on_demand"), "on-demand");
    const std::string sp = trim(f("spot").text, " \t");
    if (ascii_lower(sp) != "none") {
      if (sp.empty()) {
        throw InputError(at(name, f("spot")) +
                         ": missing spot price (write 'none' when no spot is offered)");
      }
      o.spot = price_field(name, f("spot"), "spot");
    }
    o.band = trim(f("interruption").text, " \t");
    if (!o.band.empty() &&
        std::find(band_names().begin(), band_names().end(), o.band) == band_names().end()) {
      throw InputError(at(name, f("interruption")) + ": unknown interruption band '" + o.band +
                       "' (use <5, 5-10, 10-15, 15-20, >20 or leave empty)");
    }
    o.source = trim(f("source").text, " \t");
    o.as_of = trim(f("as_of").text, " \t");
    if (!o.as_of.empty() && !parse_date(o.as_of)) {
      throw InputError(at(name, f("as_of")) + ": as_of must be a date YYYY-MM-DD, got '" + o.as_of +
                       "'");
    }
    const auto key = std::make_tuple(o.provider, o.region, o.instance);
    const auto it = seen.find(key);
    if (it != seen.end()) {
      throw InputError(o.where + ": duplicate row for " + o.provider + " " + o.region + " " +
                       o.instance + " (first at " + it->second + ")");
    }
    seen[key] = o.where;
    cat.offers.push_back(std::move(o));
  }
  return cat;
}

Catalogue parse_skypilot(const std::vector<Row>& rows, const std::string& name,
                         const std::string& provider) {
  const auto idx = header_index(rows[0]);
  for (const char* c :
       {"InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "SpotPrice", "Region"}) {
    if (idx.count(c) == 0) throw InputError(name + ":1: missing SkyPilot column '" + c + "'");
  }
  Catalogue cat;
  cat.name = name;
  cat.format = "skypilot";
  std::map<std::pair<std::string, std::string>, std::size_t> pos;  // (instance, region) -> offer
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Row& row = rows[r];
    check_width(name, row, rows[0].fields.size());
    auto f = [&](const char* c) -> const Field& { return row.fields[idx.at(c)]; };
    const std::string acc = trim(f("AcceleratorName").text, " \t");
    if (acc.empty()) continue;  // no GPU
    double g = 0;
    const std::string gs = trim(f("AcceleratorCount").text, " \t");
    if (!parse_number(gs, g) || g < 0) {
      throw InputError(at(name, f("AcceleratorCount")) +
                       ": AcceleratorCount must be a number, got '" + gs + "'");
    }
    if (g < 1 || g != std::floor(g)) continue;  // fractional GPUs are not modelled
    const double od = price_field(name, f("Price"), "on-demand (Price)");
    std::optional<double> spot;
    if (!trim(f("SpotPrice").text, " \t").empty())
      spot = price_field(name, f("SpotPrice"), "spot (SpotPrice)");
    const std::string inst = trim(f("InstanceType").text, " \t");
    const std::string region = trim(f("Region").text, " \t");
    if (inst.empty()) throw InputError(at(name, f("InstanceType")) + ": empty InstanceType");
    const auto key = std::make_pair(inst, region);
    const auto it = pos.find(key);
    if (it == pos.end()) {
      Offer o;
      o.provider = provider.empty() ? "skypilot" : provider;
      o.region = region;
      o.instance = inst;
      o.gpus = static_cast<int>(g);
      o.gpu_type = acc;
      o.on_demand = od;
      o.spot = spot;
      o.source = "SkyPilot catalogue " + name;
      o.where = name + ":" + std::to_string(row.line);
      pos[key] = cat.offers.size();
      cat.offers.push_back(std::move(o));
    } else {
      // One row per zone: keep the highest price of the region (conservative).
      Offer& o = cat.offers[it->second];
      o.on_demand = std::max(o.on_demand, od);
      if (spot) o.spot = o.spot ? std::max(*o.spot, *spot) : *spot;
    }
  }
  return cat;
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

// ---------------------------------------------------------------------------------------------

Catalogue parse_catalogue(const std::string& text, const std::string& name,
                          const std::string& provider) {
  const std::vector<Row> rows = parse_csv(text, name);
  if (rows.empty()) throw InputError(name + ": the price catalogue is empty");
  const auto idx = header_index(rows[0]);
  Catalogue cat;
  if (idx.count("InstanceType") > 0) {
    cat = parse_skypilot(rows, name, provider);
  } else if (idx.count("instance") > 0) {
    cat = parse_rlab(rows, name);
  } else {
    throw InputError(name +
                     ":1: unknown catalogue header: expected rlab's (provider,region,"
                     "instance,...) or SkyPilot's (InstanceType,AcceleratorName,...)");
  }
  if (cat.offers.empty()) throw InputError(name + ": the price catalogue has no GPU instances");
  return cat;
}

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
      wall += gap;
      life += gap;
      billed += bill(life, m.granularity);
      life = 0;
      interruptions += 1;
      gap = rng.exponential(m.mtbf);
      // Restart; an interruption during it starts it again.
      while (gap < m.restart) {
        wall += gap;
        life += gap;
        billed += bill(life, m.granularity);
        life = 0;
        interruptions += 1;
        gap = rng.exponential(m.mtbf);
      }
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

}  // namespace

Result plan(const Request& q, const Catalogue& catalogue, const std::string& today,
            bool simulate_report) {
  Result res;
  // Filters.
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

  // Staleness of the prices used.
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
      res.warnings.push_back("prices in " + catalogue.name + " are " + std::to_string(age) +
                             " days old (as of " + oldest + ", today " + today + "; more than " +
                             std::to_string(kStaleDays) + "): check them or pass --prices FILE");
    }
  }
  if (undated) {
    res.warnings.push_back("some prices in " + catalogue.name +
                           " carry no as-of date; their age is unknown");
  }

  const double pct = q.deadline_percentile;
  bool default_band_used = false;
  for (const auto& o : offers) {
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
    c.p90_wall = quantile(sim.walls, q.deadline ? pct : 0.9);
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
    res.candidates.push_back(std::move(c));
  }
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

  // A budget below the cheapest possible plan is a question whose answer is no: the plan is
  // infeasible, and the reason names the cheapest plan there is.
  bool below_cheapest = false;
  if (q.budget) {
    const auto best = std::min_element(
        res.candidates.begin(), res.candidates.end(),
        [](const Candidate& a, const Candidate& b) { return a.cheapest < b.cheapest; });
    if (*q.budget < best->cheapest) {
      below_cheapest = true;
      res.feasible = false;
      res.infeasible.push_back("budget " + money(*q.budget) +
                               " is below the cheapest possible plan, " + money(best->cheapest) +
                               " (" + best->offer.provider + " " + best->offer.region + " " +
                               best->offer.instance + " at spot share " +
                               share(best->cheapest_share) + ", interruptions included)");
    }
  }

  // CHOSEN: cheapest expected cost among offers that can run the requested share and meet the
  // deadline; when none meets the deadline, the cheapest that can run the share.
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
  res.chosen = *pick;
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
  if (q.deadline) {
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
      res.infeasible.push_back("deadline " + hours(*q.deadline) + " cannot be met at P" +
                               std::to_string(pct100) + " on " + name +
                               " with any spot share: all on-demand takes " +
                               hours(quantile(od.walls, pct)));
    } else if (!c.meets_deadline) {
      res.infeasible.push_back(
          "at spot share " + share(q.spot_share) + " the P" + std::to_string(pct100) + " time " +
          hours(c.p90_wall) + " misses the deadline " + hours(*q.deadline) +
          "; a spot share of at most " + share_down(*res.max_share_deadline) + " meets it");
    }
  }
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
