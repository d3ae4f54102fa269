// Keyword analysis: the documents grouped for the log-odds background and cut into shards, then
// the steps of corpus.h in order (tokens, vocabulary, counts, ranking, trends), each timed.
#include "rlab/litsearch.h"

#include <algorithm>
#include <chrono>

#include "corpus.h"

namespace rlab::litsearch {

namespace detail {

namespace {

std::size_t text_bytes(const Paper& p, bool use_title) {
  return (use_title ? p.title.size() : 0) + (p.abstract ? p.abstract->size() : 0) + 3;
}

}  // namespace

Documents group_documents(const std::vector<Paper>& papers, const std::vector<Paper>* background,
                          const AnalysisOptions& o, AnalysisResult& res) {
  // Year groups for the default background.
  std::vector<int> years;
  for (const Paper& p : papers) {
    if (p.year) years.push_back(*p.year);
  }
  std::sort(years.begin(), years.end());
  years.erase(std::unique(years.begin(), years.end()), years.end());
  res.years = years;
  res.docs_per_year.assign(years.size(), 0);
  std::optional<int> split;  // years > split are "recent"
  if (background == nullptr && !years.empty() && o.recent_years > 0) {
    const int last = years.back();
    if (years.front() <= last - o.recent_years) split = last - o.recent_years;
  }
  if (background != nullptr) {
    res.background = "file";
  } else if (split) {
    res.background = "years <= " + std::to_string(*split);
  }

  Documents docs;
  docs.papers = &papers;
  docs.background = background;
  docs.n_fg = papers.size();
  docs.n_docs = docs.n_fg + (background != nullptr ? background->size() : 0);
  docs.group.assign(docs.n_docs, 0);
  docs.year.assign(docs.n_fg, 0);
  docs.grouped = background != nullptr || split.has_value();
  long long docs_a = 0;
  long long docs_b = 0;
  for (std::size_t d = 0; d < docs.n_fg; ++d) {
    const Paper& p = papers[d];
    ++res.documents;
    if (!p.abstract) ++res.null_abstracts;
    if (p.year) {
      const auto it = std::lower_bound(years.begin(), years.end(), *p.year);
      res.docs_per_year[static_cast<std::size_t>(it - years.begin())]++;
    }
    docs.year[d] = p.year ? *p.year : 0;
    const bool older = split && p.year && *p.year <= *split;
    docs.group[d] = older ? 1 : 0;
    (older ? docs_b : docs_a)++;
  }
  if (background != nullptr) {
    docs_a = res.documents;
    docs_b = static_cast<long long>(background->size());
    for (std::size_t d = docs.n_fg; d < docs.n_docs; ++d) docs.group[d] = 2;
  }
  res.background_documents = res.background.empty() ? 0 : docs_b;
  return docs;
}

std::vector<Shard> plan_shards(const Documents& docs, const AnalysisOptions& o) {
  std::size_t threads = o.threads > 0 ? static_cast<std::size_t>(o.threads)
                                      : std::max(1u, std::thread::hardware_concurrency());
  std::size_t total_bytes = 0;
  for (std::size_t d = 0; d < docs.n_docs; ++d) total_bytes += text_bytes(docs[d], o.use_title);
  if (total_bytes < (std::size_t{1} << 20)) threads = 1;  // not worth a thread
  threads = std::max<std::size_t>(1, std::min(threads, docs.n_docs));
  std::vector<Shard> shards(threads);
  std::size_t d = 0;
  std::size_t acc = 0;
  for (std::size_t t = 0; t < threads; ++t) {
    shards[t].first = d;
    const std::size_t goal = total_bytes * (t + 1) / threads;
    const std::size_t acc0 = acc;
    while (d < docs.n_docs && (acc < goal || t + 1 == threads)) {
      acc += text_bytes(docs[d], o.use_title);
      ++d;
    }
    shards[t].bytes = acc - acc0;
    shards[t].count = d - shards[t].first;
  }
  return shards;
}

}  // namespace detail

AnalysisResult analyse(const std::vector<Paper>& papers, const AnalysisOptions& o,
                       const std::vector<Paper>* background) {
  using namespace detail;  // NOLINT(google-build-using-namespace): the steps
  AnalysisResult res;
  auto step_start = std::chrono::steady_clock::now();
  auto step_done = [&](const char* step) {
    const auto now = std::chrono::steady_clock::now();
    res.timings.emplace_back(step, std::chrono::duration<double>(now - step_start).count());
    step_start = now;
  };
  const int max_n = std::clamp(o.max_ngram, 1, 3);
  std::set<std::string> stop = snowball_stopwords();
  if (o.boilerplate) stop.insert(boilerplate_stopwords().begin(), boilerplate_stopwords().end());
  stop.insert(o.extra_stopwords.begin(), o.extra_stopwords.end());

  const Documents docs = group_documents(papers, background, o, res);
  std::vector<Shard> shards = plan_shards(docs, o);
  step_done("prepare");

  tokenise_shards(shards, docs, o.use_title);
  Surfaces surfaces = merge_surfaces(shards);
  Joins joins;
  if (o.rejoin_split_words) joins = find_split_words(surfaces, shards, stop);
  res.rejoined = joins.rejoined;
  const Vocabulary vocab = build_vocabulary(surfaces, shards, stop, o);
  step_done("tokenise");

  PhraseSketch sketch = make_sketch(shards, o.min_df, max_n);
  std::vector<Counts> unigrams = count_words(shards, docs, surfaces, joins, vocab, sketch, max_n);
  step_done("count");

  std::vector<GramTable> tables = count_phrases(shards, docs, vocab, sketch, max_n);
  step_done("phrases");
  sketch.words = HugeVector<std::atomic<std::uint64_t>>();

  const Candidates cands = rank_terms(std::move(unigrams), std::move(tables), vocab, o, res);
  step_done("rank");

  add_trends(cands, shards, docs, vocab, o, res);
  step_done("trends");
  return res;
}

}  // namespace rlab::litsearch
