// The `lit-search` config section: its declared keys, and reading a checked section into the
// options the command line left unset.
#include "rlab/config.h"

#include "rlab/commands.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"

#include <string>

#include "options.h"

namespace rlab {

const config::Section& lit_search_config_section() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  static const Section kSection{
      "lit-search",
      "rlab lit-search: search the literature, then keywords, distinctive terms and trends "
      "(flags win over these keys)",
      {
          text("query", "the search words", "battery degradation machine learning"),
          choice("source", {"s2", "openalex", "both"}, "where to search (default s2)", "s2"),
          choice("mode", {"relevance", "bulk"},
                 "relevance (<= 1000 results) or bulk (token paging, boolean syntax)", "relevance"),
          any("year", "2020-2024, 2020-, -2019 or 2021", "2015-",
              [](const ConfigNode& n) {
                try {
                  litsearch::parse_year_range(n.as_string());
                } catch (const UsageError& e) {
                  n.fail(std::string(e.what()).substr(2));
                }
              }),
          list("fields", "paper fields to ask for (default: all rlab uses)"),
          integer("limit", 1, 10000000, "papers per source (default 100)", "150"),
          integer("min_citations", 0, 1000000000, "only papers cited at least this often", "0"),
          list("venue", "only these venues"),
          list("fields_of_study", "only these fields of study"),
          text("sort", "sort of a bulk search, e.g. citationCount:desc"),
          list("ids", "fetch these papers instead of searching"),
          text("citations_of", "the papers citing this one"),
          text("references_of", "the papers this one cites"),
          text("api_base", "Semantic Scholar API base URL"),
          text("openalex_base", "OpenAlex API base URL"),
          text("mailto", "address sent to OpenAlex (its polite pool)"),
          number("cache_ttl_hours", 0, 1e6, "reuse cached answers younger than this (default 168)",
                 "168"),
          number("rate", 0.001, 1000, "requests per second at most"),
          number("timeout", 0.1, 3600, "seconds a request may take"),
          integer("retries", 0, 20, "retries of a failed request"),
          map("analysis",
              {
                  integer("ngram", 1, 3, "longest phrase, in tokens (default 3)", "3"),
                  integer("min_df", 1, 1000000, "a term must appear in this many papers", "2"),
                  integer("top", 1, 10000, "rows per table", "15"),
                  flag("stem", "Snowball stemming (default false)", "false"),
                  flag("boilerplate", "keep words like paper, propose, results (default true)",
                       "true"),
                  text("stopwords", "a file of extra stop words, one a line"),
                  integer("recent_years", 0, 1000,
                          "trend window: the last N years against the years before", "3"),
                  number("prior", 0.001, 1e9, "strength of the background prior"),
                  text("background", "a background corpus (JSON Lines) for distinctive terms"),
                  integer("threads", 1, 256, "analysis threads"),
                  flag("keep_query_terms", "keep the query's own words as keywords", "false"),
                  flag("fold_plurals", "fold English plurals (default true)", "true"),
                  flag("rejoin", "rejoin words split by a stray space (default true)", "true"),
                  number("min_z", -1e300, 1e300, "distinctive terms need |z| at least this",
                         "1.96"),
                  integer("min_year_papers", 1, 1000000,
                          "years with fewer papers are merged in trends", "5"),
              },
              "keyword, distinctive-term and trend analysis"),
          map("exports",
              {
                  text("csv", "papers as CSV"),
                  text("json", "papers as JSON"),
                  text("jsonl", "papers as JSON Lines"),
                  text("bibtex", "papers as BibTeX"),
                  text("ris", "papers as RIS"),
                  text("summary", "the analysis as Markdown"),
                  text("svg", "the trend chart"),
              },
              "files written besides the report"),
      }};
  return kSection;
}

namespace litsearch {

namespace {

std::string join_items(const ConfigNode& n) {
  std::string s;
  for (const ConfigNode& i : n.items()) s += (s.empty() ? "" : ",") + i.as_string();
  return s;
}

}  // namespace

// Fills unset options from the config section (flags win over the file).
void read_config(const ConfigNode& s, Options& o, AnalysisOptions& ao, std::string& mailto,
                 std::vector<std::string>& ids) {
  config::check(s, lit_search_config_section());  // every value below is already checked
  auto set_str = [&](const char* key, std::string& field) {
    if (field.empty() && !s[key].is_null()) field = s[key].as_string();
  };
  set_str("query", o.query);
  if (o.source.empty() && !s["source"].is_null()) o.source = s["source"].as_string();
  if (o.mode.empty() && !s["mode"].is_null()) o.mode = s["mode"].as_string();
  set_str("year", o.year);
  if (o.fields.empty() && !s["fields"].is_null()) o.fields = join_items(s["fields"]);
  if (!o.limit && !s["limit"].is_null()) o.limit = s["limit"].as_int();
  if (!o.min_citations && !s["min_citations"].is_null())
    o.min_citations = s["min_citations"].as_int();
  if (o.venue.empty() && !s["venue"].is_null()) o.venue = join_items(s["venue"]);
  if (o.fos.empty() && !s["fields_of_study"].is_null()) o.fos = join_items(s["fields_of_study"]);
  set_str("sort", o.sort);
  for (const ConfigNode& i : s["ids"].items()) ids.push_back(i.as_string());
  set_str("citations_of", o.citations_of);
  set_str("references_of", o.references_of);
  set_str("api_base", o.api_base);
  set_str("openalex_base", o.openalex_base);
  if (!s["mailto"].is_null()) mailto = s["mailto"].as_string();
  if (!o.cache_ttl_hours && !s["cache_ttl_hours"].is_null())
    o.cache_ttl_hours = s["cache_ttl_hours"].as_double();
  if (!o.rate && !s["rate"].is_null()) o.rate = s["rate"].as_double();
  if (!o.timeout && !s["timeout"].is_null()) o.timeout = s["timeout"].as_double();
  if (!o.retries && !s["retries"].is_null()) o.retries = static_cast<int>(s["retries"].as_int());
  const ConfigNode a = s["analysis"];
  if (a.defined() && !a.is_null()) {
    if (!o.ngram && !a["ngram"].is_null()) o.ngram = static_cast<int>(a["ngram"].as_int());
    if (!o.min_df && !a["min_df"].is_null()) o.min_df = static_cast<int>(a["min_df"].as_int());
    if (!o.top && !a["top"].is_null()) o.top = static_cast<int>(a["top"].as_int());
    if (!o.stem && !a["stem"].is_null()) o.stem = a["stem"].as_bool();
    if (!o.no_boilerplate && !a["boilerplate"].is_null())
      o.no_boilerplate = !a["boilerplate"].as_bool();
    if (o.stopwords.empty() && !a["stopwords"].is_null()) o.stopwords = a["stopwords"].as_string();
    if (!o.recent_years && !a["recent_years"].is_null())
      o.recent_years = static_cast<int>(a["recent_years"].as_int());
    if (!a["prior"].is_null()) ao.prior = a["prior"].as_double();
    if (o.background.empty() && !a["background"].is_null())
      o.background = a["background"].as_string();
    if (!o.threads && !a["threads"].is_null()) o.threads = static_cast<int>(a["threads"].as_int());
    if (!o.keep_query_terms && !a["keep_query_terms"].is_null())
      o.keep_query_terms = a["keep_query_terms"].as_bool();
    if (!o.no_fold_plurals && !a["fold_plurals"].is_null())
      o.no_fold_plurals = !a["fold_plurals"].as_bool();
    if (!o.no_rejoin && !a["rejoin"].is_null()) o.no_rejoin = !a["rejoin"].as_bool();
    if (!o.min_z && !a["min_z"].is_null()) o.min_z = a["min_z"].as_double();
    if (!o.min_year_papers && !a["min_year_papers"].is_null())
      o.min_year_papers = static_cast<int>(a["min_year_papers"].as_int());
  }
  const ConfigNode x = s["exports"];
  if (x.defined() && !x.is_null()) {
    auto ex = [&](const char* key, std::string& field) {
      if (field.empty() && !x[key].is_null()) field = x[key].as_string();
    };
    ex("csv", o.csv);
    ex("json", o.json);
    ex("jsonl", o.jsonl);
    ex("bibtex", o.bibtex);
    ex("ris", o.ris);
    ex("summary", o.summary);
    ex("svg", o.svg);
  }
}

}  // namespace litsearch

}  // namespace rlab
