#include "read.h"

#include "rlab/commands.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>

#include "embedded.h"

namespace rlab::trl {

std::vector<std::string> builtin_scale_names() {
  std::vector<std::string> names;
  for (const auto& s : embedded_scales()) names.emplace_back(s.name);
  return names;
}

namespace {

bool looks_like_path(const std::string& spec) {
  if (spec.find('/') != std::string::npos) return true;
  const auto ends = [&](const char* suffix) {
    const std::string s(suffix);
    return spec.size() >= s.size() && spec.compare(spec.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".yaml") || ends(".yml");
}

void check_id(const ConfigNode& n, const std::string& id, const char* what) {
  if (id.empty()) n.fail(std::string(what) + " id is empty");
  for (char c : id) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == ',' || c == '#') {
      n.fail(std::string(what) + " id '" + id + "' may not hold spaces, ',' or '#'");
    }
  }
}

config::Key with_check(config::Key k, std::function<void(const ConfigNode&)> check) {
  k.check = std::move(check);
  return k;
}

Kind read_kind(const ConfigNode& n) {
  return n.as_choice({"hardware", "software"}) == "hardware" ? Kind::kHardware : Kind::kSoftware;
}

}  // namespace

Scale read_scale(const ConfigNode& root) {
  if (!root.is_map()) root.fail("a scale file must be a map with 'scale' and 'levels'");
  root.check_keys({"version", "scale", "levels"});
  if (root.has("version") && root["version"].as_int() != 1) {
    root["version"].fail("unsupported version " + root["version"].as_string());
  }
  Scale s;
  s.where = root.location().file;
  const ConfigNode meta = root.required("scale");
  if (!meta.is_map()) meta.fail("'scale' must be a map, got " + meta.kind());
  meta.check_keys({"id", "name", "version", "source", "url"});
  s.id = meta.required("id").as_string();
  check_id(meta["id"], s.id, "scale");
  s.name = meta.get("name", s.id);
  s.version = meta.required("version").as_string();
  s.source = meta.get("source", std::string());
  s.url = meta.get("url", std::string());
  const ConfigNode levels = root.required("levels");
  if (levels.is_null()) levels.fail("'levels' is empty");
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const ConfigNode ln = levels.at(i);
    if (!ln.is_map()) ln.fail("'" + ln.path() + "' must be a map with a 'level', got " + ln.kind());
    ln.check_keys({"level", "definition", "success_criteria", "criteria"});
    Level l;
    const ConfigNode num = ln.required("level");
    l.level = static_cast<int>(num.as_int(0, 1000));
    l.where = num.location().str();
    l.definition = ln.required("definition").as_string();
    l.success_criteria = ln.get("success_criteria", std::string());
    const ConfigNode crit = ln.required("criteria");
    if (!crit.is_null()) {
      for (std::size_t k = 0; k < crit.size(); ++k) {
        const ConfigNode cn = crit.at(k);
        if (!cn.is_map())
          cn.fail("'" + cn.path() + "' must be a map with an 'id', got " + cn.kind());
        cn.check_keys({"id", "text", "required", "weight", "applies"});
        Criterion c;
        const ConfigNode id = cn.required("id");
        c.id = id.as_string();
        check_id(id, c.id, "criterion");
        c.where = id.location().str();
        c.text = cn.required("text").as_string();
        c.required = cn.get("required", true);
        if (cn.has("weight")) {
          c.weight = cn["weight"].as_double(0, 1e6);
          if (c.weight <= 0) cn["weight"].fail("'" + cn["weight"].path() + "' must be > 0");
        }
        if (cn.has("applies")) {
          c.hardware = c.software = false;
          for (const ConfigNode& a : cn["applies"].items()) {
            (read_kind(a) == Kind::kHardware ? c.hardware : c.software) = true;
          }
        }
        l.criteria.push_back(std::move(c));
      }
    }
    s.levels.push_back(std::move(l));
  }
  validate_scale(s);
  return s;
}

Scale load_scale(const std::string& spec, const std::string& base_dir, const std::string& where) {
  for (const auto& e : embedded_scales()) {
    if (spec == e.name) return read_scale(parse_config(e.text, e.path));
  }
  if (!looks_like_path(spec)) {
    std::string all;
    for (const auto& n : builtin_scale_names()) all += (all.empty() ? "" : ", ") + n;
    const std::string msg = "unknown scale '" + spec + "'" +
                            did_you_mean(spec, builtin_scale_names()) + " (built-in: " + all +
                            "; a scale file is a path ending in .yaml)";
    if (where.empty()) throw UsageError("--scale: " + msg);
    throw InputError(where + ": " + msg);
  }
  const std::string path =
      spec[0] == '/' || base_dir.empty() || base_dir == "." ? spec : base_dir + "/" + spec;
  return read_scale(load_config_file(path));
}

namespace {

Answer read_answer(const std::string& criterion, const ConfigNode& v) {
  Answer a;
  a.criterion = criterion;
  a.where = v.location().str();
  auto read_percent = [&](const ConfigNode& n) {
    if (n.kind() == "boolean") {
      a.percent = n.as_bool() ? 100.0 : 0.0;
    } else if (n.kind() == "string") {
      const std::string s = n.as_string();
      if (s != "n/a" && s != "na") {
        n.fail("'" + n.path() + "' must be a percent 0-100, yes/no or n/a, got '" + s + "'");
      }
      a.not_applicable = true;
    } else {
      a.percent = n.as_double(0, 100);
    }
  };
  if (v.is_null()) v.fail("'" + v.path() + "' has no answer (percent 0-100, yes/no, n/a or a map)");
  if (!v.is_map()) {
    read_percent(v);
    return a;
  }
  v.check_keys({"percent", "done", "evidence", "note"});
  if (v.has("percent") && v.has("done")) v.fail("'" + v.path() + "' has both 'percent' and 'done'");
  if (v.has("percent")) {
    read_percent(v["percent"]);
  } else if (v.has("done")) {
    a.percent = v["done"].as_bool() ? 100.0 : 0.0;
  } else {
    v.fail("'" + v.path() + "' needs 'percent' (0-100, n/a) or 'done' (yes/no)");
  }
  for (const ConfigNode& e : v["evidence"].items()) {
    const std::string item = e.as_string();
    if (item.empty()) e.fail("empty evidence item");
    a.evidence.push_back(item);
  }
  a.note = v.get("note", std::string());
  return a;
}

Element read_element(const ConfigNode& n, Kind default_kind, bool allow_empty) {
  Element e;
  e.kind = default_kind;
  if (!n["kind"].is_null()) e.kind = read_kind(n["kind"]);
  const ConfigNode answers = n["answers"];
  const bool empty = answers.is_null() || (answers.is_map() && answers.keys().empty());
  if (empty && allow_empty) return e;
  if (empty) {
    answers.fail("no answers: '" + answers.path() + "' is empty");
  }
  for (const std::string& k : answers.keys()) e.answers.push_back(read_answer(k, answers[k]));
  return e;
}

}  // namespace

}  // namespace rlab::trl

namespace rlab {

const config::Section& trl_config_section() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  using trl::check_id;
  using trl::with_check;
  const auto answers = [](std::string example_name) {
    return map_of("answers",
                  any("", "percent 0-100, yes/no, n/a, or {percent | done, evidence, note}", "yes",
                      [](const ConfigNode& v) { (void)trl::read_answer("", v); }),
                  "criterion id -> answer; unanswered criteria count as 0 %",
                  std::move(example_name));
  };
  const auto kind = [](std::string help) {
    return choice("kind", {"hardware", "software"}, std::move(help), "software");
  };
  static const Section kSection{
      "trl",
      "rlab trl: a technology readiness assessment, answers to a scale's criteria with evidence",
      {
          text("technology", "what is assessed", "sparse-solver"),
          text("scale", "nasa (default), eu, or a scale file", "nasa"),
          text("scale_version", "the scale version the answers are for (must match)"),
          date("date", "when it was assessed", "2025-03-01"),
          text("assessor", "who assessed it", "jdoe"),
          with_check(number("threshold", 0, 100,
                            "percent a required criterion needs to count as met, > 0 "
                            "(default 100)",
                            "100"),
                     [](const ConfigNode& n) {
                       if (n.as_double() <= 0) {
                         n.fail("'threshold' must be > 0 (a percent up to 100)");
                       }
                     }),
          kind("default kind of the elements (default software)"),
          answers(""),
          list_of("elements",
                  map("",
                      {
                          required(with_check(
                              text("id", "no spaces, ',' or '#'", "kernel"),
                              [](const ConfigNode& n) { check_id(n, n.as_string(), "element"); })),
                          text("name", "its name (default: the id)", "Solver kernel"),
                          kind("hardware or software (default: the file's kind)"),
                          required(answers("1.definition")),
                      },
                      "one technology element (system, subsystem, component)"),
                  "several elements instead of one element's 'answers'"),
      }};
  return kSection;
}

}  // namespace rlab

namespace rlab::trl {

AnswersFile read_answers(const ConfigNode& s, const std::string& path, bool allow_empty) {
  AnswersFile f;
  f.path = path;
  f.where = s.location().str();
  config::check(s, trl_config_section());  // every value below is already checked
  Assessment& a = f.assessment;
  a.technology = s.get("technology", std::string());
  if (!s["scale"].is_null()) {
    f.scale = s["scale"].as_string();
    f.scale_where = s["scale"].location().str();
  }
  if (!s["scale_version"].is_null()) {
    f.scale_version = s["scale_version"].as_string();
    f.version_where = s["scale_version"].location().str();
  }
  if (!s["date"].is_null()) a.date = s["date"].as_date();
  a.assessor = s.get("assessor", std::string());
  a.threshold = s.get("threshold", a.threshold);
  Kind kind = Kind::kSoftware;
  if (!s["kind"].is_null()) kind = read_kind(s["kind"]);
  if (s.has("answers") && s.has("elements")) {
    s["elements"].fail("use either 'answers' (one element) or 'elements', not both");
  }
  if (s.has("elements")) {
    f.multi = true;
    const ConfigNode list = s["elements"];
    if (list.is_null() || list.size() == 0) list.fail("no answers: 'elements' is empty");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const ConfigNode en = list.at(i);
      const ConfigNode id = en["id"];
      Element e = read_element(en, kind, allow_empty);
      e.id = id.as_string();
      e.name = en.get("name", e.id);
      e.where = id.location().str();
      a.elements.push_back(std::move(e));
    }
  } else if (s.has("answers")) {
    Element e = read_element(s, kind, allow_empty);
    e.id = a.technology.empty() ? "technology" : a.technology;
    e.name = e.id;
    e.where = f.where;
    a.elements.push_back(std::move(e));
  } else {
    s.fail("no answers: the file has neither 'answers' nor 'elements'");
  }
  return f;
}

void check_scale_version(const AnswersFile& f, const Scale& scale) {
  if (f.scale_version.empty() || f.scale_version == scale.version) return;
  throw InputError(f.version_where + ": answers are for scale version '" + f.scale_version +
                   "', but scale '" + scale.id + "' is version '" + scale.version + "'");
}

namespace {
// A double-quoted YAML scalar (JSON string syntax is valid YAML).
std::string q(const std::string& s) { return nlohmann::json(s).dump(); }

std::string answer_yaml(const Answer& a) {
  std::string s = "{percent: ";
  s += a.not_applicable ? "n/a" : format_number(a.percent.value_or(0), 10);
  if (!a.evidence.empty()) {
    s += ", evidence: [";
    for (std::size_t i = 0; i < a.evidence.size(); ++i) s += (i ? ", " : "") + q(a.evidence[i]);
    s += "]";
  }
  if (!a.note.empty()) s += ", note: " + q(a.note);
  return s + "}";
}

void answers_block(std::string& s, const Element& e, const Scale& scale, const char* indent) {
  s += std::string(indent) + "answers:\n";
  for (const Level& l : scale.levels) {  // in scale order, whatever order they were given in
    for (const Criterion& c : l.criteria) {
      for (const Answer& a : e.answers) {
        if (a.criterion == c.id)
          s += std::string(indent) + "  " + q(a.criterion) + ": " + answer_yaml(a) + "\n";
      }
    }
  }
}
}  // namespace

std::string answers_yaml(const AnswersFile& f, const Scale& scale) {
  const Assessment& a = f.assessment;
  std::string s =
      "# TRL answers (rlab trl). Percent complete 0-100, yes/no or n/a; evidence: paths,\n"
      "# URLs, DOIs. Assess with: rlab trl assess THIS_FILE\n";
  s += "version: 1\n";
  if (!a.technology.empty()) s += "technology: " + q(a.technology) + "\n";
  s += "scale: " + q(f.scale) + "\n";
  s += "scale_version: " + q(scale.version) + "\n";
  if (!a.date.empty()) s += "date: " + a.date + "\n";
  if (!a.assessor.empty()) s += "assessor: " + q(a.assessor) + "\n";
  if (a.threshold != 100) s += "threshold: " + format_number(a.threshold, 10) + "\n";
  if (!f.multi && a.elements.size() == 1) {
    s += "kind: " + kind_name(a.elements[0].kind) + "\n";
    answers_block(s, a.elements[0], scale, "");
    return s;
  }
  s += "elements:\n";
  for (const Element& e : a.elements) {
    s += "  - id: " + q(e.id) + "\n";
    if (!e.name.empty() && e.name != e.id) s += "    name: " + q(e.name) + "\n";
    s += "    kind: " + kind_name(e.kind) + "\n";
    if (e.answers.empty()) {
      s += "    answers: {}\n";
    } else {
      answers_block(s, e, scale, "    ");
    }
  }
  return s;
}

}  // namespace rlab::trl
