#include "rlab/prioritize.h"

#include "rlab/error.h"
#include "rlab/text.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <set>

namespace rlab::prioritize {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> kNames = {"ratio", "ratio-risk", "rice", "ice", "wsjf"};
  return kNames;
}

Model parse_model(const std::string& name) {
  const auto& names = model_names();
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) {
    throw UsageError("unknown model '" + name + "' (use ratio, ratio-risk, rice, ice or wsjf)" +
                     did_you_mean(name, names));
  }
  return static_cast<Model>(it - names.begin());
}

std::string model_name(Model model) { return model_names().at(static_cast<std::size_t>(model)); }

std::string status_name(Status status) {
  switch (status) {
    case Status::kTodo:
      return "todo";
    case Status::kDoing:
      return "doing";
    case Status::kDone:
      return "done";
    case Status::kDropped:
      return "dropped";
  }
  return "?";
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

namespace {

[[noreturn]] void fail_at(const std::string& where, const std::string& message) {
  throw InputError(where.empty() ? message : where + ": " + message);
}

double need(const Challenge& c, const std::optional<double>& v, const char* field, Model model) {
  if (!v) {
    fail_at(c.where, "challenge '" + c.id + "' has no '" + field + "', which model '" +
                         model_name(model) + "' needs");
  }
  return *v;
}

double need_effort(const Challenge& c, Model model) {
  if (!c.effort.given) {
    fail_at(c.where, "challenge '" + c.id + "' has no 'effort', which model '" + model_name(model) +
                         "' needs");
  }
  return c.effort.expected();
}

}  // namespace

Item score(const Challenge& c, Model model) {
  Item item;
  switch (model) {
    case Model::kRatio: {
      const double impact = need(c, c.impact, "impact", model);
      const double difficulty = need(c, c.difficulty, "difficulty", model);
      item.formula = "impact / (difficulty + 1)";
      item.terms = {{"impact", impact}, {"difficulty", difficulty}};
      item.score = impact / (difficulty + 1);
      break;
    }
    case Model::kRatioRisk: {
      const double impact = need(c, c.impact, "impact", model);
      const double difficulty = need(c, c.difficulty, "difficulty", model);
      const double risk = need(c, c.risk, "risk", model);
      if (risk <= 0) {
        fail_at(c.where,
                "challenge '" + c.id + "' has risk " + format_number(risk) +
                    "; model 'ratio-risk' divides by difficulty x risk, so risk must be > 0");
      }
      if (difficulty <= 0) {
        fail_at(c.where, "challenge '" + c.id + "' has difficulty " + format_number(difficulty) +
                             "; model 'ratio-risk' divides by difficulty x risk, so difficulty "
                             "must be > 0");
      }
      item.formula = "impact / (difficulty * risk)";
      item.terms = {{"impact", impact}, {"difficulty", difficulty}, {"risk", risk}};
      item.score = impact / (difficulty * risk);
      break;
    }
    case Model::kRice: {
      const double reach = need(c, c.reach, "reach", model);
      const double impact = need(c, c.impact, "impact", model);
      const double confidence = need(c, c.confidence, "confidence", model);
      const double effort = need_effort(c, model);
      item.formula = "reach * impact * confidence / effort";
      item.terms = {
          {"reach", reach}, {"impact", impact}, {"confidence", confidence}, {"effort", effort}};
      item.score = reach * impact * confidence / effort;
      break;
    }
    case Model::kIce: {
      const double impact = need(c, c.impact, "impact", model);
      const double confidence = need(c, c.confidence, "confidence", model);
      double ease = 0;
      if (c.ease) {
        ease = *c.ease;
      } else if (c.difficulty) {
        ease = 10 - *c.difficulty;  // ease and difficulty on the same 0-10 scale
      } else {
        fail_at(c.where, "challenge '" + c.id +
                             "' has neither 'ease' nor 'difficulty', which model 'ice' needs");
      }
      item.formula = "impact * (10 * confidence) * ease";
      item.terms = {{"impact", impact}, {"confidence", confidence}, {"ease", ease}};
      item.score = impact * (10 * confidence) * ease;
      break;
    }
    case Model::kWsjf: {
      const double cod = need(c, c.cost_of_delay, "cost_of_delay", model);
      const double effort = need_effort(c, model);
      item.formula = "cost_of_delay / effort";
      item.terms = {{"cost_of_delay", cod}, {"effort", effort}};
      item.score = cod / effort;
      break;
    }
  }
  return item;
}

std::vector<Cycle> find_cycles(const std::vector<Challenge>& challenges, std::size_t limit) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < challenges.size(); ++i) index.emplace(challenges[i].id, i);
  std::vector<std::vector<std::size_t>> adj(challenges.size());
  for (std::size_t i = 0; i < challenges.size(); ++i) {
    for (const auto& d : challenges[i].depends_on) {
      const auto it = index.find(d);
      if (it != index.end() &&
          std::find(adj[i].begin(), adj[i].end(), it->second) == adj[i].end()) {
        adj[i].push_back(it->second);
      }
    }
  }
  // Each elementary cycle is found once, from its smallest index, by a depth-first search that
  // only visits larger indexes. Exponential in the worst case, hence the limit; dependency
  // graphs of research plans are small and sparse.
  std::vector<Cycle> cycles;
  std::vector<std::size_t> path;
  std::vector<bool> on_path(challenges.size(), false);
  std::function<void(std::size_t, std::size_t)> dfs = [&](std::size_t start, std::size_t v) {
    for (std::size_t w : adj[v]) {
      if (cycles.size() >= limit) return;
      if (w == start) {
        cycles.push_back(path);
      } else if (w > start && !on_path[w]) {
        on_path[w] = true;
        path.push_back(w);
        dfs(start, w);
        path.pop_back();
        on_path[w] = false;
      }
    }
  };
  for (std::size_t s = 0; s < challenges.size() && cycles.size() < limit; ++s) {
    path = {s};
    on_path[s] = true;
    dfs(s, s);
    on_path[s] = false;
  }
  return cycles;
}

namespace {

std::string dep_where(const Challenge& c, const std::string& dep) {
  for (std::size_t k = 0; k < c.depends_on.size(); ++k) {
    if (c.depends_on[k] == dep && k < c.depends_where.size()) return c.depends_where[k];
  }
  return c.where;
}

std::string cycle_text(const std::vector<Challenge>& cs, const Cycle& cycle) {
  std::string s;
  for (std::size_t v : cycle) s += cs[v].id + " -> ";
  return s + cs[cycle.front()].id;
}

void check_graph(const Plan& plan, const std::map<std::string, std::size_t>& index) {
  const auto& cs = plan.challenges;
  std::vector<std::string> ids;
  ids.reserve(cs.size());
  for (const auto& c : cs) ids.push_back(c.id);
  for (const auto& c : cs) {
    std::set<std::string> seen;
    for (std::size_t k = 0; k < c.depends_on.size(); ++k) {
      const std::string& d = c.depends_on[k];
      const std::string where = k < c.depends_where.size() ? c.depends_where[k] : c.where;
      if (d == c.id) fail_at(where, "challenge '" + c.id + "' depends on itself");
      if (index.count(d) == 0) {
        fail_at(where, "challenge '" + c.id + "' depends on unknown challenge '" + d + "'" +
                           did_you_mean(d, ids));
      }
      if (!seen.insert(d).second) {
        fail_at(where, "challenge '" + c.id + "' lists dependency '" + d + "' twice");
      }
    }
  }
  const std::size_t kLimit = 100;
  const auto cycles = find_cycles(cs, kLimit);
  if (cycles.empty()) return;
  auto where_of = [&](const Cycle& cy) { return dep_where(cs[cy[0]], cs[cy[1 % cy.size()]].id); };
  InputError error(where_of(cycles[0]) + ": dependency cycle: " + cycle_text(cs, cycles[0]) +
                   " (each depends on the next)");
  for (std::size_t i = 1; i < cycles.size(); ++i) {
    error.add_error(where_of(cycles[i]) + ": dependency cycle: " + cycle_text(cs, cycles[i]));
  }
  if (cycles.size() >= kLimit) {
    error.add_note("stopped after " + std::to_string(kLimit) + " cycles; there may be more");
  }
  // Greedy suggestion: drop the dependency that breaks the most remaining cycles, until every
  // listed cycle is broken (ties: the dependency written last in the file).
  std::vector<bool> broken(cycles.size(), false);
  using Edge = std::pair<std::size_t, std::size_t>;
  while (std::find(broken.begin(), broken.end(), false) != broken.end()) {
    std::map<Edge, std::size_t> count;
    for (std::size_t i = 0; i < cycles.size(); ++i) {
      if (broken[i]) continue;
      const Cycle& cy = cycles[i];
      for (std::size_t k = 0; k < cy.size(); ++k) ++count[{cy[k], cy[(k + 1) % cy.size()]}];
    }
    Edge best{};
    std::size_t best_count = 0;
    for (const auto& [edge, n] : count) {
      if (n > best_count || (n == best_count && edge > best)) {
        best = edge;
        best_count = n;
      }
    }
    for (std::size_t i = 0; i < cycles.size(); ++i) {
      const Cycle& cy = cycles[i];
      for (std::size_t k = 0; k < cy.size() && !broken[i]; ++k) {
        if (Edge{cy[k], cy[(k + 1) % cy.size()]} == best) broken[i] = true;
      }
    }
    error.add_note("to break " + std::to_string(best_count) + " cycle" +
                   (best_count == 1 ? "" : "s") + ", drop '" + cs[best.second].id +
                   "' from the depends_on of '" + cs[best.first].id + "' (" +
                   dep_where(cs[best.first], cs[best.second].id) + ")");
  }
  throw error;
}

bool is_open(Status s) { return s == Status::kTodo || s == Status::kDoing; }

// PERT / CPM over the open challenges in execution (topological) order: expected times, the
// forward and backward passes, slack, the critical path and P(finish by the deadline).
void schedule(const Plan& plan, const std::vector<std::vector<std::size_t>>& open_deps,
              const std::vector<std::vector<std::size_t>>& dependents, Result& r) {
  const auto& cs = plan.challenges;
  std::vector<std::string> missing;
  for (std::size_t v : r.execution_order) {
    Item& it = r.items[v];
    if (cs[v].effort.given) {
      it.te = cs[v].effort.expected();
      it.sigma = cs[v].effort.sigma();
    } else {
      missing.push_back(cs[v].id);
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    r.warnings.push_back("no effort for " + list + "; the schedule counts them as 0");
  }
  // Forward pass; also the longest path, ties broken towards the larger variance.
  std::vector<double> path_var(cs.size(), 0);
  std::vector<std::ptrdiff_t> pred(cs.size(), -1);
  for (std::size_t v : r.execution_order) {
    Item& it = r.items[v];
    double es = 0;
    double var = 0;
    for (std::size_t d : open_deps[v]) {
      const double ef = r.items[d].ef;
      if (ef > es + 1e-12 || (std::abs(ef - es) <= 1e-12 && path_var[d] > var)) {
        es = ef;
        var = path_var[d];
        pred[v] = static_cast<std::ptrdiff_t>(d);
      }
    }
    it.es = es;
    it.ef = es + it.te;
    path_var[v] = var + it.sigma * it.sigma;
  }
  double total = 0;
  std::ptrdiff_t end = -1;
  for (std::size_t v : r.execution_order) {
    const double ef = r.items[v].ef;
    if (end < 0 || ef > total + 1e-12 ||
        (std::abs(ef - total) <= 1e-12 && path_var[v] > path_var[static_cast<std::size_t>(end)])) {
      total = ef;
      end = static_cast<std::ptrdiff_t>(v);
    }
  }
  r.expected_duration = total;
  // Backward pass.
  for (auto it = r.execution_order.rbegin(); it != r.execution_order.rend(); ++it) {
    Item& item = r.items[*it];
    double lf = total;
    for (std::size_t w : dependents[*it]) lf = std::min(lf, r.items[w].ls);
    item.lf = lf;
    item.ls = lf - item.te;
    item.slack = item.ls - item.es;
    if (std::abs(item.slack) < 1e-9) item.slack = 0;
    item.critical = item.slack == 0;
  }
  for (std::ptrdiff_t v = end; v >= 0; v = pred[static_cast<std::size_t>(v)]) {
    r.critical_path.insert(r.critical_path.begin(), static_cast<std::size_t>(v));
  }
  r.duration_sigma = end >= 0 ? std::sqrt(path_var[static_cast<std::size_t>(end)]) : 0;
  if (plan.deadline) {
    r.deadline = plan.deadline;
    const double d = *plan.deadline;
    if (r.duration_sigma > 0) {
      r.deadline_probability = normal_cdf((d - total) / r.duration_sigma);
    } else {
      r.deadline_probability = d >= total ? 1.0 : 0.0;
    }
  }
}

// MoSCoW (DSDM): Must-have effort above 60% of the capacity puts the timebox at risk.
void check_capacity(const Plan& plan, Result& r) {
  const auto& cs = plan.challenges;
  double must = 0;
  double all = 0;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    if (!r.items[i].open || !cs[i].effort.given) continue;
    all += cs[i].effort.expected();
    if (cs[i].moscow == "must") must += cs[i].effort.expected();
  }
  const double cap = *plan.capacity;
  if (must > 0.6 * cap) {
    r.warnings.push_back("must-have effort " + format_number(must) + " is " +
                         format_fixed(100 * must / cap, 0) + "% of capacity " + format_number(cap) +
                         " (DSDM advises at most 60%)");
  }
  if (all > cap) {
    r.warnings.push_back("open effort " + format_number(all) + " exceeds capacity " +
                         format_number(cap));
  }
}

}  // namespace

Result analyse(const Plan& plan) {
  const auto& cs = plan.challenges;
  if (cs.empty()) fail_at(plan.where, "the challenge list is empty");
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    const auto [it, inserted] = index.emplace(cs[i].id, i);
    if (!inserted) {
      fail_at(cs[i].where,
              "duplicate challenge id '" + cs[i].id + "' (first at " + cs[it->second].where + ")");
    }
  }
  check_graph(plan, index);

  Result r;
  r.model = plan.model;
  r.items.reserve(cs.size());
  for (const auto& c : cs) {
    Item item = score(c, plan.model);
    item.open = is_open(c.status);
    r.items.push_back(std::move(item));
  }
  auto better = [&](std::size_t a, std::size_t b) {
    if (r.items[a].score != r.items[b].score) return r.items[a].score > r.items[b].score;
    return cs[a].id < cs[b].id;
  };

  // Ranking of open challenges.
  for (std::size_t i = 0; i < cs.size(); ++i) {
    (r.items[i].open ? r.ranking : r.closed).push_back(i);
  }
  std::sort(r.ranking.begin(), r.ranking.end(), better);
  for (std::size_t k = 0; k < r.ranking.size(); ++k)
    r.items[r.ranking[k]].rank = static_cast<int>(k + 1);

  // Open dependencies block; done and dropped ones never do.
  std::vector<std::vector<std::size_t>> open_deps(cs.size());
  std::vector<std::vector<std::size_t>> dependents(cs.size());
  for (std::size_t i = 0; i < cs.size(); ++i) {
    if (!r.items[i].open) continue;
    for (const auto& d : cs[i].depends_on) {
      const std::size_t j = index.at(d);
      if (!r.items[j].open) continue;
      open_deps[i].push_back(j);
      dependents[j].push_back(i);
      r.items[i].blockers.push_back(d);
    }
    r.items[i].blocked = !open_deps[i].empty();
  }

  // Kahn's algorithm; among the available challenges the best score goes first.
  std::vector<std::size_t> waiting(cs.size());
  std::set<std::size_t, decltype(better)> available(better);
  for (std::size_t i : r.ranking) {
    waiting[i] = open_deps[i].size();
    if (waiting[i] == 0) available.insert(i);
  }
  while (!available.empty()) {
    const std::size_t v = *available.begin();
    available.erase(available.begin());
    r.execution_order.push_back(v);
    r.items[v].order = static_cast<int>(r.execution_order.size());
    for (std::size_t w : dependents[v]) {
      if (--waiting[w] == 0) available.insert(w);
    }
  }
  for (std::size_t v : r.execution_order) (r.items[v].blocked ? r.blocked : r.ready).push_back(v);

  // PERT / CPM over the open challenges, in execution (topological) order.
  r.has_schedule = std::any_of(cs.begin(), cs.end(), [](const Challenge& c) {
    return c.effort.given && c.effort.three_point;
  });
  if (r.has_schedule) {
    schedule(plan, open_deps, dependents, r);
  } else if (plan.deadline) {
    r.warnings.push_back(
        "a deadline needs three-point efforts ({o, m, p}); no schedule was computed");
  }
  if (plan.capacity) check_capacity(plan, r);

  return r;
}

}  // namespace rlab::prioritize
