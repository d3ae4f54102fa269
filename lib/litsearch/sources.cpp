// Sources: Semantic Scholar (relevance, bulk, batch, citations/references) and OpenAlex works,
// behind a response cache; parsing, error messages, deduplication and local filters.
#include "rlab/error.h"
#include "rlab/litsearch.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace rlab::litsearch {

using nlohmann::json;

namespace {

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

namespace {

[[noreturn]] void fail_page(const std::string& what, int page, const std::string& message,
                            int status) {
  EnvironmentError e(what + ": page " + std::to_string(page) + " failed: " + message);
  if (page > 1) {
    e.add_note("pages 1-" + std::to_string(page - 1) +
               " are in the cache; rerunning resumes from page " + std::to_string(page));
  }
  if (status == 429) e.add_note("rate limited: set S2_API_KEY, or wait and rerun");
  if (status == 403) e.add_note("403 usually means a missing, wrong or expired API key");
  throw e;
}

}  // namespace

// ---- Fetcher ------------------------------------------------------------------------

Fetcher::Fetcher(net::HttpClient& http, Cache* cache, CachePolicy policy, Endpoints endpoints)
    : http_(http), cache_(cache), policy_(policy), ep_(std::move(endpoints)) {}

net::HttpResponse Fetcher::get(const net::HttpRequest& request, const std::string& what, int page) {
  const std::string key = request.describe();  // secrets are not part of it
  if (cache_ != nullptr && !policy_.refresh) {
    if (auto c = cache_->get(key)) {
      if (policy_.offline || policy_.now - c->stored_at <= policy_.ttl_s) {
        ++stats_.cache_hits;
        net::HttpResponse r;
        r.status = c->status;
        r.body = c->body;
        r.headers["content-type"] = "application/json";
        return r;
      }
    }
  }
  if (policy_.offline) {
    EnvironmentError e(what + ": page " + std::to_string(page) +
                       " is not in the cache and --offline is set (" + key + ")");
    e.add_note("run once without --offline to fill the cache");
    throw e;
  }
  net::HttpResponse r;
  try {
    r = http_.send(request);
  } catch (const net::NetworkError& e) {
    fail_page(what, page, e.what(), 0);
  }
  ++stats_.requests;
  stats_.retries += r.attempts - 1;
  return r;
}

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

namespace {

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

}  // namespace

json Fetcher::accept_page(const net::HttpResponse& resp, const std::string& what, int page,
                          int requests_before, const std::string& cache_key, bool array,
                          bool count_page) {
  if (resp.status != 200) {
    fail_page(what, page, error_message(resp.status, resp.content_type(), resp.body), resp.status);
  }
  json j = json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || (array ? !j.is_array() : !j.is_object())) {
    fail_page(what, page,
              std::string("the response is not a JSON ") + (array ? "array" : "object") +
                  " (truncated or wrong content type '" + resp.content_type() + "')",
              0);
  }
  if (cache_ != nullptr && stats_.requests > requests_before) {
    cache_->put(cache_key, CachedResponse{200, resp.body, policy_.now});
  }
  if (count_page) ++stats_.pages;
  return j;
}

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
  if (policy_.offline) {
    EnvironmentError e(what + ": page " + std::to_string(page) +
                       " is not in the cache and --offline is set (" + key + ")");
    e.add_note("run once without --offline to fill the cache");
    throw e;
  }
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

std::vector<Paper> Fetcher::search(const Query& q) {
  std::vector<Paper> out;
  if (q.source != Source::kS2) openalex_field_filter(q.fields_of_study);  // fail before any request
  if (q.source == Source::kS2 || q.source == Source::kBoth) {
    out = q.mode == Mode::kBulk ? search_s2_bulk(q) : search_s2_relevance(q);
  }
  if (q.source == Source::kOpenAlex || q.source == Source::kBoth) {
    auto oa = search_openalex(q);
    out.insert(out.end(), oa.begin(), oa.end());
  }
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

// ---- Dedup and filters ------------------------------------------------------------------

std::vector<Paper> deduplicate(const std::vector<Paper>& papers, std::size_t* removed) {
  return deduplicate(std::vector<Paper>(papers), removed);
}

// In place: a kept paper moves down to the next free slot, so nothing is copied and no second
// vector is allocated.
std::vector<Paper> deduplicate(std::vector<Paper>&& papers, std::size_t* removed) {
  std::unordered_map<std::string, std::size_t> by_id;
  std::unordered_map<std::string, std::size_t> by_doi;
  std::unordered_map<std::string, std::size_t> by_title;
  by_id.reserve(papers.size());
  by_title.reserve(papers.size());
  std::size_t merged = 0;
  auto title_key = [](const Paper& p) -> std::string {
    std::string t = normalise_title(p.title);
    if (t.empty()) return "";
    return t + "|" + (p.year ? std::to_string(*p.year) : "?");
  };
  auto find = [](const std::unordered_map<std::string, std::size_t>& m,
                 const std::string& k) -> std::optional<std::size_t> {
    if (k.empty()) return std::nullopt;
    const auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
  std::size_t kept = 0;
  for (std::size_t i = 0; i < papers.size(); ++i) {
    Paper& p = papers[i];
    std::optional<std::size_t> hit = find(by_id, p.paper_id);
    if (!hit) hit = find(by_doi, p.doi);
    std::string tk = title_key(p);
    if (!hit) hit = find(by_title, tk);
    if (hit) {  // *hit < kept <= i: an earlier paper
      ++merged;
      Paper& q = papers[*hit];
      if (q.source != p.source && q.source.find(p.source) == std::string::npos)
        q.source += "+" + p.source;
      if (q.openalex_id.empty()) q.openalex_id = p.openalex_id;
      if (q.doi.empty()) q.doi = p.doi;
      if (q.arxiv.empty()) q.arxiv = p.arxiv;
      if (!q.abstract && p.abstract) q.abstract = std::move(p.abstract);
      if (!q.year) q.year = p.year;
      if (q.publication_date.empty()) q.publication_date = p.publication_date;
      if (q.venue.empty()) q.venue = p.venue;
      if (!q.citations || (p.citations && *p.citations > *q.citations)) q.citations = p.citations;
      if (q.authors.empty()) q.authors = std::move(p.authors);
      if (q.fields_of_study.empty()) q.fields_of_study = std::move(p.fields_of_study);
      if (q.url.empty()) q.url = p.url;
      if (q.bibtex.empty()) q.bibtex = std::move(p.bibtex);
      if (!p.paper_id.empty()) by_id.emplace(p.paper_id, *hit);
      if (!q.doi.empty()) by_doi.emplace(q.doi, *hit);
      continue;
    }
    const std::size_t idx = kept++;
    if (!p.paper_id.empty()) by_id.emplace(p.paper_id, idx);
    if (!p.openalex_id.empty()) by_id.emplace(p.openalex_id, idx);
    if (!p.doi.empty()) by_doi.emplace(p.doi, idx);
    if (!tk.empty()) by_title.emplace(std::move(tk), idx);
    if (idx != i) papers[idx] = std::move(p);
  }
  papers.erase(papers.begin() + static_cast<std::ptrdiff_t>(kept), papers.end());
  if (removed != nullptr) *removed = merged;
  return std::move(papers);
}

std::vector<Paper> apply_filters(const std::vector<Paper>& papers, const Query& q) {
  return apply_filters(std::vector<Paper>(papers), q);
}

std::vector<Paper> apply_filters(std::vector<Paper>&& papers, const Query& q) {
  auto dropped = [&](const Paper& p) {
    if (q.years.from && (!p.year || *p.year < *q.years.from)) return true;
    if (q.years.to && (!p.year || *p.year > *q.years.to)) return true;
    return q.min_citations && (!p.citations || *p.citations < *q.min_citations);
  };
  papers.erase(std::remove_if(papers.begin(), papers.end(), dropped), papers.end());
  return std::move(papers);
}

}  // namespace rlab::litsearch
