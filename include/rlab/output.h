// Rendering results: output formats, plain tables, CSV and Markdown (ARCHITECTURE.md §4).
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace rlab {

/// Output formats selected by `--format`. Each command supports the ones meaningful to it.
enum class Format { kTable, kJson, kCsv, kMd, kDot, kMermaid };

/// Parses "table", "json", "csv", "md" (or "markdown"), "dot", "mermaid"; UsageError otherwise.
Format parse_format(const std::string& name);
std::string format_name(Format format);
/// Throws UsageError "<command> does not support --format X (use a, b)" unless supported.
void require_format(Format format, std::initializer_list<Format> supported,
                    const std::string& command);

/// A rectangular table of already formatted cells.
struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  /// Columns to right-align in the plain rendering (numbers); indexes into headers.
  std::vector<std::size_t> numeric_columns;
};

/// Aligned plain-text columns separated by two spaces, header underlined by dashes. Columns
/// align by terminal display width (wide characters 2, combining marks 0); control characters
/// in cells are written as escapes so that each row stays one line.
std::string render_plain(const Table& table);
/// RFC 4180 CSV: header line, CRLF-free "\n" line ends, fields quoted when they hold a comma,
/// quote, CR or LF (quotes doubled).
std::string render_csv(const Table& table);
/// GitHub-flavoured Markdown table; '|' in cells escaped, newlines as <br>, other control
/// characters as escapes.
std::string render_markdown(const Table& table);
/// Renders `table` as table/csv/md; other formats throw std::logic_error.
std::string render(const Table& table, Format format);

}  // namespace rlab
