// The n-gram keys of the keyword analysis and their document counts: a gram of up to three
// token ids packed in one 64-bit key, an open-addressing table of counts per key, and the
// hashes the phrase sketch uses. Private to lib/litsearch.
#pragma once

#include "rlab/huge_pages.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rlab::litsearch::detail {

inline constexpr std::uint64_t kIdBits = 21;
inline constexpr std::uint32_t kMaxId = (1u << kIdBits) - 1;

inline int gram_len(std::uint64_t key) {
  int n = 0;
  while (key != 0) {
    ++n;
    key >>= kIdBits;
  }
  return n;
}

inline std::uint32_t gram_token(std::uint64_t key, int n, int i) {  // i-th token (0 = first)
  return static_cast<std::uint32_t>((key >> (kIdBits * static_cast<unsigned>(n - 1 - i))) & kMaxId);
}

// Calls f(key) for every min_n..max_n-gram of the token ids that neither starts nor ends with
// a stop word nor crosses a break (id 0); a key packs the ids, kIdBits each, first id highest
// (a 1-gram's key is its id). Ids above kMaxId cannot be packed and act as breaks.
template <typename F>
void each_gram(const std::uint32_t* ids, std::size_t len, int min_n, int max_n,
               const std::vector<std::uint8_t>& is_stop, F&& f) {
  for (std::size_t i = 0; i < len; ++i) {
    const std::uint32_t first = ids[i];
    if (first == 0 || first > kMaxId || is_stop[first] != 0) continue;
    std::uint64_t key = 0;
    for (int n = 1; n <= max_n && i + static_cast<std::size_t>(n) <= len; ++n) {
      const std::uint32_t last = ids[i + static_cast<std::size_t>(n) - 1];
      if (last == 0 || last > kMaxId) break;
      key = (key << kIdBits) | last;
      if (n < min_n || is_stop[last] != 0) continue;
      f(key);
    }
  }
}

inline std::size_t mix(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return static_cast<std::size_t>(k);
}

// Document counts of one n-gram. `last` is the (1-based) local index of the last document
// counted, so a gram repeated within a document counts once without a per-document set.
struct Counts {
  std::uint32_t df = 0;  // foreground documents
  std::uint32_t a = 0;   // log-odds group A (foreground, or recent years)
  std::uint32_t b = 0;   // log-odds group B (background, or earlier years)
  std::uint32_t last = 0;
};

// Open-addressing table: 64-bit n-gram key -> counts, key and counts in one slot. Key 0 is
// never used (ids start at 1).
class GramTable {
 public:
  GramTable() { resize(1u << 16); }
  Counts& at(std::uint64_t key) {
    if ((size_ + 1) * 10 > slots_.size() * 7) resize(slots_.size() * 2);
    const std::size_t m = slots_.size() - 1;
    std::size_t i = mix(key) & m;
    while (slots_[i].key != 0 && slots_[i].key != key) i = (i + 1) & m;
    if (slots_[i].key == 0) {
      slots_[i].key = key;
      ++size_;
    }
    return slots_[i].counts;
  }
  // A hint: brings the key's first probe slot into the cache.
  void prefetch(std::uint64_t key) const {
    __builtin_prefetch(&slots_[mix(key) & (slots_.size() - 1)]);
  }
  // Room for about n keys without growing.
  void reserve(std::size_t n) {
    std::size_t size = slots_.size();
    while (size * 7 < n * 10 && size < (std::size_t{1} << 32)) size <<= 1;
    if (size > slots_.size()) resize(size);
  }
  template <typename F>
  void each(F f) const {
    for (const Slot& s : slots_) {
      if (s.key != 0) f(s.key, s.counts);
    }
  }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t key = 0;
    Counts counts;
  };
  void resize(std::size_t n) {
    HugeVector<Slot> old = std::move(slots_);
    slots_.assign(n, Slot{});
    size_ = 0;
    const std::size_t m = n - 1;
    for (const Slot& s : old) {
      if (s.key == 0) continue;
      std::size_t i = mix(s.key) & m;
      while (slots_[i].key != 0) i = (i + 1) & m;
      slots_[i] = s;
      ++size_;
    }
  }
  HugeVector<Slot> slots_;
  std::size_t size_ = 0;
};

// Hashes of an n-gram key: its sketch word, its two bits in that word (one memory access
// for both), and the thread that counts it.
struct GramHash {
  std::uint64_t h1, h2;
  explicit GramHash(std::uint64_t g)
      : h1(g * 0x9E3779B97F4A7C15ULL), h2((g ^ (g >> 29)) * 0xC2B2AE3D27D4EB4FULL) {}
  [[nodiscard]] std::size_t word(std::size_t mask) const {
    return static_cast<std::size_t>(h1 >> 20) & mask;
  }
  [[nodiscard]] std::uint64_t bits() const {
    return (std::uint64_t{1} << (h2 >> 58)) | (std::uint64_t{1} << ((h2 >> 52) & 63));
  }
  [[nodiscard]] std::size_t part(std::size_t parts) const {
    return static_cast<std::size_t>(((h1 >> 32) * parts) >> 32);
  }
};

}  // namespace rlab::litsearch::detail
