// `rlab prioritize`: YAML plan -> Plan -> analyse() -> table/json/csv/md/dot/mermaid.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/prioritize.h"
#include "rlab/text.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>

namespace rlab {

namespace {

using prioritize::Challenge;
using prioritize::Plan;
using prioritize::Result;

struct Options {
  std::string file;
  std::string model;
  bool explain = false;
  std::optional<double> deadline;
  std::string output;
};

void check_id(const ConfigNode& n) {
  const std::string id = n.as_string();
  if (id.empty()) n.fail("challenge id is empty");
  for (char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_' && c != '.') {
      n.fail("challenge id '" + id + "' may hold only letters, digits, '-', '_' and '.'");
    }
  }
}

// Effort: a number > 0, or a three-point estimate {o, m, p} with o <= m <= p and p > 0.
void check_effort(const ConfigNode& n) {
  if (!n.is_map()) {
    const double v = n.as_double();
    if (v <= 0) n.fail("'" + n.path() + "' is " + format_number(v) + ", must be > 0");
    return;
  }
  const double o = n["o"].as_double();
  const double m = n["m"].as_double();
  const double p = n["p"].as_double();
  if (o > m || m > p) {
    n.fail("'" + n.path() + "' must have o <= m <= p, got o=" + format_number(o) +
           " m=" + format_number(m) + " p=" + format_number(p));
  }
  if (p <= 0) n.fail("'" + n.path() + "' must be > 0, got p=" + format_number(p));
}

// Built once, by prioritize_config_section().
config::Section declare() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  Key capacity = number("capacity", 0, 1e12,
                        "effort available (MoSCoW: must-haves above 60% of it are a risk)", "40");
  capacity.check = [](const ConfigNode& n) {
    if (n.as_double() <= 0) n.fail("'capacity' must be > 0");
  };
  Key id = required(text("id", "letters, digits, '-', '_' and '.'", "cell-model"));
  id.check = check_id;
  Key effort = map("effort",
                   {
                       required(number("o", 0, 1e9, "optimistic", "2")),
                       required(number("m", 0, 1e9, "most likely", "3")),
                       required(number("p", 0, 1e9, "pessimistic", "6")),
                       any("unit", "the unit, for the reader (e.g. weeks)"),
                   },
                   "a number > 0, or a three-point estimate {o, m, p} (PERT; o <= m <= p)");
  effort.check = check_effort;
  Key cost_of_delay =
      map("cost_of_delay",
          {
              number("value", 0, 1e9, "user-business value", "8"),
              number("time_criticality", 0, 1e9, "time criticality", "5"),
              number("rr_oe", 0, 1e9, "risk reduction / opportunity enablement", "3"),
          },
          "wsjf: a number, or the sum of its SAFe parts");
  cost_of_delay.check = [](const ConfigNode& n) {
    if (!n.is_map()) (void)n.as_double(0, 1e9);
  };
  Key challenge =
      map("",
          {
              id,
              text("title", "shown in tables (default: the id)", "Cell model"),
              number("impact", 0, 10, "ratio, ratio-risk, rice, ice", "8"),
              number("difficulty", 0, 10, "ratio, ratio-risk", "3"),
              number("risk", 0, 10, "ratio-risk", "2"),
              number("reach", 0, 1e12, "rice: people or events per period"),
              number("confidence", 0, 1, "rice, ice"),
              number("ease", 0, 10, "ice"),
              effort,
              cost_of_delay,
              choice("moscow", {"must", "should", "could", "wont"}, "MoSCoW class", "must"),
              date("due", "due date"),
              list("depends_on", "ids of the challenges this one waits for"),
              choice("status", {"todo", "doing", "done", "dropped"},
                     "done and dropped ones are not ranked (default todo)", "todo"),
              list("tags", "free labels"),
              any("notes", "free text, not read"),
          },
          "one challenge");
  challenge.check = [](const ConfigNode& c) {
    if (!c.is_map()) c.fail("'" + c.path() + "' must be a map with an 'id', got " + c.kind());
  };
  return Section{
      "prioritize",
      "rlab prioritize: rank technical challenges, order them by dependencies, PERT schedule",
      {
          choice("model", prioritize::model_names(), "scoring model (default ratio)", "ratio"),
          capacity,
          number("deadline", 0, 1e12, "in effort units from now: P(finish by it) with PERT"),
          required(list_of("challenges", challenge, "the challenges")),
      }};
}

}  // namespace

const config::Section& prioritize_config_section() {
  static const config::Section kSection = declare();
  return kSection;
}

namespace {

prioritize::Effort read_effort(const ConfigNode& n) {
  prioritize::Effort e;
  e.given = true;
  if (n.is_map()) {
    e.three_point = true;
    e.o = n["o"].as_double();
    e.m = n["m"].as_double();
    e.p = n["p"].as_double();
    return e;
  }
  e.o = e.m = e.p = n.as_double();
  return e;
}

double read_cost_of_delay(const ConfigNode& n) {
  if (!n.is_map()) return n.as_double();
  // SAFe: cost of delay = user-business value + time criticality + risk reduction /
  // opportunity enablement.
  double sum = 0;
  for (const char* k : {"value", "time_criticality", "rr_oe"}) {
    if (n.has(k)) sum += n[k].as_double();
  }
  return sum;
}

std::optional<double> opt(const ConfigNode& c, const char* key) {
  const ConfigNode n = c[key];
  if (n.is_null()) return std::nullopt;
  return n.as_double();
}

prioritize::Status read_status(const ConfigNode& n) {
  const std::string status = n.is_null() ? "todo" : n.as_string();
  return status == "doing"     ? prioritize::Status::kDoing
         : status == "done"    ? prioritize::Status::kDone
         : status == "dropped" ? prioritize::Status::kDropped
                               : prioritize::Status::kTodo;
}

Plan read_plan(const ConfigNode& s) {
  config::check(s, prioritize_config_section());  // every value below is already checked
  Plan plan;
  if (s.has("model")) plan.model = prioritize::parse_model(s["model"].as_string());
  if (s.has("capacity")) plan.capacity = s["capacity"].as_double();
  if (s.has("deadline")) plan.deadline = s["deadline"].as_double();
  const ConfigNode list = s["challenges"];
  plan.where = list.location().str();
  if (list.is_null()) return plan;  // reported as an empty list by analyse()
  for (const ConfigNode& c : list.items()) {
    Challenge ch;
    const ConfigNode id = c["id"];
    ch.id = id.as_string();
    ch.where = id.location().str();
    ch.title = c.get("title", ch.id);
    ch.impact = opt(c, "impact");
    ch.difficulty = opt(c, "difficulty");
    ch.risk = opt(c, "risk");
    ch.reach = opt(c, "reach");
    ch.confidence = opt(c, "confidence");
    ch.ease = opt(c, "ease");
    if (!c["effort"].is_null()) ch.effort = read_effort(c["effort"]);
    if (!c["cost_of_delay"].is_null()) ch.cost_of_delay = read_cost_of_delay(c["cost_of_delay"]);
    if (!c["moscow"].is_null()) ch.moscow = c["moscow"].as_string();
    if (!c["due"].is_null()) ch.due = c["due"].as_string();
    for (const ConfigNode& d : c["depends_on"].items()) {
      ch.depends_on.push_back(d.as_string());
      ch.depends_where.push_back(d.location().str());
    }
    ch.status = read_status(c["status"]);
    for (const ConfigNode& t : c["tags"].items()) ch.tags.push_back(t.as_string());
    plan.challenges.push_back(std::move(ch));
  }
  return plan;
}

std::string num(double v) { return format_fixed(v, 3); }

std::string state_of(const Challenge& c, const prioritize::Item& it) {
  if (!it.open) return prioritize::status_name(c.status);
  return it.blocked ? "blocked" : "ready";
}

std::string join_ids(const Plan& p, const std::vector<std::size_t>& v, const char* sep) {
  std::string s;
  for (std::size_t i : v) s += (s.empty() ? "" : sep) + p.challenges[i].id;
  return s;
}

std::string explain_line(const prioritize::Item& it) {
  std::string expr = it.formula;
  // Substitute each term name by its value, longest names first so "cost_of_delay" wins.
  std::vector<prioritize::Term> terms = it.terms;
  std::sort(terms.begin(), terms.end(),
            [](const auto& a, const auto& b) { return a.name.size() > b.name.size(); });
  for (const auto& t : terms) {
    for (auto pos = expr.find(t.name); pos != std::string::npos; pos = expr.find(t.name, pos)) {
      const std::string v = format_number(t.value, 6);
      expr.replace(pos, t.name.size(), v);
      pos += v.size();
    }
  }
  return it.formula + " = " + expr + " = " + format_number(it.score, 6);
}

// Challenges in display order: ranked open ones, then done/dropped.
std::vector<std::size_t> display_order(const Result& r) {
  std::vector<std::size_t> v = r.ranking;
  v.insert(v.end(), r.closed.begin(), r.closed.end());
  return v;
}

Table make_table(const Plan& p, const Result& r, bool full) {
  Table t;
  t.headers = {"rank", "id", "title", "score", "state", "order"};
  t.numeric_columns = {0, 3, 5};
  if (full) {
    for (const char* h : {"status", "blocked_by", "depends_on", "moscow", "due", "tags"}) {
      t.headers.emplace_back(h);
    }
  } else {
    t.headers.emplace_back("blocked by");
  }
  if (r.has_schedule) {
    const std::size_t base = t.headers.size();
    for (const char* h : {"te", "sd", "es", "ef", "slack", "critical"}) t.headers.emplace_back(h);
    for (std::size_t k = 0; k < 5; ++k) t.numeric_columns.push_back(base + k);
  }
  for (std::size_t i : display_order(r)) {
    const Challenge& c = p.challenges[i];
    const prioritize::Item& it = r.items[i];
    std::vector<std::string> row = {
        it.rank > 0 ? std::to_string(it.rank) : "-",  c.id, c.title, num(it.score), state_of(c, it),
        it.order > 0 ? std::to_string(it.order) : "-"};
    if (full) {
      row.insert(row.end(), {prioritize::status_name(c.status), join(it.blockers, " "),
                             join(c.depends_on, " "), c.moscow, c.due, join(c.tags, " ")});
    } else {
      row.push_back(join(it.blockers, ", "));
    }
    if (r.has_schedule) {
      if (it.open) {
        row.insert(row.end(), {num(it.te), num(it.sigma), num(it.es), num(it.ef), num(it.slack),
                               it.critical ? "yes" : "no"});
      } else {
        row.insert(row.end(), {"-", "-", "-", "-", "-", "-"});
      }
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string summary_lines(const Plan& p, const Result& r, bool explain, const char* bullet) {
  std::string s;
  auto line = [&](const std::string& text) { s += bullet + text + "\n"; };
  line("model: " + prioritize::model_name(r.model));
  line("execution order: " + join_ids(p, r.execution_order, " -> "));
  line("ready: " + (r.ready.empty() ? std::string("(none)") : join_ids(p, r.ready, ", ")));
  if (!r.blocked.empty()) {
    std::string b;
    for (std::size_t i : r.blocked) {
      b += (b.empty() ? "" : ", ") + p.challenges[i].id + " (waits for " +
           join(r.items[i].blockers, ", ") + ")";
    }
    line("blocked: " + b);
  }
  if (r.has_schedule) {
    line("critical path: " + join_ids(p, r.critical_path, " -> "));
    line("expected duration: " + num(r.expected_duration) + " (sd " + num(r.duration_sigma) + ")");
    if (r.deadline) {
      line("P(finish by " + format_number(*r.deadline, 6) +
           ") = " + format_fixed(r.deadline_probability, 3));
    }
  }
  if (explain) {
    for (std::size_t i : display_order(r)) {
      line(p.challenges[i].id + ": " + explain_line(r.items[i]));
    }
  }
  return s;
}

nlohmann::json to_json(const Plan& p, const Result& r, bool explain) {
  using nlohmann::json;
  auto ids = [&](const std::vector<std::size_t>& v) {
    json a = json::array();
    for (std::size_t i : v) a.push_back(p.challenges[i].id);
    return a;
  };
  json out;
  out["model"] = prioritize::model_name(r.model);
  json list = json::array();
  for (std::size_t i : display_order(r)) {
    const Challenge& c = p.challenges[i];
    const prioritize::Item& it = r.items[i];
    json j;
    j["rank"] = it.rank > 0 ? json(it.rank) : json(nullptr);
    j["id"] = c.id;
    j["title"] = c.title;
    j["score"] = it.score;
    j["formula"] = it.formula;
    json terms = json::object();
    for (const auto& t : it.terms) terms[t.name] = t.value;
    j["terms"] = terms;
    if (explain) j["explain"] = explain_line(it);
    j["status"] = prioritize::status_name(c.status);
    j["state"] = state_of(c, it);
    j["order"] = it.order > 0 ? json(it.order) : json(nullptr);
    j["depends_on"] = c.depends_on;
    j["blocked_by"] = it.blockers;
    j["moscow"] = c.moscow.empty() ? json(nullptr) : json(c.moscow);
    j["due"] = c.due.empty() ? json(nullptr) : json(c.due);
    j["tags"] = c.tags;
    if (r.has_schedule && it.open) {
      j["pert"] = {{"te", it.te}, {"sd", it.sigma}, {"es", it.es},       {"ef", it.ef},
                   {"ls", it.ls}, {"lf", it.lf},    {"slack", it.slack}, {"critical", it.critical}};
    }
    list.push_back(j);
  }
  out["challenges"] = list;
  out["ranking"] = ids(r.ranking);
  out["execution_order"] = ids(r.execution_order);
  out["ready"] = ids(r.ready);
  out["blocked"] = ids(r.blocked);
  if (r.has_schedule) {
    json sched = {{"expected_duration", r.expected_duration},
                  {"sd", r.duration_sigma},
                  {"critical_path", ids(r.critical_path)}};
    sched["deadline"] = r.deadline ? json(*r.deadline) : json(nullptr);
    sched["probability"] = r.deadline ? json(r.deadline_probability) : json(nullptr);
    out["schedule"] = sched;
  } else {
    out["schedule"] = nullptr;
  }
  out["warnings"] = r.warnings;
  return out;
}

std::string dot_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '\n') {
      r += "\\n";  // a line break in the label
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      r += ' ';
    } else {
      if (c == '"' || c == '\\') r += '\\';
      r += c;
    }
  }
  return r;
}

std::string to_dot(const Plan& p, const Result& r) {
  std::string s = "digraph prioritize {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n";
  s += "  // edges point from a dependency to the challenge that waits for it\n";
  for (std::size_t i = 0; i < p.challenges.size(); ++i) {
    const Challenge& c = p.challenges[i];
    const prioritize::Item& it = r.items[i];
    std::string attrs = "label=\"" + dot_escape(c.id) + "\\n" + dot_escape(c.title) + "\\nscore " +
                        num(it.score) + "\"";
    std::string style = "rounded";
    if (!it.open) {
      style += ",filled";
      attrs += ", fillcolor=\"#e5e7eb\", fontcolor=\"#6b7280\"";
    } else if (it.blocked) {
      style += ",dashed";
      attrs += ", color=\"#d97706\"";
    }
    if (r.has_schedule && it.open && it.critical) {
      style += ",bold";
      attrs += ", color=\"#dc2626\", penwidth=2";
    }
    s += "  \"" + dot_escape(c.id) + "\" [" + attrs + ", style=\"" + style + "\"];\n";
  }
  for (const Challenge& c : p.challenges) {
    for (const auto& d : c.depends_on) {
      s += "  \"" + dot_escape(d) + "\" -> \"" + dot_escape(c.id) + "\";\n";
    }
  }
  return s + "}\n";
}

std::string mermaid_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"') {
      r += "#quot;";
    } else if (c == '<') {
      r += "#lt;";
    } else if (c == '>') {
      r += "#gt;";
    } else if (c == '\n') {
      r += "<br/>";  // a line break in the node; a raw newline ends the node's line
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      r += ' ';
    } else {
      r += c;
    }
  }
  return r;
}

std::string to_mermaid(const Plan& p, const Result& r) {
  std::string s = "flowchart LR\n";
  std::vector<std::string> blocked;
  std::vector<std::string> critical;
  std::vector<std::string> closed;
  for (std::size_t i = 0; i < p.challenges.size(); ++i) {
    const Challenge& c = p.challenges[i];
    const prioritize::Item& it = r.items[i];
    const std::string node = "n" + std::to_string(i);
    s += "  " + node + "[\"" + mermaid_escape(c.id) + "<br/>" + mermaid_escape(c.title) +
         "<br/>score " + num(it.score) + "\"]\n";
    if (!it.open) closed.push_back(node);
    if (it.blocked) blocked.push_back(node);
    if (r.has_schedule && it.open && it.critical) critical.push_back(node);
  }
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < p.challenges.size(); ++i) index[p.challenges[i].id] = i;
  for (std::size_t i = 0; i < p.challenges.size(); ++i) {
    for (const auto& d : p.challenges[i].depends_on) {
      s += "  n" + std::to_string(index.at(d)) + " --> n" + std::to_string(i) + "\n";
    }
  }
  s += "  classDef blocked stroke:#d97706,stroke-dasharray:5 5\n";
  s += "  classDef critical stroke:#dc2626,stroke-width:3px\n";
  s += "  classDef closed fill:#e5e7eb,color:#6b7280\n";
  auto cls = [&](const std::vector<std::string>& v, const char* name) {
    if (!v.empty()) s += "  class " + join(v, ",") + " " + name + "\n";
  };
  cls(blocked, "blocked");
  cls(critical, "critical");
  cls(closed, "closed");
  return s;
}

ExitCode run(const Options& o, Context& ctx) {
  require_format(
      ctx.options.format,
      {Format::kTable, Format::kJson, Format::kCsv, Format::kMd, Format::kDot, Format::kMermaid},
      "prioritize");
  std::string file = o.file.empty() ? ctx.options.config_path : o.file;
  if (file.empty()) throw UsageError("prioritize needs a plan file: rlab prioritize FILE");
  const ConfigNode root = load_config_file(file);
  const ConfigNode section = select_section(root, "prioritize", ctx.config_sections);
  apply_overrides(section, "prioritize", ctx.options.sets);
  Plan plan = read_plan(section);
  if (!o.model.empty()) plan.model = prioritize::parse_model(o.model);
  if (o.deadline) plan.deadline = o.deadline;
  const Result r = prioritize::analyse(plan);
  for (const auto& w : r.warnings) ctx.log.warn(w);

  std::string text;
  switch (ctx.options.format) {
    case Format::kJson:
      text = to_json(plan, r, o.explain).dump(2) + "\n";
      break;
    case Format::kCsv:
      text = render_csv(make_table(plan, r, true));
      break;
    case Format::kMd:
      text = render_markdown(make_table(plan, r, false)) + "\n" +
             summary_lines(plan, r, o.explain, "- ");
      break;
    case Format::kDot:
      text = to_dot(plan, r);
      break;
    case Format::kMermaid:
      text = to_mermaid(plan, r);
      break;
    case Format::kTable:
      text =
          render_plain(make_table(plan, r, false)) + "\n" + summary_lines(plan, r, o.explain, "");
      break;
  }
  write_output(ctx.out, o.output, text);
  return ExitCode::kSuccess;
}

}  // namespace

Command prioritize_command() {
  return {"prioritize", "rank technical challenges, order them by dependencies, PERT schedule",
          [](CLI::App& sub, Context& ctx) -> Runner {
            auto o = std::make_shared<Options>();
            sub.add_option("file", o->file, "Plan (YAML): challenges with scores and depends_on")
                ->type_name("FILE");
            sub.add_option("--model", o->model,
                           "Scoring model: ratio, ratio-risk, rice, ice, wsjf (default: the "
                           "file's, else ratio)")
                ->type_name("MODEL")
                ->check(cli::values({"ratio", "ratio-risk", "rice", "ice", "wsjf"}));
            sub.add_flag("--explain", o->explain, "Show each score's formula and terms");
            sub.add_option("--deadline", o->deadline,
                           "Deadline in effort units from now: P(finish by it) with PERT")
                ->type_name("N")
                ->check(cli::non_negative(1e12));
            sub.add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
                ->type_name("FILE");
            sub.footer(
                "Example: rlab prioritize configs/examples/prioritize.yaml --explain\n"
                "Formats: table (default), json, csv, md, dot, mermaid.");
            return [o, &ctx] { return run(*o, ctx); };
          },
          &prioritize_config_section};
}

}  // namespace rlab
