// Trends of the keyword analysis: the per-year document share of the top keywords and phrases,
// and the year bins of the trend table.
#include <algorithm>

#include "corpus.h"

namespace rlab::litsearch {

std::string YearBin::label() const {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

std::vector<YearBin> year_bins(const std::vector<int>& years, const std::vector<long long>& docs,
                               int min_papers) {
  std::vector<YearBin> bins;
  bool open = false;
  for (std::size_t i = 0; i < years.size(); ++i) {
    if (!open) {
      bins.push_back({years[i], years[i], 0});
      open = true;
    }
    bins.back().last = years[i];
    bins.back().documents += i < docs.size() ? docs[i] : 0;
    if (bins.back().documents >= min_papers) open = false;
  }
  if (open && bins.size() >= 2) {  // a short last bin joins the one before
    const YearBin tail = bins.back();
    bins.pop_back();
    bins.back().last = tail.last;
    bins.back().documents += tail.documents;
  }
  return bins;
}

namespace detail {

namespace {

// Papers with each trend gram per year (foreground documents with a year only).
std::vector<std::vector<long long>> trend_counts(const std::vector<std::uint64_t>& trend_keys,
                                                 const std::vector<Shard>& shards,
                                                 const Documents& docs, const Vocabulary& vocab,
                                                 const std::vector<int>& years, int max_n) {
  // Only positions whose token starts a trend gram need looking at.
  std::vector<std::uint8_t> starts(vocab.size(), 0);
  for (std::uint64_t g : trend_keys) starts[gram_token(g, gram_len(g), 0)] = 1;
  // Each thread counts its shard's documents; the counts are summed afterwards.
  std::vector<std::vector<long long>> counts(trend_keys.size(),
                                             std::vector<long long>(years.size(), 0));
  std::vector<decltype(counts)> part(shards.size(), counts);
  parallel(shards.size(), [&](std::size_t th) {
    const Shard& s = shards[th];
    auto& mine = part[th];
    std::vector<std::size_t> seen(trend_keys.size(), 0);  // document stamp per trend gram
    for (std::size_t k = 0; k < s.count; ++k) {
      const std::size_t d = s.first + k;
      if (d >= docs.n_fg || docs.year[d] == 0) continue;
      const auto yi = static_cast<std::size_t>(
          std::lower_bound(years.begin(), years.end(), docs.year[d]) - years.begin());
      const std::uint32_t* ids = s.tokens.data() + s.start[k];
      const std::size_t len = s.start[k + 1] - s.start[k];
      for (std::size_t i = 0; i < len; ++i) {
        if (ids[i] > kMaxId || starts[ids[i]] == 0) continue;
        std::uint64_t g = 0;
        for (std::size_t n = 1; n <= static_cast<std::size_t>(max_n) && i + n <= len; ++n) {
          const std::uint32_t last = ids[i + n - 1];
          if (last == 0 || last > kMaxId) break;
          g = (g << kIdBits) | last;
          if (vocab.is_stop[last] != 0) continue;
          for (std::size_t t = 0; t < trend_keys.size(); ++t) {
            if (trend_keys[t] == g && seen[t] != d + 1) {
              seen[t] = d + 1;
              mine[t][yi]++;
            }
          }
        }
      }
    }
  });
  for (const auto& p : part) {
    for (std::size_t t = 0; t < trend_keys.size(); ++t) {
      for (std::size_t y = 0; y < years.size(); ++y) counts[t][y] += p[t][y];
    }
  }
  return counts;
}

}  // namespace

void add_trends(const Candidates& cands, const std::vector<Shard>& shards, const Documents& docs,
                const Vocabulary& vocab, const AnalysisOptions& o, AnalysisResult& res) {
  const std::vector<int>& years = res.years;
  std::vector<std::uint64_t> trend_keys;
  auto add_trend = [&](const HugeVector<Cand>& v, std::size_t k) {
    for (std::size_t i = 0; i < std::min(k, v.size()); ++i) trend_keys.push_back(v[i].key);
  };
  add_trend(cands.uni, std::min<std::size_t>(o.top, 10));
  add_trend(cands.multi, std::min<std::size_t>(o.top, 5));
  if (!years.empty() && !trend_keys.empty()) {
    const int max_n = std::clamp(o.max_ngram, 1, 3);
    const auto counts = trend_counts(trend_keys, shards, docs, vocab, years, max_n);
    const GramText text(vocab.display);
    for (std::size_t t = 0; t < trend_keys.size(); ++t) {
      TrendRow row;
      row.term = text(trend_keys[t]);
      row.counts = counts[t];
      for (std::size_t y = 0; y < years.size(); ++y) {
        row.shares.push_back(res.docs_per_year[y] > 0
                                 ? static_cast<double>(counts[t][y]) /
                                       static_cast<double>(res.docs_per_year[y])
                                 : 0.0);
      }
      res.trends.push_back(std::move(row));
    }
  }
  res.bins = year_bins(years, res.docs_per_year, o.min_year_papers);
  for (TrendRow& row : res.trends) {
    std::size_t y = 0;
    for (const YearBin& b : res.bins) {
      long long n = 0;
      for (; y < years.size() && years[y] <= b.last; ++y) n += row.counts[y];
      row.bin_counts.push_back(n);
      row.bin_shares.push_back(
          b.documents > 0 ? static_cast<double>(n) / static_cast<double>(b.documents) : 0.0);
    }
  }
}

}  // namespace detail

}  // namespace rlab::litsearch
