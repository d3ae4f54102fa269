// Sources: requests through the response cache (fresh entries, --offline, --refresh), the
// checks every answered page gets, and the search over the chosen sources.
#include "rlab/error.h"
#include "rlab/litsearch.h"

#include <nlohmann/json.hpp>

#include "api_records.h"

namespace rlab::litsearch {

using nlohmann::json;

namespace detail {

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

[[noreturn]] void fail_offline(const std::string& what, int page, const std::string& key) {
  EnvironmentError e(what + ": page " + std::to_string(page) +
                     " is not in the cache and --offline is set (" + key + ")");
  e.add_note("run once without --offline to fill the cache");
  throw e;
}

}  // namespace detail

using detail::fail_offline;
using detail::fail_page;
using detail::openalex_field_filter;

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
  if (policy_.offline) fail_offline(what, page, key);
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

}  // namespace rlab::litsearch
