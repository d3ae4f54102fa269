// `rlab lit-search`: options/config -> Query -> Fetcher (curl + disk cache) -> dedup ->
// analysis -> table/json/csv/md and export files.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/http.h"
#include "rlab/huge_pages.h"
#include "rlab/litsearch.h"
#include "rlab/text.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>

#include "disk_cache.h"

namespace rlab {

namespace {

using namespace litsearch;

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

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, ',')) {
    const auto b = cur.find_first_not_of(' ');
    const auto e = cur.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
  }
  return out;
}

// A saved result set (--from, --background): a regular file is read in one piece into huge
// pages (a 100 MB file in 4 KiB pages costs 25,000 page faults); anything else, and every
// error, goes through read_file.
HugeVector<char> read_papers_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f != nullptr) {
      HugeVector<char> text(static_cast<std::size_t>(st.st_size));
      const std::size_t got = std::fread(text.data(), 1, text.size(), f);
      const bool more = std::fgetc(f) != EOF;
      const bool failed = std::ferror(f) != 0;
      std::fclose(f);
      if (got == text.size() && !more && !failed) return text;
    }
  }
  const std::string text = read_file(path);
  return HugeVector<char>(text.begin(), text.end());
}

std::string_view view(const HugeVector<char>& text) { return {text.data(), text.size()}; }

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

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
                  parse_year_range(n.as_string());
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

namespace {

std::string join_items(const ConfigNode& n) {
  std::string s;
  for (const ConfigNode& i : n.items()) s += (s.empty() ? "" : ",") + i.as_string();
  return s;
}

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

std::string num(double v, int d = 3) { return format_fixed(v, d); }

std::string shorten(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t cut = n - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

Table papers_table(const std::vector<Paper>& ps, bool full) {
  Table t;
  t.headers = {"#", "title", "year", "venue", "citations", "id"};
  t.numeric_columns = {0, 2, 4};
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const Paper& p = ps[i];
    t.rows.push_back({std::to_string(i + 1), full ? p.title : shorten(p.title, 70),
                      p.year ? std::to_string(*p.year) : "", full ? p.venue : shorten(p.venue, 30),
                      p.citations ? std::to_string(*p.citations) : "",
                      p.doi.empty() ? p.paper_id : p.paper_id + (full ? " doi:" + p.doi : "")});
  }
  return t;
}

Table terms_table(const std::vector<Term>& ts, bool bg) {
  Table t;
  t.headers = {"term", "docs", "share"};
  t.numeric_columns = {1, 2};
  if (bg) {
    t.headers.insert(t.headers.end(), {"bg docs", "log-odds", "z"});
    t.numeric_columns.insert(t.numeric_columns.end(), {3, 4, 5});
  }
  for (const Term& x : ts) {
    std::vector<std::string> row = {x.text, std::to_string(x.df), num(x.share)};
    if (bg) row.insert(row.end(), {std::to_string(x.bg_df), num(x.log_odds), num(x.z, 2)});
    t.rows.push_back(row);
  }
  return t;
}

// Columns are the year bins; each cell is the number of papers of the bin with the term and
// its share of them.
Table trend_table(const AnalysisResult& a) {
  Table t;
  t.headers = {"term"};
  for (std::size_t i = 0; i < a.bins.size(); ++i) {
    t.headers.push_back(a.bins[i].label());
    t.numeric_columns.push_back(i + 1);
  }
  std::vector<std::string> n = {"(papers)"};
  for (const YearBin& b : a.bins) n.push_back(std::to_string(b.documents));
  t.rows.push_back(n);
  for (const TrendRow& r : a.trends) {
    std::vector<std::string> row = {r.term};
    for (std::size_t i = 0; i < r.bin_counts.size(); ++i) {
      row.push_back(std::to_string(r.bin_counts[i]) + " (" +
                    format_fixed(100 * r.bin_shares[i], 0) + "%)");
    }
    t.rows.push_back(row);
  }
  return t;
}

std::string trend_title(const AnalysisResult& a, int min_year_papers) {
  std::string s = "Trends (papers with the term, and their share of the column's papers";
  if (min_year_papers > 1 && a.bins.size() < a.years.size()) {
    s += "; years with fewer than " + std::to_string(min_year_papers) +
         " papers merged with neighbouring years";
  }
  return s + ")";
}

std::string percent(double share) { return format_fixed(100 * share, 0) + "%"; }

// The line under the keyword heading naming the query's words left out (or kept).
std::string query_note(const AnalysisResult& a, bool kept) {
  if (a.query_terms.empty()) return "";
  std::string words;
  for (const Term& t : a.query_terms)
    words += (words.empty() ? "" : ", ") + t.text + " " + percent(t.share);
  return kept ? "(the query's words are kept: " + words + ")\n"
              : "(the query's words are left out: " + words + " of papers; --keep-query-terms)\n";
}

std::string distinctive_none(const AnalysisResult& a) {
  return "No term is significantly more frequent than in " + a.background + " (none of " +
         std::to_string(a.distinctive_tested) + " terms tested has z >= " + num(a.min_z, 2) +
         ").\n";
}

// The papers the table shows: the first `show` (0: all) in result order or by citations.
std::vector<Paper> shown_papers(const std::vector<Paper>& ps, std::size_t show, bool by_citations) {
  std::vector<Paper> out = ps;
  if (by_citations) {
    std::stable_sort(out.begin(), out.end(), [](const Paper& x, const Paper& y) {
      return x.citations.value_or(-1) > y.citations.value_or(-1);
    });
  }
  if (show > 0 && out.size() > show) out.resize(show);
  return out;
}

std::string more_line(std::size_t shown, std::size_t total) {
  if (shown >= total) return "";
  return "... and " + std::to_string(total - shown) +
         " more (--show 0 lists all; --csv or --json exports them)\n";
}

void write_out(const std::string& path, const std::string& text, Context& ctx) {
  if (path.empty()) return;
  if (path == "-") {
    ctx.out << text;
    return;
  }
  write_file_atomic(path, text);
  ctx.log.info("wrote " + path);
}

ExitCode run(Options o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "lit-search");
  AnalysisOptions ao;
  std::string mailto = env_or("OPENALEX_MAILTO", "");
  std::vector<std::string> ids;
  const std::string file = o.file.empty() ? ctx.options.config_path : o.file;
  if (!file.empty()) {
    const ConfigNode root = load_config_file(file);
    const ConfigNode section = select_section(root, "lit-search", ctx.config_sections);
    apply_overrides(section, "lit-search", ctx.options.sets);
    read_config(section, o, ao, mailto, ids);
  }
  if (!o.ids_file.empty()) {
    std::istringstream in(read_file(o.ids_file));
    for (std::string line; std::getline(in, line);) {
      const auto b = line.find_first_not_of(" \t\r");
      if (b == std::string::npos || line[b] == '#') continue;
      ids.push_back(line.substr(b, line.find_last_not_of(" \t\r") - b + 1));
    }
  }
  Query q;
  q.text = o.query;
  if (!o.source.empty()) {
    if (o.source != "s2" && o.source != "openalex" && o.source != "both") {
      throw UsageError("--source '" + o.source + "': must be one of s2, openalex, both");
    }
    q.source = o.source == "s2"         ? Source::kS2
               : o.source == "openalex" ? Source::kOpenAlex
                                        : Source::kBoth;
  }
  if (!o.mode.empty()) {
    if (o.mode != "relevance" && o.mode != "bulk")
      throw UsageError("--mode '" + o.mode + "': must be relevance or bulk");
    q.mode = o.mode == "bulk" ? Mode::kBulk : Mode::kRelevance;
  }
  q.years = parse_year_range(o.year);
  q.fields = split_list(o.fields);
  if (o.limit) q.limit = *o.limit;
  q.min_citations = o.min_citations;
  q.venues = split_list(o.venue);
  q.fields_of_study = split_list(o.fos);
  q.sort = o.sort;
  if (!q.sort.empty() && q.mode != Mode::kBulk)
    throw UsageError("--sort applies to --mode bulk only");

  if (o.ngram) ao.max_ngram = *o.ngram;
  if (o.min_df) ao.min_df = *o.min_df;
  if (o.top) ao.top = static_cast<std::size_t>(*o.top);
  if (o.recent_years) ao.recent_years = *o.recent_years;
  if (o.threads) ao.threads = *o.threads;
  ao.stem = o.stem;
  ao.boilerplate = !o.no_boilerplate;
  ao.query = q.text;
  ao.keep_query_terms = o.keep_query_terms;
  ao.fold_plurals = !o.no_fold_plurals;
  ao.rejoin_split_words = !o.no_rejoin;
  if (o.min_z) ao.min_z = *o.min_z;
  if (o.min_year_papers) ao.min_year_papers = *o.min_year_papers;
  if (!o.show_by.empty() && o.show_by != "relevance" && o.show_by != "citations")
    throw UsageError("--show-by '" + o.show_by + "': must be relevance or citations");
  const std::size_t show = static_cast<std::size_t>(o.show.value_or(10));
  const bool by_citations = o.show_by == "citations";
  if (!o.stopwords.empty()) {
    for (const std::string& w : tokenize(read_file(o.stopwords))) {
      if (!w.empty()) ao.extra_stopwords.insert(w);
    }
    // Words the tokenizer would split (short ones) are added as written too.
    std::istringstream in(read_file(o.stopwords));
    for (std::string w; in >> w;) {
      std::string l;
      for (char c : w) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      ao.extra_stopwords.insert(l);
    }
  }

  // Wall time per step, logged at -vv: where a slow run spends its time.
  std::string timings;
  auto step_start = std::chrono::steady_clock::now();
  auto step_done = [&](const std::string& step) {
    const auto now = std::chrono::steady_clock::now();
    timings += (timings.empty() ? "" : ", ") + step + " " +
               format_fixed(std::chrono::duration<double>(now - step_start).count(), 3) + " s";
    step_start = now;
  };
  std::vector<Paper> papers;
  FetchStats stats;
  bool fetched = false;
  if (!o.from.empty()) {
    papers = read_papers(view(read_papers_file(o.from)), o.from, ao.threads);
  } else {
    const int modes = (!q.text.empty() ? 1 : 0) + (!ids.empty() ? 1 : 0) +
                      (!o.citations_of.empty() ? 1 : 0) + (!o.references_of.empty() ? 1 : 0);
    if (modes == 0) {
      throw UsageError(
          "lit-search needs a query (--query or 'query:' in the file), --ids FILE, "
          "--citations-of ID, --references-of ID or --from FILE");
    }
    if (modes > 1)
      throw UsageError("give only one of a query, --ids, --citations-of, --references-of");
    Endpoints ep;
    ep.s2_base = o.api_base.empty() ? env_or("RLAB_S2_API_BASE", ep.s2_base) : o.api_base;
    ep.openalex_base = o.openalex_base.empty() ? env_or("RLAB_OPENALEX_API_BASE", ep.openalex_base)
                                               : o.openalex_base;
    while (!ep.s2_base.empty() && ep.s2_base.back() == '/') ep.s2_base.pop_back();
    while (!ep.openalex_base.empty() && ep.openalex_base.back() == '/') ep.openalex_base.pop_back();
    ep.s2_key = env_or("S2_API_KEY", "");
    ep.openalex_key = env_or("OPENALEX_API_KEY", "");
    ep.mailto = mailto;
    net::ClientOptions co;
    if (o.timeout) co.total_timeout_s = *o.timeout;
    co.connect_timeout_s = std::min(co.connect_timeout_s, co.total_timeout_s);
    if (o.retries) co.max_retries = *o.retries;
    // Pacing: S2 grants 1 request/s per key; without a key the shared pool is slower.
    co.min_interval_s = o.rate ? 1.0 / *o.rate : (ep.s2_key.empty() ? 3.0 : 1.05);
    const char* bo = std::getenv("RLAB_HTTP_BACKOFF_BASE");  // tests: short waits
    if (bo != nullptr) co.backoff_base_s = std::atof(bo);
    co.on_retry = [&ctx](int attempt, int status, double wait, const std::string& reason) {
      ctx.log.warn("retry " + std::to_string(attempt) + " after " + reason + " in " +
                   format_fixed(wait, 1) + " s" +
                   (status == 429 ? " (rate limited; S2_API_KEY raises the limit)" : ""));
    };
    auto http = net::make_curl_client(co);
    const std::string cache_dir =
        o.cache_dir.empty() ? data_dirs().cache + "/lit-search" : o.cache_dir;
    DiskCache cache(cache_dir);
    CachePolicy cp;
    cp.offline = o.offline;
    cp.refresh = o.refresh;
    if (o.cache_ttl_hours) cp.ttl_s = *o.cache_ttl_hours * 3600;
    cp.now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (o.offline && o.refresh) throw UsageError("--offline and --refresh exclude each other");
    Fetcher f(*http, &cache, cp, ep);
    if (!q.text.empty()) {
      papers = f.search(q);
    } else if (!ids.empty()) {
      const auto got = f.batch(ids, q.fields);
      std::vector<std::string> unknown;
      for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i]) {
          papers.push_back(*got[i]);
        } else {
          unknown.push_back(ids[i]);
        }
      }
      if (!unknown.empty()) {
        ctx.log.warn(std::to_string(unknown.size()) + " id(s) unknown to Semantic Scholar: " +
                     shorten(
                         [&] {
                           std::string s;
                           for (auto& u : unknown) s += (s.empty() ? "" : ", ") + u;
                           return s;
                         }(),
                         200));
      }
    } else {
      const bool cit = !o.citations_of.empty();
      papers = f.neighbours(cit ? o.citations_of : o.references_of, cit, q.limit, q.fields);
    }
    stats = f.stats();
    fetched = true;
    for (const auto& n : stats.notes) ctx.log.warn(n);
    ctx.log.info(std::to_string(stats.requests) + " request(s), " +
                 std::to_string(stats.cache_hits) + " from cache, " +
                 std::to_string(stats.retries) + " retr" + (stats.retries == 1 ? "y" : "ies") +
                 " (cache " + cache.dir() + ")");
  }
  step_done(fetched ? "fetch" : "read");
  const std::size_t before = papers.size();
  std::size_t removed = 0;
  papers = deduplicate(std::move(papers), &removed);
  papers = apply_filters(std::move(papers), q);
  step_done("dedup+filter");
  std::vector<Paper> bg;
  if (!o.background.empty())
    bg = read_papers(view(read_papers_file(o.background)), o.background, ao.threads);
  if (!o.background.empty()) step_done("read background");
  const AnalysisResult a = analyse(papers, ao, o.background.empty() ? nullptr : &bg);
  {
    std::string steps;
    for (const auto& [step, seconds] : a.timings)
      steps += (steps.empty() ? "" : ", ") + step + " " + format_fixed(seconds, 3);
    step_done("analysis (" + steps + ")");
  }
  if (a.rejoined > 0) {
    ctx.log.info("rejoined " + std::to_string(a.rejoined) +
                 " word(s) broken by a space or a line-end hyphen");
  }
  if (a.null_abstracts > 0) {
    ctx.log.warn(std::to_string(a.null_abstracts) + " of " + std::to_string(a.documents) +
                 " papers have no abstract (analysed by title only)");
  }

  // Exports are rendered only when asked for.
  if (!o.csv.empty()) write_out(o.csv, to_csv(papers), ctx);
  if (!o.json.empty()) write_out(o.json, to_json(papers, &a), ctx);
  if (!o.jsonl.empty()) write_out(o.jsonl, to_jsonl(papers), ctx);
  if (!o.bibtex.empty()) write_out(o.bibtex, to_bibtex(papers), ctx);
  if (!o.ris.empty()) write_out(o.ris, to_ris(papers), ctx);
  if (!o.summary.empty()) write_out(o.summary, to_summary_markdown(papers, q.text), ctx);
  if (!o.svg.empty()) write_out(o.svg, trend_svg(a), ctx);

  const bool bgcols = !a.background.empty();
  std::string text;
  switch (ctx.options.format) {
    case Format::kJson: {
      using nlohmann::json;
      const json requests = fetched ? json{{"network", stats.requests},
                                           {"cache_hits", stats.cache_hits},
                                           {"pages", stats.pages},
                                           {"retries", stats.retries},
                                           {"notes", stats.notes}}
                                    : json(nullptr);
      text = to_json(papers, &a,
                     {{"query", json(q.text).dump(2)},
                      {"records_fetched", json(before).dump(2)},
                      {"duplicates_merged", json(removed).dump(2)},
                      {"requests", requests.dump(2)}});
      break;
    }
    case Format::kCsv:
      text = to_csv(papers);
      break;
    case Format::kMd: {
      const std::vector<Paper> shown = shown_papers(papers, show, by_citations);
      const std::string more = more_line(shown.size(), papers.size());
      text = "## Papers\n\n" + render_markdown(papers_table(shown, true)) +
             (more.empty() ? "" : "\n" + more) + "\n## Keywords\n\n" +
             query_note(a, ao.keep_query_terms) + (a.query_terms.empty() ? "" : "\n") +
             render_markdown(terms_table(a.keywords, bgcols)) + "\n## Phrases\n\n" +
             render_markdown(terms_table(a.phrases, bgcols)) + "\n";
      if (bgcols) {
        text += "## Distinctive vs " + a.background + " (z >= " + num(a.min_z, 2) + ")\n\n" +
                (a.distinctive.empty() ? distinctive_none(a)
                                       : render_markdown(terms_table(a.distinctive, true))) +
                "\n";
      }
      if (!a.years.empty())
        text +=
            "## " + trend_title(a, ao.min_year_papers) + "\n\n" + render_markdown(trend_table(a));
      break;
    }
    default: {
      const std::vector<Paper> shown = shown_papers(papers, show, by_citations);
      text =
          render_plain(papers_table(shown, false)) + more_line(shown.size(), papers.size()) + "\n";
      text += std::to_string(papers.size()) + " papers (" + std::to_string(removed) +
              " duplicates merged, " + std::to_string(a.null_abstracts) +
              " without abstract)\n\nTop keywords\n" + query_note(a, ao.keep_query_terms) +
              render_plain(terms_table(a.keywords, false)) + "\nTop phrases\n" +
              render_plain(terms_table(a.phrases, false));
      if (bgcols) {
        text += "\nDistinctive terms (log-odds z >= " + num(a.min_z, 2) + " vs " + a.background +
                ")\n" +
                (a.distinctive.empty() ? distinctive_none(a)
                                       : render_plain(terms_table(a.distinctive, true)));
      }
      if (!a.years.empty())
        text += "\n" + trend_title(a, ao.min_year_papers) + "\n" + render_plain(trend_table(a));
    }
  }
  write_out(o.output.empty() ? "-" : o.output, text, ctx);
  step_done("output");
  ctx.log.debug("lit-search timings: " + timings);
  return ExitCode::kSuccess;
}

}  // namespace

Command lit_search_command() {
  return {
      "lit-search", "search Semantic Scholar/OpenAlex, dedup, keywords, trends, exports",
      [](CLI::App& sub, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        sub.add_option("file", o->file, "Search config (YAML), optional")->type_name("FILE");
        sub.add_option("--query", o->query, "Search text (bulk mode: + | - \"...\" * syntax)");
        sub.add_option("--source", o->source, "s2 (default), openalex or both")
            ->type_name("SRC")
            ->check(cli::values({"s2", "openalex", "both"}));
        sub.add_option("--mode", o->mode, "S2 endpoint: relevance (default, <= 1000) or bulk")
            ->type_name("MODE")
            ->check(cli::values({"relevance", "bulk"}));
        sub.add_option("--year", o->year, "Years: 2020-2024, 2020-, -2019 or 2021")
            ->type_name("RANGE");
        sub.add_option("--fields", o->fields, "Extra S2 fields, comma-separated")
            ->type_name("LIST");
        sub.add_option("--limit", o->limit, "Papers per source (default 100)")
            ->type_name("N")
            ->check(cli::whole<long long>(1, 10000000));
        sub.add_option("--min-citations", o->min_citations, "Minimum citation count")
            ->type_name("N")
            ->check(cli::whole<long long>(0));
        sub.add_option("--venue", o->venue, "Venues, comma-separated (S2)")->type_name("LIST");
        sub.add_option("--fields-of-study", o->fos, "Fields of study, comma-separated (S2)")
            ->type_name("LIST");
        sub.add_option("--sort", o->sort,
                       "Bulk sort: paperId|publicationDate|citationCount[:asc|:desc]")
            ->type_name("SPEC");
        sub.add_option("--ids", o->ids_file,
                       "Look up the paper ids in FILE (one a line; POST /paper/batch)")
            ->type_name("FILE");
        sub.add_option("--citations-of", o->citations_of, "Papers citing ID")->type_name("ID");
        sub.add_option("--references-of", o->references_of, "Papers cited by ID")->type_name("ID");
        sub.add_option("--from", o->from,
                       "Analyse papers saved by --json/--jsonl instead of searching")
            ->type_name("FILE");
        sub.add_option("--api-base", o->api_base, "S2 Graph API base URL (env RLAB_S2_API_BASE)")
            ->type_name("URL");
        sub.add_option("--openalex-base", o->openalex_base,
                       "OpenAlex base URL (env RLAB_OPENALEX_API_BASE)")
            ->type_name("URL");
        sub.add_option("--cache-dir", o->cache_dir, "Response cache (default <cache>/lit-search)")
            ->type_name("DIR");
        sub.add_option("--cache-ttl", o->cache_ttl_hours,
                       "Hours a cached response stays fresh (default 168)")
            ->type_name("H")
            ->check(cli::non_negative());
        sub.add_flag("--offline", o->offline, "Serve only from the cache (any age); no network");
        sub.add_flag("--refresh", o->refresh, "Ignore the cache (new responses are still stored)");
        sub.add_option("--timeout", o->timeout, "Seconds per request attempt (default 60)")
            ->type_name("S")
            ->check(cli::positive());
        sub.add_option("--retries", o->retries, "Retries on 429/5xx/timeouts (default 6)")
            ->type_name("N")
            ->check(cli::whole<int>(0, 20));
        sub.add_option("--rate", o->rate,
                       "Requests per second (default 1/1.05 s with S2_API_KEY, 1/3 s without)")
            ->type_name("R")
            ->check(cli::positive());
        sub.add_option("--ngram", o->ngram, "Longest phrase in tokens, 1-3 (default 3)")
            ->type_name("N")
            ->check(cli::whole<int>(1, 3));
        sub.add_option("--min-df", o->min_df, "Documents a term needs (default 2)")
            ->type_name("N")
            ->check(cli::whole<int>(1, 1000000));
        sub.add_option("--top", o->top, "Keywords and phrases shown (default 20)")
            ->type_name("N")
            ->check(cli::whole<int>(1, 10000));
        sub.add_option("--recent-years", o->recent_years,
                       "Trend background: years before the last N (default 3)")
            ->type_name("N")
            ->check(cli::whole<int>(0, 1000));
        sub.add_option("--threads", o->threads,
                       "Threads for reading --from files and the analysis (default: all CPUs)")
            ->type_name("N")
            ->check(cli::whole<int>(1, 256));
        sub.add_flag("--stem", o->stem, "Snowball English stemming (shown as the commonest form)");
        sub.add_flag("--keep-query-terms", o->keep_query_terms,
                     "Keep the query's own words among the keywords (left out by default)");
        sub.add_flag("--no-fold-plurals", o->no_fold_plurals,
                     "Keep plurals apart (default: models -> model where both occur)");
        sub.add_flag("--no-rejoin", o->no_rejoin,
                     "Keep words broken by a space or a line-end hyphen (\"litera ture\") apart");
        sub.add_option("--min-z", o->min_z,
                       "Distinctive terms need a log-odds z-score of at least Z (default 1.96)")
            ->type_name("Z")
            ->check(CLI::Range(-1e300, 1e300));
        sub.add_option("--min-year-papers", o->min_year_papers,
                       "Trend columns: years with fewer papers merge with neighbours (default 5)")
            ->type_name("N")
            ->check(CLI::Range(1, 1000000));
        sub.add_option("--show", o->show,
                       "Papers listed in the table and Markdown (default 10; 0: all)")
            ->type_name("N")
            ->check(CLI::Range(0, 10000000));
        sub.add_option("--show-by", o->show_by,
                       "Which papers are listed: relevance (result order, default) or citations")
            ->type_name("ORDER");
        sub.add_flag("--no-boilerplate", o->no_boilerplate,
                     "Keep academic boilerplate words (paper, propose, ...)");
        sub.add_option("--stopwords", o->stopwords, "More stop words, whitespace-separated")
            ->type_name("FILE");
        sub.add_option("--background", o->background,
                       "Log-odds background: papers saved by --json/--jsonl")
            ->type_name("FILE");
        sub.add_option("--svg", o->svg, "Write the trend chart (SVG)")->type_name("FILE");
        sub.add_option("--csv", o->csv, "Export papers as CSV")->type_name("FILE");
        sub.add_option("--json", o->json, "Export papers and analysis as JSON")->type_name("FILE");
        sub.add_option("--jsonl", o->jsonl, "Export papers as JSON Lines")->type_name("FILE");
        sub.add_option("--bibtex", o->bibtex, "Export BibTeX")->type_name("FILE");
        sub.add_option("--ris", o->ris, "Export RIS")->type_name("FILE");
        sub.add_option("--summary", o->summary, "One-page evaluation template per paper (Markdown)")
            ->type_name("FILE");
        sub.add_option("-o,--output", o->output, "Write the main output to FILE (atomically)")
            ->type_name("FILE");
        sub.footer(
            "Example: rlab lit-search --query \"battery degradation\" --year 2020- --limit 200 "
            "--svg "
            "t.svg\n"
            "S2_API_KEY is sent as x-api-key and never printed or cached. Exit 4: network/API "
            "failure.");
        return [o, &ctx] { return run(*o, ctx); };
      },
      &lit_search_config_section};
}

}  // namespace rlab
