// Passes 2 and 3 of the keyword analysis: exact 1-gram document counts, a shared sketch of the
// foreground 2..3-grams, and exact counts of the grams the sketch admits.
#include "corpus.h"

namespace rlab::litsearch::detail {

namespace {

// Renumbers one shard's tokens to key ids; rejoined pairs become one token and the documents
// are compacted in place.
void renumber_shard(Shard& s, const std::vector<std::uint32_t>& gid, const Joins& joins,
                    const Vocabulary& vocab, const std::vector<std::uint32_t>& renumber) {
  if (joins.pairs.empty()) {
    for (std::uint32_t& id : s.tokens) id = renumber[id];
    return;
  }
  std::size_t w = 0;
  for (std::size_t k = 0; k < s.count; ++k) {
    const std::size_t b = s.start[k];
    const std::size_t e = s.start[k + 1];
    s.start[k] = w;
    for (std::size_t i = b; i < e; ++i) {
      const std::uint32_t g = gid[s.tokens[i]];
      if (joins.left[g] != 0 && i + 1 < e) {
        const auto it = joins.pairs.find((std::uint64_t{g} << 32) | gid[s.tokens[i + 1]]);
        if (it != joins.pairs.end()) {
          s.tokens[w++] = vocab.gid_key[it->second];
          ++i;
          continue;
        }
      }
      s.tokens[w++] = vocab.gid_key[g];
    }
  }
  s.start[s.count] = w;
  s.tokens.resize(w);
}

}  // namespace

// A gram sets two bits of one 64-bit word in `once`, and a bit set again gets its bit in
// `twice` (the two words sit side by side). A gram in >= 2 documents has both its twice bits, so
// the exact counts of pass 3 need only those grams (most 3-grams occur once); grams let through
// by collisions (or by a repeat inside one document) are counted exactly too, and min_df drops
// them. About 16 bits per token (at most 2^28 in all, 64 MB with `twice`) keep the collisions
// rare.
PhraseSketch make_sketch(const std::vector<Shard>& shards, int min_df, int max_n) {
  std::size_t total_tokens = 0;
  for (const Shard& s : shards) total_tokens += s.tokens.size();
  PhraseSketch sketch;
  sketch.on = min_df >= 2 && max_n >= 2;
  std::size_t words = std::size_t{1} << 10;
  while (words * 64 < total_tokens * 16 && words < (std::size_t{1} << 22)) words <<= 1;
  sketch.mask = words - 1;
  sketch.words = HugeVector<std::atomic<std::uint64_t>>(sketch.on ? 2 * words : 0);
  return sketch;
}

std::vector<Counts> count_words(std::vector<Shard>& shards, const Documents& docs,
                                const Surfaces& surfaces, const Joins& joins,
                                const Vocabulary& vocab, PhraseSketch& sketch, int max_n) {
  const std::size_t threads = shards.size();
  const std::size_t vocab_size = vocab.size();
  std::vector<std::vector<Counts>> unigrams(threads);
  parallel(threads, [&](std::size_t t) {
    Shard& s = shards[t];
    renumber_shard(s, surfaces.of_shard[t], joins, vocab, vocab.renumber[t]);
    std::vector<Counts>& uni = unigrams[t];
    uni.assign(vocab_size, Counts{});
    struct Mark {
      std::atomic<std::uint64_t>* w;
      std::uint64_t bits;
    };
    std::vector<Mark> batch;
    for (std::size_t k = 0; k < s.count; ++k) {
      const std::uint32_t* ids = s.tokens.data() + s.start[k];
      const std::size_t len = s.start[k + 1] - s.start[k];
      const int group = docs.group[s.first + k];
      const auto stamp = static_cast<std::uint32_t>(k + 1);
      for (std::size_t i = 0; i < len; ++i) {
        const std::uint32_t id = ids[i];
        if (id == 0 || id > kMaxId || vocab.is_stop[id] != 0) continue;
        Counts& c = uni[id];
        if (c.last == stamp) continue;  // once per document
        c.last = stamp;
        count_document(c, group, docs.grouped);
      }
      if (!sketch.on || group == 2) continue;
      // The sketch is far larger than the caches: first the document's words are fetched
      // together (prefetches overlap their cache misses), then marked.
      batch.clear();
      each_gram(ids, len, 2, max_n, vocab.is_stop, [&](std::uint64_t g) {
        const GramHash h(g);
        std::atomic<std::uint64_t>* w = &sketch.words[2 * h.word(sketch.mask)];
        __builtin_prefetch(w, 1);
        batch.push_back({w, h.bits()});
      });
      for (const Mark& m : batch) {
        if ((m.w[1].load(std::memory_order_relaxed) & m.bits) == m.bits) continue;
        // Of two hits on one bit, from any threads, the later read-modify-write sees the
        // earlier one.
        const std::uint64_t before = m.w[0].fetch_or(m.bits, std::memory_order_relaxed);
        if ((before & m.bits) != 0) m.w[1].fetch_or(before & m.bits, std::memory_order_relaxed);
      }
    }
  });
  for (std::size_t t = 1; t < threads; ++t) {
    for (std::size_t id = 0; id < vocab_size; ++id) {
      unigrams[0][id].df += unigrams[t][id].df;
      unigrams[0][id].a += unigrams[t][id].a;
      unigrams[0][id].b += unigrams[t][id].b;
    }
    unigrams[t] = std::vector<Counts>();
  }
  return std::move(unigrams[0]);
}

// The grams are split among the threads by hash, so each thread owns its part of the table and
// nothing is merged; each thread reads all documents.
std::vector<GramTable> count_phrases(const std::vector<Shard>& shards, const Documents& docs,
                                     const Vocabulary& vocab, const PhraseSketch& sketch,
                                     int max_n) {
  std::size_t expected = 0;  // admitted grams, roughly (two twice bits each)
  for (std::size_t w = 1; w < sketch.words.size(); w += 2) {
    expected += static_cast<std::size_t>(
        __builtin_popcountll(sketch.words[w].load(std::memory_order_relaxed)));
  }
  std::vector<GramTable> tables(max_n >= 2 ? shards.size() : 0);
  parallel(tables.size(), [&](std::size_t t) {
    GramTable& table = tables[t];
    // Each admitted gram sets about two twice bits, and repeats within one document let some
    // grams in too: room for `expected` keys in all avoids growing the tables.
    if (sketch.on) table.reserve(expected / tables.size() + 1);
    // A document's grams of this part go through in three steps, each over the whole document,
    // so that the cache misses of a step overlap: prefetch their sketch words; keep the admitted
    // ones and prefetch their table slots; count.
    std::vector<std::pair<std::uint64_t, GramHash>> mine;
    std::vector<std::uint64_t> in;
    for (const Shard& s : shards) {
      for (std::size_t k = 0; k < s.count; ++k) {
        const int group = docs.group[s.first + k];
        const auto stamp = static_cast<std::uint32_t>(s.first + k + 1);
        mine.clear();
        each_gram(s.tokens.data() + s.start[k], s.start[k + 1] - s.start[k], 2, max_n,
                  vocab.is_stop, [&](std::uint64_t g) {
                    const GramHash h(g);
                    if (h.part(tables.size()) != t) return;
                    if (sketch.on) __builtin_prefetch(&sketch.words[2 * h.word(sketch.mask) + 1]);
                    mine.emplace_back(g, h);
                  });
        in.clear();
        for (const auto& [g, h] : mine) {
          if (sketch.on && !sketch.admitted(h)) continue;
          table.prefetch(g);
          in.push_back(g);
        }
        for (const std::uint64_t g : in) {
          Counts& c = table.at(g);
          if (c.last == stamp) continue;  // once per document
          c.last = stamp;
          count_document(c, group, docs.grouped);
        }
      }
    }
  });
  return tables;
}

}  // namespace rlab::litsearch::detail
