// JSON and JSON Lines exports: the papers written directly in nlohmann::json's dump format
// (the same bytes, in parallel, without a json value per paper) and the analysis as JSON.
#include "rlab/huge_pages.h"
#include "rlab/litsearch.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <map>
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

json term_json(const Term& t, bool with_bg) {
  json j = {{"term", t.text}, {"n", t.n}, {"df", t.df}, {"share", t.share}};
  if (with_bg) {
    j["background_df"] = t.bg_df;
    j["log_odds"] = t.log_odds;
    j["z"] = t.z;
  }
  return j;
}

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
  an["distinctive_min_z"] = r.min_z;
  an["distinctive_tested"] = r.distinctive_tested;
  an["query_terms"] = json::array();
  for (const Term& t : r.query_terms)
    an["query_terms"].push_back({{"term", t.text}, {"docs", t.df}, {"share", t.share}});
  an["rejoined_words"] = r.rejoined;
  an["years"] = r.years;
  an["docs_per_year"] = r.docs_per_year;
  an["year_bins"] = json::array();
  for (const YearBin& b : r.bins)
    an["year_bins"].push_back({{"first", b.first}, {"last", b.last}, {"documents", b.documents}});
  an["trends"] = json::array();
  for (const TrendRow& row : r.trends) {
    an["trends"].push_back({{"term", row.term},
                            {"counts", row.counts},
                            {"shares", row.shares},
                            {"bin_counts", row.bin_counts},
                            {"bin_shares", row.bin_shares}});
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

}  // namespace rlab::litsearch
