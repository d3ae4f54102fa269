// `rlab lit-search`: literature search over Semantic Scholar and OpenAlex, deduplication,
// keyword/phrase analysis with trends, and exports. The network and the cache are reached only
// through the interfaces below, so the core runs against fakes in tests.
#pragma once

#include "rlab/http.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rlab::litsearch {

/// One paper, merged from any source. Absent values are empty / nullopt.
struct Paper {
  std::string paper_id;  ///< S2 paperId, or the OpenAlex id ("W…") for OpenAlex-only records.
  std::string openalex_id;
  std::string source;  ///< "s2", "openalex" or "s2+openalex" after merging.
  std::string doi;     ///< Lower-case, without "https://doi.org/".
  std::string arxiv;
  std::string title;
  std::optional<std::string> abstract;  ///< nullopt when the API had none (null).
  std::optional<int> year;
  std::string publication_date;
  std::string venue;
  std::optional<long long> citations;
  std::vector<std::string> authors;
  std::vector<std::string> fields_of_study;
  std::string url;
  std::string bibtex;  ///< citationStyles.bibtex when the API returned it.
};

/// Years filter: 2020-2024, 2020-, -2019, 2021. Parsed from text; throws UsageError.
struct YearRange {
  std::optional<int> from;
  std::optional<int> to;
  [[nodiscard]] bool empty() const { return !from && !to; }
  [[nodiscard]] std::string s2() const;  ///< As S2's `year=` wants it.
};
YearRange parse_year_range(const std::string& text);

enum class Source { kS2, kOpenAlex, kBoth };
enum class Mode { kRelevance, kBulk };

/// What to search for.
struct Query {
  std::string text;
  Source source = Source::kS2;
  Mode mode = Mode::kRelevance;
  YearRange years;
  std::vector<std::string> fields;  ///< Extra S2 fields on top of the ones rlab needs.
  long long limit = 100;            ///< Papers wanted per source (relevance: at most 1000).
  std::optional<long long> min_citations;
  std::vector<std::string> venues;
  std::vector<std::string> fields_of_study;
  std::string sort;     ///< Bulk search sort (paperId|publicationDate|citationCount[:asc|:desc]).
  int page_size = 100;  ///< Relevance page size (<= 100).
  int openalex_page_size = 100;  ///< OpenAlex per-page (1..200).
};

/// Where the APIs are and how to authenticate. The key never leaves the request headers.
struct Endpoints {
  std::string s2_base = "https://api.semanticscholar.org/graph/v1";
  std::string openalex_base = "https://api.openalex.org";
  std::string s2_key;        ///< x-api-key (from S2_API_KEY).
  std::string openalex_key;  ///< api_key= (from OPENALEX_API_KEY); not part of cache keys.
  std::string mailto;        ///< OpenAlex polite pool.
};

/// A cached response. `stored_at` is seconds since the epoch.
struct CachedResponse {
  int status = 0;
  std::string body;
  double stored_at = 0;
};

/// Response cache keyed by the canonical request (method, URL without secrets, body).
class Cache {
 public:
  virtual ~Cache() = default;
  virtual std::optional<CachedResponse> get(const std::string& key) = 0;
  virtual void put(const std::string& key, const CachedResponse& value) = 0;
};

/// How the fetcher uses the cache.
struct CachePolicy {
  double ttl_s = 7 * 86400;  ///< Entries older than this are refetched (unless offline).
  bool offline = false;      ///< Serve only from the cache (any age); a miss is an error.
  bool refresh = false;      ///< Ignore cached entries (still store new ones).
  double now = 0;            ///< Current time, seconds since the epoch.
};

/// Counters for the report.
struct FetchStats {
  int requests = 0;  ///< Sent over the network.
  int cache_hits = 0;
  int pages = 0;
  int retries = 0;
  std::vector<std::string> notes;  ///< Why paging stopped, caps applied, etc.
};

/// Sends requests for the sources, with the cache in front. Errors from the API become
/// EnvironmentError with the API's own message ("HTTP 400: Unrecognized or unsupported
/// fields: ..."); a failure during paging says which page failed and that earlier pages are
/// cached.
class Fetcher {
 public:
  Fetcher(net::HttpClient& http, Cache* cache, CachePolicy policy, Endpoints endpoints);

  /// Runs `query` against the chosen sources and returns the papers (not deduplicated).
  std::vector<Paper> search(const Query& query);
  std::vector<Paper> search_s2_relevance(const Query& query);
  std::vector<Paper> search_s2_bulk(const Query& query);
  std::vector<Paper> search_openalex(const Query& query);
  /// POST /paper/batch in chunks of 500; unknown ids give nullopt in their slot.
  std::vector<std::optional<Paper>> batch(const std::vector<std::string>& ids,
                                          const std::vector<std::string>& extra_fields);
  /// Citing papers (`citations`) or cited papers (`references`) of `id`, up to `limit`.
  std::vector<Paper> neighbours(const std::string& id, bool citations, long long limit,
                                const std::vector<std::string>& extra_fields);

  [[nodiscard]] const FetchStats& stats() const { return stats_; }

 private:
  net::HttpResponse get(const net::HttpRequest& request, const std::string& what, int page);
  /// The JSON of an answered page: a status other than 200 or a body that is not a JSON object
  /// (an array with `array`) fails the page (exit 4, naming `what` and `page`); an answer that
  /// came from the network (more requests than `requests_before`) is cached under `cache_key`.
  nlohmann::json accept_page(const net::HttpResponse& resp, const std::string& what, int page,
                             int requests_before, const std::string& cache_key, bool array = false,
                             bool count_page = true);
  /// GET from OpenAlex through the cache, the key added only to what is sent; non-200 throws.
  net::HttpResponse openalex_get(const std::string& url, const std::string& what, int page);
  /// OpenAlex source ids ("S…") for venue names, ISSNs or ids (names via /sources?search=).
  std::vector<std::string> openalex_source_ids(const std::vector<std::string>& venues);
  net::HttpClient& http_;
  Cache* cache_;
  CachePolicy policy_;
  Endpoints ep_;
  FetchStats stats_;
};

/// OpenAlex field ids (for `primary_topic.field.id`) of one field of study: a Semantic
/// Scholar field name (mapped to the nearest OpenAlex field or fields), an OpenAlex field name,
/// or its number 11-36; case and punctuation are ignored. Empty when unknown.
std::vector<int> openalex_fields(const std::string& name);
/// The fields rlab asks S2 for (plus `extra`), comma-joined.
std::string s2_fields(const std::vector<std::string>& extra);
/// One S2 paper object (any field may be null or absent).
Paper parse_s2_paper(const std::string& json_text);
/// One OpenAlex work object.
Paper parse_openalex_work(const std::string& json_text);
/// Rebuilds an abstract from OpenAlex's `abstract_inverted_index` (JSON text of the object);
/// nullopt for null.
std::optional<std::string> rebuild_abstract(const std::string& inverted_index_json);
/// The message to show for an error response: the JSON `error` or `message` text, or for
/// HTML/other bodies the page's <title> or first text, shortened.
std::string error_message(int status, const std::string& content_type, const std::string& body);

/// Title normalised for matching: NFKC, lower case, letters and digits only, single spaces.
std::string normalise_title(const std::string& title);
/// Merges duplicates: same paperId, else same DOI (case-folded), else same normalised title
/// and year. The first occurrence's order is kept; fields missing in it are filled from later
/// duplicates. `removed` receives how many records were merged away.
std::vector<Paper> deduplicate(const std::vector<Paper>& papers, std::size_t* removed = nullptr);
/// The same, consuming `papers` (no copies of the records).
std::vector<Paper> deduplicate(std::vector<Paper>&& papers, std::size_t* removed = nullptr);

/// Papers kept after local filters (year range, min citations) — applied after fetching, as
/// OpenAlex results and caches may hold papers outside what was asked.
std::vector<Paper> apply_filters(const std::vector<Paper>& papers, const Query& query);
std::vector<Paper> apply_filters(std::vector<Paper>&& papers, const Query& query);

// ---- Analysis -------------------------------------------------------------------------

/// Tokeniser and term settings.
struct AnalysisOptions {
  int max_ngram = 3;                      ///< Phrases of 1..max_ngram tokens (1..3).
  int min_df = 2;                         ///< A term must occur in at least this many documents.
  bool boilerplate = true;                ///< Drop the academic boilerplate list too.
  std::set<std::string> extra_stopwords;  ///< --stopwords FILE (already lower-cased).
  bool stem = false;      ///< Snowball English stemming (shown as the commonest form).
  bool use_title = true;  ///< Title + abstract (else abstract only).
  std::size_t top = 20;   ///< Keywords/phrases reported.
  int recent_years = 3;   ///< Trend background: the last N years vs the years before.
  double prior = 10.0;    ///< Dirichlet prior strength a0 (log-odds).
  int threads = 0;        ///< Worker threads; 0: hardware concurrency. Results do not depend on it.
  /// The search text: its words (after plural folding) are left out of the keywords, of the
  /// phrases made only of them, of the distinctive terms and of the trends, since every paper
  /// found contains them. Empty: nothing is left out.
  std::string query;
  bool keep_query_terms = false;  ///< Keep the query's words all the same.
  /// Light English plural folding (models -> model, studies -> study, analyses -> analysis)
  /// where the singular occurs in the corpus too; shown as the commonest form. --stem wins.
  bool fold_plurals = true;
  /// Rejoin words broken by a stray space or a line-end hyphen ("litera ture") when the joined
  /// word occurs in the corpus and neither part occurs anywhere else.
  bool rejoin_split_words = true;
  double min_z = 1.96;      ///< Distinctive terms need a z-score at least this large.
  int min_year_papers = 5;  ///< Trend bins: years with fewer papers are merged with neighbours.
};

/// The singular that light plural folding gives `word` (lower-case), or "" when the word is not
/// folded: the first of its candidate singulars (studies: study; analyses: analysis; boxes: box;
/// models: model) for which `known` is true. Words ending in ss, us, is or ics are left alone,
/// as are words of fewer than 4 letters and words with other than a-z and '-'.
std::string fold_plural(std::string_view word, const std::function<bool(std::string_view)>& known);

/// Lower-cased tokens of `text` (NFKC, HTML/TeX stripped, hyphenated compounds kept as one
/// token, acronyms of 2-5 upper-case letters kept although short). Sentence/clause punctuation
/// becomes "" separators so phrases never cross it.
std::vector<std::string> tokenize(const std::string& text);
/// Snowball English stop list (the one the Snowball project ships).
const std::set<std::string>& snowball_stopwords();
/// Academic boilerplate words (paper, study, propose, ...).
const std::set<std::string>& boilerplate_stopwords();

/// One ranked term.
struct Term {
  std::string text;     ///< Surface form (most frequent when stemming).
  int n = 1;            ///< Tokens in it.
  long long df = 0;     ///< Documents containing it.
  double share = 0;     ///< df / documents.
  double log_odds = 0;  ///< Log-odds ratio vs the background (informative Dirichlet prior).
  double z = 0;         ///< Its z-score.
  long long bg_df = 0;  ///< Documents of the background containing it.
};

/// Trend of one term: per-year document share.
struct TrendRow {
  std::string term;
  std::vector<double> shares;  ///< Aligned with AnalysisResult::years.
  std::vector<long long> counts;
  std::vector<long long> bin_counts;  ///< Aligned with AnalysisResult::bins.
  std::vector<double> bin_shares;
};

/// A run of consecutive years (first..last) of the trend table, holding at least
/// AnalysisOptions::min_year_papers papers unless all papers together hold fewer.
struct YearBin {
  int first = 0;
  int last = 0;
  long long documents = 0;
  [[nodiscard]] std::string label() const;  ///< "2008" or "1977-1994".
};

/// Groups sorted `years` with their paper counts into bins of at least `min_papers` papers:
/// years are taken from the earliest on until the bin holds enough; a last bin short of it joins
/// the one before.
std::vector<YearBin> year_bins(const std::vector<int>& years, const std::vector<long long>& docs,
                               int min_papers);

struct AnalysisResult {
  long long documents = 0;
  long long null_abstracts = 0;  ///< Papers whose abstract was null.
  long long background_documents = 0;
  std::string background;            ///< "years <= Y" / "file" / "" when none.
  std::vector<Term> keywords;        ///< Single tokens by document frequency.
  std::vector<Term> phrases;         ///< 2..3-grams by document frequency.
  std::vector<Term> distinctive;     ///< n-grams with z >= min_z vs the background, by z.
  long long distinctive_tested = 0;  ///< n-grams whose z was computed.
  double min_z = 0;                  ///< The threshold the distinctive terms passed.
  std::vector<Term> query_terms;     ///< The query's words found in the corpus, left out (or kept).
  long long rejoined = 0;            ///< Split words rejoined (occurrences).
  std::vector<int> years;            ///< Sorted years present.
  std::vector<long long> docs_per_year;
  std::vector<YearBin> bins;     ///< The trend table's columns.
  std::vector<TrendRow> trends;  ///< For the top keywords and phrases.
  /// Wall seconds of each step (prepare, tokenise, count, phrases, rank, trends), for -vv.
  std::vector<std::pair<std::string, double>> timings;
};

/// Analyses `papers` (title + abstract). With `background` non-empty it is the log-odds
/// background; otherwise papers older than the last `recent_years` years are.
AnalysisResult analyse(const std::vector<Paper>& papers, const AnalysisOptions& options,
                       const std::vector<Paper>* background = nullptr);

// ---- Exports --------------------------------------------------------------------------

std::string to_csv(const std::vector<Paper>& papers);
std::string to_json(const std::vector<Paper>& papers, const AnalysisResult* analysis);
/// The same with more top-level members, each given as its JSON text (`j.dump(2)`); keys other
/// than "papers" and "analysis". The bytes are those of one nlohmann::json dump(2).
std::string to_json(const std::vector<Paper>& papers, const AnalysisResult* analysis,
                    const std::map<std::string, std::string>& extra_members);
std::string to_jsonl(const std::vector<Paper>& papers);
/// Reads rlab's JSON or JSONL export back (for --from / --background); throws InputError.
std::vector<Paper> read_papers(std::string_view text, const std::string& display_name);
/// The same; JSON Lines are parsed on up to `threads` threads (0: hardware concurrency).
std::vector<Paper> read_papers(std::string_view text, const std::string& display_name, int threads);
/// BibTeX: stable keys (first author's surname + year + first title word, a/b/c on clashes),
/// special characters escaped.
std::string to_bibtex(const std::vector<Paper>& papers);
std::string to_ris(const std::vector<Paper>& papers);
/// One-page Markdown per paper (contribution, method, results, my thoughts).
std::string to_summary_markdown(const std::vector<Paper>& papers, const std::string& query);
/// SVG line chart of the trend rows (document share per year).
std::string trend_svg(const AnalysisResult& analysis, std::size_t max_lines = 8);

}  // namespace rlab::litsearch
