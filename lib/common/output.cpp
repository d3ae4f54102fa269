#include "rlab/output.h"

#include "rlab/error.h"
#include "rlab/text.h"

#include <algorithm>
#include <stdexcept>

namespace rlab {

namespace {
const std::vector<std::pair<std::string, Format>>& format_names() {
  static const std::vector<std::pair<std::string, Format>> kNames = {
      {"table", Format::kTable}, {"json", Format::kJson}, {"csv", Format::kCsv},
      {"md", Format::kMd},       {"dot", Format::kDot},   {"mermaid", Format::kMermaid}};
  return kNames;
}

}  // namespace

Format parse_format(const std::string& name) {
  if (name == "markdown") return Format::kMd;
  for (const auto& [n, f] : format_names()) {
    if (n == name) return f;
  }
  throw UsageError("unknown format '" + name + "' (use table, json, csv, md, dot or mermaid)");
}

std::string format_name(Format format) {
  for (const auto& [n, f] : format_names()) {
    if (f == format) return n;
  }
  return "?";
}

void require_format(Format format, std::initializer_list<Format> supported,
                    const std::string& command) {
  std::string list;
  for (Format f : supported) {
    if (f == format) return;
    list += (list.empty() ? "" : ", ") + format_name(f);
  }
  throw UsageError(command + " does not support --format " + format_name(format) + " (use " + list +
                   ")");
}

std::string render_plain(const Table& in) {
  // One line per row: control characters in cells are written as escapes (\n, \t, \x07), on
  // a copy made only when some cell has one.
  auto has_control = [](const std::vector<std::string>& row) {
    return std::any_of(row.begin(), row.end(), [](const std::string& c) {
      for (std::size_t i = 0; i < c.size(); ++i) {
        const auto b = static_cast<unsigned char>(c[i]);
        if (b < 0x20 || b == 0x7F ||
            (b == 0xC2 && i + 1 < c.size() && static_cast<unsigned char>(c[i + 1]) < 0xA0))
          return true;
      }
      return false;
    });
  };
  const bool escape =
      has_control(in.headers) || std::any_of(in.rows.begin(), in.rows.end(), has_control);
  Table escaped;
  if (escape) {
    escaped = in;
    for (std::string& h : escaped.headers) h = escape_controls(h);
    for (auto& row : escaped.rows)
      for (std::string& c : row) c = escape_controls(c);
  }
  const Table& table = escape ? escaped : in;
  std::vector<std::size_t> width(table.headers.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], display_width(row[i]));
    }
  };
  measure(table.headers);
  for (const auto& row : table.rows) measure(row);
  auto is_numeric = [&](std::size_t i) {
    return std::find(table.numeric_columns.begin(), table.numeric_columns.end(), i) !=
           table.numeric_columns.end();
  };
  auto emit = [&](const std::vector<std::string>& row, std::string& out) {
    std::string line;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const std::string pad(width[i] - display_width(cell), ' ');
      if (i > 0) line += "  ";
      line += is_numeric(i) ? pad + cell : cell + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  };
  std::string out;
  emit(table.headers, out);
  std::vector<std::string> rule;
  rule.reserve(width.size());
  for (std::size_t w : width) rule.emplace_back(w, '-');
  emit(rule, out);
  for (const auto& row : table.rows) emit(row, out);
  return out;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

std::string md_cell(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '|') {
      r += "\\|";
    } else if (c == '\n') {
      r += "<br>";
    } else {
      r += c;
    }
  }
  return escape_controls(r);
}
}  // namespace

std::string render_csv(const Table& table) {
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_field(row[i]);
    }
    out += '\n';
  };
  emit(table.headers);
  for (const auto& row : table.rows) emit(row);
  return out;
}

std::string render_markdown(const Table& table) {
  std::string out = "|";
  for (const auto& h : table.headers) out += " " + md_cell(h) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < table.headers.size(); ++i) {
    const bool numeric = std::find(table.numeric_columns.begin(), table.numeric_columns.end(), i) !=
                         table.numeric_columns.end();
    out += numeric ? "---:|" : "---|";
  }
  out += '\n';
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& c : row) out += " " + md_cell(c) + " |";
    out += '\n';
  }
  return out;
}

std::string render(const Table& table, Format format) {
  switch (format) {
    case Format::kTable:
      return render_plain(table);
    case Format::kCsv:
      return render_csv(table);
    case Format::kMd:
      return render_markdown(table);
    default:
      throw std::logic_error("render: not a tabular format: " + format_name(format));
  }
}

}  // namespace rlab
