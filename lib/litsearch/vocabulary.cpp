// The shared vocabulary of the keyword analysis: the surfaces of all shards merged, words broken
// by a stray space or a line-end hyphen rejoined, and each surface's key (itself, its singular,
// or its Snowball stem) with the commonest surface as the key's display form.
#include <libstemmer.h>

#include <memory>
#include <utility>

#include "corpus.h"

namespace rlab::litsearch::detail {

namespace {

bool is_stop_word(const std::set<std::string>& stop, std::string_view w) {
  return stop.count(std::string(w)) != 0;
}

std::unique_ptr<sb_stemmer, void (*)(sb_stemmer*)> make_stemmer() {
  return {sb_stemmer_new("english", nullptr), [](sb_stemmer* p) {
            if (p != nullptr) sb_stemmer_delete(p);
          }};
}

// prefix[a] / suffix[b]: a + b is a surface for some b / a (both parts of 3 characters or
// more, as shorter tokens are stop words or breaks), and a part must be followed (preceded) by a
// suffix (prefix) at each of its occurrences: counted first with flags alone, so that the
// strings of only the few pairs left are looked up.
void split_word_parts(const Surfaces& sf, const std::vector<Shard>& shards,
                      const std::set<std::string>& stop, std::vector<std::uint8_t>& prefix,
                      std::vector<std::uint8_t>& suffix) {
  const std::size_t n_surf = sf.text.size();
  const std::size_t threads = shards.size();
  prefix.assign(n_surf, 0);
  suffix.assign(n_surf, 0);
  for (std::uint32_t g = 1; g < n_surf; ++g) {
    const std::string_view w = sf.text[g];
    for (std::size_t cut = 3; cut + 3 <= w.size(); ++cut) {
      const auto a = sf.id.find(w.substr(0, cut));
      if (a == sf.id.end()) continue;
      const auto b = sf.id.find(w.substr(cut));
      if (b == sf.id.end()) continue;
      prefix[a->second] = 1;
      suffix[b->second] = 1;
    }
  }
  for (std::uint32_t g = 1; g < n_surf; ++g) {
    if ((prefix[g] != 0 || suffix[g] != 0) && is_stop_word(stop, sf.text[g]))
      prefix[g] = suffix[g] = 0;
  }
  std::vector<std::vector<std::uint32_t>> left_ok(threads);
  std::vector<std::vector<std::uint32_t>> right_ok(threads);
  parallel(threads, [&](std::size_t t) {
    const Shard& s = shards[t];
    const std::vector<std::uint32_t>& gid = sf.of_shard[t];
    left_ok[t].assign(n_surf, 0);
    right_ok[t].assign(n_surf, 0);
    for (std::size_t k = 0; k < s.count; ++k) {
      for (std::size_t i = s.start[k]; i + 1 < s.start[k + 1]; ++i) {
        const std::uint32_t a = gid[s.tokens[i]];
        const std::uint32_t b = gid[s.tokens[i + 1]];
        if (prefix[a] == 0 || suffix[b] == 0) continue;
        ++left_ok[t][a];
        ++right_ok[t][b];
      }
    }
  });
  for (std::uint32_t g = 1; g < n_surf; ++g) {
    long long l = 0;
    long long r = 0;
    for (std::size_t t = 0; t < threads; ++t) {
      l += left_ok[t][g];
      r += right_ok[t][g];
    }
    if (l != sf.count[g]) prefix[g] = 0;
    if (r != sf.count[g]) suffix[g] = 0;
  }
}

// The neighbouring pairs (prefix, suffix) whose concatenation is a surface: the joined gid and
// the pair's occurrences, keyed (left gid << 32 | right).
std::unordered_map<std::uint64_t, std::pair<std::uint32_t, long long>> joinable_pairs(
    const Surfaces& sf, const std::vector<Shard>& shards, const std::vector<std::uint8_t>& prefix,
    const std::vector<std::uint8_t>& suffix) {
  const std::size_t threads = shards.size();
  std::vector<std::unordered_map<std::uint64_t, std::pair<std::uint32_t, long long>>> found(
      threads);
  parallel(threads, [&](std::size_t t) {
    const Shard& s = shards[t];
    const std::vector<std::uint32_t>& gid = sf.of_shard[t];
    std::string buf;
    for (std::size_t k = 0; k < s.count; ++k) {
      for (std::size_t i = s.start[k]; i + 1 < s.start[k + 1]; ++i) {
        const std::uint32_t a = gid[s.tokens[i]];
        const std::uint32_t b = gid[s.tokens[i + 1]];
        if (prefix[a] == 0 || suffix[b] == 0) continue;
        buf.assign(sf.text[a]);
        buf += sf.text[b];
        const auto it = sf.id.find(std::string_view(buf));
        if (it == sf.id.end()) continue;
        auto& f = found[t][(std::uint64_t{a} << 32) | b];
        f.first = it->second;
        ++f.second;
      }
    }
  });
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, long long>> pairs;
  for (const auto& f : found) {
    for (const auto& [key, v] : f) {
      auto& p = pairs[key];
      p.first = v.first;
      p.second += v.second;
    }
  }
  return pairs;
}

}  // namespace

Surfaces merge_surfaces(const std::vector<Shard>& shards) {
  Surfaces sf;
  sf.of_shard.resize(shards.size());
  for (std::size_t t = 0; t < shards.size(); ++t) {
    const Interner& in = shards[t].surfaces;
    sf.of_shard[t].assign(in.size() + 1, 0);
    for (std::uint32_t sid = 1; sid <= in.size(); ++sid) {
      const std::string_view v = in.view(sid);
      auto [it, inserted] = sf.id.emplace(v, static_cast<std::uint32_t>(sf.text.size()));
      if (inserted) {
        sf.text.push_back(v);
        sf.count.push_back(0);
      }
      sf.of_shard[t][sid] = it->second;
      sf.count[it->second] += static_cast<long long>(in.count(sid));
    }
  }
  return sf;
}

// A pair of neighbouring tokens whose concatenation is a word of the corpus ("litera ture") is
// rejoined when neither part occurs anywhere but in such pairs (on its side). Only pairs whose
// left part is the prefix and whose right part is the suffix of some longer surface are looked
// up.
Joins find_split_words(Surfaces& sf, const std::vector<Shard>& shards,
                       const std::set<std::string>& stop) {
  Joins joins;
  const std::size_t n_surf = sf.text.size();
  if (n_surf <= 2) return joins;
  std::vector<std::uint8_t> prefix;
  std::vector<std::uint8_t> suffix;
  split_word_parts(sf, shards, stop, prefix, suffix);
  auto pairs = joinable_pairs(sf, shards, prefix, suffix);
  std::unordered_map<std::uint32_t, long long> as_left;
  std::unordered_map<std::uint32_t, long long> as_right;
  for (const auto& [key, v] : pairs) {
    as_left[static_cast<std::uint32_t>(key >> 32)] += v.second;
    as_right[static_cast<std::uint32_t>(key & 0xFFFFFFFFu)] += v.second;
  }
  joins.left.assign(n_surf, 0);
  for (const auto& [key, v] : pairs) {
    const auto a = static_cast<std::uint32_t>(key >> 32);
    const auto b = static_cast<std::uint32_t>(key & 0xFFFFFFFFu);
    if (as_left[a] != sf.count[a] || as_right[b] != sf.count[b]) continue;
    joins.pairs.emplace(key, v.first);
    joins.left[a] = 1;
    joins.rejoined += v.second;
  }
  for (const auto& [key, joined] : joins.pairs) {
    const long long n = pairs[key].second;
    sf.count[joined] += n;
    sf.count[key >> 32] -= n;
    sf.count[key & 0xFFFFFFFFu] -= n;
  }
  return joins;
}

Vocabulary build_vocabulary(const Surfaces& sf, const std::vector<Shard>& shards,
                            const std::set<std::string>& stop, const AnalysisOptions& o) {
  const std::size_t n_surf = sf.text.size();
  auto stemmer = make_stemmer();
  auto known = [&](std::string_view w) {
    const auto it = sf.id.find(w);
    return it != sf.id.end() && sf.count[it->second] > 0 && !is_stop_word(stop, w);
  };
  const bool fold = o.fold_plurals && !o.stem;
  auto key_of = [&](const std::string& surface) {
    std::string key = surface;
    if (o.stem && stemmer && stop.count(surface) == 0) {
      const sb_symbol* st =
          sb_stemmer_stem(stemmer.get(), reinterpret_cast<const sb_symbol*>(surface.data()),
                          static_cast<int>(surface.size()));
      if (st != nullptr)
        key.assign(reinterpret_cast<const char*>(st),
                   static_cast<std::size_t>(sb_stemmer_length(stemmer.get())));
    } else if (fold && !is_stop_word(stop, surface)) {
      std::string singular = fold_plural(surface, known);
      if (!singular.empty()) key = std::move(singular);
    }
    return key;
  };
  Vocabulary v;
  std::unordered_map<std::string, std::uint32_t> ids;
  v.gid_key.assign(n_surf, 0);
  for (std::uint32_t g = 1; g < n_surf; ++g) {
    std::string key = key_of(std::string(sf.text[g]));
    auto [it, inserted] = ids.emplace(key, static_cast<std::uint32_t>(v.key_text.size()));
    if (inserted) {
      // A surface that is a stop word is its own key, so the key decides.
      v.is_stop.push_back(stop.count(key) != 0 ? 1 : 0);
      v.key_text.push_back(std::move(key));
    }
    v.gid_key[g] = it->second;
  }
  // Display text of a key: its commonest surface (the smaller one on a tie).
  v.display.resize(v.key_text.size());
  {
    std::vector<long long> best(v.key_text.size(), -1);
    for (std::uint32_t g = 1; g < n_surf; ++g) {
      const std::uint32_t k = v.gid_key[g];
      const long long n = sf.count[g];
      if (n > best[k] || (n == best[k] && sf.text[g] < v.display[k])) {
        best[k] = n;
        v.display[k] = std::string(sf.text[g]);
      }
    }
  }
  v.renumber.resize(shards.size());
  for (std::size_t t = 0; t < shards.size(); ++t) {
    v.renumber[t].resize(sf.of_shard[t].size());
    for (std::size_t sid = 0; sid < sf.of_shard[t].size(); ++sid)
      v.renumber[t][sid] = v.gid_key[sf.of_shard[t][sid]];
  }
  // The query's words (as keys) are left out of what is ranked.
  v.is_query.assign(v.key_text.size(), 0);
  if (!o.query.empty()) {
    for (const std::string& w : tokenize(o.query)) {
      if (w.empty() || is_stop_word(stop, w)) continue;
      const auto it = ids.find(key_of(w));
      if (it != ids.end()) v.is_query[it->second] = 1;
    }
  }
  return v;
}

}  // namespace rlab::litsearch::detail
