// Exports: CSV, JSON, JSONL, BibTeX, RIS, one-page Markdown summaries, SVG trend chart; and
// reading rlab's own JSON/JSONL back.
#include "rlab/chart.h"
#include "rlab/error.h"
#include "rlab/huge_pages.h"
#include "rlab/litsearch.h"
#include "rlab/output.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <exception>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

namespace rlab::litsearch {

using nlohmann::json;

namespace {

json paper_json(const Paper& p) {
  json j;
  j["paperId"] = p.paper_id;
  j["openalexId"] = p.openalex_id.empty() ? json(nullptr) : json(p.openalex_id);
  j["source"] = p.source;
  j["doi"] = p.doi.empty() ? json(nullptr) : json(p.doi);
  j["arxiv"] = p.arxiv.empty() ? json(nullptr) : json(p.arxiv);
  j["title"] = p.title;
  j["abstract"] = p.abstract ? json(*p.abstract) : json(nullptr);
  j["year"] = p.year ? json(*p.year) : json(nullptr);
  j["publicationDate"] = p.publication_date.empty() ? json(nullptr) : json(p.publication_date);
  j["venue"] = p.venue;
  j["citationCount"] = p.citations ? json(*p.citations) : json(nullptr);
  j["authors"] = p.authors;
  j["fieldsOfStudy"] = p.fields_of_study;
  j["url"] = p.url;
  if (!p.bibtex.empty()) j["bibtex"] = p.bibtex;
  return j;
}

std::string s_of(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Paper paper_from_json(const json& j) {
  Paper p;
  p.paper_id = s_of(j, "paperId");
  p.openalex_id = s_of(j, "openalexId");
  p.source = s_of(j, "source");
  p.doi = s_of(j, "doi");
  p.arxiv = s_of(j, "arxiv");
  p.title = s_of(j, "title");
  if (j.contains("abstract") && j["abstract"].is_string())
    p.abstract = j["abstract"].get<std::string>();
  if (j.contains("year") && j["year"].is_number_integer()) p.year = j["year"].get<int>();
  p.publication_date = s_of(j, "publicationDate");
  p.venue = s_of(j, "venue");
  if (j.contains("citationCount") && j["citationCount"].is_number_integer())
    p.citations = j["citationCount"].get<long long>();
  for (const char* k : {"authors", "fieldsOfStudy"}) {
    if (j.contains(k) && j[k].is_array()) {
      for (const auto& a : j[k]) {
        if (a.is_string())
          (std::string(k) == "authors" ? p.authors : p.fields_of_study)
              .push_back(a.get<std::string>());
      }
    }
  }
  p.url = s_of(j, "url");
  p.bibtex = s_of(j, "bibtex");
  return p;
}

// One JSON Lines record parsed straight into a Paper (the fields paper_from_json reads, same
// rules: later duplicate keys win, a field of the wrong type counts as absent). It accepts only
// input it fully validates as JSON (UTF-8 checked as RFC 3629, escapes and surrogate pairs,
// number grammar); on anything else, including integers too long for an int, it returns false
// and the caller parses the line with nlohmann::json, which then decides.
class FastRecord {
 public:
  FastRecord(const char* begin, const char* end) : p_(begin), e_(end) {}

  bool parse(Paper& paper) {
    ws();
    if (!eat('{')) return false;
    ws();
    if (eat('}')) return done();
    std::string key;
    while (true) {
      if (!string(&key)) return false;
      ws();
      if (!eat(':')) return false;
      ws();
      if (!field(key, paper)) return false;
      ws();
      if (eat(',')) {
        ws();
        continue;
      }
      if (eat('}')) return done();
      return false;
    }
  }

 private:
  bool done() {
    ws();
    return p_ == e_;
  }
  void ws() {
    while (p_ < e_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool eat(char c) {
    if (p_ < e_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool literal(const char* word) {
    for (; *word != '\0'; ++word) {
      if (!eat(*word)) return false;
    }
    return true;
  }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // A string value; out == nullptr skips it.
  bool string(std::string* out) {
    if (!eat('"')) return false;
    if (out != nullptr) out->clear();
    const char* run = p_;
    auto flush = [&] {
      if (out != nullptr) out->append(run, static_cast<std::size_t>(p_ - run));
    };
    while (p_ < e_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        flush();
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        flush();
        ++p_;
        if (p_ == e_) return false;
        const char x = *p_++;
        std::uint32_t cp = 0;
        switch (x) {
          case '"':
          case '\\':
          case '/':
            cp = static_cast<unsigned char>(x);
            break;
          case 'b':
            cp = '\b';
            break;
          case 'f':
            cp = '\f';
            break;
          case 'n':
            cp = '\n';
            break;
          case 'r':
            cp = '\r';
            break;
          case 't':
            cp = '\t';
            break;
          case 'u': {
            if (!hex4(&cp)) return false;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              std::uint32_t lo = 0;
              if (!eat('\\') || !eat('u') || !hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            break;
          }
          default:
            return false;
        }
        if (out != nullptr) append_utf8(*out, cp);
        run = p_;
        continue;
      }
      if (c >= 0x80) {
        if (!utf8()) return false;
        continue;
      }
      ++p_;
    }
    return false;
  }
  bool hex4(std::uint32_t* v) {
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      if (p_ == e_) return false;
      const char c = *p_++;
      *v <<= 4;
      if (digit(c)) {
        *v |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        *v |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        *v |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }
  static void append_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  // One well-formed UTF-8 sequence (RFC 3629: no overlongs, surrogates or values > U+10FFFF).
  bool utf8() {
    const auto c = static_cast<unsigned char>(*p_);
    int n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (e_ - p_ <= n) return false;
    for (int k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(p_[k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    p_ += n + 1;
    return true;
  }
  // A number; *integer tells whether JSON reads it as an integer (no fraction or exponent).
  // Integers of more than 9 digits are left to nlohmann (false).
  bool number(long long* value, bool* integer) {
    const bool neg = eat('-');
    const char* digits = p_;
    if (eat('0')) {
    } else if (p_ < e_ && *p_ >= '1' && *p_ <= '9') {
      while (p_ < e_ && digit(*p_)) ++p_;
    } else {
      return false;
    }
    const auto n_digits = p_ - digits;
    *integer = true;
    if (eat('.')) {
      *integer = false;
      if (!(p_ < e_ && digit(*p_))) return false;
      while (p_ < e_ && digit(*p_)) ++p_;
    }
    if (p_ < e_ && (*p_ == 'e' || *p_ == 'E')) {
      *integer = false;
      ++p_;
      if (p_ < e_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!(p_ < e_ && digit(*p_))) return false;
      while (p_ < e_ && digit(*p_)) ++p_;
    }
    if (!*integer) return false;  // floats (and their overflow rules) are left to nlohmann
    {
      if (n_digits > 9) return false;
      long long v = 0;
      for (const char* d = digits; d < digits + n_digits; ++d) v = v * 10 + (*d - '0');
      *value = neg ? -v : v;
    }
    return true;
  }
  bool skip(int depth) {
    if (depth > 256 || p_ == e_) return false;
    switch (*p_) {
      case '"':
        return string(nullptr);
      case '{': {
        ++p_;
        ws();
        if (eat('}')) return true;
        while (true) {
          if (!string(nullptr)) return false;
          ws();
          if (!eat(':')) return false;
          ws();
          if (!skip(depth + 1)) return false;
          ws();
          if (eat(',')) {
            ws();
            continue;
          }
          return eat('}');
        }
      }
      case '[': {
        ++p_;
        ws();
        if (eat(']')) return true;
        while (true) {
          if (!skip(depth + 1)) return false;
          ws();
          if (eat(',')) {
            ws();
            continue;
          }
          return eat(']');
        }
      }
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default: {
        long long v = 0;
        bool integer = false;
        return number(&v, &integer);
      }
    }
  }
  // A string field: the string, or "" for any other value.
  bool text(std::string& field) {
    if (p_ < e_ && *p_ == '"') return string(&field);
    field.clear();
    return skip(0);
  }
  bool whole(std::optional<long long>& field) {
    field.reset();
    if (p_ < e_ && (*p_ == '-' || digit(*p_))) {
      long long v = 0;
      bool integer = false;
      if (!number(&v, &integer)) return false;
      if (integer) field = v;
      return true;
    }
    return skip(0);
  }
  // An array's string elements (other elements ignored); anything else gives none.
  bool strings(std::vector<std::string>& field) {
    field.clear();
    if (!(p_ < e_ && *p_ == '[')) return skip(0);
    ++p_;
    ws();
    if (eat(']')) return true;
    while (true) {
      if (p_ < e_ && *p_ == '"') {
        field.emplace_back();
        if (!string(&field.back())) return false;
      } else if (!skip(1)) {
        return false;
      }
      ws();
      if (eat(',')) {
        ws();
        continue;
      }
      return eat(']');
    }
  }
  bool field(const std::string& key, Paper& p) {
    if (key == "paperId") return text(p.paper_id);
    if (key == "openalexId") return text(p.openalex_id);
    if (key == "source") return text(p.source);
    if (key == "doi") return text(p.doi);
    if (key == "arxiv") return text(p.arxiv);
    if (key == "title") return text(p.title);
    if (key == "publicationDate") return text(p.publication_date);
    if (key == "venue") return text(p.venue);
    if (key == "url") return text(p.url);
    if (key == "bibtex") return text(p.bibtex);
    if (key == "abstract") {
      p.abstract.reset();
      if (p_ < e_ && *p_ == '"') {
        p.abstract.emplace();
        return string(&*p.abstract);
      }
      return skip(0);
    }
    if (key == "year") {
      std::optional<long long> y;
      if (!whole(y)) return false;
      p.year.reset();
      if (y) p.year = static_cast<int>(*y);
      return true;
    }
    if (key == "citationCount") return whole(p.citations);
    if (key == "authors") return strings(p.authors);
    if (key == "fieldsOfStudy") return strings(p.fields_of_study);
    return skip(0);
  }

  const char* p_;
  const char* e_;
};

json term_json(const Term& t, bool with_bg) {
  json j = {{"term", t.text}, {"n", t.n}, {"df", t.df}, {"share", t.share}};
  if (with_bg) {
    j["background_df"] = t.bg_df;
    j["log_odds"] = t.log_odds;
    j["z"] = t.z;
  }
  return j;
}

// ASCII letters of the first author's surname (last word), lower case.
std::string ascii_word(const std::string& s) {
  std::string r;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0) r += static_cast<char>(std::tolower(c));
  }
  return r;
}

std::string bib_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    switch (c) {
      case '&':
        r += "\\&";
        break;
      case '%':
        r += "\\%";
        break;
      case '$':
        r += "\\$";
        break;
      case '#':
        r += "\\#";
        break;
      case '_':
        r += "\\_";
        break;
      case '{':
        r += "\\{";
        break;
      case '}':
        r += "\\}";
        break;
      case '~':
        r += "\\textasciitilde{}";
        break;
      case '^':
        r += "\\textasciicircum{}";
        break;
      case '\\':
        r += "\\textbackslash{}";
        break;
      case '\n':
      case '\r':
      case '\t':
        r += ' ';
        break;
      default:
        r += c;
    }
  }
  return r;
}

std::string one_line(const std::string& s) {
  std::string r;
  for (char c : s) r += (c == '\n' || c == '\r') ? ' ' : c;
  return r;
}

}  // namespace

std::string to_csv(const std::vector<Paper>& papers) {
  Table t;
  t.headers = {"paperId",   "doi",     "title",  "year", "venue",
               "citations", "authors", "source", "url",  "abstract"};
  for (const Paper& p : papers) {
    t.rows.push_back({p.paper_id, p.doi, p.title, p.year ? std::to_string(*p.year) : "", p.venue,
                      p.citations ? std::to_string(*p.citations) : "", join(p.authors, "; "),
                      p.source, p.url, p.abstract ? *p.abstract : ""});
  }
  return render_csv(t);
}

namespace {

// A dump(2) text moved `depth` levels in: every line after the first gets 2 * depth more spaces
// (a dump holds newlines only between lines; those inside strings are escaped).
void append_indented(std::string& out, const std::string& text, std::size_t depth) {
  std::size_t from = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', from)) {
    out.append(text, from, nl + 1 - from);
    out.append(2 * depth, ' ');
    from = nl + 1;
  }
  out.append(text, from, std::string::npos);
}

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, surrogates or code points
// past U+10FFFF) that starts s[i], a byte >= 0x80; 0 when there is none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  const auto tail = [&](std::size_t k) { return (at(k) & 0xC0u) == 0x80u; };
  const unsigned b = at(0);
  if (b >= 0xC2 && b <= 0xDF) return tail(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const unsigned lo = b == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b == 0xED ? 0x9F : 0xBF;
    return at(1) >= lo && at(1) <= hi && tail(2) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const unsigned lo = b == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b == 0xF4 ? 0x8F : 0xBF;
    return at(1) >= lo && at(1) <= hi && tail(2) && tail(3) ? 4 : 0;
  }
  return 0;
}

// Appends s as a JSON string the way nlohmann::json's dump writes it (UTF-8 as it is; quote,
// backslash and control characters escaped, \u00xx in lower case for those without a short
// form). False, with `out` unspecified, when s is not UTF-8: the caller then lets nlohmann
// report it.
bool append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet appended
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_length(s, i);
      if (n == 0) return false;
      i += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s, run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    run = ++i;
  }
  out.append(s, run, std::string_view::npos);
  out += '"';
  return true;
}

// One paper as paper_json(p).dump(2) writes it `depth` levels deep (its opening brace already
// placed), or as dump() when !pretty; written directly, since building the json value and
// dumping it is most of the time of a 100,000-paper export. False when a text is not UTF-8.
bool append_paper(std::string& out, const Paper& p, bool pretty, std::size_t depth) {
  const std::string pad = pretty ? "\n" + std::string(2 * depth + 2, ' ') : "";
  bool first = true;
  bool ok = true;
  auto key = [&](const char* k) {
    out += first ? "{" : ",";
    first = false;
    out += pad;
    out += '"';
    out += k;
    out += pretty ? "\": " : "\":";
  };
  auto text = [&](const char* k, const std::string& v) {
    key(k);
    ok = ok && append_json_string(out, v);
  };
  auto text_or_null = [&](const char* k, const std::string& v) {
    if (v.empty()) {
      key(k);
      out += "null";
    } else {
      text(k, v);
    }
  };
  auto list = [&](const char* k, const std::vector<std::string>& v) {
    key(k);
    if (v.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ',';
      if (pretty) out += pad + "  ";
      ok = ok && append_json_string(out, v[i]);
    }
    out += pad;
    out += ']';
  };
  // Keys in nlohmann's (std::map) order.
  if (p.abstract) {
    text("abstract", *p.abstract);
  } else {
    text_or_null("abstract", "");
  }
  text_or_null("arxiv", p.arxiv);
  list("authors", p.authors);
  if (!p.bibtex.empty()) text("bibtex", p.bibtex);
  key("citationCount");
  out += p.citations ? std::to_string(*p.citations) : "null";
  text_or_null("doi", p.doi);
  list("fieldsOfStudy", p.fields_of_study);
  text_or_null("openalexId", p.openalex_id);
  text("paperId", p.paper_id);
  text_or_null("publicationDate", p.publication_date);
  text("source", p.source);
  text("title", p.title);
  text("url", p.url);
  text("venue", p.venue);
  key("year");
  out += p.year ? std::to_string(*p.year) : "null";
  if (pretty) out += "\n" + std::string(2 * depth, ' ');
  out += '}';
  return ok;
}

// Appends one paper as dump(2) `depth` levels deep or dump(); texts that are not UTF-8 go
// through nlohmann, which throws its usual error for them.
void append_paper_or_fallback(std::string& out, const Paper& p, bool pretty, std::size_t depth) {
  const std::size_t mark = out.size();
  if (append_paper(out, p, pretty, depth)) return;
  out.resize(mark);
  if (pretty) {
    append_indented(out, paper_json(p).dump(2), depth);
  } else {
    out += paper_json(p).dump();
  }
}

// A string with room for `bytes`, on huge pages when it is large (see rlab/huge_pages.h).
std::string reserved(std::size_t bytes) {
  std::string s;
  s.reserve(bytes);
  advise_huge_pages(s.data(), s.capacity());
  return s;
}

// The papers of the "papers" array as dump(2) writes them one level deep, in consecutive
// parts formatted on several threads (a 100,000-paper document is 130 MB).
std::vector<std::string> paper_parts(const std::vector<Paper>& papers) {
  const std::size_t n_threads =
      papers.size() < 2000 ? 1 : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::string> parts(n_threads);
  auto work = [&](std::size_t t) {
    const std::size_t first = papers.size() * t / n_threads;
    const std::size_t last = papers.size() * (t + 1) / n_threads;
    std::size_t guess = 0;  // the texts plus ~400 bytes of keys and indentation per paper
    for (std::size_t i = first; i < last; ++i) {
      const Paper& p = papers[i];
      guess += 400 + p.title.size() + (p.abstract ? p.abstract->size() : 0) + p.bibtex.size() +
               p.url.size() + p.venue.size() + 12 * (p.authors.size() + p.fields_of_study.size());
      for (const std::string& a : p.authors) guess += a.size();
    }
    std::string& s = parts[t];
    s = reserved(guess + guess / 16);
    for (std::size_t i = first; i < last; ++i) {
      s += "    ";
      append_paper_or_fallback(s, papers[i], true, 2);
      s += i + 1 < papers.size() ? ",\n" : "\n";
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < n_threads; ++t) pool.emplace_back(work, t);
  std::exception_ptr error;
  try {
    work(0);
  } catch (...) {
    error = std::current_exception();
  }
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  return parts;
}

json analysis_json(const AnalysisResult& r) {
  const bool bg = !r.background.empty();
  json an;
  an["documents"] = r.documents;
  an["null_abstracts"] = r.null_abstracts;
  an["background"] = bg ? json(r.background) : json(nullptr);
  an["background_documents"] = r.background_documents;
  for (const auto& [key, list] :
       {std::pair<const char*, const std::vector<Term>*>{"keywords", &r.keywords},
        {"phrases", &r.phrases},
        {"distinctive", &r.distinctive}}) {
    an[key] = json::array();
    for (const Term& t : *list) an[key].push_back(term_json(t, bg));
  }
  an["years"] = r.years;
  an["docs_per_year"] = r.docs_per_year;
  an["trends"] = json::array();
  for (const TrendRow& row : r.trends) {
    an["trends"].push_back({{"term", row.term}, {"counts", row.counts}, {"shares", row.shares}});
  }
  return an;
}

}  // namespace

std::string to_json(const std::vector<Paper>& papers, const AnalysisResult* a) {
  return to_json(papers, a, {});
}

// The same bytes as building one nlohmann::json of everything and dump(2), without holding
// every paper as a json value: members in key order, each dumped on its own, the papers in
// parallel.
std::string to_json(const std::vector<Paper>& papers, const AnalysisResult* a,
                    const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> members = extra;
  if (a != nullptr) members["analysis"] = analysis_json(*a).dump(2);
  members["papers"].clear();
  std::vector<std::string> parts = paper_parts(papers);
  std::size_t size = 64;
  for (const auto& [key, text] : members) size += key.size() + text.size() + text.size() / 4;
  for (const std::string& part : parts) size += part.size();
  std::string out = reserved(size);
  out += "{\n";
  std::size_t i = 0;
  for (const auto& [key, text] : members) {
    out += "  " + json(key).dump() + ": ";
    if (key != "papers") {
      append_indented(out, text, 1);
    } else if (papers.empty()) {
      out += "[]";
    } else {
      out += "[\n";
      for (std::string& part : parts) {
        out += part;
        std::string().swap(part);  // freed as it is copied
      }
      out += "  ]";
    }
    out += ++i < members.size() ? ",\n" : "\n";
  }
  out += "}\n";
  return out;
}

std::string to_jsonl(const std::vector<Paper>& papers) {
  std::string s;
  for (const Paper& p : papers) {
    append_paper_or_fallback(s, p, false, 0);
    s += '\n';
  }
  return s;
}

std::vector<Paper> read_papers(std::string_view text, const std::string& name) {
  return read_papers(text, name, 0);
}

std::vector<Paper> read_papers(std::string_view text, const std::string& name, int threads) {
  std::vector<Paper> out;
  const json whole = json::parse(text.begin(), text.end(), nullptr, false);
  if (!whole.is_discarded()) {
    const json* list = nullptr;
    if (whole.is_array()) list = &whole;
    if (whole.is_object() && whole.contains("papers") && whole["papers"].is_array())
      list = &whole["papers"];
    if (whole.is_object() && whole.contains("data") && whole["data"].is_array())
      list = &whole["data"];
    if (list == nullptr && whole.is_object() && whole.contains("title")) {
      out.push_back(paper_from_json(whole));
      return out;
    }
    if (list == nullptr)
      throw InputError(name +
                       ":1:1: expected a JSON list of papers, an object with 'papers', or JSONL");
    for (const auto& j : *list) {
      if (j.is_object()) out.push_back(paper_from_json(j));
    }
    return out;
  }
  // JSON Lines: one paper per line, parsed in place (no line copies) straight into its slot of
  // one vector sized by a line count, in contiguous chunks of lines on up to `threads` threads;
  // blank lines are dropped afterwards and the first bad line (by number) is reported.
  std::size_t n_threads = threads > 0 ? static_cast<std::size_t>(threads)
                                      : std::max(1u, std::thread::hardware_concurrency());
  if (text.size() < (std::size_t{1} << 20)) n_threads = 1;
  std::vector<std::size_t> bounds = {0};
  for (std::size_t t = 1; t < n_threads; ++t) {
    std::size_t b = std::max(bounds.back(), text.size() * t / n_threads);
    const auto nl = text.find('\n', b == 0 ? 0 : b - 1);
    b = nl == std::string_view::npos ? text.size() : nl + 1;
    bounds.push_back(b);
  }
  bounds.push_back(text.size());
  struct Chunk {
    std::size_t first_line = 0;  // 0-based index of the chunk's first line
    std::size_t lines = 0;
    std::size_t bad_line = 0;  // 1-based within the chunk; 0: none
    std::exception_ptr error;
  };
  std::vector<Chunk> chunks(n_threads);
  auto lines_in = [&](std::size_t t) {
    const char* b = text.data() + bounds[t];
    const char* e = text.data() + bounds[t + 1];
    std::size_t n = static_cast<std::size_t>(std::count(b, e, '\n'));
    if (e > b && e[-1] != '\n') ++n;  // the last line without its newline
    return n;
  };
  std::size_t n_lines = 0;
  for (std::size_t t = 0; t < n_threads; ++t) {
    chunks[t].first_line = n_lines;
    n_lines += lines_in(t);
  }
  out.reserve(n_lines);
  advise_huge_pages(out.data(), n_lines * sizeof(Paper));  // 45 MB for 100,000 papers
  out.resize(n_lines);
  std::vector<std::uint8_t> used(n_lines, 0);
  auto work = [&](std::size_t t) {
    Chunk& c = chunks[t];
    try {
      std::size_t pos = bounds[t];
      const std::size_t end = bounds[t + 1];
      while (pos < end) {
        const auto nl = text.find('\n', pos);
        const std::size_t eol = nl == std::string_view::npos || nl > end ? end : nl;
        const std::size_t slot = c.first_line + c.lines;
        ++c.lines;
        const char* b = text.data() + pos;
        const char* e = text.data() + eol;
        pos = eol + 1;
        if (std::all_of(b, e, [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }))
          continue;
        used[slot] = 1;
        if (FastRecord(b, e).parse(out[slot])) continue;
        out[slot] = Paper{};
        json j = json::parse(b, e, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
          c.bad_line = c.lines;
          return;
        }
        out[slot] = paper_from_json(j);
      }
    } catch (...) {
      c.error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < n_threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (Chunk& c : chunks) {
    if (c.error) std::rethrow_exception(c.error);
    if (c.bad_line != 0) {
      throw InputError(name + ":" + std::to_string(c.first_line + c.bad_line) +
                       ":1: not a JSON object (expected one paper per line)");
    }
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < n_lines; ++i) {
    if (used[i] == 0) continue;
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.resize(kept);
  return out;
}

std::string to_bibtex(const std::vector<Paper>& papers) {
  std::map<std::string, int> used;
  std::string s;
  for (const Paper& p : papers) {
    std::string surname = p.authors.empty() ? "anon" : p.authors.front();
    const auto sp = surname.find_last_of(' ');
    if (sp != std::string::npos) surname = surname.substr(sp + 1);
    surname = ascii_word(surname);
    if (surname.empty()) surname = "anon";
    std::string word;
    std::istringstream tw(p.title);
    for (std::string w; tw >> w;) {
      const std::string a = ascii_word(w);
      if (a.size() > 3 && snowball_stopwords().count(a) == 0) {
        word = a;
        break;
      }
    }
    std::string key = surname + (p.year ? std::to_string(*p.year) : "nd") + word;
    const int k = used[key]++;
    if (k > 0) key += std::string(1, static_cast<char>('a' + std::min(k - 1, 25)));
    const bool article = !p.venue.empty();
    s += std::string(article ? "@article{" : "@misc{") + key + ",\n";
    auto field = [&](const char* name, const std::string& v) {
      if (!v.empty()) s += std::string("  ") + name + " = {" + v + "},\n";
    };
    field("title", "{" + bib_escape(p.title) + "}");
    field("author", bib_escape(join(p.authors, " and ")));
    if (p.year) field("year", std::to_string(*p.year));
    field(article ? "journal" : "howpublished", bib_escape(p.venue));
    field("doi", bib_escape(p.doi));
    if (!p.arxiv.empty()) {
      field("eprint", bib_escape(p.arxiv));
      field("archiveprefix", "arXiv");
    }
    field("url", bib_escape(p.url));
    if (!p.paper_id.empty())
      field("note", "Semantic Scholar/OpenAlex id " + bib_escape(p.paper_id));
    s += "}\n\n";
  }
  return s;
}

std::string to_ris(const std::vector<Paper>& papers) {
  std::string s;
  for (const Paper& p : papers) {
    s += std::string("TY  - ") + (p.venue.empty() ? "GEN" : "JOUR") + "\r\n";
    s += "TI  - " + one_line(p.title) + "\r\n";
    for (const auto& a : p.authors) s += "AU  - " + one_line(a) + "\r\n";
    if (p.year) s += "PY  - " + std::to_string(*p.year) + "\r\n";
    if (!p.publication_date.empty()) s += "DA  - " + p.publication_date + "\r\n";
    if (!p.venue.empty()) s += "JO  - " + one_line(p.venue) + "\r\n";
    if (!p.doi.empty()) s += "DO  - " + p.doi + "\r\n";
    if (!p.url.empty()) s += "UR  - " + p.url + "\r\n";
    if (p.abstract) s += "AB  - " + one_line(*p.abstract) + "\r\n";
    if (!p.paper_id.empty()) s += "ID  - " + p.paper_id + "\r\n";
    s += "ER  - \r\n\r\n";
  }
  return s;
}

std::string to_summary_markdown(const std::vector<Paper>& papers, const std::string& query) {
  std::string s = "# Paper evaluations";
  if (!query.empty()) s += ": " + query;
  s += "\n\n";
  for (const Paper& p : papers) {
    s += "## " + one_line(p.title) + "\n\n";
    s += "- **Authors:** " +
         (p.authors.empty() ? std::string("(unknown)") : join(p.authors, ", ")) + "\n";
    s += "- **Year / venue:** " + (p.year ? std::to_string(*p.year) : std::string("?")) + " / " +
         (p.venue.empty() ? std::string("?") : one_line(p.venue)) + "\n";
    s += "- **Citations:** " + (p.citations ? std::to_string(*p.citations) : std::string("?")) +
         "\n";
    s += "- **Link:** " + (p.doi.empty() ? p.url : "https://doi.org/" + p.doi) + "\n\n";
    s +=
        "**Abstract.** " +
        (p.abstract ? one_line(*p.abstract) : std::string("(no abstract available from the API)")) +
        "\n\n";
    s += "### Contribution\n\n- \n\n### Method\n\n- \n\n### Results\n\n- \n\n";
    s += "### My thoughts\n\n- Relevance to our work: \n- Strengths: \n- Weaknesses / doubts: \n- "
         "Follow-up: \n\n---\n\n";
  }
  return s;
}

std::string trend_svg(const AnalysisResult& a, std::size_t max_lines) {
  chart::Chart c;
  c.title = "Keyword trends: share of papers per year";
  c.x.title = "publication year";
  c.x.integer = true;
  c.y.title = "share of the year's papers (%)";
  c.y.percent = true;
  c.y.min = 0;
  c.plot_width = 520;
  c.plot_height = 300;
  const std::size_t nl = std::min(max_lines, a.trends.size());
  for (std::size_t i = 0; i < nl; ++i) {
    const TrendRow& r = a.trends[i];
    chart::Series s{r.term, {}, {}};
    for (std::size_t k = 0; k < a.years.size() && k < r.shares.size(); ++k) {
      s.x.push_back(a.years[k]);
      s.y.push_back(r.shares[k]);
    }
    c.series.push_back(std::move(s));
  }
  if (!a.years.empty()) {
    long long papers = 0;
    for (long long n : a.docs_per_year) papers += n;
    c.notes.push_back(std::to_string(papers) + " papers with a year, " +
                      std::to_string(a.years.size()) + " years; " +
                      std::to_string(a.trends.size() > nl ? nl : a.trends.size()) + " of " +
                      std::to_string(a.trends.size()) + " terms drawn");
  }
  c.empty_note = a.years.empty() ? "no papers with a publication year" : "no keyword trends";
  return chart::render(c);
}

}  // namespace rlab::litsearch
