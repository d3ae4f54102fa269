// Ranking of the keyword analysis: the terms that pass min_df, keywords and phrases by document
// frequency, the query's own words set apart, and the distinctive terms by the log-odds ratio
// with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) over document
// frequencies.
#include <algorithm>
#include <cmath>

#include "corpus.h"

namespace rlab::litsearch::detail {

namespace {

// Keyword and phrase candidates, each in one array sized up front, with the log-odds totals.
Candidates collect_candidates(std::vector<Counts>&& unigrams, std::vector<GramTable>&& tables,
                              std::size_t vocab_size, int min_df) {
  Candidates cands;
  auto candidate = [&](HugeVector<Cand>& v) {
    return [&](std::uint64_t k, const Counts& c) {
      if (static_cast<int>(c.df) >= min_df) {
        v.push_back({k, c});
        cands.n_a += c.a;
        cands.n_b += c.b;
      }
    };
  };
  cands.uni.reserve(vocab_size);
  {
    auto add = candidate(cands.uni);
    for (std::uint32_t id = 1; id < vocab_size; ++id) add(id, unigrams[id]);
  }
  std::size_t in_tables = 0;
  for (const GramTable& table : tables) in_tables += table.size();
  cands.multi.reserve(in_tables);
  for (const GramTable& table : tables) table.each(candidate(cands.multi));
  unigrams = std::vector<Counts>();
  tables.clear();
  return cands;
}

// The query's words, and phrases made of nothing else, are counted (the log-odds totals keep
// them) but not ranked: the keywords among them are reported apart, by document frequency.
void split_off_query_terms(Candidates& cands, const Vocabulary& vocab, const GramText& text,
                           const AnalysisOptions& o, AnalysisResult& res) {
  if (std::find(vocab.is_query.begin(), vocab.is_query.end(), 1) == vocab.is_query.end()) return;
  auto query_only = [&](std::uint64_t key) {
    const int n = gram_len(key);
    for (int i = 0; i < n; ++i) {
      const std::uint32_t id = gram_token(key, n, i);
      if (vocab.is_query[id] == 0 && vocab.is_stop[id] == 0) return false;
    }
    return true;
  };
  std::vector<Cand> dropped;
  auto split_off = [&](HugeVector<Cand>& v, bool keywords) {
    const auto keep = std::stable_partition(v.begin(), v.end(),
                                            [&](const Cand& c) { return !query_only(c.key); });
    if (keywords) dropped.assign(keep, v.end());
    if (o.keep_query_terms) return;
    v.erase(keep, v.end());
  };
  split_off(cands.uni, true);
  split_off(cands.multi, false);
  std::sort(dropped.begin(), dropped.end(), [&](const Cand& x, const Cand& y) {
    if (x.c.df != y.c.df) return x.c.df > y.c.df;
    return text.less(x.key, y.key);
  });
  for (const Cand& c : dropped) {
    Term t;
    t.text = text(c.key);
    t.df = c.c.df;
    t.share =
        res.documents > 0 ? static_cast<double>(c.c.df) / static_cast<double>(res.documents) : 0;
    res.query_terms.push_back(std::move(t));
  }
}

// Log-odds of one term, group A against group B, and its z-score.
double log_odds(const Counts& c, double n_a, double n_b, double a0, double* z) {
  const double alpha = a0 * (c.a + c.b) / (n_a + n_b);
  const double ya = c.a;
  const double yb = c.b;
  const double d = std::log((ya + alpha) / (n_a + a0 - ya - alpha)) -
                   std::log((yb + alpha) / (n_b + a0 - yb - alpha));
  const double var = 1.0 / (ya + alpha) + 1.0 / (yb + alpha);
  *z = d / std::sqrt(var);
  return d;
}

}  // namespace

Candidates rank_terms(std::vector<Counts>&& unigrams, std::vector<GramTable>&& tables,
                      const Vocabulary& vocab, const AnalysisOptions& o, AnalysisResult& res) {
  const GramText text(vocab.display);
  Candidates cands =
      collect_candidates(std::move(unigrams), std::move(tables), vocab.size(), o.min_df);
  split_off_query_terms(cands, vocab, text, o, res);
  const double n_a = cands.n_a;
  const double n_b = cands.n_b;
  const bool have_bg = !res.background.empty() && n_a > 0 && n_b > 0;
  auto make_term = [&](const Cand& c) {
    Term t;
    t.text = text(c.key);
    t.n = gram_len(c.key);
    t.df = c.c.df;
    t.share =
        res.documents > 0 ? static_cast<double>(c.c.df) / static_cast<double>(res.documents) : 0;
    t.bg_df = c.c.b;
    if (have_bg) t.log_odds = log_odds(c.c, n_a, n_b, o.prior, &t.z);
    return t;
  };
  auto by_df = [&](const Cand& x, const Cand& y) {
    if (x.c.df != y.c.df) return x.c.df > y.c.df;
    return text.less(x.key, y.key);
  };
  auto top_of = [&](HugeVector<Cand>& v, std::vector<Term>& out) {
    const std::size_t k = std::min(o.top, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), by_df);
    for (std::size_t i = 0; i < k; ++i) out.push_back(make_term(v[i]));
  };
  top_of(cands.uni, res.keywords);
  top_of(cands.multi, res.phrases);
  res.min_z = o.min_z;
  if (!have_bg) return cands;
  struct Scored {
    double z;
    const Cand* c;
  };
  HugeVector<Scored> all;
  all.reserve(cands.uni.size() + cands.multi.size());
  for (const HugeVector<Cand>* v : {&cands.uni, &cands.multi}) {
    for (const Cand& c : *v) {
      if (static_cast<int>(c.c.a) >= o.min_df) {
        double z = 0;
        log_odds(c.c, n_a, n_b, o.prior, &z);
        ++res.distinctive_tested;
        if (z >= o.min_z) all.push_back({z, &c});
      }
    }
  }
  const std::size_t k = std::min(o.top, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                    [&](const Scored& x, const Scored& y) {
                      if (x.z != y.z) return x.z > y.z;
                      return text.less(x.c->key, y.c->key);
                    });
  for (std::size_t i = 0; i < k; ++i) res.distinctive.push_back(make_term(*all[i].c));
  return cands;
}

}  // namespace rlab::litsearch::detail
