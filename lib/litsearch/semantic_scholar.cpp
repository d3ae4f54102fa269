// Semantic Scholar: relevance search (offset paging up to its 1000-result cap), bulk search
// (token paging), POST /paper/batch and the citations/references of one paper.
#include "rlab/error.h"
#include "rlab/litsearch.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "api_records.h"

namespace rlab::litsearch {

using detail::from_s2;
using detail::integer;
using detail::str;
using nlohmann::json;

namespace {

std::string s2_filters(const Query& q) {
  std::string s;
  if (!q.years.empty()) s += "&year=" + net::url_encode(q.years.s2());
  if (q.min_citations) s += "&minCitationCount=" + std::to_string(*q.min_citations);
  if (!q.venues.empty()) s += "&venue=" + net::url_encode(join(q.venues, ","));
  if (!q.fields_of_study.empty())
    s += "&fieldsOfStudy=" + net::url_encode(join(q.fields_of_study, ","));
  return s;
}

net::HttpRequest s2_request(const Endpoints& ep, const std::string& url) {
  net::HttpRequest r;
  r.url = url;
  r.headers.emplace_back("Accept", "application/json");
  if (!ep.s2_key.empty()) r.secret_headers.emplace_back("x-api-key", ep.s2_key);
  return r;
}

}  // namespace

std::vector<Paper> Fetcher::search_s2_relevance(const Query& q) {
  std::vector<Paper> out;
  // Relevance search takes plain text and finds nothing for hyphenated terms.
  std::string text = q.text;
  std::replace(text.begin(), text.end(), '-', ' ');
  const long long cap = 1000;
  long long want = q.limit;
  if (want > cap) {
    stats_.notes.push_back("relevance search stops at 1000 results; use --mode bulk for more");
    want = cap;
  }
  long long offset = 0;
  int page = 0;
  while (static_cast<long long>(out.size()) < want && offset < cap) {
    ++page;
    const long long limit =
        std::min<long long>({q.page_size, want - static_cast<long long>(out.size()), cap - offset});
    const std::string url = ep_.s2_base + "/paper/search?query=" + net::url_encode(text) +
                            "&offset=" + std::to_string(offset) +
                            "&limit=" + std::to_string(limit) +
                            "&fields=" + net::url_encode(s2_fields(q.fields)) + s2_filters(q);
    const net::HttpRequest req = s2_request(ep_, url);
    const int before = stats_.requests;
    net::HttpResponse resp = get(req, "Semantic Scholar search", page);
    if (resp.status == 400 && page > 1 &&
        error_message(400, resp.content_type(), resp.body).find("not available") !=
            std::string::npos) {
      stats_.notes.push_back("Semantic Scholar has no results past offset " +
                             std::to_string(offset));
      break;
    }
    const json j = accept_page(resp, "Semantic Scholar search", page, before, req.describe());
    if (!j.contains("data") || !j["data"].is_array() || j["data"].empty()) break;
    for (const auto& p : j["data"]) {
      if (p.is_object()) out.push_back(from_s2(p));
    }
    auto next = integer(j, "next");
    if (!next) break;
    if (*next <= offset) break;
    offset = *next;
    if (offset >= cap && static_cast<long long>(out.size()) < want) {
      stats_.notes.push_back("relevance search stops at 1000 results; use --mode bulk for more");
    }
  }
  if (static_cast<long long>(out.size()) > want) out.resize(static_cast<std::size_t>(want));
  return out;
}

std::vector<Paper> Fetcher::search_s2_bulk(const Query& q) {
  std::vector<Paper> out;
  std::string token;
  int page = 0;
  while (static_cast<long long>(out.size()) < q.limit) {
    ++page;
    std::string url = ep_.s2_base + "/paper/search/bulk?query=" + net::url_encode(q.text) +
                      "&fields=" + net::url_encode(s2_fields(q.fields)) + s2_filters(q);
    if (!q.sort.empty()) url += "&sort=" + net::url_encode(q.sort);
    if (!token.empty()) url += "&token=" + net::url_encode(token);
    const net::HttpRequest req = s2_request(ep_, url);
    json j;
    const int before = stats_.requests;
    net::HttpResponse resp = get(req, "Semantic Scholar bulk search", page);
    j = accept_page(resp, "Semantic Scholar bulk search", page, before, req.describe());
    if (j.contains("data") && j["data"].is_array()) {
      for (const auto& p : j["data"]) {
        if (p.is_object()) out.push_back(from_s2(p));
      }
    }
    token = str(j, "token");
    if (token.empty() || !j.contains("data") || !j["data"].is_array() || j["data"].empty()) break;
  }
  if (static_cast<long long>(out.size()) > q.limit) out.resize(static_cast<std::size_t>(q.limit));
  return out;
}

std::vector<std::optional<Paper>> Fetcher::batch(const std::vector<std::string>& ids,
                                                 const std::vector<std::string>& extra) {
  std::vector<std::optional<Paper>> out;
  for (std::size_t start = 0, page = 1; start < ids.size(); start += 500, ++page) {
    json body;
    body["ids"] = json::array();
    for (std::size_t i = start; i < std::min(ids.size(), start + 500); ++i)
      body["ids"].push_back(ids[i]);
    net::HttpRequest req =
        s2_request(ep_, ep_.s2_base + "/paper/batch?fields=" + net::url_encode(s2_fields(extra)));
    req.method = "POST";
    req.body = body.dump();
    req.headers.emplace_back("Content-Type", "application/json");
    const int before = stats_.requests;
    net::HttpResponse resp = get(req, "Semantic Scholar batch lookup", static_cast<int>(page));
    const json j = accept_page(resp, "Semantic Scholar batch lookup", static_cast<int>(page),
                               before, req.describe(), true);
    const std::size_t n = std::min(ids.size(), start + 500) - start;
    for (std::size_t i = 0; i < n; ++i) {
      if (i < j.size() && j[i].is_object()) {
        out.emplace_back(from_s2(j[i]));
      } else {
        out.emplace_back(std::nullopt);
      }
    }
  }
  return out;
}

std::vector<Paper> Fetcher::neighbours(const std::string& id, bool citations, long long limit,
                                       const std::vector<std::string>& extra) {
  std::vector<Paper> out;
  const std::string what =
      std::string("Semantic Scholar ") + (citations ? "citations" : "references");
  const char* inner = citations ? "citingPaper" : "citedPaper";
  long long offset = 0;
  int page = 0;
  while (static_cast<long long>(out.size()) < limit) {
    ++page;
    const long long n = std::min<long long>(1000, limit - static_cast<long long>(out.size()));
    const std::string url = ep_.s2_base + "/paper/" + net::url_encode(id) + "/" +
                            (citations ? "citations" : "references") +
                            "?offset=" + std::to_string(offset) + "&limit=" + std::to_string(n) +
                            "&fields=" + net::url_encode(s2_fields(extra));
    const net::HttpRequest req = s2_request(ep_, url);
    const int before = stats_.requests;
    net::HttpResponse resp = get(req, what, page);
    const json j = accept_page(resp, what, page, before, req.describe());
    if (!j.contains("data") || !j["data"].is_array() || j["data"].empty()) break;
    for (const auto& e : j["data"]) {
      if (e.is_object() && e.contains(inner) && e[inner].is_object() &&
          !str(e[inner], "paperId").empty()) {
        out.push_back(from_s2(e[inner]));
      }
    }
    auto next = integer(j, "next");
    if (!next || *next <= offset) break;
    offset = *next;
  }
  if (static_cast<long long>(out.size()) > limit) out.resize(static_cast<std::size_t>(limit));
  return out;
}

}  // namespace rlab::litsearch
