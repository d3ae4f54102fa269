// The tokenizer of the keyword analysis: markup stripped (HTML/JATS tags and entities, TeX),
// NFKC and lower case, hyphenated compounds and short acronyms kept, clause punctuation as
// breaks; the stop lists, plural folding, title normalisation for deduplication, and pass 1 of
// the analysis (every document into shard-local token ids).
#include "rlab/litsearch.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "corpus.h"

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

namespace detail {

void tokenise_shards(std::vector<Shard>& shards, const Documents& docs, bool use_title) {
  parallel(shards.size(), [&](std::size_t t) {
    Shard& s = shards[t];
    std::string text;
    std::string buf;
    std::string lw;
    s.start.reserve(s.count + 1);
    // English text has about one token per 6 bytes; reserving for one per 4 keeps the array
    // from being copied as it grows (untouched pages cost nothing).
    s.tokens.reserve(s.bytes / 4 + s.count);
    for (std::size_t d = s.first; d < s.first + s.count; ++d) {
      const Paper& p = docs[d];
      text.clear();
      if (use_title) text = p.title;
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
}

}  // namespace detail

}  // namespace rlab::litsearch
