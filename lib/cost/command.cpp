// `rlab cost`: plan file + price catalogue -> plan() -> candidate table / json / csv / md;
// `rlab cost diff A B` compares two plans (for PR comments).
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/config_schema.h"
#include "rlab/cost.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>

namespace rlab {

// The shipped catalogue, compiled in (generated from configs/cost/prices.csv).
extern const char* const kCostPricesCsv;

namespace {

using cost::Candidate;
using cost::Request;
using cost::Result;

struct Options {
  std::string file;
  std::vector<std::string> diff_files;
  std::string prices;
  std::string cloud;
  std::optional<double> spot_share, budget, deadline;
  std::optional<std::size_t> simulate;
  std::optional<std::uint64_t> seed;
  bool fail_over_budget = false;
  std::string output;
  CLI::App* plan = nullptr;
  CLI::App* diff = nullptr;
};

}  // namespace

const config::Section& cost_config_section() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  static const Section kSection{
      "cost",
      "rlab cost plan: the spot/on-demand mix, budget and deadline of a training job",
      {
          positive("work_gpu_hours", 1e9, "GPU-hours of work (or work_instance_hours; exactly one)",
                   "500"),
          positive("work_instance_hours", 1e9, "instance-hours of work, instead of GPU-hours"),
          text("instance", "only this instance type (an unknown type is an error)", "p3.2xlarge"),
          text("provider", "only this provider"),
          text("region", "only this region", "us-east-1"),
          text("gpu_type", "only this GPU type (case-insensitive)"),
          integer("gpus", 1, 1024, "minimum GPUs per instance (default 1)", "1"),
          positive("on_demand_usd_per_hour", 1e6,
                   "on-demand $/hour of 'instance', overriding the catalogue", "3.06"),
          positive("spot_usd_per_hour", 1e6, "spot $/hour of 'instance', overriding the catalogue",
                   "0.90"),
          number("spot_share", 0, 1, "fraction of the work run on spot (default 0.7)", "0.7"),
          positive("budget_usd", 1e12, "budget in $", "3000"),
          positive("deadline_hours", 1e9, "deadline in hours of wall time", "720"),
          any("deadline_percentile",
              "share of runs that must meet the deadline, strictly between 0 and 1 (default 0.9)",
              "0.9",
              [](const ConfigNode& n) {
                const double v = n.as_double(0, 1);
                if (v <= 0 || v >= 1) {
                  n.fail("'deadline_percentile' must be strictly between 0 and 1, got " +
                         format_number(v, 6));
                }
              }),
          choice("interruption", cost::band_names(),
                 "Spot Instance Advisor band (% of instances interrupted a month)", "5-10"),
          number("interruption_rate_per_hour", 0, 1e3,
                 "interruptions per instance-hour, instead of a band (0 = never)"),
          number("checkpoint_write_minutes", 0, 1e6, "minutes to write a checkpoint (default 5)",
                 "5"),
          any("checkpoint_interval_hours",
              "hours between checkpoints, > 0, or 'auto' (default: Daly's optimum)", "auto",
              [](const ConfigNode& n) {
                if (!(n.is_scalar() && n.as_string() == "auto")) require_positive(n, 1e9);
              }),
          number("restart_minutes", 0, 1e6,
                 "minutes to re-provision, reload and warm up after an interruption (default 10)",
                 "10"),
          number("billing_granularity_seconds", 0, 1e7,
                 "billing granularity in seconds (default 1; 0 = continuous)", "1"),
          choice("streams", {"sequential", "parallel"},
                 "spot and on-demand parts one after the other or at once (default sequential)",
                 "sequential"),
          text("prices", "price catalogue, relative to this file (default: the shipped one)"),
          integer("simulate_jobs", 1, 10000000,
                  "simulated jobs behind the percentile column (default 10000)"),
          integer("seed", 0, 1LL << 62, "seed of every simulation (default 1)", "1"),
      }};
  return kSection;
}

namespace {

struct Loaded {
  Request request;
  std::string prices;  // catalogue path from the plan ("" = none), resolved against the file
};

Loaded read_request(const std::string& file, const Context& ctx) {
  const ConfigNode root = load_config_file(file);
  const ConfigNode s = select_section(root, "cost", ctx.config_sections);
  apply_overrides(s, "cost", ctx.options.sets);
  config::check(s, cost_config_section());
  Loaded l;
  Request& q = l.request;
  const bool gpu = s.has("work_gpu_hours");
  const bool inst = s.has("work_instance_hours");
  if (gpu == inst) {
    s.fail(gpu ? "give either 'work_gpu_hours' or 'work_instance_hours', not both"
               : "missing the amount of work: 'work_gpu_hours' or 'work_instance_hours'");
  }
  // Every key was checked against its declaration: what follows only reads.
  auto read = [&](const char* key, auto& field, double scale = 1) {
    if (s.has(key)) field = s[key].as_double() / scale;
  };
  q.work_in_gpu_hours = gpu;
  q.work = s[gpu ? "work_gpu_hours" : "work_instance_hours"].as_double();
  q.instance = s.get("instance", std::string());
  q.where_instance = (s.has("instance") ? s["instance"] : s).location().str();
  q.provider = s.get("provider", std::string());
  q.region = s.get("region", std::string());
  q.gpu_type = s.get("gpu_type", std::string());
  if (s.has("gpus")) q.gpus = static_cast<int>(s["gpus"].as_int());
  read("on_demand_usd_per_hour", q.price_on_demand);
  read("spot_usd_per_hour", q.price_spot);
  for (const char* key : {"on_demand_usd_per_hour", "spot_usd_per_hour"}) {
    if (s.has(key) && q.where_prices.empty()) q.where_prices = s[key].location().str();
  }
  read("spot_share", q.spot_share);
  q.where_budget = (s.has("budget_usd") ? s["budget_usd"] : s).location().str();
  read("budget_usd", q.budget);
  read("deadline_hours", q.deadline);
  read("deadline_percentile", q.deadline_percentile);
  if (s.has("interruption")) q.band = s["interruption"].as_string();
  read("interruption_rate_per_hour", q.rate);
  read("checkpoint_write_minutes", q.checkpoint_write, 60);
  if (s.has("checkpoint_interval_hours") && s["checkpoint_interval_hours"].as_string() != "auto")
    read("checkpoint_interval_hours", q.interval);
  read("restart_minutes", q.restart, 60);
  read("billing_granularity_seconds", q.granularity, 3600);
  if (s.has("streams")) {
    q.streams = s["streams"].as_string() == "parallel" ? cost::Streams::kParallel
                                                       : cost::Streams::kSequential;
  }
  if (s.has("simulate_jobs")) q.sim_jobs = static_cast<std::size_t>(s["simulate_jobs"].as_int());
  if (s.has("seed")) q.seed = static_cast<std::uint64_t>(s["seed"].as_int());
  if (s.has("prices")) l.prices = resolve_beside(file, s["prices"].as_string());
  return l;
}

cost::Catalogue load_catalogue(const std::string& path, const std::string& cloud) {
  if (path.empty()) return cost::parse_catalogue(kCostPricesCsv, "configs/cost/prices.csv");
  std::string provider = cloud;
  if (provider.empty()) {
    // SkyPilot keeps one directory per cloud: catalogs/v7/aws/vms.csv.
    const std::string parent = path.find('/') == std::string::npos ? "" : dir_of(path);
    const auto p = parent.find_last_of('/');
    const std::string last = p == std::string::npos ? parent : parent.substr(p + 1);
    for (const char* c : {"aws", "gcp", "azure", "lambda", "oci", "ibm", "runpod", "paperspace",
                          "fluidstack", "cudo", "do", "nebius", "vast", "kubernetes"}) {
      if (last == c) provider = c;
    }
  }
  return cost::parse_catalogue(read_file(path), path, provider);
}

struct Planned {
  Request request;
  cost::Catalogue catalogue;
  Result result;
};

Planned make_plan(const std::string& file, const Options& o, Context& ctx, bool report) {
  Loaded l = read_request(file, ctx);
  Request& q = l.request;
  if (o.spot_share) {
    if (*o.spot_share < 0 || *o.spot_share > 1) {
      throw UsageError("--spot-share must be in [0, 1], got " + format_number(*o.spot_share, 6));
    }
    q.spot_share = *o.spot_share;
  }
  if (o.budget) {
    q.budget = *o.budget;
    q.where_budget = "--budget";
  }
  if (o.deadline) q.deadline = *o.deadline;
  if (o.simulate) q.sim_jobs = *o.simulate;
  if (o.seed) q.seed = *o.seed;
  Planned p{q, load_catalogue(o.prices.empty() ? l.prices : o.prices, o.cloud), {}};
  const auto t0 = std::chrono::steady_clock::now();
  p.result = cost::plan(p.request, p.catalogue, ctx.clock.utc_date(), report);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ctx.log.info("planned " + std::to_string(p.result.candidates.size()) + " candidate(s) in " +
               format_fixed(ms, 1) + " ms");
  if (p.result.simulation && ctx.log.level() >= LogLevel::kInfo) {
    // Timed again on its own (only with -v), for scripts/bench/cost.sh.
    const auto t1 = std::chrono::steady_clock::now();
    (void)cost::simulate(p.result.candidates[p.result.chosen].model, p.request.sim_jobs,
                         p.request.seed);
    const double sim_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    ctx.log.info("simulation of " + std::to_string(p.request.sim_jobs) + " jobs took " +
                 format_fixed(sim_ms, 1) + " ms");
  }
  return p;
}

std::string num(double v, int d = 2) { return format_fixed(v, d); }
std::string opt_num(const std::optional<double>& v, int d = 2) { return v ? num(*v, d) : "-"; }

std::string pct_label(const Request& q) {
  return "P" + std::to_string(std::lround((q.deadline ? q.deadline_percentile : 0.9) * 100));
}

Table candidate_table(const Planned& p) {
  Table t;
  const std::string pl = pct_label(p.request);
  t.headers = {"PROVIDER",    "REGION",      "INSTANCE",       "GPUS",
               "OD ($/h)",    "SPOT ($/h)",  "BAND (%/month)", "$/USEFUL GPU-h",
               "E[COST] ($)", "E[TIME] (h)", pl + " TIME (h)", "CHOSEN"};
  t.numeric_columns = {3, 4, 5, 7, 8, 9, 10};
  for (const Candidate& c : p.result.candidates) {
    t.rows.push_back({c.offer.provider, c.offer.region, c.offer.instance,
                      std::to_string(c.offer.gpus) + "x " + c.offer.gpu_type,
                      format_number(c.offer.on_demand, 6),
                      c.offer.spot ? format_number(*c.offer.spot, 6) : "none",
                      c.band == "rate" ? "(rate)" : c.band, num(c.per_useful_gpu_hour, 3),
                      num(c.expected.cost), num(c.expected.wall, 1), num(c.p90_wall, 1),
                      c.chosen ? "yes" : ""});
  }
  return t;
}

std::vector<std::string> summary(const Planned& p) {
  const Request& q = p.request;
  const Result& r = p.result;
  const Candidate& c = r.candidates[r.chosen];
  const auto& e = c.expected;
  const auto& m = c.model;
  std::vector<std::string> s;
  const std::string name = c.offer.provider + " " + c.offer.region + " " + c.offer.instance;
  s.push_back("chosen: " + name + " (" + std::to_string(c.offer.gpus) + "x " + c.offer.gpu_type +
              "), spot share " + num(q.spot_share));
  s.push_back("work: " + format_number(r.work_gpu_hours, 8) +
              " GPU-h = " + format_number(m.work_instance_hours, 8) + " instance-h (" +
              num(e.spot_work, 1) + " on spot, " + num(e.od_work, 1) + " on demand)");
  s.push_back("cost ignoring interruptions: " + num(e.naive_cost) +
              " $ = " + format_number(m.work_instance_hours, 8) + " instance-h x (" +
              num(q.spot_share) + " x " + format_number(m.price_spot, 6) + " + " +
              num(1 - q.spot_share) + " x " + format_number(m.price_on_demand, 6) + ") $/h");
  s.push_back("expected cost with interruptions, checkpoints and restarts: " + num(e.cost) +
              " $ (" + (e.cost >= e.naive_cost ? "+" : "") +
              num(100 * (e.cost / e.naive_cost - 1)) + " %)");
  const std::string rate = format_number(c.rate, 3) + " /h";
  s.push_back(
      "interruptions: " +
      (c.band == "rate" ? std::string("rate ") + rate : "band " + c.band + " %/month -> " + rate) +
      ", MTBF " + (std::isfinite(c.mtbf) ? num(c.mtbf, 0) + " h" : "infinite") +
      "; checkpoint every " + (std::isfinite(c.interval) ? num(c.interval, 2) + " h" : "never") +
      (q.interval ? " (given)"
       : std::isfinite(c.mtbf)
           ? " (Daly; Young " + num(cost::young_interval(q.checkpoint_write, c.mtbf), 2) + " h)"
           : "") +
      ", write " + num(q.checkpoint_write * 60, 1) + " min, restart " + num(q.restart * 60, 1) +
      " min");
  s.push_back("spot overhead (expected): lost work " + num(e.lost, 3) + " h, checkpoint writes " +
              num(e.checkpoints, 3) + " h, restarts " + num(e.restarts, 3) + " h; " +
              num(e.interruptions, 3) + " interruptions; on-demand checkpoint writes " +
              num(e.od_wall - e.od_work, 3) + " h");
  s.push_back("time (" +
              std::string(m.streams == cost::Streams::kParallel ? "spot and on-demand in parallel"
                                                                : "spot then on-demand") +
              "): expected " + num(e.wall, 1) + " h, " + pct_label(q) + " " + num(c.p90_wall, 1) +
              " h (" + std::to_string(c.percentile_jobs) + " simulated jobs, seed " +
              std::to_string(q.seed) + ")");
  if (q.budget) {
    s.push_back(
        "budget " + num(*q.budget) + " $: " +
        (r.over_budget ? "OVER by " + num(e.cost - *q.budget) + " $" : std::string("within")) +
        "; minimum spot share meeting it: " +
        (r.min_share_budget ? num(std::ceil(*r.min_share_budget * 1e4 - 1e-6) / 1e4, 4) : "none"));
  }
  if (q.deadline) {
    s.push_back("deadline " + num(*q.deadline, 1) + " h at " + pct_label(q) +
                ": maximum spot share meeting it: " + opt_num(r.max_share_deadline));
  }
  if (r.simulation) {
    const auto& sim = *r.simulation;
    s.push_back("simulation (" + std::to_string(sim.jobs) + " jobs, seed " +
                std::to_string(sim.seed) + "): cost P50 " + num(sim.p50_cost) + " $, P90 " +
                num(sim.p90_cost) + " $, mean " + num(sim.mean_cost) + " $ +- " +
                num(sim.se_cost, 3) + " (analytic " + num(e.cost) + " $); time P50 " +
                num(sim.p50_wall, 1) + " h, P90 " + num(sim.p90_wall, 1) + " h, mean " +
                num(sim.mean_wall, 2) + " h +- " + num(sim.se_wall, 3) + "; " +
                num(sim.mean_interruptions, 3) + " interruptions per job");
  }
  s.push_back(std::string("verdict: ") + (r.feasible ? "feasible" : "INFEASIBLE"));
  for (const auto& why : r.infeasible) s.push_back("  " + why);
  return s;
}

nlohmann::json candidate_json(const Candidate& c) {
  using nlohmann::json;
  const auto& e = c.expected;
  json j = {
      {"provider", c.offer.provider},
      {"region", c.offer.region},
      {"instance", c.offer.instance},
      {"gpus", c.offer.gpus},
      {"gpu_type", c.offer.gpu_type},
      {"on_demand_usd_per_hour", c.offer.on_demand},
      {"spot_usd_per_hour", c.offer.spot ? json(*c.offer.spot) : json(nullptr)},
      {"band", c.band == "rate" ? json(nullptr) : json(c.band)},
      {"rate_per_hour", c.rate},
      {"mtbf_hours", std::isfinite(c.mtbf) ? json(c.mtbf) : json(nullptr)},
      {"checkpoint_interval_hours", std::isfinite(c.interval) ? json(c.interval) : json(nullptr)},
      {"usd_per_useful_gpu_hour", c.per_useful_gpu_hour},
      {"expected_cost_usd", e.cost},
      {"cost_ignoring_interruptions_usd", e.naive_cost},
      {"expected_hours", e.wall},
      {"percentile_hours", c.p90_wall},
      {"cheapest_cost_usd", c.cheapest},
      {"cheapest_spot_share", c.cheapest_share},
      {"meets_deadline", c.meets_deadline},
      {"chosen", c.chosen},
      {"source", c.offer.source},
      {"as_of", c.offer.as_of.empty() ? json(nullptr) : json(c.offer.as_of)},
      {"overhead_hours",
       {{"lost_work", e.lost},
        {"checkpoint_writes", e.checkpoints},
        {"restarts", e.restarts},
        {"on_demand_checkpoint_writes", e.od_wall - e.od_work}}},
      {"expected_interruptions", e.interruptions},
      {"spot_work_instance_hours", e.spot_work},
      {"on_demand_work_instance_hours", e.od_work},
      {"spot_wall_hours", e.spot_wall},
      {"daly_spot_wall_hours", e.daly_spot_wall},
      {"on_demand_wall_hours", e.od_wall}};
  return j;
}

nlohmann::json to_json(const Planned& p) {
  using nlohmann::json;
  const Request& q = p.request;
  const Result& r = p.result;
  json out;
  out["catalogue"] = {{"name", p.catalogue.name}, {"format", p.catalogue.format}};
  out["work"] = {{"gpu_hours", r.work_gpu_hours},
                 {"unit_given", q.work_in_gpu_hours ? "gpu-hours" : "instance-hours"}};
  out["spot_share"] = q.spot_share;
  out["budget_usd"] = q.budget ? json(*q.budget) : json(nullptr);
  out["deadline_hours"] = q.deadline ? json(*q.deadline) : json(nullptr);
  out["deadline_percentile"] = q.deadline_percentile;
  out["simulated_jobs"] = r.candidates[r.chosen].percentile_jobs;
  out["seed"] = q.seed;
  json cands = json::array();
  for (const auto& c : r.candidates) cands.push_back(candidate_json(c));
  out["candidates"] = cands;
  out["chosen"] = candidate_json(r.candidates[r.chosen]);
  out["over_budget"] = r.over_budget;
  out["min_spot_share_for_budget"] = r.min_share_budget ? json(*r.min_share_budget) : json(nullptr);
  out["max_spot_share_for_deadline"] =
      r.max_share_deadline ? json(*r.max_share_deadline) : json(nullptr);
  out["feasible"] = r.feasible;
  out["reasons"] = r.infeasible;
  if (r.simulation) {
    const auto& s = *r.simulation;
    out["simulation"] = {{"jobs", s.jobs},
                         {"seed", s.seed},
                         {"mean_cost_usd", s.mean_cost},
                         {"se_cost_usd", s.se_cost},
                         {"p50_cost_usd", s.p50_cost},
                         {"p90_cost_usd", s.p90_cost},
                         {"mean_hours", s.mean_wall},
                         {"se_hours", s.se_wall},
                         {"p50_hours", s.p50_wall},
                         {"p90_hours", s.p90_wall},
                         {"mean_interruptions", s.mean_interruptions}};
  } else {
    out["simulation"] = nullptr;
  }
  out["warnings"] = r.warnings;
  return out;
}

void emit(const Options& o, Context& ctx, const std::string& text) {
  write_output(ctx.out, o.output, text);
}

ExitCode run_plan(const std::string& file, const Options& o, Context& ctx) {
  Planned p = make_plan(file, o, ctx, o.simulate.has_value());
  for (const auto& w : p.result.warnings) ctx.log.warn(w);
  std::string text;
  switch (ctx.options.format) {
    case Format::kJson:
      text = to_json(p).dump(2) + "\n";
      break;
    case Format::kCsv:
      text = render_csv(candidate_table(p));
      break;
    case Format::kMd: {
      text = "**Considered resources** (" + p.catalogue.name + ")\n\n" +
             render_markdown(candidate_table(p)) + "\n";
      for (const auto& l : summary(p))
        text += (l.rfind("  ", 0) == 0 ? "  - " + l.substr(2) : "- " + l) + "\n";
      break;
    }
    default: {
      text = "Considered resources (" + p.catalogue.name + "):\n" +
             render_plain(candidate_table(p)) + "\n";
      for (const auto& l : summary(p)) text += l + "\n";
      break;
    }
  }
  emit(o, ctx, text);
  return o.fail_over_budget && p.result.over_budget ? ExitCode::kNo : ExitCode::kSuccess;
}

std::string change(double a, double b, int d) {
  const double delta = b - a;
  std::string s = (delta >= 0 ? "+" : "") + format_fixed(delta, d);
  if (a != 0)
    s += " (" + std::string(delta >= 0 ? "+" : "") + format_fixed(100 * delta / a, 1) + " %)";
  return s;
}

ExitCode run_diff(const Options& o, Context& ctx) {
  if (o.diff_files.size() != 2)
    throw UsageError("cost diff needs two plan files: rlab cost diff BASE HEAD");
  const Planned a = make_plan(o.diff_files[0], o, ctx, false);
  const Planned b = make_plan(o.diff_files[1], o, ctx, false);
  for (const auto& w : a.result.warnings) ctx.log.warn(o.diff_files[0] + ": " + w);
  for (const auto& w : b.result.warnings) ctx.log.warn(o.diff_files[1] + ": " + w);
  const Candidate& ca = a.result.candidates[a.result.chosen];
  const Candidate& cb = b.result.candidates[b.result.chosen];
  auto inst = [](const Candidate& c) {
    return c.offer.provider + " " + c.offer.region + " " + c.offer.instance;
  };
  Table t;
  t.headers = {"metric", "base", "head", "change"};
  auto row = [&](const std::string& m, double x, double y, int d) {
    t.rows.push_back({m, format_fixed(x, d), format_fixed(y, d), change(x, y, d)});
  };
  t.rows.push_back({"instance", inst(ca), inst(cb), inst(ca) == inst(cb) ? "" : "changed"});
  row("work (GPU-h)", a.result.work_gpu_hours, b.result.work_gpu_hours, 1);
  row("spot share", a.request.spot_share, b.request.spot_share, 2);
  row("expected cost ($)", ca.expected.cost, cb.expected.cost, 2);
  row("cost ignoring interruptions ($)", ca.expected.naive_cost, cb.expected.naive_cost, 2);
  row("expected time (h)", ca.expected.wall, cb.expected.wall, 1);
  row(pct_label(b.request) + " time (h)", ca.p90_wall, cb.p90_wall, 1);
  t.rows.push_back({"budget ($)", opt_num(a.request.budget), opt_num(b.request.budget), ""});
  t.rows.push_back({"over budget", a.result.over_budget ? "yes" : "no",
                    b.result.over_budget ? "yes" : "no", ""});
  t.rows.push_back(
      {"feasible", a.result.feasible ? "yes" : "no", b.result.feasible ? "yes" : "no", ""});
  std::string text;
  if (ctx.options.format == Format::kJson) {
    nlohmann::json j = {{"base", to_json(a)},
                        {"head", to_json(b)},
                        {"expected_cost_change_usd", cb.expected.cost - ca.expected.cost},
                        {"head_over_budget", b.result.over_budget}};
    text = j.dump(2) + "\n";
  } else if (ctx.options.format == Format::kMd) {
    text = "**rlab cost diff**: expected cost " + format_fixed(ca.expected.cost, 2) + " $ -> " +
           format_fixed(cb.expected.cost, 2) + " $ (" +
           change(ca.expected.cost, cb.expected.cost, 2) + " $)" +
           (b.result.over_budget ? " — **over budget**" : "") + "\n\n" + render_markdown(t);
  } else {
    text = render(t, ctx.options.format);
  }
  emit(o, ctx, text);
  return o.fail_over_budget && b.result.over_budget ? ExitCode::kNo : ExitCode::kSuccess;
}

ExitCode run(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "cost");
  if (o.diff->parsed()) return run_diff(o, ctx);
  std::string file = o.file.empty() ? ctx.options.config_path : o.file;
  if (file.empty()) throw UsageError("cost needs a plan file: rlab cost plan FILE");
  return run_plan(file, o, ctx);
}

}  // namespace

Command cost_command() {
  return {
      "cost", "GPU cloud cost planning: spot vs on-demand under budget, deadline, interruptions",
      [](CLI::App& sub, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        o->plan = sub.add_subcommand(
            "plan", "Candidate table, expected cost and time, spot-share solver (the default)");
        o->plan->add_option("file", o->file, "Plan (YAML)")->type_name("FILE");
        o->diff = sub.add_subcommand("diff", "Compare two plans (for PR comments: --format md)");
        o->diff->add_option("files", o->diff_files, "BASE and HEAD plans (YAML)")
            ->type_name("FILE")
            ->expected(2);
        sub.require_subcommand(0, 1);
        sub.add_option("file", o->file, "Plan (YAML); same as 'rlab cost plan FILE'")
            ->type_name("FILE");
        sub.add_option("--prices", o->prices,
                       "Price catalogue CSV (rlab's or a SkyPilot vms.csv); default: the "
                       "shipped configs/cost/prices.csv")
            ->type_name("FILE");
        sub.add_option("--cloud", o->cloud,
                       "Provider name for a SkyPilot catalogue (default: its directory, "
                       "e.g. aws)")
            ->type_name("NAME");
        sub.add_option("--spot-share", o->spot_share, "Fraction of the work on spot, 0-1")
            ->type_name("S")
            ->check(cli::real(0, 1));
        sub.add_option("--budget", o->budget, "Budget in $ (overrides budget_usd)")
            ->type_name("USD")
            ->check(cli::positive());
        sub.add_option("--deadline", o->deadline, "Deadline in hours (overrides deadline_hours)")
            ->type_name("HOURS")
            ->check(cli::positive());
        sub.add_option("--simulate", o->simulate,
                       "Monte-Carlo of N jobs: P50/P90 cost and time of the chosen plan")
            ->type_name("N")
            ->check(cli::whole<std::size_t>(1, 100000000));
        sub.add_option("--seed", o->seed, "Seed of the simulation (default 1)")
            ->type_name("S")
            ->check(cli::whole<std::uint64_t>(0));
        sub.add_flag("--fail-over-budget", o->fail_over_budget,
                     "Exit 1 when the expected cost exceeds the budget (diff: the head plan)");
        sub.add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
            ->type_name("FILE");
        sub.footer(
            "Examples: rlab cost plan configs/examples/cost.yaml --simulate 100000 --seed 7\n"
            "          rlab cost diff base.yaml head.yaml --format md --fail-over-budget\n"
            "Formats: table (default), json, csv, md. RLAB_TODAY=YYYY-MM-DD fixes 'today'.");
        return [o, &ctx] { return run(*o, ctx); };
      },
      &cost_config_section};
}

}  // namespace rlab
