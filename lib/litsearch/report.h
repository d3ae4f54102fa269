// The report of `rlab lit-search` in each output format: the papers, keywords, phrases,
// distinctive terms and trends as plain tables or Markdown, or everything as JSON. Private to
// lib/litsearch.
#pragma once

#include "rlab/litsearch.h"

#include <cstddef>
#include <string>
#include <vector>

namespace rlab::litsearch {

/// What the report shows besides the papers and the analysis.
struct ReportView {
  std::size_t removed = 0;        ///< Duplicates merged.
  std::size_t show = 10;          ///< Papers listed (0: all).
  bool by_citations = false;      ///< Papers listed by citations, not in result order.
  bool keep_query_terms = false;  ///< The query's words were kept among the keywords.
  int min_year_papers = 5;        ///< Trend columns merge years with fewer papers.
};

/// `s` cut to at most `n` bytes with "..." (not inside a UTF-8 sequence).
std::string shorten(const std::string& s, std::size_t n);
std::string report_plain(const std::vector<Paper>& papers, const AnalysisResult& a,
                         const ReportView& v);
std::string report_markdown(const std::vector<Paper>& papers, const AnalysisResult& a,
                            const ReportView& v);
/// The JSON document: papers, analysis, query, records fetched, duplicates merged and the
/// request counters (`stats` null when nothing was fetched).
std::string report_json(const std::vector<Paper>& papers, const AnalysisResult& a,
                        const std::string& query, std::size_t fetched, std::size_t removed,
                        const FetchStats* stats);

}  // namespace rlab::litsearch
