// Keyword analysis: tokenising (NFKC, HTML/TeX stripped, compounds and acronyms kept), stop
// lists, optional Snowball stemming, 1..3-gram phrases, document frequency, log-odds against a
// background, per-year trends.
#include "rlab/litsearch.h"

#include <libstemmer.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
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
UChar32 next_cp(const std::string& s, std::size_t& i) {
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

// Open-addressing table: 64-bit n-gram key -> counts. Key 0 is never used (ids start at 1).
struct Counts {
  std::uint32_t df = 0;  // foreground documents
  std::uint32_t a = 0;   // log-odds group A (foreground, or recent years)
  std::uint32_t b = 0;   // log-odds group B (background, or earlier years)
};

class GramTable {
 public:
  GramTable() { resize(1u << 16); }
  Counts& at(std::uint64_t key) {
    if ((size_ + 1) * 10 > keys_.size() * 7) resize(keys_.size() * 2);
    std::size_t i = hash(key) & (keys_.size() - 1);
    while (keys_[i] != 0 && keys_[i] != key) i = (i + 1) & (keys_.size() - 1);
    if (keys_[i] == 0) {
      keys_[i] = key;
      ++size_;
    }
    return vals_[i];
  }
  const Counts* find(std::uint64_t key) const {
    std::size_t i = hash(key) & (keys_.size() - 1);
    while (keys_[i] != 0) {
      if (keys_[i] == key) return &vals_[i];
      i = (i + 1) & (keys_.size() - 1);
    }
    return nullptr;
  }
  template <typename F>
  void each(F f) const {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != 0) f(keys_[i], vals_[i]);
    }
  }

 private:
  static std::size_t hash(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<std::size_t>(k);
  }
  void resize(std::size_t n) {
    std::vector<std::uint64_t> ok = std::move(keys_);
    std::vector<Counts> ov = std::move(vals_);
    keys_.assign(n, 0);
    vals_.assign(n, Counts{});
    size_ = 0;
    for (std::size_t i = 0; i < ok.size(); ++i) {
      if (ok[i] != 0) at(ok[i]) = ov[i];
    }
  }
  std::vector<std::uint64_t> keys_;
  std::vector<Counts> vals_;
  std::size_t size_ = 0;
};

constexpr std::uint64_t kIdBits = 21;
constexpr std::uint32_t kMaxId = (1u << kIdBits) - 1;

std::uint64_t gram_key(const std::uint32_t* ids, int n) {
  std::uint64_t k = 0;
  for (int i = 0; i < n; ++i) k = (k << kIdBits) | ids[i];
  return k;
}

int gram_len(std::uint64_t key) {
  int n = 0;
  while (key != 0) {
    ++n;
    key >>= kIdBits;
  }
  return n;
}

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

std::vector<std::string> tokenize(const std::string& raw) {
  const std::string text = nfkc(strip_markup(raw));
  const auto& stops = snowball_stopwords();
  std::vector<std::string> out;
  std::size_t i = 0;
  auto push_break = [&] {
    if (!out.empty() && !out.back().empty()) out.emplace_back();
  };
  while (i < text.size()) {
    std::size_t start = i;
    UChar32 cp = next_cp(text, i);
    if (!word_cp(cp)) {
      // Clause punctuation breaks phrases; spaces, quotes-as-apostrophes and dashes do not.
      if (cp == '.' || cp == ',' || cp == ';' || cp == ':' || cp == '!' || cp == '?' || cp == '(' ||
          cp == ')' || cp == '[' || cp == ']' || cp == '"' || cp == '/' || cp == 0x2014 ||
          cp == 0x2013 || cp == 0x201C || cp == 0x201D) {
        push_break();
      }
      continue;
    }
    // A word: alnum runs joined by single hyphens (compounds) or an apostrophe (it's).
    std::size_t end = i;
    while (end < text.size()) {
      std::size_t j = end;
      UChar32 c2 = next_cp(text, j);
      if (word_cp(c2)) {
        end = j;
        continue;
      }
      if ((c2 == '-' || c2 == 0x2010 || c2 == 0x2011 || c2 == '\'' || c2 == 0x2019) &&
          j < text.size()) {
        std::size_t k = j;
        if (word_cp(next_cp(text, k))) {
          end = j;
          continue;
        }
      }
      break;
    }
    std::string word = text.substr(start, end - start);
    i = end;
    // Normalise typographic hyphens/apostrophes.
    for (const char* from : {"\xE2\x80\x90", "\xE2\x80\x91"}) {
      for (auto p = word.find(from); p != std::string::npos; p = word.find(from))
        word.replace(p, 3, "-");
    }
    for (auto p = word.find("\xE2\x80\x99"); p != std::string::npos; p = word.find("\xE2\x80\x99"))
      word.replace(p, 3, "'");
    // Possessive 's is dropped.
    if (word.size() > 2 && word.compare(word.size() - 2, 2, "'s") == 0)
      word.resize(word.size() - 2);
    bool digits_only = true;
    bool has_alpha = false;
    bool all_upper = true;
    std::size_t letters = 0;
    for (unsigned char c : word) {
      if (std::isalpha(c) != 0 || c >= 0x80) {
        has_alpha = true;
        ++letters;
        if (c < 0x80 && std::isupper(c) == 0) all_upper = false;
        if (c >= 0x80) all_upper = false;
      }
      if (std::isdigit(c) == 0 && c != '-' && c != '\'') digits_only = false;
    }
    if (digits_only || !has_alpha) {
      push_break();
      continue;
    }
    const bool acronym =
        all_upper && letters == word.size() && word.size() >= 2 && word.size() <= 5;
    std::string lw = to_lower(word);
    std::size_t cps = 0;
    for (std::size_t k = 0; k < lw.size();) {
      next_cp(lw, k);
      ++cps;
    }
    if (cps < 3 && !acronym) {
      if (stops.count(lw) != 0) {
        out.push_back(lw);  // a short stop word may sit inside a phrase
      } else {
        push_break();
      }
      continue;
    }
    out.push_back(std::move(lw));
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

AnalysisResult analyse(const std::vector<Paper>& papers, const AnalysisOptions& o,
                       const std::vector<Paper>* background) {
  AnalysisResult res;
  const int max_n = std::clamp(o.max_ngram, 1, 3);
  std::set<std::string> stop = snowball_stopwords();
  if (o.boilerplate) stop.insert(boilerplate_stopwords().begin(), boilerplate_stopwords().end());
  stop.insert(o.extra_stopwords.begin(), o.extra_stopwords.end());

  auto stemmer = make_stemmer();
  // Vocabulary: id 0 = break, ids >= 1 tokens (stemmed when stemming). Stop flag per id.
  std::unordered_map<std::string, std::uint32_t> vocab;
  std::vector<std::string> key_text = {""};
  std::vector<bool> is_stop = {true};
  std::vector<std::unordered_map<std::string, long long>> surfaces = {{}};
  std::unordered_map<std::string, std::uint32_t> surface_id;  // surface -> id cache
  auto intern = [&](const std::string& surface) -> std::uint32_t {
    auto it = surface_id.find(surface);
    if (it != surface_id.end()) {
      if (o.stem) surfaces[it->second][surface]++;
      return it->second;
    }
    std::string key = surface;
    if (o.stem && stemmer && stop.count(surface) == 0) {
      const sb_symbol* s =
          sb_stemmer_stem(stemmer.get(), reinterpret_cast<const sb_symbol*>(surface.data()),
                          static_cast<int>(surface.size()));
      if (s != nullptr)
        key.assign(reinterpret_cast<const char*>(s),
                   static_cast<std::size_t>(sb_stemmer_length(stemmer.get())));
    }
    auto [vit, inserted] = vocab.emplace(key, static_cast<std::uint32_t>(key_text.size()));
    if (inserted) {
      key_text.push_back(key);
      is_stop.push_back(stop.count(surface) != 0 || stop.count(key) != 0);
      surfaces.emplace_back();
    }
    surface_id.emplace(surface, vit->second);
    if (o.stem) surfaces[vit->second][surface]++;
    return vit->second;
  };

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

  // Pass 1 tokenises every document once into ids; pass 2 marks n-grams seen in >= 2
  // foreground documents in a byte sketch (most 3-grams occur once, so the exact table stays
  // small); pass 3 counts the marked n-grams exactly. A gram with df >= 2 always passes the
  // sketch (collisions only let extra grams through, whose counts are still exact).
  std::vector<std::uint32_t> doc_tokens;  // all documents, foreground then background
  std::vector<std::size_t> doc_start;
  std::vector<std::size_t> doc_len;
  std::vector<int> doc_year;
  std::vector<int> doc_group;  // 0 foreground (A), 1 foreground older (B), 2 background (B)
  GramTable table;
  std::vector<std::uint64_t> grams;
  auto collect_doc = [&](const Paper& p, int group) {
    std::string text = o.use_title ? p.title : "";
    if (p.abstract) text += (text.empty() ? "" : " . ") + *p.abstract;
    const std::vector<std::string> toks = tokenize(text);
    doc_start.push_back(doc_tokens.size());
    doc_len.push_back(toks.size());
    for (const auto& t : toks) doc_tokens.push_back(t.empty() ? 0 : intern(t));
    doc_year.push_back(p.year ? *p.year : 0);
    doc_group.push_back(group);
  };
  auto doc_grams = [&](std::size_t d) {
    grams.clear();
    const std::uint32_t* ids = doc_tokens.data() + doc_start[d];
    const std::size_t len = doc_len[d];
    for (std::size_t i = 0; i < len; ++i) {
      if (ids[i] == 0 || ids[i] > kMaxId || is_stop[ids[i]])
        continue;  // never start with a stop word
      for (int n = 1; n <= max_n && i + static_cast<std::size_t>(n) <= len; ++n) {
        const std::uint32_t last = ids[i + static_cast<std::size_t>(n) - 1];
        if (last == 0 || last > kMaxId) break;
        if (is_stop[last]) continue;  // nor end with one
        grams.push_back(gram_key(&ids[i], n));
      }
    }
    std::sort(grams.begin(), grams.end());
    grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
  };
  long long docs_a = 0;
  long long docs_b = 0;
  for (const Paper& p : papers) {
    ++res.documents;
    if (!p.abstract) ++res.null_abstracts;
    if (p.year) {
      const auto it = std::lower_bound(years.begin(), years.end(), *p.year);
      res.docs_per_year[static_cast<std::size_t>(it - years.begin())]++;
    }
    const bool older = split && p.year && *p.year <= *split;
    collect_doc(p, older ? 1 : 0);
    if (older) {
      ++docs_b;
    } else {
      ++docs_a;
    }
  }
  const std::size_t n_fg = doc_start.size();
  if (background != nullptr) {
    docs_a = res.documents;
    docs_b = 0;
    for (const Paper& p : *background) {
      collect_doc(p, 2);
      ++docs_b;
    }
  }
  std::vector<std::uint8_t> sketch;
  std::size_t mask = 0;
  if (o.min_df >= 2) {
    std::size_t size = 1u << 16;
    while (size < doc_tokens.size() * 4 && size < (std::size_t{1} << 27)) size <<= 1;
    sketch.assign(size, 0);
    mask = size - 1;
    for (std::size_t d = 0; d < n_fg; ++d) {
      doc_grams(d);
      for (std::uint64_t g : grams) {
        std::uint8_t& c = sketch[(g * 0x9E3779B97F4A7C15ULL >> 20) & mask];
        if (c < 2) ++c;
      }
    }
  }
  const bool grouped = background != nullptr || split.has_value();
  for (std::size_t d = 0; d < doc_start.size(); ++d) {
    doc_grams(d);
    const int group = doc_group[d];
    for (std::uint64_t g : grams) {
      if (!sketch.empty() && sketch[(g * 0x9E3779B97F4A7C15ULL >> 20) & mask] < 2) continue;
      Counts& c = table.at(g);
      if (group == 2) {
        ++c.b;
        continue;
      }
      ++c.df;
      if (grouped) (group == 1 ? c.b : c.a)++;
    }
  }
  res.background_documents = res.background.empty() ? 0 : docs_b;

  // Display text of an n-gram: each token's key, or its most frequent surface when stemming.
  std::vector<std::string> display(key_text.size());
  for (std::size_t id = 1; id < key_text.size(); ++id) {
    if (!o.stem) {
      display[id] = key_text[id];
      continue;
    }
    long long best = -1;
    for (const auto& [s, n] : surfaces[id]) {
      if (n > best || (n == best && s < display[id])) {
        best = n;
        display[id] = s;
      }
    }
  }
  auto text_of = [&](std::uint64_t key) {
    const int n = gram_len(key);
    std::string s;
    for (int i = n - 1; i >= 0; --i) {
      const auto id =
          static_cast<std::uint32_t>((key >> (kIdBits * static_cast<unsigned>(i))) & kMaxId);
      s += (s.empty() ? "" : " ") + display[id];
    }
    return s;
  };

  // Candidates, log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008)
  // over document frequencies.
  struct Cand {
    std::uint64_t key;
    Counts c;
  };
  std::vector<Cand> cands;
  double n_a = 0;
  double n_b = 0;
  table.each([&](std::uint64_t k, const Counts& c) {
    if (static_cast<int>(c.df) >= o.min_df) {
      cands.push_back({k, c});
      n_a += c.a;
      n_b += c.b;
    }
  });
  const bool have_bg = !res.background.empty() && n_a > 0 && n_b > 0;
  auto make_term = [&](const Cand& c) {
    Term t;
    t.text = text_of(c.key);
    t.n = gram_len(c.key);
    t.df = c.c.df;
    t.share =
        res.documents > 0 ? static_cast<double>(c.c.df) / static_cast<double>(res.documents) : 0;
    t.bg_df = c.c.b;
    if (have_bg) {
      const double a0 = o.prior;
      const double alpha = a0 * (c.c.a + c.c.b) / (n_a + n_b);
      const double ya = c.c.a;
      const double yb = c.c.b;
      const double d = std::log((ya + alpha) / (n_a + a0 - ya - alpha)) -
                       std::log((yb + alpha) / (n_b + a0 - yb - alpha));
      const double var = 1.0 / (ya + alpha) + 1.0 / (yb + alpha);
      t.log_odds = d;
      t.z = d / std::sqrt(var);
    }
    return t;
  };
  auto by_df = [&](const Cand& x, const Cand& y) {
    if (x.c.df != y.c.df) return x.c.df > y.c.df;
    return text_of(x.key) < text_of(y.key);
  };
  std::vector<Cand> uni;
  std::vector<Cand> multi;
  for (const Cand& c : cands) (gram_len(c.key) == 1 ? uni : multi).push_back(c);
  auto top_of = [&](std::vector<Cand>& v, std::vector<Term>& out) {
    const std::size_t k = std::min(o.top, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), by_df);
    for (std::size_t i = 0; i < k; ++i) out.push_back(make_term(v[i]));
  };
  top_of(uni, res.keywords);
  top_of(multi, res.phrases);
  if (have_bg) {
    std::vector<Term> all;
    all.reserve(cands.size());
    for (const Cand& c : cands) {
      if (static_cast<int>(c.c.a) >= o.min_df) all.push_back(make_term(c));
    }
    const std::size_t k = std::min(o.top, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                      [](const Term& x, const Term& y) {
                        if (x.z != y.z) return x.z > y.z;
                        return x.text < y.text;
                      });
    all.resize(k);
    res.distinctive = std::move(all);
  }

  // Trends: per-year document share of the top keywords and phrases.
  std::vector<std::uint64_t> trend_keys;
  std::vector<std::string> trend_text;
  auto add_trend = [&](const std::vector<Cand>& v, std::size_t k) {
    for (std::size_t i = 0; i < std::min(k, v.size()); ++i) {
      trend_keys.push_back(v[i].key);
      trend_text.push_back(text_of(v[i].key));
    }
  };
  add_trend(uni, std::min<std::size_t>(o.top, 10));
  add_trend(multi, std::min<std::size_t>(o.top, 5));
  if (!years.empty() && !trend_keys.empty()) {
    std::unordered_map<std::uint64_t, std::size_t> index;
    for (std::size_t i = 0; i < trend_keys.size(); ++i) index.emplace(trend_keys[i], i);
    std::vector<std::vector<long long>> counts(trend_keys.size(),
                                               std::vector<long long>(years.size(), 0));
    for (std::size_t d = 0; d < n_fg; ++d) {
      if (doc_year[d] == 0) continue;
      const auto yi = static_cast<std::size_t>(
          std::lower_bound(years.begin(), years.end(), doc_year[d]) - years.begin());
      doc_grams(d);
      grams.erase(std::remove_if(grams.begin(), grams.end(),
                                 [&](std::uint64_t g) { return index.count(g) == 0; }),
                  grams.end());
      for (std::uint64_t g : grams) counts[index[g]][yi]++;
    }
    for (std::size_t t = 0; t < trend_keys.size(); ++t) {
      TrendRow row;
      row.term = trend_text[t];
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
