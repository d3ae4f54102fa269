// Keyword analysis: tokenising (NFKC, HTML/TeX stripped, compounds and acronyms kept), stop
// lists, optional Snowball stemming, 1..3-gram phrases, document frequency, log-odds against a
// background, per-year trends.
#include "rlab/huge_pages.h"
#include "rlab/litsearch.h"

#include <libstemmer.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace rlab::litsearch {

namespace {

bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string nfkc(const std::string& s) {
  if (is_ascii(s)) return s;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) return s;
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
  icu::UnicodeString out = n->normalize(u, status);
  if (U_FAILURE(status)) return s;
  std::string r;
  out.toUTF8String(r);
  return r;
}

std::string to_lower(const std::string& s) {
  if (is_ascii(s)) {
    std::string r = s;
    for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
  u.toLower();
  std::string r;
  u.toUTF8String(r);
  return r;
}

// Decodes one UTF-8 code point at s[i]; advances i. Invalid bytes give U+FFFD.
UChar32 next_cp(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (len == 1 || i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  UChar32 cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += static_cast<std::size_t>(len);
  return cp;
}

bool word_cp(UChar32 cp) {
  if (cp < 0x80) return std::isalnum(static_cast<int>(cp)) != 0;
  return u_isalnum(cp) != 0 || u_getIntPropertyValue(cp, UCHAR_GENERAL_CATEGORY_MASK) & U_GC_M_MASK;
}

// Removes HTML/JATS tags, decodes common entities, drops TeX math and commands (keeping the
// argument text of \emph{...}-style commands). Clause punctuation stays.
std::string strip_markup(const std::string& in) {
  std::string s;
  s.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '<' && i + 1 < in.size() &&
        (std::isalpha(static_cast<unsigned char>(in[i + 1])) != 0 || in[i + 1] == '/' ||
         in[i + 1] == '!')) {
      const auto e = in.find('>', i);
      if (e != std::string::npos && e - i < 200) {
        s += ' ';
        i = e;
        continue;
      }
    }
    if (c == '&') {
      static const std::pair<const char*, const char*> kEnt[] = {
          {"&amp;", "&"}, {"&lt;", "<"},   {"&gt;", ">"},  {"&quot;", "\""},
          {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "}};
      bool done = false;
      for (const auto& [name, rep] : kEnt) {
        if (in.compare(i, std::char_traits<char>::length(name), name) == 0) {
          s += rep;
          i += std::char_traits<char>::length(name) - 1;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    if (c == '$') {  // TeX math: $...$ or $$...$$ becomes a clause break
      std::size_t j = i + 1;
      if (j < in.size() && in[j] == '$') ++j;
      const auto e = in.find('$', j);
      if (e != std::string::npos && e - i < 400) {
        s += " , ";
        i = e;
        if (i + 1 < in.size() && in[i + 1] == '$') ++i;
        continue;
      }
    }
    if (c == '\\' && i + 1 < in.size() &&
        std::isalpha(static_cast<unsigned char>(in[i + 1])) != 0) {
      std::size_t j = i + 1;
      while (j < in.size() && std::isalpha(static_cast<unsigned char>(in[j])) != 0) ++j;
      s += ' ';
      i = j - 1;  // the command name goes; a following {arg} keeps its text
      continue;
    }
    if (c == '{' || c == '}') {
      s += ' ';
      continue;
    }
    s += c;
  }
  return s;
}

std::unique_ptr<sb_stemmer, void (*)(sb_stemmer*)> make_stemmer() {
  return {sb_stemmer_new("english", nullptr), [](sb_stemmer* p) {
            if (p != nullptr) sb_stemmer_delete(p);
          }};
}

// Byte classes of the C locale's <cctype>, looked up once instead of per character.
struct ByteClasses {
  std::uint8_t alnum[256] = {};
  std::uint8_t alpha[256] = {};
  std::uint8_t digit[256] = {};
  std::uint8_t upper[256] = {};
  char lower[256] = {};
  ByteClasses() {
    for (int c = 0; c < 256; ++c) {
      alnum[c] = std::isalnum(c) != 0 ? 1 : 0;
      alpha[c] = std::isalpha(c) != 0 ? 1 : 0;
      digit[c] = std::isdigit(c) != 0 ? 1 : 0;
      upper[c] = std::isupper(c) != 0 ? 1 : 0;
      lower[c] = static_cast<char>(std::tolower(c));
    }
  }
};

const ByteClasses& bytes() {
  static const ByteClasses kClasses;
  return kClasses;
}

constexpr std::uint64_t kIdBits = 21;
constexpr std::uint32_t kMaxId = (1u << kIdBits) - 1;

int gram_len(std::uint64_t key) {
  int n = 0;
  while (key != 0) {
    ++n;
    key >>= kIdBits;
  }
  return n;
}

std::uint32_t gram_token(std::uint64_t key, int n, int i) {  // i-th token (0 = first)
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

std::size_t mix(std::uint64_t k) {
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

}  // namespace

const std::set<std::string>& snowball_stopwords() {
  static const std::set<std::string> kWords = {
      "i",          "me",      "my",        "myself",  "we",       "our",        "ours",
      "ourselves",  "you",     "your",      "yours",   "yourself", "yourselves", "he",
      "him",        "his",     "himself",   "she",     "her",      "hers",       "herself",
      "it",         "its",     "itself",    "they",    "them",     "their",      "theirs",
      "themselves", "what",    "which",     "who",     "whom",     "this",       "that",
      "these",      "those",   "am",        "is",      "are",      "was",        "were",
      "be",         "been",    "being",     "have",    "has",      "had",        "having",
      "do",         "does",    "did",       "doing",   "would",    "should",     "could",
      "ought",      "i'm",     "you're",    "he's",    "she's",    "it's",       "we're",
      "they're",    "i've",    "you've",    "we've",   "they've",  "i'd",        "you'd",
      "he'd",       "she'd",   "we'd",      "they'd",  "i'll",     "you'll",     "he'll",
      "she'll",     "we'll",   "they'll",   "isn't",   "aren't",   "wasn't",     "weren't",
      "hasn't",     "haven't", "hadn't",    "doesn't", "don't",    "didn't",     "won't",
      "wouldn't",   "shan't",  "shouldn't", "can't",   "cannot",   "couldn't",   "mustn't",
      "let's",      "that's",  "who's",     "what's",  "here's",   "there's",    "when's",
      "where's",    "why's",   "how's",     "a",       "an",       "the",        "and",
      "but",        "if",      "or",        "because", "as",       "until",      "while",
      "of",         "at",      "by",        "for",     "with",     "about",      "against",
      "between",    "into",    "through",   "during",  "before",   "after",      "above",
      "below",      "to",      "from",      "up",      "down",     "in",         "out",
      "on",         "off",     "over",      "under",   "again",    "further",    "then",
      "once",       "here",    "there",     "when",    "where",    "why",        "how",
      "all",        "any",     "both",      "each",    "few",      "more",       "most",
      "other",      "some",    "such",      "no",      "nor",      "not",        "only",
      "own",        "same",    "so",        "than",    "too",      "very"};
  return kWords;
}

const std::set<std::string>& boilerplate_stopwords() {
  static const std::set<std::string> kWords = {
      "paper",       "study",       "studies",  "propose", "proposed", "proposes",  "approach",
      "approaches",  "method",      "methods",  "result",  "results",  "show",      "shows",
      "shown",       "novel",       "based",    "using",   "use",      "used",      "also",
      "however",     "present",     "presents", "new",     "can",      "may",       "well",
      "work",        "within",      "among",    "via",     "thus",     "therefore", "furthermore",
      "moreover",    "et",          "al",       "one",     "two",      "first",     "finally",
      "demonstrate", "demonstrates"};
  return kWords;
}

namespace {

// Snowball stop words of at most two ASCII bytes, as a bitmap over the two bytes: the check a
// short token needs to stay inside a phrase.
class ShortStops {
 public:
  ShortStops() : bits_(65536 / 8, 0) {
    for (const std::string& w : snowball_stopwords()) {
      if (w.size() <= 2) set(key(w));
    }
  }
  [[nodiscard]] bool contains(std::string_view w) const {
    if (w.size() <= 2) return test(key(w));
    return snowball_stopwords().count(std::string(w)) != 0;
  }

 private:
  static std::size_t key(std::string_view w) {
    std::size_t k = 0;
    for (char c : w) k = (k << 8) | static_cast<unsigned char>(c);
    return k;
  }
  void set(std::size_t k) {
    bits_[k >> 3] = static_cast<std::uint8_t>(bits_[k >> 3] | (1u << (k & 7)));
  }
  [[nodiscard]] bool test(std::size_t k) const { return ((bits_[k >> 3] >> (k & 7)) & 1u) != 0; }
  std::vector<std::uint8_t> bits_;
};

const ShortStops& short_stops() {
  static const ShortStops kStops;
  return kStops;
}

// The text the tokenizer reads: markup stripped and NFKC-normalised, or `raw` itself when it
// has nothing either step would change (plain ASCII without markup characters).
std::string_view prepared(const std::string& raw, std::string& buf) {
  static const auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (int c = 0x80; c < 256; ++c) t[static_cast<std::size_t>(c)] = true;
    for (const unsigned char c : {'<', '&', '$', '\\', '{', '}'}) t[c] = true;
    return t;
  }();
  for (const char ch : raw) {
    if (kSpecial[static_cast<unsigned char>(ch)]) {
      buf = nfkc(strip_markup(raw));
      return buf;
    }
  }
  return raw;
}

bool clause_break(UChar32 cp) {
  return cp == '.' || cp == ',' || cp == ';' || cp == ':' || cp == '!' || cp == '?' || cp == '(' ||
         cp == ')' || cp == '[' || cp == ']' || cp == '"' || cp == '/' || cp == 0x2014 ||
         cp == 0x2013 || cp == 0x201C || cp == 0x201D;
}

bool joiner(UChar32 cp) {
  return cp == '-' || cp == 0x2010 || cp == 0x2011 || cp == '\'' || cp == 0x2019;
}

// The tokenizer: calls token(std::string_view) for each token (lower-cased; the view is valid
// until the next call) and brk() at clause punctuation and dropped tokens. `lw` is scratch.
// tokenize() and the analysis share it, so the analysed tokens are exactly tokenize()'s.
template <typename Token, typename Break>
void scan_tokens(std::string_view text, std::string& lw, Token&& token, Break&& brk) {
  const ByteClasses& bc = bytes();
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const std::size_t start = i;
    const auto c0 = static_cast<unsigned char>(text[i]);
    bool ascii = c0 < 0x80;
    if (ascii) {
      ++i;
      if (bc.alnum[c0] == 0) {
        if (clause_break(c0)) brk();
        continue;
      }
    } else {
      const UChar32 cp = next_cp(text, i);
      if (!word_cp(cp)) {
        if (clause_break(cp)) brk();
        continue;
      }
    }
    // A word: alnum runs joined by single hyphens (compounds) or an apostrophe (it's).
    std::size_t end = i;
    while (end < size) {
      const auto c = static_cast<unsigned char>(text[end]);
      if (c < 0x80 && bc.alnum[c] != 0) {
        ++end;
        continue;
      }
      std::size_t j = end;
      const UChar32 c2 = next_cp(text, j);
      if (word_cp(c2)) {
        ascii = false;
        end = j;
        continue;
      }
      if (joiner(c2) && j < size) {
        std::size_t k = j;
        if (word_cp(next_cp(text, k))) {
          if (c2 >= 0x80) ascii = false;
          end = j;
          continue;
        }
      }
      break;
    }
    i = end;
    std::size_t cps = 0;
    bool acronym = false;
    if (ascii) {
      std::size_t len = end - start;
      const char* p = text.data() + start;
      if (len > 2 && p[len - 2] == '\'' && p[len - 1] == 's') len -= 2;  // possessive
      bool digits_only = true;
      bool has_alpha = false;
      bool all_upper = true;
      std::size_t letters = 0;
      for (std::size_t k = 0; k < len; ++k) {
        const auto c = static_cast<unsigned char>(p[k]);
        if (bc.alpha[c] != 0) {
          has_alpha = true;
          ++letters;
          if (bc.upper[c] == 0) all_upper = false;
        }
        if (bc.digit[c] == 0 && c != '-' && c != '\'') digits_only = false;
      }
      if (digits_only || !has_alpha) {
        brk();
        continue;
      }
      acronym = all_upper && letters == len && len >= 2 && len <= 5;
      lw.resize(len);
      for (std::size_t k = 0; k < len; ++k) lw[k] = bc.lower[static_cast<unsigned char>(p[k])];
      cps = len;
    } else {
      std::string word(text.substr(start, end - start));
      // Normalise typographic hyphens/apostrophes.
      for (const char* from : {"\xE2\x80\x90", "\xE2\x80\x91"}) {
        for (auto q = word.find(from); q != std::string::npos; q = word.find(from))
          word.replace(q, 3, "-");
      }
      for (auto q = word.find("\xE2\x80\x99"); q != std::string::npos;
           q = word.find("\xE2\x80\x99"))
        word.replace(q, 3, "'");
      if (word.size() > 2 && word.compare(word.size() - 2, 2, "'s") == 0)
        word.resize(word.size() - 2);
      bool digits_only = true;
      bool has_alpha = false;
      bool all_upper = true;
      std::size_t letters = 0;
      for (const char ch : word) {
        const auto c = static_cast<unsigned char>(ch);
        if (bc.alpha[c] != 0 || c >= 0x80) {
          has_alpha = true;
          ++letters;
          if (c < 0x80 && bc.upper[c] == 0) all_upper = false;
          if (c >= 0x80) all_upper = false;
        }
        if (bc.digit[c] == 0 && c != '-' && c != '\'') digits_only = false;
      }
      if (digits_only || !has_alpha) {
        brk();
        continue;
      }
      acronym = all_upper && letters == word.size() && word.size() >= 2 && word.size() <= 5;
      lw = to_lower(word);
      for (std::size_t k = 0; k < lw.size();) {
        next_cp(lw, k);
        ++cps;
      }
    }
    if (cps < 3 && !acronym) {
      if (short_stops().contains(lw)) {
        token(std::string_view(lw));  // a short stop word may sit inside a phrase
      } else {
        brk();
      }
      continue;
    }
    token(std::string_view(lw));
  }
}

}  // namespace

std::string fold_plural(std::string_view w, const std::function<bool(std::string_view)>& known) {
  if (w.size() < 4) return "";
  for (const char c : w) {
    if ((c < 'a' || c > 'z') && c != '-') return "";
  }
  auto ends = [&](std::string_view suffix) {
    return w.size() > suffix.size() && w.substr(w.size() - suffix.size()) == suffix;
  };
  if (w.back() != 's' || ends("ss") || ends("us") || ends("is") || ends("ics") || ends("-s"))
    return "";
  const std::string_view stem = w.substr(0, w.size() - 1);  // without the s
  std::vector<std::string> cand;
  auto drop = [&](std::size_t n, std::string_view add) {
    std::string c(w.substr(0, w.size() - n));
    c += add;
    cand.push_back(std::move(c));
  };
  if (ends("yses") || ends("eses") || ends("oses")) drop(2, "is");  // analyses, theses, diagnoses
  if (ends("ies")) drop(3, "y");                                    // studies
  if (ends("xes") || ends("ches") || ends("shes") || ends("sses") || ends("zes") || ends("oes"))
    drop(2, "");            // boxes, approaches, processes, heroes
  cand.emplace_back(stem);  // models, machines, movies
  for (const std::string& c : cand) {
    if (c.size() >= 3 && c.back() != '-' && known(c)) return c;
  }
  return "";
}

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

std::vector<std::string> tokenize(const std::string& raw) {
  std::string buf;
  std::string lw;
  std::vector<std::string> out;
  scan_tokens(
      prepared(raw, buf), lw, [&](std::string_view t) { out.emplace_back(t); },
      [&] {
        if (!out.empty() && !out.back().empty()) out.emplace_back();
      });
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

namespace {

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
void parallel(std::size_t n, F&& f) {
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

}  // namespace

AnalysisResult analyse(const std::vector<Paper>& papers, const AnalysisOptions& o,
                       const std::vector<Paper>* background) {
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

  // Documents: the foreground papers, then the background ones.
  const std::size_t n_fg = papers.size();
  const std::size_t n_docs = n_fg + (background != nullptr ? background->size() : 0);
  auto paper = [&](std::size_t d) -> const Paper& {
    return d < n_fg ? papers[d] : (*background)[d - n_fg];
  };
  std::vector<std::uint8_t> doc_group(n_docs);  // 0 foreground (A), 1 older (B), 2 background
  std::vector<int> doc_year(n_fg);
  long long docs_a = 0;
  long long docs_b = 0;
  for (std::size_t d = 0; d < n_fg; ++d) {
    const Paper& p = papers[d];
    ++res.documents;
    if (!p.abstract) ++res.null_abstracts;
    if (p.year) {
      const auto it = std::lower_bound(years.begin(), years.end(), *p.year);
      res.docs_per_year[static_cast<std::size_t>(it - years.begin())]++;
    }
    doc_year[d] = p.year ? *p.year : 0;
    const bool older = split && p.year && *p.year <= *split;
    doc_group[d] = older ? 1 : 0;
    (older ? docs_b : docs_a)++;
  }
  if (background != nullptr) {
    docs_a = res.documents;
    docs_b = static_cast<long long>(background->size());
    for (std::size_t d = n_fg; d < n_docs; ++d) doc_group[d] = 2;
  }
  res.background_documents = res.background.empty() ? 0 : docs_b;

  // Shards: contiguous document ranges of about equal text size, one per thread.
  std::size_t threads = o.threads > 0 ? static_cast<std::size_t>(o.threads)
                                      : std::max(1u, std::thread::hardware_concurrency());
  std::size_t total_bytes = 0;
  for (std::size_t d = 0; d < n_docs; ++d) {
    const Paper& p = paper(d);
    total_bytes += (o.use_title ? p.title.size() : 0) + (p.abstract ? p.abstract->size() : 0) + 3;
  }
  if (total_bytes < (std::size_t{1} << 20)) threads = 1;  // not worth a thread
  threads = std::max<std::size_t>(1, std::min(threads, n_docs));
  std::vector<Shard> shards(threads);
  {
    std::size_t d = 0;
    std::size_t acc = 0;
    for (std::size_t t = 0; t < threads; ++t) {
      shards[t].first = d;
      const std::size_t goal = total_bytes * (t + 1) / threads;
      const std::size_t acc0 = acc;
      while (d < n_docs && (acc < goal || t + 1 == threads)) {
        const Paper& p = paper(d);
        acc += (o.use_title ? p.title.size() : 0) + (p.abstract ? p.abstract->size() : 0) + 3;
        ++d;
      }
      shards[t].bytes = acc - acc0;
      shards[t].count = d - shards[t].first;
    }
  }

  step_done("prepare");
  // Pass 1 (parallel): tokenise every document once into shard-local ids.
  parallel(threads, [&](std::size_t t) {
    Shard& s = shards[t];
    std::string text;
    std::string buf;
    std::string lw;
    s.start.reserve(s.count + 1);
    // English text has about one token per 6 bytes; reserving for one per 4 keeps the array
    // from being copied as it grows (untouched pages cost nothing).
    s.tokens.reserve(s.bytes / 4 + s.count);
    for (std::size_t d = s.first; d < s.first + s.count; ++d) {
      const Paper& p = paper(d);
      text.clear();
      if (o.use_title) text = p.title;
      if (p.abstract) {
        if (!text.empty()) text += " . ";
        text += *p.abstract;
      }
      s.start.push_back(s.tokens.size());
      scan_tokens(
          prepared(text, buf), lw,
          [&](std::string_view w) { s.tokens.push_back(s.surfaces.intern(w)); },
          [&] {
            if (!s.tokens.empty() && s.tokens.back() != 0) s.tokens.push_back(0);
          });
    }
    s.start.push_back(s.tokens.size());
  });

  // Every distinct surface of all shards, ids (gids) in order of first appearance (shard by
  // shard, so the same as one pass over all documents), with its number of occurrences.
  std::unordered_map<std::string_view, std::uint32_t> surf_id;
  std::vector<std::string_view> surf_text = {std::string_view()};
  std::vector<long long> surf_count = {0};
  std::vector<std::vector<std::uint32_t>> to_surf(threads);
  for (std::size_t t = 0; t < threads; ++t) {
    const Interner& in = shards[t].surfaces;
    to_surf[t].assign(in.size() + 1, 0);
    for (std::uint32_t sid = 1; sid <= in.size(); ++sid) {
      const std::string_view v = in.view(sid);
      auto [it, inserted] = surf_id.emplace(v, static_cast<std::uint32_t>(surf_text.size()));
      if (inserted) {
        surf_text.push_back(v);
        surf_count.push_back(0);
      }
      to_surf[t][sid] = it->second;
      surf_count[it->second] += static_cast<long long>(in.count(sid));
    }
  }
  const std::size_t n_surf = surf_text.size();
  auto stop_word = [&](std::string_view w) { return stop.count(std::string(w)) != 0; };

  // Words broken by a stray space or a line-end hyphen ("litera ture"): a pair of neighbouring
  // tokens whose concatenation is a word of the corpus is rejoined when neither part occurs
  // anywhere but in such pairs (on its side). Only pairs whose left part is the prefix and
  // whose right part is the suffix of some longer surface are looked up.
  std::unordered_map<std::uint64_t, std::uint32_t> joins;  // (left gid << 32 | right) -> gid
  std::vector<std::uint8_t> join_left;                     // gid starts a rejoined pair
  if (o.rejoin_split_words && n_surf > 2) {
    // prefix[a] / suffix[b]: a + b is a surface for some b / a (both parts of 3 characters or
    // more, as shorter tokens are stop words or breaks).
    std::vector<std::uint8_t> prefix(n_surf, 0);
    std::vector<std::uint8_t> suffix(n_surf, 0);
    for (std::uint32_t g = 1; g < n_surf; ++g) {
      const std::string_view w = surf_text[g];
      for (std::size_t cut = 3; cut + 3 <= w.size(); ++cut) {
        const auto a = surf_id.find(w.substr(0, cut));
        if (a == surf_id.end()) continue;
        const auto b = surf_id.find(w.substr(cut));
        if (b == surf_id.end()) continue;
        prefix[a->second] = 1;
        suffix[b->second] = 1;
      }
    }
    for (std::uint32_t g = 1; g < n_surf; ++g) {
      if ((prefix[g] != 0 || suffix[g] != 0) && stop_word(surf_text[g])) prefix[g] = suffix[g] = 0;
    }
    // A part must be followed (preceded) by a suffix (prefix) at each of its occurrences: counted
    // first with flags alone, so that the strings of only the few pairs left are looked up.
    std::vector<std::vector<std::uint32_t>> left_ok(threads);
    std::vector<std::vector<std::uint32_t>> right_ok(threads);
    parallel(threads, [&](std::size_t t) {
      const Shard& s = shards[t];
      const std::vector<std::uint32_t>& gid = to_surf[t];
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
      if (l != surf_count[g]) prefix[g] = 0;
      if (r != surf_count[g]) suffix[g] = 0;
    }
    left_ok.clear();
    right_ok.clear();
    std::vector<std::unordered_map<std::uint64_t, std::pair<std::uint32_t, long long>>> found(
        threads);
    parallel(threads, [&](std::size_t t) {
      const Shard& s = shards[t];
      const std::vector<std::uint32_t>& gid = to_surf[t];
      std::string buf;
      for (std::size_t k = 0; k < s.count; ++k) {
        for (std::size_t i = s.start[k]; i + 1 < s.start[k + 1]; ++i) {
          const std::uint32_t a = gid[s.tokens[i]];
          const std::uint32_t b = gid[s.tokens[i + 1]];
          if (prefix[a] == 0 || suffix[b] == 0) continue;
          buf.assign(surf_text[a]);
          buf += surf_text[b];
          const auto it = surf_id.find(std::string_view(buf));
          if (it == surf_id.end()) continue;
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
    std::unordered_map<std::uint32_t, long long> as_left;
    std::unordered_map<std::uint32_t, long long> as_right;
    for (const auto& [key, v] : pairs) {
      as_left[static_cast<std::uint32_t>(key >> 32)] += v.second;
      as_right[static_cast<std::uint32_t>(key & 0xFFFFFFFFu)] += v.second;
    }
    join_left.assign(n_surf, 0);
    for (const auto& [key, v] : pairs) {
      const auto a = static_cast<std::uint32_t>(key >> 32);
      const auto b = static_cast<std::uint32_t>(key & 0xFFFFFFFFu);
      if (as_left[a] != surf_count[a] || as_right[b] != surf_count[b]) continue;
      joins.emplace(key, v.first);
      join_left[a] = 1;
      res.rejoined += v.second;
    }
    for (const auto& [key, joined] : joins) {
      const long long n = pairs[key].second;
      surf_count[joined] += n;
      surf_count[key >> 32] -= n;
      surf_count[key & 0xFFFFFFFFu] -= n;
    }
  }

  // The shared vocabulary: id 0 = break, ids >= 1 keys (a surface, its singular when folding
  // plurals, its Snowball stem when stemming), in order of first appearance.
  auto stemmer = make_stemmer();
  auto known = [&](std::string_view w) {
    const auto it = surf_id.find(w);
    return it != surf_id.end() && surf_count[it->second] > 0 && !stop_word(w);
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
    } else if (fold && !stop_word(surface)) {
      std::string singular = fold_plural(surface, known);
      if (!singular.empty()) key = std::move(singular);
    }
    return key;
  };
  std::unordered_map<std::string, std::uint32_t> vocab;
  std::vector<std::string> key_text = {""};
  std::vector<std::uint8_t> is_stop = {1};
  std::vector<std::uint32_t> gid_key(n_surf, 0);
  for (std::uint32_t g = 1; g < n_surf; ++g) {
    std::string key = key_of(std::string(surf_text[g]));
    auto [it, inserted] = vocab.emplace(key, static_cast<std::uint32_t>(key_text.size()));
    if (inserted) {
      // A surface that is a stop word is its own key, so the key decides.
      is_stop.push_back(stop.count(key) != 0 ? 1 : 0);
      key_text.push_back(std::move(key));
    }
    gid_key[g] = it->second;
  }
  // Display text of a key: its commonest surface (the smaller one on a tie).
  std::vector<std::string> display(key_text.size());
  {
    std::vector<long long> best(key_text.size(), -1);
    for (std::uint32_t g = 1; g < n_surf; ++g) {
      const std::uint32_t k = gid_key[g];
      const long long n = surf_count[g];
      if (n > best[k] || (n == best[k] && surf_text[g] < display[k])) {
        best[k] = n;
        display[k] = std::string(surf_text[g]);
      }
    }
  }
  std::vector<std::vector<std::uint32_t>> renumber(threads);
  for (std::size_t t = 0; t < threads; ++t) {
    renumber[t].resize(to_surf[t].size());
    for (std::size_t sid = 0; sid < to_surf[t].size(); ++sid)
      renumber[t][sid] = gid_key[to_surf[t][sid]];
  }
  // The query's words (as keys) are left out of what is ranked.
  std::vector<std::uint8_t> is_query(key_text.size(), 0);
  if (!o.query.empty()) {
    for (const std::string& w : tokenize(o.query)) {
      if (w.empty() || stop_word(w)) continue;
      const auto it = vocab.find(key_of(w));
      if (it != vocab.end()) is_query[it->second] = 1;
    }
  }

  step_done("tokenise");
  // Pass 2 (parallel): renumber to shared ids; count the 1-grams exactly in arrays indexed by
  // id; mark the foreground 2..3-grams in a sketch shared by the threads: a gram sets two bits of
  // one 64-bit word in `once`, and a bit set again gets its bit in `twice` (the two words sit
  // side by side). A gram in >= 2 documents has both its twice bits, so the exact counts of pass
  // 3 need only those grams (most 3-grams occur once); grams let through by collisions (or by a
  // repeat inside one document) are counted exactly too, and min_df drops them. About 16 bits
  // per token (at most 2^28 in all, 64 MB with `twice`) keep the collisions rare.
  const bool grouped = background != nullptr || split.has_value();
  std::size_t total_tokens = 0;
  for (const Shard& s : shards) total_tokens += s.tokens.size();
  const bool sketched = o.min_df >= 2 && max_n >= 2;
  std::size_t words = std::size_t{1} << 10;
  while (words * 64 < total_tokens * 16 && words < (std::size_t{1} << 22)) words <<= 1;
  const std::size_t mask = words - 1;
  HugeVector<std::atomic<std::uint64_t>> sketch(sketched ? 2 * words : 0);
  auto admitted = [&](const GramHash& h) {
    const std::uint64_t bits = h.bits();
    return (sketch[2 * h.word(mask) + 1].load(std::memory_order_relaxed) & bits) == bits;
  };
  const std::size_t vocab_size = key_text.size();
  std::vector<std::vector<Counts>> unigrams(threads);
  auto count = [&](Counts& c, int group) {
    if (group == 2) {
      ++c.b;
      return;
    }
    ++c.df;
    if (grouped) (group == 1 ? c.b : c.a)++;
  };
  parallel(threads, [&](std::size_t t) {
    Shard& s = shards[t];
    if (joins.empty()) {
      for (std::uint32_t& id : s.tokens) id = renumber[t][id];
    } else {
      // Rejoined pairs become one token; the documents are compacted in place.
      const std::vector<std::uint32_t>& gid = to_surf[t];
      std::size_t w = 0;
      for (std::size_t k = 0; k < s.count; ++k) {
        const std::size_t b = s.start[k];
        const std::size_t e = s.start[k + 1];
        s.start[k] = w;
        for (std::size_t i = b; i < e; ++i) {
          const std::uint32_t g = gid[s.tokens[i]];
          if (join_left[g] != 0 && i + 1 < e) {
            const auto it = joins.find((std::uint64_t{g} << 32) | gid[s.tokens[i + 1]]);
            if (it != joins.end()) {
              s.tokens[w++] = gid_key[it->second];
              ++i;
              continue;
            }
          }
          s.tokens[w++] = gid_key[g];
        }
      }
      s.start[s.count] = w;
      s.tokens.resize(w);
    }
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
      const int group = doc_group[s.first + k];
      const auto stamp = static_cast<std::uint32_t>(k + 1);
      for (std::size_t i = 0; i < len; ++i) {
        const std::uint32_t id = ids[i];
        if (id == 0 || id > kMaxId || is_stop[id] != 0) continue;
        Counts& c = uni[id];
        if (c.last == stamp) continue;  // once per document
        c.last = stamp;
        count(c, group);
      }
      if (!sketched || group == 2) continue;
      // The sketch is far larger than the caches: first the document's words are fetched
      // together (prefetches overlap their cache misses), then marked.
      batch.clear();
      each_gram(ids, len, 2, max_n, is_stop, [&](std::uint64_t g) {
        const GramHash h(g);
        std::atomic<std::uint64_t>* w = &sketch[2 * h.word(mask)];
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

  step_done("count");
  // Pass 3 (parallel): exact document counts of the admitted 2..3-grams. The grams are split
  // among the threads by hash, so each thread owns its part of the table and nothing is merged;
  // each thread reads all documents.
  std::size_t expected = 0;  // admitted grams, roughly (two twice bits each)
  for (std::size_t w = 1; w < sketch.size(); w += 2) {
    expected +=
        static_cast<std::size_t>(__builtin_popcountll(sketch[w].load(std::memory_order_relaxed)));
  }
  std::vector<GramTable> tables(max_n >= 2 ? threads : 0);
  parallel(tables.size(), [&](std::size_t t) {
    GramTable& table = tables[t];
    // Each admitted gram sets about two twice bits, and repeats within one document let some
    // grams in too: room for `expected` keys in all avoids growing the tables.
    if (sketched) table.reserve(expected / tables.size() + 1);
    // A document's grams of this part go through in three steps, each over the whole document,
    // so that the cache misses of a step overlap: prefetch their sketch words; keep the admitted
    // ones and prefetch their table slots; count.
    std::vector<std::pair<std::uint64_t, GramHash>> mine;
    std::vector<std::uint64_t> in;
    for (const Shard& s : shards) {
      for (std::size_t k = 0; k < s.count; ++k) {
        const int group = doc_group[s.first + k];
        const auto stamp = static_cast<std::uint32_t>(s.first + k + 1);
        mine.clear();
        each_gram(s.tokens.data() + s.start[k], s.start[k + 1] - s.start[k], 2, max_n, is_stop,
                  [&](std::uint64_t g) {
                    const GramHash h(g);
                    if (h.part(tables.size()) != t) return;
                    if (sketched) __builtin_prefetch(&sketch[2 * h.word(mask) + 1]);
                    mine.emplace_back(g, h);
                  });
        in.clear();
        for (const auto& [g, h] : mine) {
          if (sketched && !admitted(h)) continue;
          table.prefetch(g);
          in.push_back(g);
        }
        for (const std::uint64_t g : in) {
          Counts& c = table.at(g);
          if (c.last == stamp) continue;  // once per document
          c.last = stamp;
          count(c, group);
        }
      }
    }
  });
  step_done("phrases");
  sketch = HugeVector<std::atomic<std::uint64_t>>();

  // Display text of an n-gram: the display forms of its tokens.
  auto text_of = [&](std::uint64_t key) {
    const int n = gram_len(key);
    std::string s;
    for (int i = 0; i < n; ++i) s += (s.empty() ? "" : " ") + display[gram_token(key, n, i)];
    return s;
  };
  // Compares the display texts of two grams as strings without building them: tokens hold no
  // byte at or below ' ', so token-wise comparison orders the joined texts the same way.
  auto text_less = [&](std::uint64_t x, std::uint64_t y) {
    const int nx = gram_len(x);
    const int ny = gram_len(y);
    for (int i = 0; i < std::min(nx, ny); ++i) {
      const int c = display[gram_token(x, nx, i)].compare(display[gram_token(y, ny, i)]);
      if (c != 0) return c < 0;
    }
    return nx < ny;
  };

  // Candidates, log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008)
  // over document frequencies.
  struct Cand {
    std::uint64_t key;
    Counts c;
  };
  // Keyword (1-gram) and phrase candidates, each in one array sized up front.
  HugeVector<Cand> uni;
  HugeVector<Cand> multi;
  double n_a = 0;
  double n_b = 0;
  auto candidate = [&](HugeVector<Cand>& v) {
    return [&](std::uint64_t k, const Counts& c) {
      if (static_cast<int>(c.df) >= o.min_df) {
        v.push_back({k, c});
        n_a += c.a;
        n_b += c.b;
      }
    };
  };
  if (!unigrams.empty()) {
    uni.reserve(vocab_size);
    auto add = candidate(uni);
    for (std::uint32_t id = 1; id < vocab_size; ++id) add(id, unigrams[0][id]);
  }
  std::size_t in_tables = 0;
  for (const GramTable& table : tables) in_tables += table.size();
  multi.reserve(in_tables);
  for (const GramTable& table : tables) table.each(candidate(multi));
  tables.clear();
  // The query's words, and phrases made of nothing else, are counted (the log-odds totals keep
  // them) but not ranked.
  auto query_only = [&](std::uint64_t key) {
    const int n = gram_len(key);
    for (int i = 0; i < n; ++i) {
      const std::uint32_t id = gram_token(key, n, i);
      if (is_query[id] == 0 && is_stop[id] == 0) return false;
    }
    return true;
  };
  if (std::find(is_query.begin(), is_query.end(), 1) != is_query.end()) {
    std::vector<Cand> dropped;
    auto split_off = [&](HugeVector<Cand>& v) {
      const auto keep = std::stable_partition(v.begin(), v.end(),
                                              [&](const Cand& c) { return !query_only(c.key); });
      if (v.data() == uni.data()) dropped.assign(keep, v.end());
      if (o.keep_query_terms) return;
      v.erase(keep, v.end());
    };
    split_off(uni);
    split_off(multi);
    std::sort(dropped.begin(), dropped.end(), [&](const Cand& x, const Cand& y) {
      if (x.c.df != y.c.df) return x.c.df > y.c.df;
      return text_less(x.key, y.key);
    });
    for (const Cand& c : dropped) {
      Term t;
      t.text = text_of(c.key);
      t.df = c.c.df;
      t.share =
          res.documents > 0 ? static_cast<double>(c.c.df) / static_cast<double>(res.documents) : 0;
      res.query_terms.push_back(std::move(t));
    }
  }
  const bool have_bg = !res.background.empty() && n_a > 0 && n_b > 0;
  auto log_odds = [&](const Counts& c, double* z) {
    const double a0 = o.prior;
    const double alpha = a0 * (c.a + c.b) / (n_a + n_b);
    const double ya = c.a;
    const double yb = c.b;
    const double d = std::log((ya + alpha) / (n_a + a0 - ya - alpha)) -
                     std::log((yb + alpha) / (n_b + a0 - yb - alpha));
    const double var = 1.0 / (ya + alpha) + 1.0 / (yb + alpha);
    *z = d / std::sqrt(var);
    return d;
  };
  auto make_term = [&](const Cand& c) {
    Term t;
    t.text = text_of(c.key);
    t.n = gram_len(c.key);
    t.df = c.c.df;
    t.share =
        res.documents > 0 ? static_cast<double>(c.c.df) / static_cast<double>(res.documents) : 0;
    t.bg_df = c.c.b;
    if (have_bg) t.log_odds = log_odds(c.c, &t.z);
    return t;
  };
  auto by_df = [&](const Cand& x, const Cand& y) {
    if (x.c.df != y.c.df) return x.c.df > y.c.df;
    return text_less(x.key, y.key);
  };
  auto top_of = [&](HugeVector<Cand>& v, std::vector<Term>& out) {
    const std::size_t k = std::min(o.top, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), by_df);
    for (std::size_t i = 0; i < k; ++i) out.push_back(make_term(v[i]));
  };
  top_of(uni, res.keywords);
  top_of(multi, res.phrases);
  res.min_z = o.min_z;
  if (have_bg) {
    struct Scored {
      double z;
      const Cand* c;
    };
    HugeVector<Scored> all;
    all.reserve(uni.size() + multi.size());
    for (const HugeVector<Cand>* v : {&uni, &multi}) {
      for (const Cand& c : *v) {
        if (static_cast<int>(c.c.a) >= o.min_df) {
          double z = 0;
          log_odds(c.c, &z);
          ++res.distinctive_tested;
          if (z >= o.min_z) all.push_back({z, &c});
        }
      }
    }
    const std::size_t k = std::min(o.top, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                      [&](const Scored& x, const Scored& y) {
                        if (x.z != y.z) return x.z > y.z;
                        return text_less(x.c->key, y.c->key);
                      });
    for (std::size_t i = 0; i < k; ++i) res.distinctive.push_back(make_term(*all[i].c));
  }

  step_done("rank");
  // Trends: per-year document share of the top keywords and phrases.
  std::vector<std::uint64_t> trend_keys;
  auto add_trend = [&](const HugeVector<Cand>& v, std::size_t k) {
    for (std::size_t i = 0; i < std::min(k, v.size()); ++i) trend_keys.push_back(v[i].key);
  };
  add_trend(uni, std::min<std::size_t>(o.top, 10));
  add_trend(multi, std::min<std::size_t>(o.top, 5));
  if (!years.empty() && !trend_keys.empty()) {
    // Only positions whose token starts a trend gram need looking at.
    std::vector<std::uint8_t> starts(key_text.size(), 0);
    for (std::uint64_t g : trend_keys) starts[gram_token(g, gram_len(g), 0)] = 1;
    // Each thread counts its shard's documents; the counts are summed afterwards.
    std::vector<std::vector<long long>> counts(trend_keys.size(),
                                               std::vector<long long>(years.size(), 0));
    std::vector<decltype(counts)> part(threads, counts);
    parallel(threads, [&](std::size_t th) {
      const Shard& s = shards[th];
      auto& mine = part[th];
      std::vector<std::size_t> seen(trend_keys.size(), 0);  // document stamp per trend gram
      for (std::size_t k = 0; k < s.count; ++k) {
        const std::size_t d = s.first + k;
        if (d >= n_fg || doc_year[d] == 0) continue;
        const auto yi = static_cast<std::size_t>(
            std::lower_bound(years.begin(), years.end(), doc_year[d]) - years.begin());
        const std::uint32_t* ids = s.tokens.data() + s.start[k];
        const std::size_t len = s.start[k + 1] - s.start[k];
        for (std::size_t i = 0; i < len; ++i) {
          if (ids[i] > kMaxId || starts[ids[i]] == 0) continue;
          std::uint64_t g = 0;
          for (std::size_t n = 1; n <= static_cast<std::size_t>(max_n) && i + n <= len; ++n) {
            const std::uint32_t last = ids[i + n - 1];
            if (last == 0 || last > kMaxId) break;
            g = (g << kIdBits) | last;
            if (is_stop[last] != 0) continue;
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
    for (std::size_t t = 0; t < trend_keys.size(); ++t) {
      TrendRow row;
      row.term = text_of(trend_keys[t]);
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
  step_done("trends");
  return res;
}

}  // namespace rlab::litsearch

namespace rlab::litsearch {

std::string normalise_title(const std::string& title) {
  const std::string t = to_lower(nfkc(strip_markup(title)));
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < t.size();) {
    const std::size_t start = i;
    const UChar32 cp = next_cp(t, i);
    if (word_cp(cp)) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out.append(t, start, i - start);
    } else {
      space = true;
    }
  }
  return out;
}

}  // namespace rlab::litsearch
