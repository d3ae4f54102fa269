// Reading rlab's own JSON and JSON Lines exports back (--from, --background), with a validating
// fast path for JSON Lines records parsed on several threads.
#include "rlab/error.h"
#include "rlab/huge_pages.h"
#include "rlab/litsearch.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <thread>

namespace rlab::litsearch {

using nlohmann::json;

namespace {

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

}  // namespace

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
    // An OpenAlex list response (GET /works): its `results` are OpenAlex works.
    if (list == nullptr && whole.is_object() && whole.contains("results") &&
        whole["results"].is_array()) {
      for (const auto& j : whole["results"]) {
        if (j.is_object()) out.push_back(parse_openalex_work(j.dump()));
      }
      return out;
    }
    if (list == nullptr && whole.is_object() && whole.contains("title")) {
      out.push_back(paper_from_json(whole));
      return out;
    }
    if (list == nullptr)
      throw InputError(name +
                       ":1:1: expected a JSON list of papers, an object with 'papers', an OpenAlex "
                       "response with 'results', or JSONL");
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

}  // namespace rlab::litsearch
