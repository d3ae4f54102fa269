// The options of `rlab lit-search` as the command line gives them, and filling the unset ones
// from the config section. Private to lib/litsearch.
#pragma once

#include "rlab/config.h"
#include "rlab/litsearch.h"

#include <optional>
#include <string>
#include <vector>

namespace rlab::litsearch {

struct Options {
  std::string file;
  std::string query, source, mode, year, fields, venue, fos, sort;
  std::optional<long long> limit, min_citations;
  std::string api_base, openalex_base, cache_dir, from, background, stopwords;
  std::string ids_file, citations_of, references_of;
  bool offline = false, refresh = false, stem = false, no_boilerplate = false;
  bool keep_query_terms = false, no_fold_plurals = false, no_rejoin = false;
  std::optional<double> cache_ttl_hours, timeout, rate, min_z;
  std::optional<int> retries, ngram, min_df, top, recent_years, threads, min_year_papers, show;
  std::string show_by;
  std::string svg, csv, json, jsonl, bibtex, ris, summary, output;
};

/// Fills unset options from the config section (flags win over the file).
void read_config(const ConfigNode& s, Options& o, AnalysisOptions& ao, std::string& mailto,
                 std::vector<std::string>& ids);

}  // namespace rlab::litsearch
