// OpenAlex: /works with cursor paging, venue names resolved to source ids, and Semantic
// Scholar fields of study mapped onto OpenAlex fields.
#include "rlab/error.h"
#include "rlab/litsearch.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "api_records.h"

namespace rlab::litsearch {

using detail::fail_offline;
using detail::fail_page;
using detail::from_openalex;
using detail::openalex_field_filter;
using detail::str;
using nlohmann::json;

namespace {

// OpenAlex's 26 fields, the second level of its topic hierarchy (domain > field > subfield >
// topic); the number is the field id that `primary_topic.field.id` takes.
const std::pair<int, const char*> kOpenAlexFields[] = {
    {11, "Agricultural and Biological Sciences"},
    {12, "Arts and Humanities"},
    {13, "Biochemistry, Genetics and Molecular Biology"},
    {14, "Business, Management and Accounting"},
    {15, "Chemical Engineering"},
    {16, "Chemistry"},
    {17, "Computer Science"},
    {18, "Decision Sciences"},
    {19, "Earth and Planetary Sciences"},
    {20, "Economics, Econometrics and Finance"},
    {21, "Energy"},
    {22, "Engineering"},
    {23, "Environmental Science"},
    {24, "Immunology and Microbiology"},
    {25, "Materials Science"},
    {26, "Mathematics"},
    {27, "Medicine"},
    {28, "Neuroscience"},
    {29, "Nursing"},
    {30, "Pharmacology, Toxicology and Pharmaceutics"},
    {31, "Physics and Astronomy"},
    {32, "Psychology"},
    {33, "Social Sciences"},
    {34, "Veterinary"},
    {35, "Dentistry"},
    {36, "Health Professions"}};

// Semantic Scholar's 23 fields of study mapped onto OpenAlex fields (the nearest field, or all
// the fields that split it). Several S2 fields share "Social Sciences" and "Arts and Humanities",
// so those filters are coarser on OpenAlex.
const std::pair<const char*, std::vector<int>>& s2_field_map(std::size_t i) {
  static const std::vector<std::pair<const char*, std::vector<int>>> kMap = {
      {"Computer Science", {17}},
      {"Medicine", {27}},
      {"Chemistry", {16}},
      {"Biology", {11, 13, 24}},
      {"Materials Science", {25}},
      {"Physics", {31}},
      {"Geology", {19}},
      {"Psychology", {32}},
      {"Art", {12}},
      {"History", {12}},
      {"Geography", {33}},
      {"Sociology", {33}},
      {"Business", {14}},
      {"Political Science", {33}},
      {"Economics", {20}},
      {"Philosophy", {12}},
      {"Mathematics", {26}},
      {"Engineering", {22}},
      {"Environmental Science", {23}},
      {"Agricultural and Food Sciences", {11}},
      {"Education", {33}},
      {"Law", {33}},
      {"Linguistics", {12, 33}}};
  return kMap[i];
}
constexpr std::size_t kS2Fields = 23;

bool same_name(const std::string& a, const std::string& b) {
  return normalise_title(a) == normalise_title(b);
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "S123" from "S123", "s123" or "https://openalex.org/S123"; "" otherwise.
std::string openalex_source_id(const std::string& v) {
  std::string id = v;
  for (const char* p : {"https://openalex.org/", "http://openalex.org/"}) {
    if (id.rfind(p, 0) == 0) id = id.substr(std::string(p).size());
  }
  if (id.size() >= 2 && (id[0] == 'S' || id[0] == 's') && all_digits(id.substr(1)))
    return "S" + id.substr(1);
  return "";
}

bool is_issn(const std::string& v) {
  return v.size() == 9 && v[4] == '-' && all_digits(v.substr(0, 4)) && all_digits(v.substr(5, 3)) &&
         (std::isdigit(static_cast<unsigned char>(v[8])) != 0 || v[8] == 'X' || v[8] == 'x');
}

}  // namespace

std::vector<int> openalex_fields(const std::string& name) {
  if (all_digits(name)) {
    const int id = std::stoi(name.substr(0, std::min<std::size_t>(name.size(), 4)));
    for (const auto& [fid, fname] : kOpenAlexFields) {
      if (fid == id) return {id};
    }
    return {};
  }
  for (const auto& [fid, fname] : kOpenAlexFields) {
    if (same_name(name, fname)) return {fid};
  }
  for (std::size_t i = 0; i < kS2Fields; ++i) {
    if (same_name(name, s2_field_map(i).first)) return s2_field_map(i).second;
  }
  return {};
}

namespace detail {

// The `primary_topic.field.id:` filter for the fields of study ("" for none); an unknown name
// is a usage error.
std::string openalex_field_filter(const std::vector<std::string>& fields_of_study) {
  std::vector<std::string> ids;
  for (const std::string& f : fields_of_study) {
    const std::vector<int> mapped = openalex_fields(f);
    if (mapped.empty()) {
      std::string known;
      for (std::size_t i = 0; i < kS2Fields; ++i)
        known += (known.empty() ? "" : ", ") + std::string(s2_field_map(i).first);
      throw UsageError("--fields-of-study '" + f + "': not a Semantic Scholar field of study (" +
                       known + ") nor an OpenAlex field name or number (11-36)");
    }
    for (int id : mapped) {
      if (std::find(ids.begin(), ids.end(), std::to_string(id)) == ids.end())
        ids.push_back(std::to_string(id));
    }
  }
  return ids.empty() ? "" : "primary_topic.field.id:" + join(ids, "|");
}

}  // namespace detail

namespace {
// OpenAlex answers are cached under the request without the key (the key is added only to what
// is sent).
net::HttpRequest openalex_request(const std::string& url) {
  net::HttpRequest plain;
  plain.url = url;
  plain.headers.emplace_back("Accept", "application/json");
  return plain;
}
std::string openalex_cache_key(const std::string& url) { return openalex_request(url).describe(); }
}  // namespace

net::HttpResponse Fetcher::openalex_get(const std::string& url, const std::string& what, int page) {
  const net::HttpRequest req = openalex_request(url);
  // The key is a query parameter for OpenAlex: send it, but keep it out of the cache key.
  net::HttpRequest keyed = req;
  if (!ep_.openalex_key.empty()) keyed.url += "&api_key=" + net::url_encode(ep_.openalex_key);
  const std::string key = req.describe();
  std::optional<CachedResponse> c;
  if (cache_ != nullptr && !policy_.refresh) c = cache_->get(key);
  net::HttpResponse resp;
  if (c && (policy_.offline || policy_.now - c->stored_at <= policy_.ttl_s)) {
    ++stats_.cache_hits;
    resp.status = c->status;
    resp.body = c->body;
    return resp;
  }
  if (policy_.offline) fail_offline(what, page, key);
  try {
    resp = http_.send(keyed);
  } catch (const net::NetworkError& e) {
    std::string m = e.what();
    if (!ep_.openalex_key.empty()) {
      for (auto p = m.find(ep_.openalex_key); p != std::string::npos;
           p = m.find(ep_.openalex_key)) {
        m.replace(p, ep_.openalex_key.size(), "***");
      }
    }
    fail_page(what, page, m, 0);
  }
  ++stats_.requests;
  stats_.retries += resp.attempts - 1;
  if (resp.status != 200) {
    fail_page(what, page, error_message(resp.status, resp.content_type(), resp.body), resp.status);
  }
  return resp;
}

std::vector<std::string> Fetcher::openalex_source_ids(const std::vector<std::string>& venues) {
  std::vector<std::string> ids;
  for (const std::string& v : venues) {
    const std::string direct = openalex_source_id(v);
    if (!direct.empty()) {
      ids.push_back(direct);
      continue;
    }
    // A name (or ISSN) is resolved to a source id first: OpenAlex filters works by the
    // source's id, not its name.
    const std::string what = "OpenAlex source lookup '" + v + "'";
    std::string url =
        ep_.openalex_base + "/sources?" +
        (is_issn(v) ? "filter=" + net::url_encode("issn:" + v) : "search=" + net::url_encode(v)) +
        "&per-page=10";
    if (!ep_.mailto.empty()) url += "&mailto=" + net::url_encode(ep_.mailto);
    const int before = stats_.requests;
    const net::HttpResponse resp = openalex_get(url, what, 1);
    const json j = accept_page(resp, what, 1, before, openalex_cache_key(url), false, false);
    const json* best = nullptr;
    if (j.contains("results") && j["results"].is_array()) {
      for (const json& r : j["results"]) {
        if (!r.is_object() || openalex_source_id(str(r, "id")).empty()) continue;
        bool exact = is_issn(v) || same_name(v, str(r, "display_name")) ||
                     same_name(v, str(r, "abbreviated_title"));
        if (!exact && r.contains("alternate_titles") && r["alternate_titles"].is_array()) {
          for (const json& t : r["alternate_titles"]) {
            if (t.is_string() && same_name(v, t.get<std::string>())) exact = true;
          }
        }
        if (exact) {
          best = &r;
          break;
        }
        if (best == nullptr) best = &r;  // the best-ranked one, if nothing matches exactly
      }
    }
    if (best == nullptr) {
      stats_.notes.push_back("OpenAlex knows no source (venue) matching '" + v + "'");
      continue;
    }
    const std::string id = openalex_source_id(str(*best, "id"));
    if (!is_issn(v) && !same_name(v, str(*best, "display_name"))) {
      stats_.notes.push_back("venue '" + v + "' on OpenAlex: source " + id + " '" +
                             str(*best, "display_name") + "'");
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

std::vector<Paper> Fetcher::search_openalex(const Query& q) {
  std::vector<Paper> out;
  std::string cursor = "*";
  std::vector<std::string> filters;
  if (!q.years.empty()) {
    if (q.years.from && q.years.to) {
      filters.push_back("publication_year:" + std::to_string(*q.years.from) + "-" +
                        std::to_string(*q.years.to));
    } else if (q.years.from) {
      filters.push_back("publication_year:>" + std::to_string(*q.years.from - 1));
    } else {
      filters.push_back("publication_year:<" + std::to_string(*q.years.to + 1));
    }
  }
  if (q.min_citations) filters.push_back("cited_by_count:>" + std::to_string(*q.min_citations - 1));
  const std::string fields = openalex_field_filter(q.fields_of_study);
  if (!fields.empty()) filters.push_back(fields);
  if (!q.venues.empty()) {
    const std::vector<std::string> ids = openalex_source_ids(q.venues);
    if (ids.empty()) {
      stats_.notes.push_back("no venue is known to OpenAlex: nothing searched there");
      return out;
    }
    filters.push_back("primary_location.source.id:" + join(ids, "|"));
  }
  int page = 0;
  while (static_cast<long long>(out.size()) < q.limit) {
    ++page;
    std::string url = ep_.openalex_base + "/works?search=" + net::url_encode(q.text) +
                      "&per-page=" + std::to_string(q.openalex_page_size) +
                      "&cursor=" + net::url_encode(cursor);
    if (!filters.empty()) url += "&filter=" + net::url_encode(join(filters, ","));
    if (!ep_.mailto.empty()) url += "&mailto=" + net::url_encode(ep_.mailto);
    const int before = stats_.requests;
    const net::HttpResponse resp = openalex_get(url, "OpenAlex search", page);
    const json j = accept_page(resp, "OpenAlex search", page, before, openalex_cache_key(url));
    if (!j.contains("results") || !j["results"].is_array() || j["results"].empty()) break;
    for (const auto& w : j["results"]) {
      if (w.is_object()) out.push_back(from_openalex(w));
    }
    cursor = j.contains("meta") ? str(j["meta"], "next_cursor") : "";
    if (cursor.empty()) break;
  }
  if (static_cast<long long>(out.size()) > q.limit) out.resize(static_cast<std::size_t>(q.limit));
  return out;
}

}  // namespace rlab::litsearch
