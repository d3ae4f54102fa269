// `rlab lit-search`: options/config -> Query -> Fetcher (curl + disk cache) -> dedup ->
// analysis -> table/json/csv/md and export files.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
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
#include "options.h"
#include "report.h"

namespace rlab {

namespace {

using namespace litsearch;

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

void write_out(const std::string& path, const std::string& text, Context& ctx) {
  if (path.empty()) return;
  if (path == "-") {
    ctx.out << text;
    return;
  }
  write_file_atomic(path, text);
  ctx.log.info("wrote " + path);
}

// Paper ids of an --ids file: one a line; blank lines and # comments are skipped.
void read_ids(const std::string& path, std::vector<std::string>& ids) {
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    ids.push_back(line.substr(b, line.find_last_not_of(" \t\r") - b + 1));
  }
}

Query make_query(const Options& o) {
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
  return q;
}

void set_analysis_options(const Options& o, const Query& q, AnalysisOptions& ao) {
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
}

// --stopwords FILE: its words as the tokenizer reads them, and as written (lower-cased), since
// the tokenizer splits off short ones.
void read_stopwords(const std::string& path, AnalysisOptions& ao) {
  for (const std::string& w : tokenize(read_file(path))) {
    if (!w.empty()) ao.extra_stopwords.insert(w);
  }
  std::istringstream in(read_file(path));
  for (std::string w; in >> w;) {
    std::string l;
    for (char c : w) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ao.extra_stopwords.insert(l);
  }
}

Endpoints endpoints(const Options& o, const std::string& mailto) {
  Endpoints ep;
  ep.s2_base = o.api_base.empty() ? env_or("RLAB_S2_API_BASE", ep.s2_base) : o.api_base;
  ep.openalex_base = o.openalex_base.empty() ? env_or("RLAB_OPENALEX_API_BASE", ep.openalex_base)
                                             : o.openalex_base;
  while (!ep.s2_base.empty() && ep.s2_base.back() == '/') ep.s2_base.pop_back();
  while (!ep.openalex_base.empty() && ep.openalex_base.back() == '/') ep.openalex_base.pop_back();
  ep.s2_key = env_or("S2_API_KEY", "");
  ep.openalex_key = env_or("OPENALEX_API_KEY", "");
  ep.mailto = mailto;
  return ep;
}

net::ClientOptions client_options(const Options& o, const Endpoints& ep, Context& ctx) {
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
  return co;
}

// Searches, or looks up the --ids, or follows citations/references, through the cache.
std::vector<Paper> fetch(const Options& o, const Query& q, const std::vector<std::string>& ids,
                         const std::string& mailto, Context& ctx, FetchStats& stats) {
  const int modes = (!q.text.empty() ? 1 : 0) + (!ids.empty() ? 1 : 0) +
                    (!o.citations_of.empty() ? 1 : 0) + (!o.references_of.empty() ? 1 : 0);
  if (modes == 0) {
    throw UsageError(
        "lit-search needs a query (--query or 'query:' in the file), --ids FILE, "
        "--citations-of ID, --references-of ID or --from FILE");
  }
  if (modes > 1)
    throw UsageError("give only one of a query, --ids, --citations-of, --references-of");
  const Endpoints ep = endpoints(o, mailto);
  auto http = net::make_curl_client(client_options(o, ep, ctx));
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
  std::vector<Paper> papers;
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
  for (const auto& n : stats.notes) ctx.log.warn(n);
  ctx.log.info(std::to_string(stats.requests) + " request(s), " + std::to_string(stats.cache_hits) +
               " from cache, " + std::to_string(stats.retries) + " retr" +
               (stats.retries == 1 ? "y" : "ies") + " (cache " + cache.dir() + ")");
  return papers;
}

void write_exports(const Options& o, const std::vector<Paper>& papers, const AnalysisResult& a,
                   const std::string& query, Context& ctx) {
  if (!o.csv.empty()) write_out(o.csv, to_csv(papers), ctx);
  if (!o.json.empty()) write_out(o.json, to_json(papers, &a), ctx);
  if (!o.jsonl.empty()) write_out(o.jsonl, to_jsonl(papers), ctx);
  if (!o.bibtex.empty()) write_out(o.bibtex, to_bibtex(papers), ctx);
  if (!o.ris.empty()) write_out(o.ris, to_ris(papers), ctx);
  if (!o.summary.empty()) write_out(o.summary, to_summary_markdown(papers, query), ctx);
  if (!o.svg.empty()) write_out(o.svg, trend_svg(a), ctx);
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
  if (!o.ids_file.empty()) read_ids(o.ids_file, ids);
  const Query q = make_query(o);
  set_analysis_options(o, q, ao);
  if (!o.show_by.empty() && o.show_by != "relevance" && o.show_by != "citations")
    throw UsageError("--show-by '" + o.show_by + "': must be relevance or citations");
  const std::size_t show = static_cast<std::size_t>(o.show.value_or(10));
  const bool by_citations = o.show_by == "citations";
  if (!o.stopwords.empty()) read_stopwords(o.stopwords, ao);

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
    papers = fetch(o, q, ids, mailto, ctx, stats);
    fetched = true;
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
  write_exports(o, papers, a, q.text, ctx);
  const ReportView view{removed, show, by_citations, ao.keep_query_terms, ao.min_year_papers};
  std::string text;
  switch (ctx.options.format) {
    case Format::kJson:
      text = report_json(papers, a, q.text, before, removed, fetched ? &stats : nullptr);
      break;
    case Format::kCsv:
      text = to_csv(papers);
      break;
    case Format::kMd:
      text = report_markdown(papers, a, view);
      break;
    default:
      text = report_plain(papers, a, view);
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