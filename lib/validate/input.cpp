// Run files for rlab validate: long and wide CSV, JSON, JSON Lines, YAML and rlab experiment
// records, parsed from text into runs of metric values that remember where each was written.
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/text.h"
#include "rlab/validate.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>

namespace rlab::validate {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool blank(const std::string& s) {
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

std::string shorten(const std::string& s) { return s.size() > 40 ? s.substr(0, 37) + "..." : s; }

// A metric value written as text: a finite number, else InputError at `where`.
double parse_value(const std::string& raw, const std::string& metric, const std::string& where) {
  const std::string text = trim(raw);
  const std::string l = ascii_lower(text);
  static const char* const kNonFinite[] = {"nan",      "+nan",      "-nan",     ".nan",  "inf",
                                           "+inf",     "-inf",      ".inf",     "+.inf", "-.inf",
                                           "infinity", "+infinity", "-infinity"};
  for (const char* nf : kNonFinite) {
    if (l == nf) {
      throw InputError(where + ": value '" + text + "' of metric '" + metric +
                       "' is not finite (NaN and infinities cannot be compared)");
    }
  }
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || l.find("0x") != std::string::npos) {
    throw InputError(where + ": value '" + shorten(text) + "' of metric '" + metric +
                     "' is not a number");
  }
  if (!std::isfinite(v)) {
    throw InputError(where + ": value '" + text + "' of metric '" + metric +
                     "' is not finite (out of the range of a double)");
  }
  return v;
}

long long parse_seed(const std::string& raw, const std::string& where) {
  const std::string text = trim(raw);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0) {
    throw InputError(where + ": seed '" + shorten(text) + "' is not an integer");
  }
  return v;
}

// ---- CSV (RFC 4180) ----

struct Cell {
  std::string text;
  int line = 0;
  int column = 0;
};

std::vector<std::vector<Cell>> read_csv(const std::string& text, const std::string& name) {
  std::vector<std::vector<Cell>> rows;
  std::vector<Cell> row;
  Cell cell;
  int line = 1;
  int column = 1;
  bool in_quotes = false;
  int quote_line = 0;
  int quote_column = 0;
  bool row_has_content = false;
  cell.line = 1;
  cell.column = 1;
  auto end_cell = [&] {
    row.push_back(cell);
    cell = Cell{"", line, column + 1};
  };
  std::size_t i = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // UTF-8 byte order mark
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell.text += '"';
        ++i;
        column += 2;
        continue;
      }
      if (c == '"') {
        in_quotes = false;
      } else {
        cell.text += c;
        if (c == '\n') {
          ++line;
          column = 0;
        }
      }
      ++column;
      continue;
    }
    if (c == '"' && blank(cell.text)) {
      in_quotes = true;
      quote_line = line;
      quote_column = column;
      cell.text.clear();
      row_has_content = true;
      ++column;
      continue;
    }
    if (c == ',') {
      end_cell();
      row_has_content = true;
      ++column;
      cell.column = column;
      continue;
    }
    if (c == '\r') continue;
    if (c == '\n') {
      if (row_has_content || !blank(cell.text)) {
        row.push_back(cell);
        rows.push_back(std::move(row));
      }
      row.clear();
      ++line;
      column = 1;
      cell = Cell{"", line, 1};
      row_has_content = false;
      continue;
    }
    cell.text += c;
    row_has_content = true;
    ++column;
  }
  if (in_quotes) {
    throw InputError(name + ":" + std::to_string(quote_line) + ":" + std::to_string(quote_column) +
                     ": unterminated quoted field");
  }
  if (row_has_content || !blank(cell.text)) {
    row.push_back(cell);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string at(const std::string& name, const Cell& c) {
  return name + ":" + std::to_string(c.line) + ":" + std::to_string(c.column);
}

const std::vector<std::string>& non_metric_columns() {
  static const std::vector<std::string> kCols = {"seed", "group", "run", "id", "name", "label"};
  return kCols;
}

std::vector<Run> parse_csv(const std::string& text, const std::string& name) {
  const auto rows = read_csv(text, name);
  if (rows.empty()) throw InputError(name + ": empty file (no runs)");
  const auto& header = rows.front();
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string h = trim(header[i].text);
    if (h.empty()) throw InputError(at(name, header[i]) + ": empty column name in the header");
    if (!col.emplace(h, i).second) {
      throw InputError(at(name, header[i]) + ": column '" + h + "' appears twice in the header");
    }
  }
  if (rows.size() == 1) {
    throw InputError(name + ":" + std::to_string(header.front().line) +
                     ":1: no runs (the file has only a header)");
  }
  const bool long_form = col.count("metric") > 0 && col.count("value") > 0;
  const bool has_seed = col.count("seed") > 0;
  std::vector<Run> runs;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const std::string row_where = name + ":" + std::to_string(row.front().line) + ":1";
    if (row.size() != header.size()) {
      throw InputError(row_where + ": " + std::to_string(row.size()) + " fields, the header has " +
                       std::to_string(header.size()));
    }
    Run run;
    run.where = row_where;
    if (has_seed) {
      const Cell& s = row[col["seed"]];
      if (!blank(s.text)) run.seed = parse_seed(s.text, at(name, s));
    }
    if (long_form) {
      const Cell& m = row[col["metric"]];
      const Cell& v = row[col["value"]];
      const std::string metric = trim(m.text);
      if (metric.empty()) throw InputError(at(name, m) + ": empty metric name");
      run.values.push_back({metric, parse_value(v.text, metric, at(name, v)), at(name, v)});
    } else {
      for (std::size_t i = 0; i < header.size(); ++i) {
        const std::string h = trim(header[i].text);
        const auto& skip = non_metric_columns();
        if (std::find(skip.begin(), skip.end(), h) != skip.end()) continue;
        if (blank(row[i].text)) continue;  // no value for this metric in this run
        run.values.push_back({h, parse_value(row[i].text, h, at(name, row[i])), at(name, row[i])});
      }
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

// ---- Records (JSON, JSON Lines, YAML) ----

// Rewrites "name:1:" locations of a one-line document to its real line.
std::string relocate(const std::string& where, const std::string& name, int line) {
  const std::string prefix = name + ":1:";
  if (line <= 1 || where.compare(0, prefix.size(), prefix) != 0) return where;
  return name + ":" + std::to_string(line) + ":" + where.substr(prefix.size());
}

struct RecordReader {
  std::string name;
  int line = 1;  // > 1 for JSON Lines: the line the record is on
  std::vector<std::string>* skipped = nullptr;
  std::size_t records = 0;  // records seen, skipped ones included

  std::string where(const ConfigNode& n) const { return relocate(n.location().str(), name, line); }

  void flatten(const ConfigNode& n, const std::string& prefix, Run& run) const {
    if (n.is_null()) return;      // a metric without a value in this run
    if (n.is_sequence()) return;  // curves and other lists are not run-level metrics
    if (n.is_map()) {
      for (const std::string& k : n.keys())
        flatten(n[k], prefix.empty() ? k : prefix + "." + k, run);
      return;
    }
    const std::string w = where(n);
    if (n.kind() == "boolean") {
      throw InputError(w + ": value '" + n.as_string() + "' of metric '" + prefix +
                       "' is not a number");
    }
    if (n.kind() == "string") {
      // Catches NaN/inf spelled as words first, then anything else as "not a number".
      parse_value(n.as_string(), prefix, w);
      throw InputError(w + ": value '" + shorten(n.as_string()) + "' of metric '" + prefix +
                       "' is a string, not a number");
    }
    run.values.push_back({prefix, parse_value(n.as_string(), prefix, w), w});
  }

  std::optional<long long> seed_of(const ConfigNode& rec) const {
    for (const char* path : {"seed", "config.seed", "experiment.seed", "config.experiment.seed"}) {
      ConfigNode n = rec;
      std::string p = path;
      bool ok = true;
      for (std::size_t pos = 0; ok;) {
        const std::size_t dot = p.find('.', pos);
        const std::string key =
            p.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        if (!n.is_map() || !n.has(key)) {
          ok = false;
          break;
        }
        n = n[key];
        if (dot == std::string::npos) break;
        pos = dot + 1;
      }
      if (ok && n.is_scalar()) return parse_seed(n.as_string(), where(n));
    }
    return std::nullopt;
  }

  // Whether an rlab experiment record (it has a status or a config) holds no comparable result
  // (a run that failed, was interrupted, diverged or never finished, or one without results),
  // and then what its record says about it: ", status 'failed': <error>", or "".
  static std::optional<std::string> unusable(const ConfigNode& rec) {
    if (!rec.has("status") && !rec.has("config")) return std::nullopt;
    std::string status;
    if (rec.has("status") && rec["status"].is_scalar()) status = rec["status"].as_string();
    std::string why;
    if (status == "failed" || status == "interrupted" || status == "diverged" ||
        status == "running") {
      why = ", status '" + status + "'";
    } else if (rec.has("metrics") || rec.has("results")) {
      return std::nullopt;
    }
    if (rec.has("error") && rec["error"].is_scalar()) why += ": " + rec["error"].as_string();
    return why;
  }

  // Appends the run of `rec` to `runs`, or notes in `skipped` why it has none.
  void add(const ConfigNode& rec, std::vector<Run>& runs) {
    ++records;
    if (rec.is_map()) {
      if (const auto why = unusable(rec)) {
        std::string id;
        if (rec.has("id") && rec["id"].is_scalar()) id = " " + rec["id"].as_string();
        if (skipped != nullptr)
          skipped->push_back(where(rec) + ": run" + id + " has no results" + *why + " (skipped)");
        return;
      }
    }
    runs.push_back(record(rec));
  }

  Run record(const ConfigNode& rec) const {
    if (!rec.is_map()) {
      throw InputError(where(rec) +
                       ": a run record must be a map like {seed: 1, metrics: "
                       "{accuracy: 0.9}}, got " +
                       rec.kind());
    }
    Run run;
    run.where = where(rec);
    run.seed = seed_of(rec);
    if (rec.has("metrics") || rec.has("results")) {
      ConfigNode m = rec.has("metrics") ? rec["metrics"] : rec["results"];
      if (m.is_map() && m.has("metrics")) m = m["metrics"];
      if (!m.is_map()) {
        throw InputError(where(m) + ": '" + m.path() + "' must be a map of metric values, got " +
                         m.kind());
      }
      flatten(m, "", run);
    } else {
      static const std::vector<std::string> kSkip = {"seed", "group", "run", "id", "name", "label"};
      for (const std::string& k : rec.keys()) {
        if (std::find(kSkip.begin(), kSkip.end(), k) != kSkip.end()) continue;
        flatten(rec[k], k, run);
      }
    }
    return run;
  }

  void document(const ConfigNode& root, std::vector<Run>& runs) {
    ConfigNode list = root;
    if (root.is_map() && root.has("runs")) {
      list = root["runs"];
      if (!list.is_sequence()) {
        throw InputError(where(list) + ": 'runs' must be a list of run records, got " +
                         list.kind());
      }
    }
    if (list.is_sequence()) {
      for (std::size_t i = 0; i < list.size(); ++i) add(list.at(i), runs);
    } else {
      add(list, runs);
    }
  }
};

std::vector<Run> parse_records(const std::string& text, const std::string& name,
                               std::vector<std::string>* skipped) {
  if (blank(text)) throw InputError(name + ": empty file (no runs)");
  std::vector<Run> runs;
  RecordReader reader{name, 1, skipped};
  reader.document(parse_config(text, name), runs);
  if (reader.records == 0) throw InputError(name + ":1:1: no runs (the list is empty)");
  return runs;
}

std::vector<Run> parse_jsonl(const std::string& text, const std::string& name,
                             std::vector<std::string>* skipped) {
  std::vector<Run> runs;
  std::size_t records = 0;
  int line = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string one =
        text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    ++line;
    if (!blank(one)) {
      RecordReader reader{name, line, skipped};
      try {
        const ConfigNode rec = parse_config(one, name);
        if (!rec.is_map()) {
          throw InputError(name + ":" + std::to_string(line) +
                           ":1: each line must hold one run record {...}, got " + rec.kind());
        }
        reader.add(rec, runs);
        ++records;
      } catch (const InputError& e) {
        throw InputError(relocate(e.what(), name, line));
      }
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  if (records == 0) throw InputError(name + ": empty file (no runs)");
  return runs;
}

}  // namespace

std::vector<Run> parse_runs(const std::string& text, const std::string& name,
                            std::vector<std::string>* skipped) {
  const std::string l = ascii_lower(name);
  if (ends_with(l, ".csv")) return parse_csv(text, name);
  if (ends_with(l, ".jsonl") || ends_with(l, ".ndjson")) return parse_jsonl(text, name, skipped);
  if (ends_with(l, ".json") || ends_with(l, ".yaml") || ends_with(l, ".yml")) {
    return parse_records(text, name, skipped);
  }
  throw InputError(name + ": unknown run file type (use .csv, .json, .jsonl, .yaml or .yml)");
}

}  // namespace rlab::validate
