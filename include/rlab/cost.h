// rlab cost: GPU cloud cost planning — spot vs on-demand under budget, deadline and
// interruptions. Pure core: catalogue text in, plain structs out; no I/O, no clock (today is a
// parameter), randomness only from an explicit seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlab::cost {

/// One priced instance type in one region (a row of a price catalogue).
struct Offer {
  std::string provider;
  std::string region;
  std::string instance;
  int gpus = 0;                ///< GPUs per instance.
  std::string gpu_type;        ///< e.g. "V100".
  double on_demand = 0;        ///< $/instance-hour.
  std::optional<double> spot;  ///< $/instance-hour; nullopt when no spot is offered.
  std::string band;            ///< Interruption band ("<5", "5-10", ... ">20"), "" unknown.
  std::string source;
  std::string as_of;  ///< YYYY-MM-DD, "" unknown.
  std::string where;  ///< "file:line" of the row.
};

struct Catalogue {
  std::string name;    ///< File name as shown in messages.
  std::string format;  ///< "rlab" or "skypilot".
  std::vector<Offer> offers;
};

/// Parses a catalogue: rlab's CSV (provider,region,instance,gpus,gpu_type,on_demand,spot,
/// interruption,source,as_of; columns by header name) or a SkyPilot catalogue CSV
/// (InstanceType,AcceleratorName,AcceleratorCount,...,Price,SpotPrice,Region,...; rows without
/// accelerators are skipped; `provider` names the cloud). RFC 4180 quoting. Throws InputError
/// "name:line:col: ..." on malformed input.
Catalogue parse_catalogue(const std::string& text, const std::string& name,
                          const std::string& provider = "");

/// The five Spot Instance Advisor bands, in order.
const std::vector<std::string>& band_names();
/// Fraction of instances interrupted per month that rlab assumes for a band: the band's upper
/// bound (0.05, 0.10, 0.15, 0.20) and 0.30 for ">20". Throws std::invalid_argument otherwise.
double band_fraction(const std::string& band);
/// Interruption rate per hour from a monthly fraction f: -ln(1 - f) / 720.
double rate_from_fraction(double fraction);

/// Young 1974: sqrt(2 delta M).
double young_interval(double delta, double mtbf);
/// Daly 2006: sqrt(2 delta M)[1 + sqrt(delta/(2M))/3 + delta/(18M)] - delta for delta < 2M,
/// else M.
double daly_interval(double delta, double mtbf);
/// Daly's expected wall time of a segment needing `length` hours without interruption, with
/// restart time R, interruptions Poisson with mean gap M (interruptions during restarts too):
/// M e^{R/M} (e^{length/M} - 1). Equals `length` when M is infinite.
double segment_time(double length, double restart, double mtbf);

/// How the spot and on-demand parts of the work run.
enum class Streams { kSequential, kParallel };

/// Everything the model needs for one offer at one spot share.
struct JobModel {
  double work_instance_hours = 0;  ///< T_s: instance-hours at full speed.
  double spot_share = 0;           ///< s in [0, 1]: fraction of the work run on spot.
  double mtbf = 0;                 ///< M in hours (infinity: no interruptions).
  double checkpoint_write = 0;     ///< delta, hours.
  double interval = 0;             ///< tau, hours of work between checkpoints (> 0).
  double restart = 0;              ///< R, hours.
  double granularity = 0;          ///< Billing granularity, hours (0 = continuous).
  double price_on_demand = 0;
  double price_spot = 0;
  Streams streams = Streams::kSequential;
};

/// Expected values of a job, exact for the simulated process: the work is cut into segments of
/// tau hours of work plus a checkpoint write delta (the last one shorter, still written).
struct Expectation {
  double spot_work = 0, od_work = 0;  ///< Instance-hours of useful work per stream.
  double spot_wall = 0;               ///< E[spot wall hours].
  double od_wall = 0;                 ///< On-demand wall hours (no interruptions).
  double checkpoints = 0;             ///< Spot hours writing checkpoints.
  double restarts = 0;                ///< E[spot hours restarting].
  double lost = 0;                    ///< E[spot hours of work lost since the last checkpoint].
  double interruptions = 0;           ///< E[number of interruptions].
  double daly_spot_wall = 0;  ///< Daly's closed form T_s,sp / tau * segment_time(tau+delta).
  double cost = 0;            ///< E[$] (billing rounding: half a unit per instance run).
  double naive_cost = 0;      ///< T_s (s p_sp + (1-s) p_od): interruptions ignored.
  double wall = 0;            ///< E[wall] approx: sum (sequential) or max (parallel) of means.
};
Expectation expect(const JobModel& m);

/// One simulated job.
struct SimJob {
  double wall = 0, cost = 0;
};
/// Percentiles and means of `jobs` simulated jobs (deterministic for a seed).
struct Simulation {
  std::size_t jobs = 0;
  std::uint64_t seed = 0;
  double mean_cost = 0, se_cost = 0, mean_wall = 0, se_wall = 0;
  double mean_spot_wall = 0, se_spot_wall = 0;
  double mean_interruptions = 0;
  double p50_cost = 0, p90_cost = 0, p50_wall = 0, p90_wall = 0;
  std::vector<double> walls;  ///< Sorted wall times (for percentile queries).
};
Simulation simulate(const JobModel& m, std::size_t jobs, std::uint64_t seed);
/// The q-quantile (0..1) of sorted values, linear interpolation (numpy's default).
double quantile(const std::vector<double>& sorted, double q);

/// A plan as the config file gives it (units in the names).
struct Request {
  double work = 0;                ///< Amount of work.
  bool work_in_gpu_hours = true;  ///< GPU-hours (divided by the instance's GPUs) or instance-hours.
  std::string instance, provider, region, gpu_type;   ///< Filters ("" = any).
  int gpus = 1;                                       ///< Minimum GPUs per instance.
  std::optional<double> price_on_demand, price_spot;  ///< Override for the pinned instance.
  double spot_share = 0.7;
  std::optional<double> budget;    ///< $.
  std::optional<double> deadline;  ///< Hours.
  double deadline_percentile = 0.9;
  std::string band;                    ///< Override of the catalogue's band ("" = catalogue's).
  std::optional<double> rate;          ///< Interruptions per hour (overrides any band).
  std::string default_band = ">20";    ///< When neither the plan nor the catalogue has one.
  double checkpoint_write = 5.0 / 60;  ///< Hours.
  std::optional<double> interval;      ///< Hours; nullopt = Daly.
  double restart = 10.0 / 60;          ///< Hours.
  double granularity = 1.0 / 3600;     ///< Hours.
  Streams streams = Streams::kSequential;
  std::size_t sim_jobs = 10000;
  std::uint64_t seed = 1;
  // Locations for messages.
  std::string where_instance, where_budget, where_prices;
};

/// One row of the candidate table.
struct Candidate {
  Offer offer;
  double mtbf = 0, rate = 0, interval = 0;
  std::string band;  ///< Band actually used ("rate" when given as a rate).
  JobModel model;
  Expectation expected;
  double p90_wall = 0;  ///< At the deadline percentile when a deadline is set, else P90.
  std::size_t percentile_jobs = 0;  ///< Simulated jobs behind p90_wall.
  double per_useful_gpu_hour = 0;   ///< E[cost] / GPU-hours of useful work.
  double cheapest = 0;              ///< min over s of E[cost].
  double cheapest_share = 0;
  bool meets_deadline = true;
  bool chosen = false;
};

struct Result {
  std::vector<Candidate> candidates;  ///< Sorted by E[cost], then provider/region/instance.
  std::size_t chosen = 0;
  double work_gpu_hours = 0;
  // Solver, for the chosen candidate.
  bool over_budget = false;
  std::optional<double> min_share_budget;    ///< Smallest s with E[cost] <= budget.
  std::optional<double> max_share_deadline;  ///< Largest s with P(wall <= D) >= percentile.
  bool feasible = true;
  std::vector<std::string> infeasible;   ///< Reasons, plain sentences.
  std::optional<Simulation> simulation;  ///< Of the chosen plan.
  std::vector<std::string> warnings;
};

/// Filters the catalogue, models every candidate, picks the cheapest expected cost at the
/// requested spot share among those that meet the deadline, and solves for the spot-share
/// range. Throws InputError for an unknown instance, a plan that no offer fits, a budget below
/// the cheapest possible plan. `today` (YYYY-MM-DD) drives the staleness warning (180 days).
Result plan(const Request& request, const Catalogue& catalogue, const std::string& today,
            bool simulate_report);

/// Days from `from` to `to` (YYYY-MM-DD each).
long days_between(const std::string& from, const std::string& to);

}  // namespace rlab::cost
