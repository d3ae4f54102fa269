#include "support/lit_server.h"

#include <nlohmann/json.hpp>

#include <httplib.h>

#include <chrono>
#include <sstream>

namespace rlab::test {

using nlohmann::json;

namespace {

json s2_json(const FakePaper& p) {
  json j;
  j["paperId"] = p.id;
  j["externalIds"] = p.doi.empty() ? json::object() : json{{"DOI", p.doi}};
  j["url"] = "https://www.semanticscholar.org/paper/" + p.id;
  j["title"] = p.title;
  j["abstract"] = p.abstract ? json(*p.abstract) : json(nullptr);
  j["venue"] = p.venue;
  j["year"] = p.year;
  j["publicationDate"] = nullptr;
  j["citationCount"] = p.citations;
  j["authors"] = json::array();
  for (const auto& a : p.authors) j["authors"].push_back({{"authorId", nullptr}, {"name", a}});
  j["journal"] = nullptr;
  j["fieldsOfStudy"] = nullptr;
  return j;
}

json openalex_json(const FakePaper& p) {
  json j;
  j["id"] = "https://openalex.org/W" + p.id.substr(1);
  j["doi"] = p.doi.empty() ? json(nullptr) : json("https://doi.org/" + p.doi);
  j["title"] = p.title;
  j["display_name"] = p.title;
  j["publication_year"] = p.year;
  j["cited_by_count"] = p.citations;
  j["primary_location"] = {{"source", {{"display_name", p.venue}}}, {"landing_page_url", nullptr}};
  j["authorships"] = json::array();
  for (const auto& a : p.authors) j["authorships"].push_back({{"author", {{"display_name", a}}}});
  if (p.abstract) {
    json inv = json::object();
    std::istringstream in(*p.abstract);
    int pos = 0;
    for (std::string w; in >> w; ++pos) inv[w].push_back(pos);
    j["abstract_inverted_index"] = inv;
  } else {
    j["abstract_inverted_index"] = nullptr;
  }
  return j;
}

int to_int(const std::string& s, int fallback) {
  try {
    return s.empty() ? fallback : std::stoi(s);
  } catch (...) {
    return fallback;
  }
}

}  // namespace

std::vector<FakePaper> FakeScholar::make_corpus(int n) {
  static const char* kTopics[] = {"lithium battery degradation", "graph neural networks",
                                  "bayesian optimisation", "solid-state electrolyte",
                                  "transformer language models"};
  std::vector<FakePaper> out;
  for (int i = 0; i < n; ++i) {
    FakePaper p;
    char id[16];
    std::snprintf(id, sizeof id, "P%04d", i);
    p.id = id;
    const std::string topic = kTopics[i % 5];
    p.title = "On " + topic + " number " + std::to_string(i);
    p.year = 2015 + (i % 10);
    p.citations = (i * 37) % 500;
    p.venue = i % 5 == 0 ? "" : "Journal " + std::to_string(i % 3);
    p.doi = "10.1000/fake." + std::to_string(i);
    p.authors = {"Ada Lovelace" + std::to_string(i % 4), "Alan Turing"};
    if (i % 7 != 3)
      p.abstract = "We study " + topic + " in detail. The " + topic + " results matter.";
    out.push_back(p);
  }
  return out;
}

std::vector<FakeSource> FakeScholar::sources() {
  return {{"S200", "Journal 1 Letters", "1111-0001"},
          {"S100", "Journal 0", "1111-1000"},
          {"S101", "Journal 1", "1111-1001"},
          {"S102", "Journal 2", "1111-1002"}};
}

FakeScholar::FakeScholar(std::vector<FakePaper> corpus)
    : server_(std::make_unique<httplib::Server>()), corpus_(std::move(corpus)) {
  auto& s = *server_;
  // Every handler first records the request and serves a queued fault if one matches.
  auto pre = [this](const httplib::Request& req, httplib::Response& res) -> bool {
    SeenRequest seen{req.method, req.path, "", req.body, req.target, {}};
    std::string q;
    for (const auto& [k, v] : req.params) q += (q.empty() ? "" : "&") + k + "=" + v;
    seen.query = q;
    for (const auto& [k, v] : req.headers) {
      std::string name = k;
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      seen.headers[name] = v;
    }
    std::optional<Fault> f;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(seen);
      for (auto& [prefix, list] : faults_) {
        if (!list.empty() && req.path.rfind(prefix, 0) == 0) {
          f = list.front();
          list.pop_front();
          break;
        }
      }
    }
    if (!f || f->status == 0) return false;  // status 0: serve normally
    if (f->delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(f->delay_ms));
    res.status = f->status;
    for (const auto& [k, v] : f->headers) res.set_header(k, v);
    res.set_content(f->body, f->content_type);
    return true;
  };
  auto filtered = [this](const httplib::Request& req) {
    std::vector<const FakePaper*> v;
    const std::string year = req.get_param_value("year");
    int from = 0;
    int to = 9999;
    if (!year.empty()) {
      const auto d = year.find('-');
      if (d == std::string::npos) {
        from = to = to_int(year, 0);
      } else {
        from = to_int(year.substr(0, d), 0);
        to = to_int(year.substr(d + 1), 9999);
      }
    }
    const int minc = to_int(req.get_param_value("minCitationCount"), 0);
    const bool empty = req.get_param_value("query").find("nothingmatches") != std::string::npos ||
                       req.get_param_value("search").find("nothingmatches") != std::string::npos;
    if (empty) return v;
    for (const auto& p : corpus_) {
      if (p.year >= from && p.year <= to && p.citations >= minc) v.push_back(&p);
    }
    return v;
  };
  s.Get("/graph/v1/paper/search", [=](const httplib::Request& req, httplib::Response& res) {
    if (pre(req, res)) return;
    const auto v = filtered(req);
    const int offset = to_int(req.get_param_value("offset"), 0);
    const int limit = to_int(req.get_param_value("limit"), 100);
    if (limit > 100 || offset + limit > 1000 ||
        (offset > 0 && offset >= static_cast<int>(v.size()))) {
      res.status = 400;
      res.set_content(R"({"error":"Requested data for this limit and/or offset is not available"})",
                      "application/json");
      return;
    }
    json j;
    j["total"] = v.size();
    j["offset"] = offset;
    if (!v.empty()) {
      j["data"] = json::array();
      for (int i = offset; i < std::min<int>(offset + limit, static_cast<int>(v.size())); ++i)
        j["data"].push_back(s2_json(*v[static_cast<std::size_t>(i)]));
      const int next = offset + limit;
      if (next < std::min<int>(1000, static_cast<int>(v.size())) ||
          (next_beyond_cap_ && next == 1000 && v.size() > 1000))
        j["next"] = next;
    }
    res.set_content(j.dump(), "application/json");
  });
  s.Get("/graph/v1/paper/search/bulk", [=](const httplib::Request& req, httplib::Response& res) {
    if (pre(req, res)) return;
    const auto v = filtered(req);
    const std::string token = req.get_param_value("token");
    const int start = token.empty() ? 0 : to_int(token.substr(1), 0);
    json j;
    j["total"] = v.size();
    j["data"] = json::array();
    for (int i = start; i < std::min<int>(start + 1000, static_cast<int>(v.size())); ++i)
      j["data"].push_back(s2_json(*v[static_cast<std::size_t>(i)]));
    j["token"] = start + 1000 < static_cast<int>(v.size())
                     ? json("t" + std::to_string(start + 1000))
                     : json(nullptr);
    res.set_content(j.dump(), "application/json");
  });
  s.Post("/graph/v1/paper/batch", [=](const httplib::Request& req, httplib::Response& res) {
    if (pre(req, res)) return;
    const json body = json::parse(req.body, nullptr, false);
    json out = json::array();
    if (body.is_object() && body.contains("ids")) {
      for (const auto& id : body["ids"]) {
        const FakePaper* hit = nullptr;
        for (const auto& p : corpus_) {
          if (id.is_string() &&
              (p.id == id.get<std::string>() || "DOI:" + p.doi == id.get<std::string>()))
            hit = &p;
        }
        out.push_back(hit != nullptr ? s2_json(*hit) : json(nullptr));
      }
    }
    res.set_content(out.dump(), "application/json");
  });
  s.Get(R"(/graph/v1/paper/([^/]+)/(citations|references))", [=](const httplib::Request& req,
                                                                 httplib::Response& res) {
    if (pre(req, res)) return;
    const std::string id = req.matches[1];
    const bool cit = req.matches[2] == "citations";
    if (id.rfind("P", 0) != 0) {
      res.status = 404;
      res.set_content("{\"error\":\"Paper with id " + id + " not found\"}", "application/json");
      return;
    }
    // Paper i is cited by papers i+1..; references are papers 0..i-1.
    const int offset = to_int(req.get_param_value("offset"), 0);
    const int limit = to_int(req.get_param_value("limit"), 100);
    const int n = static_cast<int>(corpus_.size());
    json j;
    j["offset"] = offset;
    j["data"] = json::array();
    for (int i = offset; i < std::min(offset + limit, n); ++i) {
      j["data"].push_back(
          {{cit ? "citingPaper" : "citedPaper", s2_json(corpus_[static_cast<std::size_t>(i)])},
           {"isInfluential", false}});
    }
    if (offset + limit < n) j["next"] = offset + limit;
    res.set_content(j.dump(), "application/json");
  });
  s.Get("/sources", [=](const httplib::Request& req, httplib::Response& res) {
    if (pre(req, res)) return;
    auto lower = [](std::string x) {
      for (char& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return x;
    };
    const std::string search = lower(req.get_param_value("search"));
    const std::string filter = req.get_param_value("filter");
    json j;
    j["meta"] = {{"count", 0}, {"per_page", 10}, {"page", 1}};
    j["results"] = json::array();
    for (const FakeSource& src : sources()) {
      const bool hit = filter.rfind("issn:", 0) == 0
                           ? filter.substr(5) == src.issn
                           : !search.empty() && lower(src.name).find(search) != std::string::npos;
      if (hit) {
        j["results"].push_back({{"id", "https://openalex.org/" + src.id},
                                {"display_name", src.name},
                                {"issn_l", src.issn},
                                {"abbreviated_title", nullptr},
                                {"alternate_titles", json::array()}});
      }
    }
    j["meta"]["count"] = j["results"].size();
    res.set_content(j.dump(), "application/json");
  });
  s.Get("/works", [=](const httplib::Request& req, httplib::Response& res) {
    if (pre(req, res)) return;
    std::vector<const FakePaper*> v = filtered(req);
    const std::string filter = req.get_param_value("filter");
    const auto src = filter.find("primary_location.source.id:");
    if (src != std::string::npos) {
      const std::string list = filter.substr(src + 27, filter.find(',', src) - src - 27);
      std::vector<const FakePaper*> w;
      for (auto* p : v) {
        for (const FakeSource& fs : sources()) {
          if (fs.name == p->venue &&
              ("|" + list + "|").find("|" + fs.id + "|") != std::string::npos)
            w.push_back(p);
        }
      }
      v = w;
    }
    const auto py = filter.find("publication_year:");
    if (py != std::string::npos) {
      const std::string r = filter.substr(py + 17, filter.find(',', py) - py - 17);
      int from = 0, to = 9999;
      if (r[0] == '>')
        from = to_int(r.substr(1), 0) + 1;
      else if (r[0] == '<')
        to = to_int(r.substr(1), 0) - 1;
      else {
        from = to_int(r.substr(0, 4), 0);
        to = to_int(r.substr(5), 9999);
      }
      std::vector<const FakePaper*> w;
      for (auto* p : v)
        if (p->year >= from && p->year <= to) w.push_back(p);
      v = w;
    }
    const int per = to_int(req.get_param_value("per-page"), 25);
    const std::string cursor = req.get_param_value("cursor");
    const int start = cursor == "*" || cursor.empty() ? 0 : to_int(cursor.substr(1), 0);
    json j;
    j["meta"] = {{"count", v.size()}, {"per_page", per}, {"page", nullptr}};
    j["results"] = json::array();
    for (int i = start; i < std::min<int>(start + per, static_cast<int>(v.size())); ++i)
      j["results"].push_back(openalex_json(*v[static_cast<std::size_t>(i)]));
    j["meta"]["next_cursor"] = start < static_cast<int>(v.size())
                                   ? json("c" + std::to_string(start + per))
                                   : json(nullptr);
    j["group_by"] = json::array();
    res.set_content(j.dump(), "application/json");
  });
  port_ = s.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeScholar::~FakeScholar() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeScholar::s2_base() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/graph/v1";
}
std::string FakeScholar::openalex_base() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void FakeScholar::fail_next(const std::string& prefix, const std::vector<Fault>& faults) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.emplace_back(prefix, std::deque<Fault>(faults.begin(), faults.end()));
}

std::vector<SeenRequest> FakeScholar::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

void FakeScholar::clear_requests() {
  std::lock_guard<std::mutex> lock(mu_);
  seen_.clear();
}

}  // namespace rlab::test
