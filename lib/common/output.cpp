#include "rlab/output.h"

#include "rlab/error.h"

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

// Display width in terminal columns: counts UTF-8 code points, not bytes.
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
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

std::string render_plain(const Table& table) {
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
  return r;
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
