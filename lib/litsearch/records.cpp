// API records as papers: Semantic Scholar paper objects and OpenAlex works (abstracts rebuilt
// from the inverted index), the fields rlab asks S2 for, year ranges and the message of an error
// response.
#include "rlab/error.h"
#include "rlab/litsearch.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "api_records.h"

namespace rlab::litsearch {

using nlohmann::json;

namespace {

std::string clean_doi(std::string d) {
  d = ascii_lower(d);
  for (const char* p : {"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"}) {
    if (d.rfind(p, 0) == 0) d = d.substr(std::string(p).size());
  }
  return d;
}

json parse_json_or(const std::string& text, bool* ok) {
  json j = json::parse(text, nullptr, false);
  *ok = !j.is_discarded();
  return j;
}

std::optional<std::string> rebuild(const json& inv) {
  if (!inv.is_object()) return std::nullopt;
  std::vector<std::pair<long long, std::string>> words;
  for (auto it = inv.begin(); it != inv.end(); ++it) {
    if (!it.value().is_array()) continue;
    for (const auto& pos : it.value()) {
      if (pos.is_number_integer() && pos.get<long long>() >= 0 && pos.get<long long>() < 1000000) {
        words.emplace_back(pos.get<long long>(), it.key());
      }
    }
  }
  std::sort(words.begin(), words.end());
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w.second;
  return s;
}

std::string strip_tags(const std::string& html) {
  std::string out;
  bool tag = false;
  for (char c : html) {
    if (c == '<') {
      tag = true;
    } else if (c == '>') {
      tag = false;
      out += ' ';
    } else if (!tag) {
      out += c;
    }
  }
  std::string s;
  bool space = true;
  for (char c : out) {
    const bool ws = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (ws && space) continue;
    s += ws ? ' ' : c;
    space = ws;
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

namespace detail {

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::optional<long long> integer(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  if (!it->is_number_float()) return it->get<long long>();
  // A float (12.0 from some APIs) counts by its whole part; one past the range of long long
  // (or NaN) is no number at all, not undefined behaviour.
  const double d = it->get<double>();
  if (!(d >= -0x1p63 && d < 0x1p63)) return std::nullopt;
  return static_cast<long long>(d);
}

Paper from_s2(const json& j) {
  Paper p;
  p.source = "s2";
  p.paper_id = str(j, "paperId");
  p.title = str(j, "title");
  if (j.contains("abstract") && j["abstract"].is_string())
    p.abstract = j["abstract"].get<std::string>();
  if (auto y = integer(j, "year")) p.year = static_cast<int>(*y);
  p.publication_date = str(j, "publicationDate");
  p.venue = str(j, "venue");
  if (p.venue.empty() && j.contains("journal") && j["journal"].is_object()) {
    p.venue = str(j["journal"], "name");
  }
  p.citations = integer(j, "citationCount");
  p.url = str(j, "url");
  if (j.contains("externalIds") && j["externalIds"].is_object()) {
    p.doi = clean_doi(str(j["externalIds"], "DOI"));
    p.arxiv = str(j["externalIds"], "ArXiv");
  }
  if (j.contains("authors") && j["authors"].is_array()) {
    for (const auto& a : j["authors"]) {
      const std::string n = str(a, "name");
      if (!n.empty()) p.authors.push_back(n);
    }
  }
  if (j.contains("fieldsOfStudy") && j["fieldsOfStudy"].is_array()) {
    for (const auto& f : j["fieldsOfStudy"]) {
      if (f.is_string()) p.fields_of_study.push_back(f.get<std::string>());
    }
  }
  if (j.contains("citationStyles") && j["citationStyles"].is_object()) {
    p.bibtex = str(j["citationStyles"], "bibtex");
  }
  return p;
}

Paper from_openalex(const json& j) {
  Paper p;
  p.source = "openalex";
  std::string id = str(j, "id");
  const auto slash = id.find_last_of('/');
  if (slash != std::string::npos) id = id.substr(slash + 1);
  p.openalex_id = id;
  p.paper_id = id;
  p.doi = clean_doi(str(j, "doi"));
  p.title = str(j, "title");
  if (p.title.empty()) p.title = str(j, "display_name");
  if (auto y = integer(j, "publication_year")) p.year = static_cast<int>(*y);
  p.publication_date = str(j, "publication_date");
  p.citations = integer(j, "cited_by_count");
  if (j.contains("primary_location") && j["primary_location"].is_object()) {
    const json& loc = j["primary_location"];
    if (loc.contains("source") && loc["source"].is_object())
      p.venue = str(loc["source"], "display_name");
    p.url = str(loc, "landing_page_url");
  }
  if (p.url.empty()) p.url = str(j, "id");
  if (j.contains("authorships") && j["authorships"].is_array()) {
    for (const auto& a : j["authorships"]) {
      if (a.is_object() && a.contains("author")) {
        const std::string n = str(a["author"], "display_name");
        if (!n.empty()) p.authors.push_back(n);
      }
    }
  }
  if (j.contains("abstract_inverted_index")) p.abstract = rebuild(j["abstract_inverted_index"]);
  if (j.contains("primary_topic") && j["primary_topic"].is_object() &&
      j["primary_topic"].contains("field")) {
    const std::string field = str(j["primary_topic"]["field"], "display_name");
    if (!field.empty()) p.fields_of_study.push_back(field);
  }
  if (j.contains("ids") && j["ids"].is_object()) {
    const std::string ax = str(j["ids"], "arxiv");
    if (!ax.empty()) p.arxiv = ax.substr(ax.find_last_of('/') + 1);
  }
  return p;
}

}  // namespace detail

using detail::from_openalex;
using detail::from_s2;
using detail::str;

std::string YearRange::s2() const {
  if (from && to && *from == *to) return std::to_string(*from);
  return (from ? std::to_string(*from) : "") + "-" + (to ? std::to_string(*to) : "");
}

YearRange parse_year_range(const std::string& text) {
  auto bad = [&]() -> YearRange {
    throw UsageError("--year '" + text + "': expected YYYY, YYYY-YYYY, YYYY- or -YYYY");
  };
  auto year = [&](const std::string& s) -> int {
    if (s.size() != 4 || !std::all_of(s.begin(), s.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        }))
      bad();
    return std::stoi(s);
  };
  YearRange r;
  if (text.empty()) return r;
  const auto dash = text.find('-');
  if (dash == std::string::npos) {
    r.from = r.to = year(text);
    return r;
  }
  const std::string a = text.substr(0, dash);
  const std::string b = text.substr(dash + 1);
  if (a.empty() && b.empty()) bad();
  if (!a.empty()) r.from = year(a);
  if (!b.empty()) r.to = year(b);
  if (r.from && r.to && *r.from > *r.to) {
    throw UsageError("--year '" + text + "': the first year is after the second");
  }
  return r;
}

std::string s2_fields(const std::vector<std::string>& extra) {
  std::vector<std::string> f = {"paperId",       "externalIds", "url",     "title",
                                "abstract",      "venue",       "year",    "publicationDate",
                                "citationCount", "authors",     "journal", "fieldsOfStudy"};
  for (const auto& e : extra) {
    if (std::find(f.begin(), f.end(), e) == f.end()) f.push_back(e);
  }
  return join(f, ",");
}

Paper parse_s2_paper(const std::string& text) {
  bool ok = false;
  const json j = parse_json_or(text, &ok);
  if (!ok || !j.is_object()) throw std::invalid_argument("not a JSON object");
  return from_s2(j);
}

Paper parse_openalex_work(const std::string& text) {
  bool ok = false;
  const json j = parse_json_or(text, &ok);
  if (!ok || !j.is_object()) throw std::invalid_argument("not a JSON object");
  return from_openalex(j);
}

std::optional<std::string> rebuild_abstract(const std::string& text) {
  bool ok = false;
  const json j = parse_json_or(text, &ok);
  if (!ok) return std::nullopt;
  return rebuild(j);
}

std::string error_message(int status, const std::string& content_type, const std::string& body) {
  std::string msg;
  bool ok = false;
  const json j = parse_json_or(body, &ok);
  if (ok && j.is_object()) {
    msg = str(j, "error");
    if (msg.empty()) msg = str(j, "message");
    if (msg.empty() && j.contains("error") && j["error"].is_object())
      msg = str(j["error"], "message");
  }
  if (msg.empty() && !body.empty()) {
    std::string lb = ascii_lower(body);
    const auto t = lb.find("<title>");
    const auto te = lb.find("</title>");
    if (t != std::string::npos && te != std::string::npos && te > t) {
      msg = strip_tags(body.substr(t + 7, te - t - 7));
    } else {
      msg = strip_tags(body);
    }
    if (content_type.find("html") != std::string::npos || lb.find("<html") != std::string::npos) {
      msg += " (HTML error page)";
    }
  }
  if (msg.size() > 300) msg = msg.substr(0, 297) + "...";
  std::string s = "HTTP " + std::to_string(status);
  if (!msg.empty()) s += ": " + msg;
  return s;
}

}  // namespace rlab::litsearch
