// The keyword analysis in steps: the documents and their shards, the tokens of each shard, the
// shared vocabulary, the word and phrase counts, the ranked terms and the trends. analyse()
// runs the steps in order; each step is a function of the ones before. Private to
// lib/litsearch.
#pragma once

#include "rlab/huge_pages.h"
#include "rlab/litsearch.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "grams.h"

namespace rlab::litsearch::detail {

// Distinct strings -> dense ids 1, 2, ... in order of first appearance; the text lives in one
// arena, so looking up a token allocates nothing.
class Interner {
 public:
  Interner() : slots_(1u << 12, 0), off_(1, 0), len_(1, 0), hash_(1, 0), count_(1, 0) {}
  std::uint32_t intern(std::string_view s) {
    const std::uint64_t h = hash(s);
    const std::size_t m = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & m;
    while (slots_[i] != 0) {
      const std::uint32_t id = slots_[i];
      if (hash_[id] == h && view(id) == s) {
        ++count_[id];
        return id;
      }
      i = (i + 1) & m;
    }
    const auto id = static_cast<std::uint32_t>(off_.size());
    off_.push_back(arena_.size());
    len_.push_back(static_cast<std::uint32_t>(s.size()));
    hash_.push_back(h);
    count_.push_back(1);
    arena_.append(s.data(), s.size());
    slots_[i] = id;
    if (static_cast<std::size_t>(id) * 10 > slots_.size() * 7) grow();
    return id;
  }
  [[nodiscard]] std::size_t size() const { return off_.size() - 1; }  // ids 1..size()
  [[nodiscard]] std::string_view view(std::uint32_t id) const {
    return {arena_.data() + off_[id], len_[id]};
  }
  [[nodiscard]] std::uint64_t count(std::uint32_t id) const { return count_[id]; }

 private:
  static std::uint64_t hash(std::string_view s) {
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdULL;
      h ^= h >> 32;
    }
    std::uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return h;
  }
  void grow() {
    std::vector<std::uint32_t> slots(slots_.size() * 2, 0);
    const std::size_t m = slots.size() - 1;
    for (std::uint32_t id = 1; id < off_.size(); ++id) {
      std::size_t i = static_cast<std::size_t>(hash_[id]) & m;
      while (slots[i] != 0) i = (i + 1) & m;
      slots[i] = id;
    }
    slots_ = std::move(slots);
  }
  std::vector<std::uint32_t> slots_;
  std::string arena_;
  std::vector<std::size_t> off_;
  std::vector<std::uint32_t> len_;
  std::vector<std::uint64_t> hash_;
  std::vector<std::uint64_t> count_;
};

// One thread's share of the documents: its tokens as ids of its own interner (0 = break),
// later renumbered to the shared vocabulary.
struct Shard {
  std::size_t first = 0;  // global index of the first document
  std::size_t count = 0;
  std::size_t bytes = 0;  // text bytes, for the token estimate
  Interner surfaces;
  HugeVector<std::uint32_t> tokens;
  std::vector<std::size_t> start;  // count + 1 offsets into tokens
};

// Runs f(shard index) on `n` threads (the calling thread included) and rethrows the first
// exception.
template <typename F>
inline void parallel(std::size_t n, F&& f) {
  if (n <= 1) {
    f(std::size_t{0});
    return;
  }
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  for (std::size_t t = 1; t < n; ++t) {
    threads.emplace_back([&, t] {
      try {
        f(t);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  try {
    f(std::size_t{0});
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& th : threads) th.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

/// The documents analysed: the foreground papers, then the background ones, with the log-odds
/// group and the year of each.
struct Documents {
  const std::vector<Paper>* papers = nullptr;
  const std::vector<Paper>* background = nullptr;
  std::size_t n_fg = 0;
  std::size_t n_docs = 0;
  std::vector<std::uint8_t> group;  // 0 foreground (A), 1 older (B), 2 background
  std::vector<int> year;            // foreground documents only; 0 when unknown
  bool grouped = false;             // there is a group B (a background or older years)
  [[nodiscard]] const Paper& operator[](std::size_t d) const {
    return d < n_fg ? (*papers)[d] : (*background)[d - n_fg];
  }
};

/// Counts one document of `group` for a gram (a background document counts in b only).
inline void count_document(Counts& c, int group, bool grouped) {
  if (group == 2) {
    ++c.b;
    return;
  }
  ++c.df;
  if (grouped) (group == 1 ? c.b : c.a)++;
}

/// Splits the papers into foreground and log-odds groups; fills the result's years, papers per
/// year, background name and document counts.
Documents group_documents(const std::vector<Paper>& papers, const std::vector<Paper>* background,
                          const AnalysisOptions& o, AnalysisResult& res);
/// Contiguous document ranges of about equal text size, one per thread.
std::vector<Shard> plan_shards(const Documents& docs, const AnalysisOptions& o);
/// Pass 1 (parallel): tokenises every document once into shard-local ids.
void tokenise_shards(std::vector<Shard>& shards, const Documents& docs, bool use_title);

/// Every distinct surface of all shards, ids (gids) in order of first appearance (shard by
/// shard, so the same as one pass over all documents), with its number of occurrences.
struct Surfaces {
  std::unordered_map<std::string_view, std::uint32_t> id;
  std::vector<std::string_view> text = {std::string_view()};
  std::vector<long long> count = {0};
  std::vector<std::vector<std::uint32_t>> of_shard;  // shard-local id -> gid
};
Surfaces merge_surfaces(const std::vector<Shard>& shards);

/// Words broken by a stray space or a line-end hyphen, to be read as one token.
struct Joins {
  std::unordered_map<std::uint64_t, std::uint32_t> pairs;  // (left gid << 32 | right) -> gid
  std::vector<std::uint8_t> left;                          // gid starts a rejoined pair
  long long rejoined = 0;                                  // occurrences
};
/// Finds the split words and moves their counts from the parts to the joined word.
Joins find_split_words(Surfaces& surfaces, const std::vector<Shard>& shards,
                       const std::set<std::string>& stop);

/// The shared vocabulary: id 0 = break, ids >= 1 keys (a surface, its singular when folding
/// plurals, its Snowball stem when stemming), in order of first appearance.
struct Vocabulary {
  std::vector<std::string> key_text = {""};
  std::vector<std::uint8_t> is_stop = {1};
  std::vector<std::uint32_t> gid_key;                // gid -> key id
  std::vector<std::string> display;                  // key id -> its commonest surface
  std::vector<std::vector<std::uint32_t>> renumber;  // shard-local id -> key id
  std::vector<std::uint8_t> is_query;                // key id is one of the query's words
  [[nodiscard]] std::size_t size() const { return key_text.size(); }
};
Vocabulary build_vocabulary(const Surfaces& surfaces, const std::vector<Shard>& shards,
                            const std::set<std::string>& stop, const AnalysisOptions& o);

/// The foreground 2..3-grams seen once and twice, as bits of a sketch shared by the threads.
struct PhraseSketch {
  bool on = false;
  std::size_t mask = 0;
  HugeVector<std::atomic<std::uint64_t>> words;
  [[nodiscard]] bool admitted(const GramHash& h) const {
    const std::uint64_t bits = h.bits();
    return (words[2 * h.word(mask) + 1].load(std::memory_order_relaxed) & bits) == bits;
  }
};
PhraseSketch make_sketch(const std::vector<Shard>& shards, int min_df, int max_n);
/// Pass 2 (parallel): renumbers the shards to key ids (rejoining split words), counts the
/// 1-grams exactly and marks the foreground 2..3-grams in the sketch. Returns the 1-gram counts.
std::vector<Counts> count_words(std::vector<Shard>& shards, const Documents& docs,
                                const Surfaces& surfaces, const Joins& joins,
                                const Vocabulary& vocab, PhraseSketch& sketch, int max_n);
/// Pass 3 (parallel): exact document counts of the 2..3-grams the sketch admits, one table per
/// thread.
std::vector<GramTable> count_phrases(const std::vector<Shard>& shards, const Documents& docs,
                                     const Vocabulary& vocab, const PhraseSketch& sketch,
                                     int max_n);

/// Display text of a gram: the display forms of its tokens.
class GramText {
 public:
  explicit GramText(const std::vector<std::string>& display) : display_(display) {}
  [[nodiscard]] std::string operator()(std::uint64_t key) const {
    const int n = gram_len(key);
    std::string s;
    for (int i = 0; i < n; ++i) s += (s.empty() ? "" : " ") + display_[gram_token(key, n, i)];
    return s;
  }
  // Compares the display texts of two grams as strings without building them: tokens hold no
  // byte at or below ' ', so token-wise comparison orders the joined texts the same way.
  [[nodiscard]] bool less(std::uint64_t x, std::uint64_t y) const {
    const int nx = gram_len(x);
    const int ny = gram_len(y);
    for (int i = 0; i < std::min(nx, ny); ++i) {
      const int c = display_[gram_token(x, nx, i)].compare(display_[gram_token(y, ny, i)]);
      if (c != 0) return c < 0;
    }
    return nx < ny;
  }

 private:
  const std::vector<std::string>& display_;
};

/// A term that passed min_df, with its counts.
struct Cand {
  std::uint64_t key;
  Counts c;
};
/// Keyword (1-gram) and phrase candidates; after ranking, each begins with its top terms.
struct Candidates {
  HugeVector<Cand> uni;
  HugeVector<Cand> multi;
  double n_a = 0;  // log-odds totals of group A and B
  double n_b = 0;
};
/// Ranks the counted terms: keywords and phrases by document frequency, the query's words
/// apart, distinctive terms by log-odds z-score. Consumes the counts.
Candidates rank_terms(std::vector<Counts>&& unigrams, std::vector<GramTable>&& tables,
                      const Vocabulary& vocab, const AnalysisOptions& o, AnalysisResult& res);
/// Per-year (and per-bin) document shares of the top keywords and phrases.
void add_trends(const Candidates& cands, const std::vector<Shard>& shards, const Documents& docs,
                const Vocabulary& vocab, const AnalysisOptions& o, AnalysisResult& res);

}  // namespace rlab::litsearch::detail
