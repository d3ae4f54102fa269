// rlab prioritize: score technical challenges, order them by dependencies, PERT schedule.
// Pure core: plain structs in, plain structs out; errors are InputError naming the location
// that each challenge carries from its file.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rlab::prioritize {

/// Scoring models (see README): ratio = impact/(difficulty+1) (default),
/// ratio-risk = impact/(difficulty*risk), rice = reach*impact*confidence/effort,
/// ice = impact*(10*confidence)*ease, wsjf = cost_of_delay/effort.
enum class Model { kRatio, kRatioRisk, kRice, kIce, kWsjf };
enum class Status { kTodo, kDoing, kDone, kDropped };

const std::vector<std::string>& model_names();  ///< In enum order.
Model parse_model(const std::string& name);     ///< Throws UsageError on unknown names.
std::string model_name(Model model);
std::string status_name(Status status);

/// Work estimate: a single number, or three-point (optimistic, most likely, pessimistic).
struct Effort {
  bool given = false;
  bool three_point = false;
  double o = 0, m = 0, p = 0;  ///< For a single number, o = m = p.
  /// PERT expected duration (o + 4m + p) / 6.
  [[nodiscard]] double expected() const { return (o + 4 * m + p) / 6; }
  /// PERT standard deviation (p - o) / 6.
  [[nodiscard]] double sigma() const { return (p - o) / 6; }
};

struct Challenge {
  std::string id;
  std::string title;
  std::optional<double> impact, difficulty, risk, reach, confidence, ease, cost_of_delay;
  Effort effort;
  std::string moscow;  ///< "", must, should, could, wont
  std::string due;     ///< "" or YYYY-MM-DD
  std::vector<std::string> depends_on;
  Status status = Status::kTodo;
  std::vector<std::string> tags;
  // Where things were written, for messages ("file:line:col").
  std::string where;                       ///< The challenge itself.
  std::vector<std::string> depends_where;  ///< One per depends_on entry.
};

struct Plan {
  Model model = Model::kRatio;
  std::vector<Challenge> challenges;
  std::optional<double> capacity;  ///< Available effort (same unit as efforts), for MoSCoW.
  std::optional<double> deadline;  ///< Deadline in effort units from now, for PERT.
  std::string where;               ///< Location of the challenge list (for "empty list").
};

/// One term of a score, for --explain ("impact" = 9).
struct Term {
  std::string name;
  double value = 0;
};

/// Everything computed about one challenge.
struct Item {
  double score = 0;
  std::string formula;                ///< e.g. "impact / (difficulty + 1)"
  std::vector<Term> terms;            ///< The values the formula used, in formula order.
  int rank = 0;                       ///< 1 = best; 0 for done/dropped challenges.
  bool open = false;                  ///< todo or doing.
  bool blocked = false;               ///< Open with at least one open dependency.
  std::vector<std::string> blockers;  ///< The open dependencies.
  int order = 0;                      ///< Position in the execution order (1-based; 0 if not open).
  // PERT (meaningful when Result::has_schedule).
  double te = 0, sigma = 0, es = 0, ef = 0, ls = 0, lf = 0, slack = 0;
  bool critical = false;
};

struct Result {
  Model model = Model::kRatio;
  std::vector<Item> items;                   ///< Parallel to Plan::challenges.
  std::vector<std::size_t> ranking;          ///< Open challenges by score desc, then id.
  std::vector<std::size_t> closed;           ///< Done/dropped challenges, in file order.
  std::vector<std::size_t> execution_order;  ///< Topological; ties by score desc, then id.
  std::vector<std::size_t> ready, blocked;   ///< Open challenges, in execution order.
  bool has_schedule = false;                 ///< Some effort is three-point.
  double expected_duration = 0;              ///< Length of the critical path.
  double duration_sigma = 0;                 ///< sqrt of the variances summed along it.
  std::vector<std::size_t> critical_path;    ///< Longest path (max variance among ties).
  std::optional<double> deadline;
  double deadline_probability = 0;  ///< P(finish <= deadline), normal approximation.
  std::vector<std::string> warnings;
};

/// Score of one challenge under `model`, with its formula and terms. Throws InputError at the
/// challenge's location when a field the model needs is missing or would divide by zero.
Item score(const Challenge& challenge, Model model);

/// A dependency cycle as challenge indexes: c[0] depends on c[1] ... depends on c[0].
using Cycle = std::vector<std::size_t>;
/// Every elementary cycle of the depends_on graph (each once, starting at its first challenge
/// in file order), at most `limit`.
std::vector<Cycle> find_cycles(const std::vector<Challenge>& challenges, std::size_t limit = 100);

/// Validates ids and dependencies (duplicates, unknown, self, cycles), scores, ranks, orders
/// and schedules. Throws InputError with file:line:col; a cycle error lists every cycle and
/// suggests dependencies to drop.
Result analyse(const Plan& plan);

/// Standard normal CDF.
double normal_cdf(double z);

}  // namespace rlab::prioritize
