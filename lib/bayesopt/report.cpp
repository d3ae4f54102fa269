// `rlab bayesopt`: the report of a search (table, CSV, Markdown, JSON) and its SVG plots.
#include "rlab/chart.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "command_parts.h"

namespace rlab::bayesopt_cmd {

namespace {

std::string value_cell(const std::optional<double>& v) { return v ? format_number(*v, 6) : "-"; }

}  // namespace

std::string param_cell(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return format_number(v.get<double>(), 5);
  return v.dump();
}

namespace {

Table trials_table(const Report& r) {
  Table t;
  t.headers = {"trial"};
  for (const auto& d : r.job->space.dims) t.headers.push_back(d.name);
  t.headers.insert(t.headers.end(), {"value", "status", "acq"});
  t.numeric_columns.push_back(0);
  for (std::size_t i = 0; i < r.job->space.dims.size(); ++i) {
    if (r.job->space.dims[i].kind != bo::Dimension::Kind::kCategorical)
      t.numeric_columns.push_back(i + 1);
  }
  t.numeric_columns.push_back(r.job->space.dims.size() + 1);
  for (const Trial& tr : r.trials) {
    std::vector<std::string> row = {std::to_string(tr.id)};
    for (const auto& d : r.job->space.dims) row.push_back(param_cell(tr.params[d.name]));
    row.push_back(value_cell(tr.value));
    row.push_back(tr.state == "ok" ? "ok" : "failed: " + tr.error);
    row.push_back(tr.acq);
    t.rows.push_back(std::move(row));
  }
  return t;
}

json report_json(const Report& r) {
  json j;
  const Job& job = *r.job;
  j["objective"] =
      job.objective.type == "builtin" ? json(job.objective.builtin) : json(job.objective.argv);
  j["direction"] = job.maximize ? "maximize" : "minimize";
  j["space"] = bo::space_to_json(job.space);
  j["n_calls"] = job.n_calls;
  j["random_state"] = job.settings.random_state;
  j["acquisition"] = bo::acquisition_name(job.settings.acquisition);
  j["study"] = job.study.empty() ? json(nullptr) : json(r.storage.empty() ? job.study : r.storage);
  j["resumed_trials"] = r.resumed;
  if (r.best) {
    const Trial& b = r.trials[*r.best];
    j["best"] = {{"trial", b.id}, {"value", *b.value}, {"params", b.params}};
  } else {
    j["best"] = nullptr;
  }
  j["n_trials"] = r.trials.size() - static_cast<std::size_t>(r.lost);
  if (!r.storage.empty()) j["n_lost"] = r.lost;
  j["n_failed"] = std::count_if(r.trials.begin(), r.trials.end(),
                                [](const Trial& t) { return t.state != "ok"; });
  j["overhead_per_call_s"] = r.overhead_per_call;
  j["plots"] = r.plots;
  json list = json::array();
  for (const Trial& t : r.trials) {
    json tj = trial_json(t);
    tj.erase("hedge");
    list.push_back(tj);
  }
  j["trials"] = list;
  return j;
}

// ---------------------------------------------------------------------------------------------
// SVG plots

// The objective's axis title: the metric or JSON key it reads, when it names one.
std::string objective_title(const Job& job) {
  const std::string& name =
      !job.objective.metric.empty() ? job.objective.metric : job.objective.json_key;
  return name.empty() ? "objective" : "objective: " + name;
}

// Convergence: every trial's value (points) and the best so far (steps).
std::string convergence_svg(const Report& r) {
  const bool maxi = r.job->maximize;
  chart::Chart c;
  c.title =
      std::string("Convergence: best value so far (") + (maxi ? "maximised" : "minimised") + ")";
  c.x.title = "trial";
  c.x.integer = true;
  c.y.title = objective_title(*r.job);
  c.y.scale = chart::Scale::kAuto;
  c.plot_width = 520;
  c.plot_height = 300;
  chart::Series each{"each trial", {}, {}};
  each.style = chart::Style::kPoints;
  each.color = "#9ca3af";
  chart::Series best{"best so far", {}, {}};
  best.style = chart::Style::kStep;
  best.color = "#2563eb";
  double b = std::numeric_limits<double>::infinity();
  for (const Trial& t : r.trials) {
    if (!t.value) continue;
    const double v = *t.value;
    const auto x = static_cast<double>(t.id + 1);
    each.x.push_back(x);
    each.y.push_back(v);
    b = std::isinf(b) ? v : (maxi ? std::max(b, v) : std::min(b, v));
    best.x.push_back(x);
    best.y.push_back(b);
  }
  c.series = {each, best};
  c.empty_note = "no successful trial yet";
  return chart::render(c);
}

// Partial dependence of the model's mean on each dimension, the others averaged out; a
// categorical dimension as one point per category with the spread over the other dimensions.
std::string partial_dependence_svg(const Report& r, const bo::Optimizer& opt) {
  const bo::Space& space = r.job->space;
  const auto gp = opt.model();
  const int n = static_cast<int>(space.dims.size());
  std::vector<chart::Chart> panels;
  const double sign = r.job->maximize ? -1 : 1;
  const std::string ytitle = objective_title(*r.job);
  std::vector<bo::Point> xs;  // the successful trials' points
  for (const Trial& t : r.trials) {
    if (t.value) xs.push_back(bo::point_from_json(space, t.params, r.job->study));
  }
  for (int k = 0; k < n; ++k) {
    const bo::Dimension& d = space.dims[static_cast<std::size_t>(k)];
    chart::Chart c;
    c.title = "partial dependence: " + d.name;
    c.y.title = ytitle;
    c.y.scale = chart::Scale::kAuto;
    c.plot_width = 300;
    c.plot_height = 180;
    const bool cat = d.kind == bo::Dimension::Kind::kCategorical;
    if (!gp) {
      c.empty_note = "fewer than 2 successful trials: no model";
      panels.push_back(c);
      continue;
    }
    const bo::PartialDependence pd =
        bo::partial_dependence(space, *gp, k, 40, 200, 7 + static_cast<std::uint64_t>(k));
    chart::Series model{"", pd.x, {}};
    for (double m : pd.mean) model.y.push_back(sign * m);
    model.color = "#2563eb";
    chart::Series trials{"", {}, {}};
    trials.style = chart::Style::kRug;
    trials.color = "#6b7280";
    for (const bo::Point& x : xs) trials.x.push_back(x[static_cast<std::size_t>(k)]);
    if (cat) {
      c.x.categories = d.categories;
      c.x.title = d.name;
      model.style = chart::Style::kPoints;
      model.spread = pd.sd;
      std::vector<int> count(d.categories.size(), 0);
      for (double x : trials.x) {
        const auto i = static_cast<std::size_t>(x);
        if (i < count.size()) ++count[i];
      }
      for (int m : count) c.x.category_notes.push_back(std::to_string(m) + " trials");
      c.notes.push_back("point: mean over the other dimensions; bar: their spread (1 sd)");
      c.series = {model};
    } else {
      c.x.title = d.name + (d.log ? " (log scale)" : "");
      c.x.scale = d.log ? chart::Scale::kLog : chart::Scale::kLinear;
      c.x.integer = d.kind == bo::Dimension::Kind::kInteger;
      c.x.min = d.low;
      c.x.max = d.high;
      c.notes.push_back("ticks on the x axis: the trials");
      c.series = {model, trials};
    }
    panels.push_back(c);
  }
  return chart::render_grid("Partial dependence: the model's mean, other dimensions averaged out",
                            panels, std::min(n, 3));
}

}  // namespace

void emit(const std::string& text, const Options& o, Context& ctx) {
  if (o.output.empty() || o.output == "-") {
    ctx.out << text;
  } else {
    write_file_atomic(o.output, text);
  }
}

// Best trial, plots and the rendered report (shared by the study-file run and the workers).
ExitCode finish_report(Report& rep, const bo::Optimizer& opt, const Options& o, Context& ctx) {
  const Job& job = *rep.job;
  for (std::size_t i = 0; i < rep.trials.size(); ++i) {
    const Trial& t = rep.trials[i];
    if (!t.value || t.state != "ok") continue;
    if (!rep.best || (job.maximize ? *t.value > *rep.trials[*rep.best].value
                                   : *t.value < *rep.trials[*rep.best].value)) {
      rep.best = i;
    }
  }
  if (!job.plots.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(job.plots, ec);
    const std::string conv = (std::filesystem::path(job.plots) / "convergence.svg").string();
    const std::string pd = (std::filesystem::path(job.plots) / "partial_dependence.svg").string();
    write_file_atomic(conv, convergence_svg(rep));
    write_file_atomic(pd, partial_dependence_svg(rep, opt));
    rep.plots = {conv, pd};
  }
  if (!rep.best) {
    const Trial& f = rep.trials.front();
    EnvironmentError e("no trial succeeded (" + std::to_string(rep.trials.size()) +
                       " failed); trial 0: " + f.error);
    if (!f.tail.empty()) e.add_note("output of trial 0: " + f.tail);
    throw e;
  }
  std::string text;
  const Trial& b = rep.trials[*rep.best];
  switch (ctx.options.format) {
    case Format::kJson:
      text = report_json(rep).dump(2) + "\n";
      break;
    case Format::kCsv:
      text = render_csv(trials_table(rep));
      break;
    case Format::kMd:
    case Format::kTable: {
      const bool md = ctx.options.format == Format::kMd;
      std::string params;
      for (const auto& d : job.space.dims)
        params += (params.empty() ? "" : ", ") + d.name + "=" + param_cell(b.params[d.name]);
      const auto n_failed = std::count_if(rep.trials.begin(), rep.trials.end(),
                                          [](const Trial& t) { return t.state != "ok"; });
      text = md ? render_markdown(trials_table(rep)) : render_plain(trials_table(rep));
      const char* bullet = md ? "- " : "";
      text += "\n";
      text += std::string(bullet) + "best: " + format_number(*b.value, 8) + " at trial " +
              std::to_string(b.id) + " (" + params + ")\n";
      text += std::string(bullet) + "trials: " + std::to_string(rep.trials.size()) + " (" +
              std::to_string(n_failed) + " failed" +
              (rep.resumed > 0 ? ", " + std::to_string(rep.resumed) + " resumed from the study"
                               : std::string()) +
              ")\n";
      text += std::string(bullet) +
              "optimiser overhead: " + format_number(rep.overhead_per_call, 3) + " s per call\n";
      for (const auto& p : rep.plots) text += std::string(bullet) + "plot: " + p + "\n";
      break;
    }
    default:
      break;
  }
  emit(text, o, ctx);
  return ExitCode::kSuccess;
}

}  // namespace rlab::bayesopt_cmd
