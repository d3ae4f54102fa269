// rlab lit-search: HTTP client against loopback servers, sources and paging, cache, dedup,
// keyword analysis against the Python reference, exports, and the command end to end.
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/http.h"
#include "rlab/litsearch.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dirent.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "../lib/litsearch/disk_cache.h"
#include "support/lit_server.h"
#include "support/run.h"
#include "support/svg.h"

namespace rlab::test {
namespace {

using namespace rlab::litsearch;
using nlohmann::json;

// In-memory cache for core tests.
class MemCache : public Cache {
 public:
  std::optional<CachedResponse> get(const std::string& key) override {
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const CachedResponse& v) override { m[key] = v; }
  std::map<std::string, CachedResponse> m;
};

net::ClientOptions fast_options(std::vector<double>* sleeps) {
  net::ClientOptions o;
  o.total_timeout_s = 5;
  o.connect_timeout_s = 2;
  o.max_retries = 3;
  o.backoff_base_s = 0.5;
  o.seed = 7;
  o.sleep = [sleeps](double s) {
    if (sleeps != nullptr) sleeps->push_back(s);
  };
  return o;
}

Endpoints endpoints(const FakeScholar& s) {
  Endpoints e;
  e.s2_base = s.s2_base();
  e.openalex_base = s.openalex_base();
  return e;
}

// A fake server, a client and a fetcher reading from it without a cache.
struct Online {
  explicit Online(std::vector<FakePaper> corpus) : s(std::move(corpus)) {}
  FakeScholar s;
  std::unique_ptr<net::HttpClient> c = net::make_curl_client(fast_options(nullptr));
  Fetcher f{*c, nullptr, {}, endpoints(s)};
};

Query text_query(std::string text) {
  Query q;
  q.text = std::move(text);
  return q;
}

// ---- HTTP client ------------------------------------------------------------------------

TEST(LitSearchHttp, RetriesAfter429HonouringRetryAfter) {
  FakeScholar s(FakeScholar::make_corpus(10));
  s.fail_next("/graph/v1/paper/search", {Fault{429,
                                               R"({"message":"Too Many Requests"})",
                                               "application/json",
                                               {{"Retry-After", "7"}},
                                               0}});
  std::vector<double> sleeps;
  auto c = net::make_curl_client(fast_options(&sleeps));
  const auto r = c->send({"GET", s.s2_base() + "/paper/search?query=x&limit=5", "", {}, {}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 2);
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_GE(sleeps[0], 7.0);  // the server's Retry-After is a floor on the wait
}

TEST(LitSearchHttp, RetryAfterAsHttpDate) {
  EXPECT_DOUBLE_EQ(net::parse_retry_after("120", 0), 120);
  // 1445412480 = Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_DOUBLE_EQ(net::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0 - 30), 30);
  EXPECT_LT(net::parse_retry_after("soon", 0), 0);
}

TEST(LitSearchHttp, ServerErrorsThenSuccess) {
  FakeScholar s(FakeScholar::make_corpus(10));
  s.fail_next(
      "/graph/v1/paper/search",
      {Fault{}, Fault{503, "<html><title>Service Unavailable</title></html>", "text/html", {}, 0}});
  std::vector<double> sleeps;
  auto c = net::make_curl_client(fast_options(&sleeps));
  const auto r = c->send({"GET", s.s2_base() + "/paper/search?query=x", "", {}, {}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 3);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LE(sleeps[0], 0.5);  // full jitter in [0, base * 2^k]
  EXPECT_LE(sleeps[1], 1.0);
}

TEST(LitSearchHttp, GivesUpAfterMaxRetriesWithTheLastResponse) {
  FakeScholar s(FakeScholar::make_corpus(10));
  s.fail_next("/graph/v1/paper/search",
              std::vector<Fault>(
                  5, Fault{429, R"({"message":"Too Many Requests"})", "application/json", {}, 0}));
  auto o = fast_options(nullptr);
  o.max_retries = 2;
  auto c = net::make_curl_client(o);
  const auto r = c->send({"GET", s.s2_base() + "/paper/search?query=x", "", {}, {}});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(s.requests().size(), 3u);
}

TEST(LitSearchHttp, TimeoutIsRetriedThenReported) {
  FakeScholar s(FakeScholar::make_corpus(10));
  s.fail_next("/graph/v1/paper/search", {Fault{200, "{}", "application/json", {}, 1500},
                                         Fault{200, "{}", "application/json", {}, 1500}});
  auto o = fast_options(nullptr);
  o.total_timeout_s = 0.3;
  o.max_retries = 1;
  auto c = net::make_curl_client(o);
  try {
    c->send({"GET", s.s2_base() + "/paper/search?query=x", "", {}, {}});
    FAIL() << "expected a NetworkError";
  } catch (const net::NetworkError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("after 2 attempts"), std::string::npos) << e.what();
  }
}

TEST(LitSearchHttp, GzipUserAgentAndSecretHeaders) {
  FakeScholar s(FakeScholar::make_corpus(300));
  auto c = net::make_curl_client(fast_options(nullptr));
  net::HttpRequest req{"GET",
                       s.s2_base() + "/paper/search?query=x&limit=100",
                       "",
                       {},
                       {{"x-api-key", "SECRET-KEY-123"}}};
  const auto r = c->send(req);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("content-encoding"), "gzip");
  EXPECT_EQ(json::parse(r.body)["data"].size(), 100u);  // decoded
  const auto seen = s.requests().back();
  EXPECT_NE(seen.headers.at("accept-encoding").find("gzip"), std::string::npos);
  EXPECT_EQ(seen.headers.at("user-agent").rfind("rlab/", 0), 0u);
  EXPECT_EQ(seen.headers.at("x-api-key"), "SECRET-KEY-123");
  EXPECT_EQ(req.describe().find("SECRET"), std::string::npos);
}

TEST(LitSearchHttp, PacingSpacesRequests) {
  FakeScholar s(FakeScholar::make_corpus(3));
  std::vector<double> sleeps;
  auto o = fast_options(&sleeps);
  double clock = 100;
  o.now = [&clock] { return clock; };
  o.min_interval_s = 1.05;
  auto c = net::make_curl_client(o);
  c->send({"GET", s.s2_base() + "/paper/search?query=x", "", {}, {}});
  clock += 0.25;
  c->send({"GET", s.s2_base() + "/paper/search?query=x", "", {}, {}});
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_NEAR(sleeps[0], 0.8, 1e-9);
}

// ---- Sources and paging -----------------------------------------------------------------

TEST(LitSearchSources, RelevanceStopsAtTheThousandCap) {
  auto&& [s, c, f] = Online(FakeScholar::make_corpus(2500));
  s.set_next_beyond_cap(true);
  Query q = text_query("battery");
  q.limit = 5000;
  const auto papers = f.search(q);
  EXPECT_EQ(papers.size(), 1000u);
  EXPECT_EQ(papers[999].paper_id, "P0999");
  for (const auto& r : s.requests()) {
    EXPECT_EQ(r.query.find("offset=1000"), std::string::npos) << r.query;
  }
  EXPECT_EQ(s.requests().size(), 10u);
  ASSERT_FALSE(f.stats().notes.empty());
  EXPECT_NE(f.stats().notes[0].find("1000"), std::string::npos);
}

TEST(LitSearchSources, RelevanceLastPageAndEmptyResult) {
  auto&& [s, c, f] = Online(FakeScholar::make_corpus(250));
  Query q = text_query("state-of-the-art battery");
  q.limit = 1000;
  EXPECT_EQ(f.search(q).size(), 250u);  // `next` absent on page 3 ends paging
  EXPECT_EQ(s.requests().size(), 3u);
  EXPECT_NE(s.requests()[0].query.find("query=state of the art battery"), std::string::npos);
  q.text = "nothingmatches";
  EXPECT_TRUE(f.search(q).empty());  // {"total":0,"offset":0} without data
}

TEST(LitSearchSources, FiltersAreSent) {
  auto&& [s, c, f] = Online(FakeScholar::make_corpus(100));
  Query q = text_query("x");
  q.years = parse_year_range("2020-");
  q.min_citations = 100;
  q.venues = {"Nature"};
  q.fields_of_study = {"Computer Science"};
  const auto papers = apply_filters(f.search(q), q);
  const std::string sent = s.requests()[0].query;
  for (const char* p :
       {"year=2020-", "minCitationCount=100", "venue=Nature", "fieldsOfStudy=Computer Science"}) {
    EXPECT_NE(sent.find(p), std::string::npos) << sent;
  }
  for (const auto& p : papers) {
    EXPECT_GE(*p.year, 2020);
    EXPECT_GE(*p.citations, 100);
  }
}

TEST(LitSearchSources, BulkFollowsTokens) {
  auto&& [s, c, f] = Online(FakeScholar::make_corpus(2500));
  Query q = text_query("battery + (graph | bayesian)");
  q.mode = Mode::kBulk;
  q.limit = 100000;
  q.sort = "citationCount:desc";
  const auto papers = f.search(q);
  EXPECT_EQ(papers.size(), 2500u);
  ASSERT_EQ(s.requests().size(), 3u);
  EXPECT_NE(s.requests()[1].query.find("token=t1000"), std::string::npos);
  EXPECT_NE(s.requests()[0].query.find("sort=citationCount:desc"), std::string::npos);
}

TEST(LitSearchSources, OpenAlexCursorPagingAndAbstracts) {
  const auto corpus = FakeScholar::make_corpus(250);
  auto&& [s, c, f] = Online(corpus);
  Query q = text_query("x");
  q.source = Source::kOpenAlex;
  q.limit = 1000;
  const auto papers = f.search(q);
  ASSERT_EQ(papers.size(), 250u);
  for (std::size_t i = 0; i < papers.size(); ++i) {
    EXPECT_EQ(papers[i].abstract, corpus[i].abstract) << i;  // rebuilt from the inverted index
    EXPECT_EQ(papers[i].doi, corpus[i].doi);
  }
  EXPECT_NE(s.requests()[1].query.find("cursor=c100"), std::string::npos);
}

TEST(LitSearchSources, OpenAlexVenueAndFieldFiltersAreSentExactly) {
  FakeScholar s(FakeScholar::make_corpus(200));
  auto c = net::make_curl_client(fast_options(nullptr));
  MemCache cache;
  CachePolicy policy;
  Fetcher f(*c, &cache, policy, endpoints(s));
  Query q = text_query("battery life");
  q.source = Source::kOpenAlex;
  q.years = parse_year_range("2016-2023");
  q.min_citations = 100;
  q.venues = {"journal 1"};  // resolved to S101, not to the higher-ranked "Journal 1 Letters"
  q.fields_of_study = {"Computer Science", "Biology", "physics and astronomy"};
  q.limit = 1000;
  const auto papers = f.search(q);
  const auto seen = s.requests();
  ASSERT_EQ(seen.size(), 3u);  // the lookup, then two pages (the second one is empty)
  EXPECT_EQ(seen[0].target, "/sources?search=journal%201&per-page=10");
  // publication_year:2016-2023,cited_by_count:>99,primary_topic.field.id:17|11|13|24|31,
  // primary_location.source.id:S101 - one filter parameter, URL-encoded.
  EXPECT_EQ(seen[1].target,
            "/works?search=battery%20life&per-page=100&cursor=%2A&filter=publication_year%3A2016-"
            "2023%2Ccited_by_count%3A%3E99%2Cprimary_topic.field.id%3A17%7C11%7C13%7C24%7C31%"
            "2Cprimary_location.source.id%3AS101");
  ASSERT_FALSE(papers.empty());
  for (const auto& p : papers) EXPECT_EQ(p.venue, "Journal 1");
  // The lookup is cached like any page: offline, the same search needs no server.
  s.clear_requests();
  CachePolicy offline;
  offline.offline = true;
  Fetcher g(*c, &cache, offline, endpoints(s));
  EXPECT_EQ(g.search(q).size(), papers.size());
  EXPECT_TRUE(s.requests().empty());
  EXPECT_EQ(g.stats().cache_hits, 3);
}

TEST(LitSearchSources, OpenAlexVenuesByIssnAndIdAndUnknown) {
  auto&& [s, c, f] = Online(FakeScholar::make_corpus(50));
  Query q = text_query("x");
  q.source = Source::kOpenAlex;
  q.venues = {"1111-1002", "https://openalex.org/S100", "Nowhere Letters"};
  const auto papers = f.search(q);
  const auto seen = s.requests();
  ASSERT_EQ(seen.size(), 4u);  // the id needs no lookup; two pages of works
  EXPECT_EQ(seen[0].target, "/sources?filter=issn%3A1111-1002&per-page=10");
  EXPECT_EQ(seen[1].target, "/sources?search=Nowhere%20Letters&per-page=10");
  EXPECT_EQ(seen[2].target,
            "/works?search=x&per-page=100&cursor=%2A&filter=primary_location.source.id%3AS102%"
            "7CS100");
  ASSERT_EQ(f.stats().notes.size(), 1u);
  EXPECT_EQ(f.stats().notes[0], "OpenAlex knows no source (venue) matching 'Nowhere Letters'");
  for (const auto& p : papers) EXPECT_TRUE(p.venue == "Journal 2" || p.venue == "Journal 0");
  // No venue known at all: OpenAlex is not searched unfiltered.
  s.clear_requests();
  Fetcher g(*c, nullptr, {}, endpoints(s));
  q.venues = {"Nowhere Letters"};
  EXPECT_TRUE(g.search(q).empty());
  EXPECT_EQ(s.requests().size(), 1u);
  EXPECT_EQ(g.stats().notes.back(), "no venue is known to OpenAlex: nothing searched there");
}

// Counts sent as floats count by their whole part; one past the range of long long is no count
// (a cited_by_count of 1e300 was a float-cast overflow, found by the fuzzer).
TEST(LitSearchSources, FloatCountsInRangeOrDropped) {
  const Paper w = parse_openalex_work(
      R"({"id": "https://openalex.org/W1", "cited_by_count": 12.0, "publication_year": 2021.0})");
  EXPECT_EQ(w.citations, 12);
  EXPECT_EQ(w.year, 2021);
  for (const char* big : {"1e300", "-1e19", "9223372036854775808.0"}) {
    EXPECT_FALSE(parse_openalex_work(std::string(R"({"id": "W2", "cited_by_count": )") + big + "}")
                     .citations.has_value())
        << big;
    EXPECT_FALSE(parse_s2_paper(std::string(R"({"paperId": "p", "citationCount": )") + big + "}")
                     .citations.has_value())
        << big;
  }
  EXPECT_EQ(parse_s2_paper(R"({"paperId": "p", "citationCount": -9.2e18})").citations,
            -9200000000000000000LL);
}

TEST(LitSearchSources, OpenAlexFieldMapping) {
  EXPECT_EQ(openalex_fields("Computer Science"), std::vector<int>({17}));
  EXPECT_EQ(openalex_fields("computer-science"), std::vector<int>({17}));
  EXPECT_EQ(openalex_fields("Biology"), std::vector<int>({11, 13, 24}));
  EXPECT_EQ(openalex_fields("Linguistics"), std::vector<int>({12, 33}));
  EXPECT_EQ(openalex_fields("Economics, Econometrics and Finance"), std::vector<int>({20}));
  EXPECT_EQ(openalex_fields("36"), std::vector<int>({36}));
  EXPECT_TRUE(openalex_fields("10").empty());
  EXPECT_TRUE(openalex_fields("Alchemy").empty());
  // All 23 S2 fields of study map somewhere.
  for (const char* f : {"Computer Science",
                        "Medicine",
                        "Chemistry",
                        "Biology",
                        "Materials Science",
                        "Physics",
                        "Geology",
                        "Psychology",
                        "Art",
                        "History",
                        "Geography",
                        "Sociology",
                        "Business",
                        "Political Science",
                        "Economics",
                        "Philosophy",
                        "Mathematics",
                        "Engineering",
                        "Environmental Science",
                        "Agricultural and Food Sciences",
                        "Education",
                        "Law",
                        "Linguistics"}) {
    EXPECT_FALSE(openalex_fields(f).empty()) << f;
  }
}

TEST(LitSearchSources, RebuildAbstract) {
  EXPECT_EQ(rebuild_abstract(R"({"Deep":[0],"learning":[1,4],"is":[2],"about":[3]})"),
            "Deep learning is about learning");
  EXPECT_FALSE(rebuild_abstract("null").has_value());
}

TEST(LitSearchSources, BatchKeepsNullSlots) {
  auto&& [s, c, f] = Online(FakeScholar::make_corpus(20));
  const auto got = f.batch({"P0003", "nonexistent", "DOI:10.1000/fake.7"}, {});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0]->paper_id, "P0003");
  EXPECT_FALSE(got[1].has_value());
  EXPECT_EQ(got[2]->paper_id, "P0007");
  EXPECT_EQ(s.requests()[0].method, "POST");
  EXPECT_EQ(json::parse(s.requests()[0].body)["ids"].size(), 3u);
}

TEST(LitSearchSources, CitationsPageAndUnknownPaperIs404) {
  auto&& [s, c, f] = Online(FakeScholar::make_corpus(1500));
  EXPECT_EQ(f.neighbours("P0001", true, 1200, {}).size(), 1200u);
  try {
    f.neighbours("XYZ", false, 10, {});
    FAIL();
  } catch (const EnvironmentError& e) {
    EXPECT_STREQ(
        e.what(),
        "Semantic Scholar references: page 1 failed: HTTP 404: Paper with id XYZ not found");
  }
}

TEST(LitSearchSources, FaultMidPagingKeepsEarlierPagesAndResumes) {
  FakeScholar s(FakeScholar::make_corpus(500));
  auto o = fast_options(nullptr);
  o.max_retries = 0;
  auto c = net::make_curl_client(o);
  MemCache cache;
  Query q = text_query("battery");
  q.limit = 500;
  {
    Fetcher f(*c, &cache, {}, endpoints(s));
    EXPECT_EQ(f.search_s2_relevance(q).size(), 500u);
    EXPECT_EQ(cache.m.size(), 5u);  // every page is stored
  }
  cache.m.clear();
  FakeScholar s2(FakeScholar::make_corpus(500));
  // Pages 1-2 are served, page 3 fails with a 500 (no retries left).
  s2.fail_next("/graph/v1/paper/search",
               {Fault{0, "", "", {}, 0}, Fault{0, "", "", {}, 0}, Fault{}});
  {
    Fetcher f(*c, &cache, {}, endpoints(s2));
    try {
      f.search_s2_relevance(q);
      FAIL();
    } catch (const EnvironmentError& e) {
      EXPECT_STREQ(e.what(),
                   "Semantic Scholar search: page 3 failed: HTTP 500: Internal Server Error");
      ASSERT_EQ(e.notes().size(), 1u);
      EXPECT_EQ(e.notes()[0], "pages 1-2 are in the cache; rerunning resumes from page 3");
    }
  }
  EXPECT_EQ(cache.m.size(), 2u);
  s2.clear_requests();
  Fetcher again(*c, &cache, {}, endpoints(s2));
  EXPECT_EQ(again.search_s2_relevance(q).size(), 500u);
  EXPECT_EQ(again.stats().cache_hits, 2);
  EXPECT_EQ(s2.requests().size(), 3u);  // pages 3-5 only
}

TEST(LitSearchSources, ErrorBodiesAreShown) {
  FakeScholar s(FakeScholar::make_corpus(10));
  auto o = fast_options(nullptr);
  o.max_retries = 0;
  auto c = net::make_curl_client(o);
  Query q = text_query("x");
  struct Case {
    Fault fault;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{400,
        R"({"error":"Unrecognized or unsupported fields: [bogus]"})",
        "application/json",
        {},
        0},
       "Semantic Scholar search: page 1 failed: HTTP 400: Unrecognized or unsupported fields: "
       "[bogus]"},
      {{403, R"({"message":"Forbidden"})", "application/json", {}, 0},
       "Semantic Scholar search: page 1 failed: HTTP 403: Forbidden"},
      {{502,
        "<html><head><title>502 Bad Gateway</title></head><body>cloudfront</body></html>",
        "text/html",
        {},
        0},
       "Semantic Scholar search: page 1 failed: HTTP 502: 502 Bad Gateway (HTML error page)"},
      {{200,
        R"({"total": 5, "offset": 0, "data": [{"paperId": "a", "ti)",
        "application/json",
        {},
        0},
       "Semantic Scholar search: page 1 failed: the response is not a JSON object (truncated or "
       "wrong content type 'application/json')"},
      {{200, "<html>maintenance</html>", "text/html", {}, 0},
       "Semantic Scholar search: page 1 failed: the response is not a JSON object (truncated or "
       "wrong content type 'text/html')"},
  };
  for (const auto& k : cases) {
    s.fail_next("/graph/v1/paper/search", {k.fault});
    Fetcher f(*c, nullptr, {}, endpoints(s));
    try {
      f.search(q);
      ADD_FAILURE() << k.message;
    } catch (const EnvironmentError& e) {
      EXPECT_EQ(std::string(e.what()), k.message);
    }
  }
}

TEST(LitSearchSources, OfflineServesOnlyTheCache) {
  FakeScholar s(FakeScholar::make_corpus(150));
  auto c = net::make_curl_client(fast_options(nullptr));
  MemCache cache;
  Query q = text_query("x");
  q.limit = 150;
  CachePolicy online;
  online.now = 1000;
  Fetcher(*c, &cache, online, endpoints(s)).search(q);
  s.clear_requests();
  CachePolicy off = online;
  off.offline = true;
  off.now = 1e9;  // far past the TTL: offline still serves it
  Fetcher f(*c, &cache, off, endpoints(s));
  EXPECT_EQ(f.search(q).size(), 150u);
  EXPECT_TRUE(s.requests().empty());
  q.text = "other";
  EXPECT_THROW(f.search(q), EnvironmentError);
  EXPECT_TRUE(s.requests().empty());
  // Expired entries are refetched online; --refresh refetches fresh ones.
  q.text = "x";
  CachePolicy later = online;
  later.now = online.now + later.ttl_s + 1;
  Fetcher(*c, &cache, later, endpoints(s)).search(q);
  EXPECT_EQ(s.requests().size(), 2u);
  CachePolicy refresh = online;
  refresh.refresh = true;
  Fetcher(*c, &cache, refresh, endpoints(s)).search(q);
  EXPECT_EQ(s.requests().size(), 4u);
}

TEST(LitSearchSources, BothSourcesAreDeduplicated) {
  auto&& [s, c, f] = Online(FakeScholar::make_corpus(40));
  Query q = text_query("x");
  q.source = Source::kBoth;
  q.limit = 40;
  const auto all = f.search(q);
  EXPECT_EQ(all.size(), 80u);
  std::size_t removed = 0;
  const auto d = deduplicate(all, &removed);
  EXPECT_EQ(d.size(), 40u);
  EXPECT_EQ(removed, 40u);
  EXPECT_EQ(d[0].source, "s2+openalex");
  EXPECT_EQ(d[0].openalex_id, "W0000");
}

// ---- Dedup, tokens, analysis ------------------------------------------------------------

// Cache files written by something else: anything but a whole status in 100..599 and a numeric
// stored_at is a miss, never a crash (a float status of 2.07e10 overflowed an int once).
TEST(LitSearchCache, OddEntriesAreMisses) {
  TempDir dir;
  const std::string key = "GET http://127.0.0.1:9/s2/paper/search?query=x";
  DiskCache cache(dir.path());
  auto entry = [&](const std::string& status, const std::string& stored_at) {
    dir.write(DiskCache::file_name(key), "{\"request\":" + json(key).dump() +
                                             ",\"status\":" + status +
                                             ",\"stored_at\":" + stored_at + ",\"body\":\"{}\"}\n");
    return cache.get(key);
  };
  const auto good = entry("200", "1.5");
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->status, 200);
  EXPECT_EQ(good->stored_at, 1.5);
  EXPECT_EQ(good->body, "{}");
  EXPECT_EQ(entry("429", "17")->stored_at, 17.0);
  for (const char* status : {"20700000000.5", "200.0", "99", "600", "-200", "18446744073709551615",
                             "\"200\"", "null", "true"})
    EXPECT_FALSE(entry(status, "1").has_value()) << status;
  EXPECT_FALSE(entry("200", "\"yesterday\"").has_value());
  EXPECT_FALSE(entry("200", "null").has_value());
  // A request that is not a string threw a JSON type error once (found by the fuzzer).
  for (const char* request : {"200", "null", "[1]", "{}"}) {
    dir.write(DiskCache::file_name(key), std::string("{\"request\":") + request +
                                             ",\"status\":200,\"stored_at\":1,\"body\":\"{}\"}\n");
    EXPECT_FALSE(cache.get(key).has_value()) << request;
  }
}

TEST(LitSearchDedup, IdThenDoiThenTitleAndYear) {
  Paper a;
  a.paper_id = "A";
  a.title = "Deep Learning";
  a.year = 2015;
  Paper b = a;  // same id
  b.citations = 5;
  Paper c;
  c.paper_id = "C";
  c.doi = "10.1/x";
  c.title = "Other";
  Paper d;
  d.paper_id = "W9";
  d.doi = "10.1/x";  // same DOI as c (already case-folded by the parsers)
  d.abstract = "text";
  Paper e;
  e.paper_id = "E";
  e.title = "  deep-learning!  ";  // same normalised title and year as a
  e.year = 2015;
  Paper f = e;
  f.paper_id = "F";
  f.year = 2016;  // same title, other year: kept
  Paper g;
  g.paper_id = "G";
  g.title = "\xEF\xAC\x81nite elements";  // "ﬁ" ligature: NFKC makes it "fi"
  g.year = 2000;
  Paper h = g;
  h.paper_id = "H";
  h.title = "Finite Elements";
  h.citations = 9;  // merged into g, which has moved down to the fourth slot
  std::size_t removed = 0;
  const auto out = deduplicate({a, b, c, d, e, f, g, h}, &removed);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(removed, 4u);
  EXPECT_EQ(out[0].citations, 5);
  EXPECT_EQ(out[1].abstract, "text");
  EXPECT_EQ(out[2].paper_id, "F");
  EXPECT_EQ(out[3].paper_id, "G");
  EXPECT_EQ(out[3].citations, 9);
  // The filters keep the order of what they keep.
  Query q;
  q.years.from = 2015;
  const auto kept = apply_filters(std::vector<Paper>(out), q);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].paper_id, "A");
  EXPECT_EQ(kept[1].paper_id, "F");
  EXPECT_EQ(normalise_title("  Deep-Learning: a <i>Survey</i> "), "deep learning a survey");
}

TEST(LitSearchText, Tokenizer) {
  EXPECT_EQ(
      tokenize("State-of-the-art <i>GAN</i> models, in 2020; $x^2$ \\emph{ML} works."),
      (std::vector<std::string>{"state-of-the-art", "gan", "models", "", "in", "", "ml", "works"}));
  EXPECT_EQ(tokenize("Na\xC3\xAFve  \xEF\xAC\x81ne-tuning of LLMs&amp;AI"),
            (std::vector<std::string>{"naïve", "fine-tuning", "of", "llms", "ai"}));
}

TEST(LitSearchYears, Ranges) {
  EXPECT_EQ(parse_year_range("2020-2024").s2(), "2020-2024");
  EXPECT_EQ(parse_year_range("2020-").s2(), "2020-");
  EXPECT_EQ(parse_year_range("-2019").s2(), "-2019");
  EXPECT_EQ(parse_year_range("2021").s2(), "2021");
  for (const char* bad : {"20-21", "abcd", "-", "2024-2020", "2020-2021-2022"}) {
    EXPECT_THROW(parse_year_range(bad), UsageError) << bad;
  }
}

std::vector<Paper> reference_corpus(json* ref) {
  *ref = json::parse(read_file(source_path("tests/reference/lit_search_keywords.json")));
  std::vector<Paper> ps;
  for (const auto& d : (*ref)["corpus"]) {
    Paper p;
    p.title = d["title"];
    p.abstract = d["abstract"].get<std::string>();
    p.year = d["year"];
    ps.push_back(p);
  }
  return ps;
}

TEST(LitSearchAnalysis, MatchesThePythonReference) {
  json ref;
  const auto papers = reference_corpus(&ref);
  AnalysisOptions o;
  o.top = 1000;
  o.min_z = -1e300;  // every z, to compare them all
  const auto a = analyse(papers, o);
  EXPECT_EQ(a.years, ref["years"].get<std::vector<int>>());
  std::map<std::string, Term> got;
  for (const auto* list : {&a.keywords, &a.phrases}) {
    for (const auto& t : *list) got[t.text] = t;
  }
  ASSERT_EQ(got.size(), ref["terms"].size());
  std::map<std::string, Term> dist;
  for (const auto& t : a.distinctive) dist[t.text] = t;
  for (const auto& [term, r] : ref["terms"].items()) {
    ASSERT_TRUE(got.count(term)) << term;
    EXPECT_EQ(got[term].df, r["df"].get<long long>()) << term;
    if (r["a"].get<int>() >= 2) {
      ASSERT_TRUE(dist.count(term)) << term;
      EXPECT_NEAR(dist[term].z, r["z"].get<double>(), 1e-9) << term;
      EXPECT_NEAR(dist[term].log_odds, r["log_odds"].get<double>(), 1e-9) << term;
    }
  }
  ASSERT_EQ(a.bins.size(), ref["year_bins"].size());
  for (std::size_t i = 0; i < a.bins.size(); ++i) {
    EXPECT_EQ(a.bins[i].first, ref["year_bins"][i][0]);
    EXPECT_EQ(a.bins[i].last, ref["year_bins"][i][1]);
    EXPECT_EQ(a.bins[i].documents, ref["year_bins"][i][2]);
  }
  for (const auto& row : a.trends) {
    const auto& shares = ref["terms"][row.term]["shares"];
    for (std::size_t y = 0; y < a.years.size(); ++y) {
      EXPECT_NEAR(row.shares[y], shares[std::to_string(a.years[y])].get<double>(), 1e-12)
          << row.term;
    }
    EXPECT_EQ(row.bin_counts, ref["terms"][row.term]["bin_counts"].get<std::vector<long long>>())
        << row.term;
    for (std::size_t b = 0; b < a.bins.size(); ++b) {
      EXPECT_DOUBLE_EQ(row.bin_shares[b], static_cast<double>(row.bin_counts[b]) /
                                              static_cast<double>(a.bins[b].documents));
    }
  }
  EXPECT_EQ(a.keywords[0].text, "models");  // most documents (reference: df 6)
  // Folded plurals count as one keyword, shown as the commonest form.
  EXPECT_TRUE(got.count("battery"));
  EXPECT_FALSE(got.count("batteries"));
  EXPECT_TRUE(got.count("kernels"));  // "graph kernels" twice, "kernel" once
  EXPECT_FALSE(got.count("kernel"));

  // By default only the significant rows are distinctive: z >= 1.96, or another threshold.
  for (const double min_z : {1.96, 1.0, 0.1}) {
    o.min_z = min_z;
    const auto d = analyse(papers, o);
    std::set<std::string> want;
    long long tested = 0;
    for (const auto& [term, r] : ref["terms"].items()) {
      if (r["a"].get<int>() < 2) continue;
      ++tested;
      if (r["z"].get<double>() >= min_z) want.insert(term);
    }
    std::set<std::string> have;
    for (const auto& t : d.distinctive) have.insert(t.text);
    EXPECT_EQ(have, want) << min_z;
    EXPECT_EQ(d.distinctive_tested, tested);
    EXPECT_EQ(d.min_z, min_z);
  }
  o.min_z = 1.96;
  EXPECT_TRUE(analyse(papers, o).distinctive.empty());  // no reference z reaches 1.96
}

TEST(LitSearchAnalysis, PluralFoldingMatchesThePythonReference) {
  const json ref = json::parse(read_file(source_path("tests/reference/lit_search_folding.json")));
  std::set<std::string> known;
  const auto stop = ref["stop"].get<std::set<std::string>>();
  for (const auto& w : ref["vocab"]) {
    if (stop.count(w) == 0) known.insert(w.get<std::string>());
  }
  auto in = [&](std::string_view w) { return known.count(std::string(w)) != 0; };
  for (const auto& [word, singular] : ref["fold"].items())
    EXPECT_EQ(fold_plural(word, in), singular.get<std::string>()) << word;
  // The plain English the rules are for, whatever the reference says.
  const std::map<std::string, std::string> english = {{"models", "model"},
                                                      {"studies", "study"},
                                                      {"analyses", "analysis"},
                                                      {"machines", "machine"},
                                                      {"glass", ""},
                                                      {"analysis", ""},
                                                      {"bus", ""},
                                                      {"physics", ""},
                                                      {"processes", "process"},
                                                      {"series", ""},
                                                      {"species", ""},
                                                      {"hypotheses", "hypothesis"}};
  for (const auto& [word, singular] : english) EXPECT_EQ(fold_plural(word, in), singular) << word;
  // Nothing folds to a word the corpus lacks.
  EXPECT_EQ(fold_plural("models", [](std::string_view) { return false; }), "");
}

TEST(LitSearchAnalysis, YearBinsMatchThePythonReference) {
  const json ref = json::parse(read_file(source_path("tests/reference/lit_search_folding.json")));
  for (const auto& c : ref["bins"]) {
    const auto bins = year_bins(c["years"].get<std::vector<int>>(),
                                c["docs"].get<std::vector<long long>>(), c["min"].get<int>());
    ASSERT_EQ(bins.size(), c["bins"].size()) << c.dump();
    for (std::size_t i = 0; i < bins.size(); ++i) {
      EXPECT_EQ(bins[i].first, c["bins"][i][0]) << c.dump();
      EXPECT_EQ(bins[i].last, c["bins"][i][1]) << c.dump();
      EXPECT_EQ(bins[i].documents, c["bins"][i][2]) << c.dump();
    }
  }
  EXPECT_TRUE(year_bins({}, {}, 5).empty());
  EXPECT_EQ((YearBin{1977, 1992, 6}).label(), "1977-1992");
  EXPECT_EQ((YearBin{2008, 2008, 23}).label(), "2008");
}

Term* find_term(std::vector<Term>& ts, const std::string& text) {
  for (auto& t : ts) {
    if (t.text == text) return &t;
  }
  return nullptr;
}

std::vector<Paper> papers_of(const std::vector<std::pair<int, std::string>>& texts) {
  std::vector<Paper> ps;
  for (const auto& [year, text] : texts) {
    Paper p;
    p.title = text;
    p.abstract = "";
    if (year != 0) p.year = year;
    ps.push_back(p);
  }
  return ps;
}

TEST(LitSearchAnalysis, QueryWordsAreLeftOutUnlessKept) {
  const auto ps = papers_of({{1936, "Turing machines and computable numbers"},
                             {1937, "Universal Turing machine tapes"},
                             {1950, "Turing machine halting and computable numbers"},
                             {1951, "Turing test of thinking machines"}});
  AnalysisOptions o;
  o.query = "Turing machine";
  auto a = analyse(ps, o);
  EXPECT_EQ(find_term(a.keywords, "turing"), nullptr);
  EXPECT_EQ(find_term(a.keywords, "machines"), nullptr);       // folded with machine: a query word
  EXPECT_EQ(find_term(a.phrases, "turing machine"), nullptr);  // only query words
  ASSERT_NE(find_term(a.phrases, "computable numbers"), nullptr);
  ASSERT_NE(find_term(a.keywords, "computable"), nullptr);
  ASSERT_EQ(a.query_terms.size(), 2u);
  EXPECT_EQ(a.query_terms[0].df, 4);
  EXPECT_DOUBLE_EQ(a.query_terms[0].share, 1.0);
  for (const auto& r : a.trends) EXPECT_NE(r.term, "turing");
  // Kept on request, and nothing is left out without a query.
  o.keep_query_terms = true;
  a = analyse(ps, o);
  ASSERT_NE(find_term(a.keywords, "turing"), nullptr);
  EXPECT_EQ(find_term(a.keywords, "turing")->df, 4);
  ASSERT_NE(find_term(a.keywords, "machine"), nullptr);  // machine 2, machines 2: the smaller
  EXPECT_EQ(find_term(a.keywords, "machine")->df, 4);
  o.keep_query_terms = false;
  for (const char* q : {"", "the of and", "  ", "\u00e9\u00e9\u00e9 \xF0\x9F\x98\x80"}) {
    o.query = q;
    a = analyse(ps, o);
    EXPECT_NE(find_term(a.keywords, "turing"), nullptr) << q;
    EXPECT_TRUE(a.query_terms.empty()) << q;
  }
  // A unicode query word is matched as the tokenizer reads it (NFKC, lower case).
  const auto u = papers_of({{2020, "Schr\u00f6dinger equation solvers"},
                            {2021, "SCHR\u00d6DINGER bridges and equation fitting"}});
  o.query = "schro\u0308dinger";  // decomposed o + combining diaeresis
  a = analyse(u, o);
  EXPECT_EQ(find_term(a.keywords, "schr\u00f6dinger"), nullptr);
  EXPECT_NE(find_term(a.keywords, "equation"), nullptr);
}

TEST(LitSearchAnalysis, SplitWordsAreRejoinedOnlyWhenThePartsAreNoWords) {
  const auto ps = papers_of({{1936, "A review of the litera ture on struc ture"},
                             {1937, "Literature on structure and tempera- ture"},
                             {1938, "Temperature and structure in the literature"},
                             {1939, "The data base and a database; data and base"},
                             {1940, "Data base design"}});
  AnalysisOptions o;
  auto a = analyse(ps, o);
  EXPECT_EQ(find_term(a.keywords, "ture"), nullptr);
  EXPECT_EQ(find_term(a.keywords, "litera"), nullptr);
  ASSERT_NE(find_term(a.keywords, "literature"), nullptr);
  EXPECT_EQ(find_term(a.keywords, "literature")->df, 3);
  EXPECT_EQ(find_term(a.keywords, "structure")->df, 3);
  EXPECT_EQ(find_term(a.keywords, "temperature")->df, 2);
  EXPECT_EQ(a.rejoined, 3);  // litera ture, struc ture, tempera- ture
  // "data" and "base" are words of their own: "data base" stays two words.
  EXPECT_EQ(find_term(a.keywords, "database"), nullptr);  // one document
  EXPECT_NE(find_term(a.phrases, "data base"), nullptr);
  o.rejoin_split_words = false;
  a = analyse(ps, o);
  ASSERT_NE(find_term(a.keywords, "ture"), nullptr);
  EXPECT_EQ(find_term(a.keywords, "ture")->df, 2);
  EXPECT_EQ(a.rejoined, 0);
}

TEST(LitSearchAnalysis, SparseYearsAreMergedAndOneYearIsOneBin) {
  std::vector<std::pair<int, std::string>> texts;
  for (int i = 0; i < 29; ++i) texts.push_back({2010, "graphene sensors"});
  texts.push_back({2011, "graphene"});
  texts.push_back({2012, "graphene sensors"});
  texts.push_back({2012, "graphene"});
  AnalysisOptions o;
  auto a = analyse(papers_of(texts), o);
  ASSERT_EQ(a.bins.size(), 1u);  // 2011 and 2012 (3 papers) join 2010
  EXPECT_EQ(a.bins[0].label(), "2010-2012");
  ASSERT_NE(find_term(a.keywords, "sensors"), nullptr);
  for (const auto& r : a.trends) {
    if (r.term == "sensors") {
      EXPECT_EQ(r.bin_counts, std::vector<long long>{30});
    }
  }
  o.min_year_papers = 1;  // every year its own column
  a = analyse(papers_of(texts), o);
  EXPECT_EQ(a.bins.size(), 3u);
  // All papers in one year: one bin, no year background, no distinctive terms.
  a = analyse(papers_of({{2020, "solar cells"}, {2020, "solar cells"}, {2020, "solar panels"}}),
              AnalysisOptions{});
  ASSERT_EQ(a.bins.size(), 1u);
  EXPECT_EQ(a.bins[0].documents, 3);
  EXPECT_TRUE(a.background.empty());
  EXPECT_TRUE(a.distinctive.empty());
  // No years at all, and no papers at all.
  a = analyse(papers_of({{0, "solar cells"}, {0, "solar cells"}}), AnalysisOptions{});
  EXPECT_TRUE(a.bins.empty());
  a = analyse({}, AnalysisOptions{});
  EXPECT_TRUE(a.keywords.empty());
  EXPECT_TRUE(a.bins.empty());
}

TEST(LitSearchAnalysis, StopwordsFileBoilerplateAndStemming) {
  json ref;
  const auto papers = reference_corpus(&ref);
  AnalysisOptions o;
  o.top = 1000;
  auto has = [](const AnalysisResult& a, const std::string& t) {
    for (const auto* l : {&a.keywords, &a.phrases}) {
      for (const auto& x : *l) {
        if (x.text == t) return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has(analyse(papers, o), "battery"));
  o.extra_stopwords = {"battery"};
  const auto a = analyse(papers, o);
  EXPECT_FALSE(has(a, "battery"));
  EXPECT_FALSE(has(a, "lithium-ion battery"));  // phrases may not end with a stop word
  o.extra_stopwords.clear();
  EXPECT_FALSE(has(analyse(papers, o), "propose"));
  std::vector<Paper> two = papers;
  two[1].abstract = *two[1].abstract + " We propose it.";
  EXPECT_FALSE(has(analyse(two, o), "propose"));
  o.boilerplate = false;
  EXPECT_TRUE(has(analyse(two, o), "propose"));
  o.boilerplate = true;
}

TEST(LitSearchAnalysis, StemmingShowsTheCommonestForm) {
  std::vector<Paper> ps(3);
  ps[0].title = "Models here";
  ps[1].title = "Model there";
  ps[2].title = "Models again";
  AnalysisOptions o;
  auto df_of = [](const AnalysisResult& a, const std::string& t) -> long long {
    for (const auto& x : a.keywords) {
      if (x.text == t) return x.df;
    }
    return -1;
  };
  // Plural folding (the default) joins them too, shown as the commoner form.
  EXPECT_EQ(df_of(analyse(ps, o), "models"), 3);
  EXPECT_EQ(df_of(analyse(ps, o), "model"), -1);
  o.fold_plurals = false;
  EXPECT_EQ(df_of(analyse(ps, o), "models"), 2);
  EXPECT_EQ(df_of(analyse(ps, o), "model"), -1);  // one document < min_df 2
  o.stem = true;
  const auto s = analyse(ps, o);
  EXPECT_EQ(df_of(s, "models"), 3);  // model + models, shown as the form used twice
  EXPECT_EQ(df_of(s, "model"), -1);
}

TEST(LitSearchAnalysis, NullAbstractsCounted) {
  std::vector<Paper> ps(3);
  ps[0].title = "a battery paper";
  ps[1].title = "battery again";
  ps[1].abstract = "battery";
  ps[2].title = "x";
  const auto a = analyse(ps, {});
  EXPECT_EQ(a.null_abstracts, 2);
  EXPECT_EQ(a.documents, 3);
}

// ---- Exports ----------------------------------------------------------------------------

TEST(LitSearchExport, BibtexEscapedStableKeys) {
  Paper p;
  p.title = "Costs & benefits of 100% {robust} x_1";
  p.authors = {"Marie Curie", "B"};
  p.year = 2020;
  p.venue = "J. Phys. #1";
  Paper q = p;
  q.title = "Costs again";
  const std::string b = to_bibtex({p, q});
  EXPECT_NE(b.find("@article{curie2020costs,"), std::string::npos) << b;
  EXPECT_NE(b.find("@article{curie2020costsa,"), std::string::npos) << b;
  EXPECT_NE(b.find("title = {{Costs \\& benefits of 100\\% \\{robust\\} x\\_1}}"),
            std::string::npos)
      << b;
  EXPECT_NE(b.find("journal = {J. Phys. \\#1}"), std::string::npos) << b;
  EXPECT_EQ(to_bibtex({p, q}), b);  // stable
}

// The JSON and JSONL exports are written directly, not through nlohmann::json; the reference is
// nlohmann's own dump of the documented record, byte for byte.
TEST(LitSearchExport, JsonAndJsonlAreByteForByteNlohmannDumps) {
  auto reference = [](const Paper& p) {
    auto text_or_null = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
    json j = {{"paperId", p.paper_id},
              {"openalexId", text_or_null(p.openalex_id)},
              {"source", p.source},
              {"doi", text_or_null(p.doi)},
              {"arxiv", text_or_null(p.arxiv)},
              {"title", p.title},
              {"abstract", p.abstract ? json(*p.abstract) : json(nullptr)},
              {"year", p.year ? json(*p.year) : json(nullptr)},
              {"publicationDate", text_or_null(p.publication_date)},
              {"venue", p.venue},
              {"citationCount", p.citations ? json(*p.citations) : json(nullptr)},
              {"authors", p.authors},
              {"fieldsOfStudy", p.fields_of_study},
              {"url", p.url}};
    if (!p.bibtex.empty()) j["bibtex"] = p.bibtex;
    return j;
  };
  std::vector<Paper> papers(4);
  papers[0].paper_id = "P0";  // everything empty or null
  Paper& p = papers[1];
  p.paper_id = "abc\"def\\";
  p.openalex_id = "W1";
  p.source = "s2+openalex";
  p.doi = "10.1/x";
  p.arxiv = "2101.00001";
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls += static_cast<char>(c);
  p.title = "Ctrl: " + controls + " del \x7f quote \" slash \\ /";
  p.abstract = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x8B \xEF\xBF\xBF end\n";
  p.year = -44;
  p.publication_date = "2021-03-04";
  p.venue = "J. \"Q\"";
  p.citations = 9007199254740993LL;
  p.authors = {"Marie Curie", "", "\xC3\x85sa \t Tab"};
  p.fields_of_study = {"Physics"};
  p.url = "https://x.org/a?b=c&d=\"e\"";
  p.bibtex = "@article{k,\n  title={T}\n}";
  papers[2].paper_id = "P2";
  papers[2].abstract = "";  // empty, not null
  papers[2].authors = {"Solo"};
  papers[3] = papers[1];
  papers[3].bibtex.clear();
  std::string jsonl;
  json doc;
  doc["papers"] = json::array();
  for (const Paper& q : papers) {
    jsonl += reference(q).dump() + "\n";
    doc["papers"].push_back(reference(q));
  }
  EXPECT_EQ(to_jsonl(papers), jsonl);
  EXPECT_EQ(to_json(papers, nullptr), doc.dump(2) + "\n");
  EXPECT_EQ(to_json({}, nullptr), json({{"papers", json::array()}}).dump(2) + "\n");
  // Many papers are written on several threads, in order; extra members take their key's place.
  std::vector<Paper> many(5000, papers[1]);
  for (std::size_t i = 0; i < many.size(); ++i) many[i].paper_id = "M" + std::to_string(i);
  json big;
  big["papers"] = json::array();
  for (const Paper& q : many) big["papers"].push_back(reference(q));
  big["query"] = "graph \"neural\"";
  big["requests"] = {{"network", 2}, {"notes", json::array({"a", "b"})}};
  EXPECT_EQ(
      to_json(many, nullptr,
              {{"query", json("graph \"neural\"").dump(2)}, {"requests", big["requests"].dump(2)}}),
      big.dump(2) + "\n");
  // Text that is not UTF-8 fails the way nlohmann fails, in both exports.
  Paper bad = papers[1];
  bad.title = "bad \xC0\xAF overlong";
  EXPECT_THROW(to_jsonl({bad}), json::type_error);
  bad.title = "ok";
  bad.authors = {"\xED\xA0\x80 surrogate"};
  EXPECT_THROW(to_json({bad}, nullptr), json::type_error);
  bad.authors = {"cut \xE2\x82"};
  EXPECT_THROW(to_jsonl({bad}), json::type_error);
  bad.authors = {"past U+10FFFF \xF4\x90\x80\x80"};
  EXPECT_THROW(to_jsonl({bad}), json::type_error);
}

TEST(LitSearchExport, RisCsvJsonlRoundTrip) {
  Paper p;
  p.paper_id = "X1";
  p.title = "A \"quoted\", title";
  p.abstract = "line1\nline2";
  p.year = 2021;
  p.authors = {"A One", "B Two"};
  p.doi = "10.1/abc";
  const std::string ris = to_ris({p});
  EXPECT_NE(
      ris.find(
          "TY  - GEN\r\nTI  - A \"quoted\", title\r\nAU  - A One\r\nAU  - B Two\r\nPY  - 2021\r\n"),
      std::string::npos);
  EXPECT_NE(ris.find("AB  - line1 line2\r\n"), std::string::npos);
  EXPECT_NE(to_csv({p}).find("\"A \"\"quoted\"\", title\""), std::string::npos);
  const auto back = read_papers(to_jsonl({p, p}), "x.jsonl");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].title, p.title);
  EXPECT_EQ(back[0].abstract, p.abstract);
  EXPECT_EQ(back[0].authors, p.authors);
  EXPECT_EQ(read_papers(to_json({p}, nullptr), "x.json")[0].doi, "10.1/abc");
  EXPECT_THROW(read_papers("{\"a\":1}\nnot json\n", "bad.jsonl"), InputError);
}

TEST(LitSearchExport, ReadPapersJsonLinesFieldsAndEscapes) {
  const std::string text =
      R"({"paperId":"A","title":"T\u00e9st \"q\" \ud83d\ude00","abstract":null,"year":2021,)"
      R"("citationCount":12,"authors":["X",1,"Y"],"extra":{"k":[1,2.5e3,true,null,{}]}})"
      "\n  \r\n"
      R"({"paperId":"B","year":2020.0,"citationCount":12345678901,"title":5,"title":"second",)"
      R"("abstract":"caf\u00e9 \u2013 ok","venue":null,"fieldsOfStudy":"Physics"})"
      "\n";
  const auto ps = read_papers(text, "t.jsonl");
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].title, "T\xC3\xA9st \"q\" \xF0\x9F\x98\x80");
  EXPECT_FALSE(ps[0].abstract.has_value());
  EXPECT_EQ(ps[0].year, 2021);
  EXPECT_EQ(ps[0].citations, 12);
  EXPECT_EQ(ps[0].authors, (std::vector<std::string>{"X", "Y"}));  // non-strings skipped
  EXPECT_FALSE(ps[1].year.has_value());                            // 2020.0 is not an integer
  EXPECT_EQ(ps[1].citations, 12345678901LL);
  EXPECT_EQ(ps[1].title, "second");  // a repeated key: the later one counts
  EXPECT_EQ(ps[1].abstract, std::optional<std::string>("caf\xC3\xA9 \xE2\x80\x93 ok"));
  EXPECT_EQ(ps[1].venue, "");
  EXPECT_TRUE(ps[1].fields_of_study.empty());
  // Invalid UTF-8, a lone surrogate and trailing text are errors on their line.
  for (const std::string bad :
       {"{\"title\":\"\xC3\x28\"}", "{\"title\":\"\\udc00\"}", "{\"title\":\"a\"} x"}) {
    try {
      read_papers("{\"title\":\"a\"}\n\n" + bad + "\n", "u.jsonl");
      ADD_FAILURE() << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()),
                "u.jsonl:3:1: not a JSON object (expected one paper per line)");
    }
  }
}

TEST(LitSearchExport, ReadPapersInChunksKeepsOrderAndLineNumbers) {
  std::string text;
  const int n = 6000;  // about 1.5 MB: read in chunks on several threads
  for (int i = 0; i < n; ++i) {
    text += json({{"paperId", "P" + std::to_string(i)},
                  {"title", "Paper number " + std::to_string(i)},
                  {"abstract", std::string(200, 'a' + static_cast<char>(i % 26))}})
                .dump() +
            "\n";
  }
  for (int threads : {1, 2, 3, 7}) {
    const auto ps = read_papers(text, "big.jsonl", threads);
    ASSERT_EQ(ps.size(), static_cast<std::size_t>(n)) << threads;
    for (int i = 0; i < n; i += 997) EXPECT_EQ(ps[i].paper_id, "P" + std::to_string(i));
    EXPECT_EQ(ps.back().paper_id, "P" + std::to_string(n - 1));
  }
  // Blank lines anywhere (chunk borders included) are skipped, and the last line needs no
  // newline.
  std::string gaps;
  for (std::size_t pos = 0, i = 0; pos < text.size(); ++i) {
    const std::size_t nl = text.find('\n', pos);
    gaps += text.substr(pos, nl + 1 - pos);
    if (i % 7 == 0) gaps += i % 2 == 0 ? "\n" : "  \t\r\n";
    pos = nl + 1;
  }
  gaps.pop_back();  // the final newline
  if (gaps.back() == '\n') gaps.pop_back();
  for (int threads : {1, 2, 3, 7}) {
    const auto ps = read_papers(gaps, "gaps.jsonl", threads);
    ASSERT_EQ(ps.size(), static_cast<std::size_t>(n)) << threads;
    for (int i = 0; i < n; i += 499) EXPECT_EQ(ps[i].paper_id, "P" + std::to_string(i));
    EXPECT_EQ(ps.back().paper_id, "P" + std::to_string(n - 1));
  }
  // Line numbers count the blank lines: line 4 is the first paper after two blank lines.
  for (int threads : {1, 3}) {
    try {
      read_papers("\n" + text.substr(0, text.find('\n') + 1) + "\n{\n" + text, "b.jsonl", threads);
      ADD_FAILURE() << threads;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()),
                "b.jsonl:4:1: not a JSON object (expected one paper per line)");
    }
  }
  // Bad lines in the middle and near the end (another chunk): the first one is reported.
  std::string bad = text;
  const auto at = [&](int line) {  // offset of the start of 1-based line `line`
    std::size_t pos = 0;
    for (int i = 1; i < line; ++i) pos = bad.find('\n', pos) + 1;
    return pos;
  };
  bad.insert(at(5990), "[1]\n");
  bad.insert(at(3001), "oops\n");  // line 3001
  for (int threads : {1, 3}) {
    try {
      read_papers(bad, "big.jsonl", threads);
      ADD_FAILURE() << threads;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()),
                "big.jsonl:3001:1: not a JSON object (expected one paper per line)");
    }
  }
}

// ---- End to end -------------------------------------------------------------------------

std::vector<std::string> env_for(const FakeScholar& s, const TempDir& home) {
  return {"RLAB_HOME=" + home.path(), "RLAB_S2_API_BASE=" + s.s2_base(),
          "RLAB_OPENALEX_API_BASE=" + s.openalex_base(), "RLAB_HTTP_BACKOFF_BASE=0.01"};
}

TEST(LitSearchE2E, SearchExportsAndCacheReruns) {
  FakeScholar s(FakeScholar::make_corpus(120));
  TempDir home;
  auto env = env_for(s, home);
  env.push_back("S2_API_KEY=TOPSECRET-42");
  const std::string out = home.path() + "/out";
  const auto r =
      run_rlab({"lit-search", "--query",   "battery",    "--source", "both",         "--limit",
                "60",         "--rate",    "1000",       "--csv",    out + ".csv",   "--bibtex",
                out + ".bib", "--ris",     out + ".ris", "--jsonl",  out + ".jsonl", "--svg",
                out + ".svg", "--summary", out + ".md",  "--format", "json",         "-v"},
               env);
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["papers"].size(), 60u);
  EXPECT_EQ(j["duplicates_merged"], 60);
  EXPECT_EQ(j["requests"]["network"], 2);
  EXPECT_NE(slurp(out + ".svg").find("<svg"), std::string::npos);
  EXPECT_NE(slurp(out + ".md").find("### My thoughts"), std::string::npos);
  EXPECT_EQ(read_papers(slurp(out + ".jsonl"), "x").size(), 60u);
  // The key went to the server, and nowhere else.
  EXPECT_EQ(s.requests()[0].headers.at("x-api-key"), "TOPSECRET-42");
  EXPECT_EQ(r.out.find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(r.err.find("TOPSECRET"), std::string::npos);
  const std::string cache = home.path() + "/cache/lit-search";
  const auto files = list_dir(cache);
  EXPECT_EQ(files.size(), 2u);
  for (const auto& f : files)
    EXPECT_EQ(slurp(cache + "/" + f).find("TOPSECRET"), std::string::npos);
  // A rerun (cron) costs no requests; --offline works without the server's help.
  s.clear_requests();
  const auto again = run_rlab(
      {"lit-search", "--query", "battery", "--source", "both", "--limit", "60", "--format", "json"},
      env);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(s.requests().empty());
  const auto off = run_rlab({"lit-search", "--query", "battery", "--source", "both", "--limit",
                             "60", "--offline", "--format", "json"},
                            env);
  ASSERT_EQ(off.code, 0) << off.err;
  EXPECT_TRUE(s.requests().empty());
  EXPECT_EQ(json::parse(off.out)["papers"].size(), 60u);
}

TEST(LitSearchE2E, StopwordsFileAndBackgroundFileTakeEffect) {
  TempDir home;
  const std::vector<std::string> env = {"RLAB_HOME=" + home.path()};
  auto line = [](const std::string& id, const std::string& title, const std::string& abstract,
                 int year) {
    return json({{"paperId", id}, {"title", title}, {"abstract", abstract}, {"year", year}})
               .dump() +
           "\n";
  };
  const std::string fg = home.write(
      "fg.jsonl", line("A", "Sodium battery anodes", "Sodium anodes cycle well.", 2024) +
                      line("B", "Sodium battery cathodes", "Cathodes and anodes.", 2024) +
                      line("C", "Lithium battery ageing", "Battery ageing models.", 2024));
  const std::string bg =
      home.write("bg.jsonl", line("X", "Lithium battery ageing", "Ageing of lithium cells.", 2010) +
                                 line("Y", "Lithium battery models", "Ageing models.", 2011));
  auto terms = [](const json& j, const char* list) {
    std::map<std::string, json> m;
    for (const auto& t : j["analysis"][list]) m[t["term"].get<std::string>()] = t;
    return m;
  };
  auto r = run_rlab({"lit-search", "--from", fg, "--format", "json"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  auto k = terms(json::parse(r.out), "keywords");
  EXPECT_EQ(k.at("battery")["df"], 3);
  EXPECT_EQ(k.at("sodium")["df"], 2);
  EXPECT_EQ(terms(json::parse(r.out), "phrases").at("sodium battery")["df"], 2);
  // Words of the --stopwords file (any case) are neither keywords nor phrase ends.
  r = run_rlab({"lit-search", "--from", fg, "--stopwords",
                home.write("stop.txt", "Battery  SODIUM\n"), "--format", "json"},
               env);
  ASSERT_EQ(r.code, 0) << r.err;
  k = terms(json::parse(r.out), "keywords");
  EXPECT_EQ(k.count("battery"), 0u);
  EXPECT_EQ(k.count("sodium"), 0u);
  EXPECT_EQ(k.at("anodes")["df"], 2);
  EXPECT_TRUE(json::parse(r.out)["analysis"]["phrases"].empty());
  // --background FILE: document counts of the background and log-odds against it. Terms only
  // in the foreground (a = 2, b = 0) tie on z and are ordered by text; "battery" (a = 3, b = 2)
  // is less distinctive.
  r = run_rlab(
      {"lit-search", "--from", fg, "--background", bg, "--min-z", "-1e9", "--format", "json"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  const json a = json::parse(r.out);
  EXPECT_EQ(a["analysis"]["background"], "file");
  EXPECT_EQ(a["analysis"]["background_documents"], 2);
  k = terms(a, "keywords");
  EXPECT_EQ(k.at("battery")["background_df"], 2);
  EXPECT_EQ(k.at("sodium")["background_df"], 0);
  std::vector<std::string> order;
  for (const auto& t : a["analysis"]["distinctive"]) order.push_back(t["term"]);
  EXPECT_EQ(order, (std::vector<std::string>{"anodes", "sodium", "sodium battery", "battery"}));
  EXPECT_LT(a["analysis"]["distinctive"][3]["z"].get<double>(), 0);
  // By default only z >= 1.96 is distinctive; three papers against two reach none of it, and
  // the table says so instead of listing noise.
  r = run_rlab({"lit-search", "--from", fg, "--background", bg, "--format", "json"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& t : a["analysis"]["distinctive"]) ASSERT_LT(t["z"].get<double>(), 1.96);
  EXPECT_TRUE(json::parse(r.out)["analysis"]["distinctive"].empty());
  EXPECT_EQ(json::parse(r.out)["analysis"]["distinctive_tested"], 4);
  r = run_rlab({"lit-search", "--from", fg, "--background", bg}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("No term is significantly more frequent than in file (none of 4 terms "
                       "tested has z >= 1.96)."),
            std::string::npos)
      << r.out;
  // -vv says where the time went, step by step.
  r = run_rlab({"lit-search", "--from", fg, "--background", bg, "-vv"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* step :
       {"lit-search timings: read ", "dedup+filter ", "read background ", "analysis (prepare ",
        "tokenise ", "count ", "phrases ", "rank ", "trends ", "output "})
    EXPECT_NE(r.err.find(step), std::string::npos) << step << "\n" << r.err;
  r = run_rlab({"lit-search", "--from", fg, "-v"}, env);
  EXPECT_EQ(r.err.find("timings"), std::string::npos) << r.err;
}

// An OpenAlex list response read with --from, a query whose words are left out, the top papers
// listed with a line for the rest, and trend columns of merged sparse years with counts.
TEST(LitSearchE2E, OpenAlexResponseTopPapersAndReadableAnalysis) {
  TempDir home;
  const std::vector<std::string> env = {"RLAB_HOME=" + home.path()};
  json results = json::array();
  const std::vector<int> years = {1977, 1990, 2008, 2008, 2008, 2008, 2008, 2009, 2009,
                                  2009, 2009, 2009, 2010, 2010, 2010, 2010, 2010};
  for (std::size_t i = 0; i < years.size(); ++i) {
    const bool late = years[i] >= 2009;
    results.push_back({{"id", "https://openalex.org/W" + std::to_string(100 + i)},
                       {"title", "Biodiversity finance paper " + std::to_string(i)},
                       {"publication_year", years[i]},
                       {"cited_by_count", static_cast<int>(i)},
                       {"abstract_inverted_index",
                        {{"Biodiversity", {0}},
                         {"offsets", {1}},
                         {"and", {2}},
                         {late ? "banks" : "funds", {3}}}}});
  }
  const std::string file = home.write(
      "works.json", json({{"meta", {{"count", years.size()}}}, {"results", results}}).dump());
  auto r = run_rlab({"lit-search", "--from", file, "--query", "biodiversity finance"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("W100"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("W109"), std::string::npos);
  EXPECT_EQ(r.out.find("W110"), std::string::npos);  // the 11th is not listed
  EXPECT_NE(r.out.find("... and 7 more (--show 0 lists all; --csv or --json exports them)\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("17 papers (0 duplicates merged, 0 without abstract)"), std::string::npos);
  EXPECT_NE(r.out.find("(the query's words are left out: biodiversity 100%, finance 100% of "
                       "papers; --keep-query-terms)"),
            std::string::npos)
      << r.out;
  const auto from = r.out.find("Top keywords");
  const auto keywords = r.out.substr(from, r.out.find("Top phrases") - from);
  EXPECT_NE(keywords.find("\noffsets "), std::string::npos) << keywords;
  EXPECT_EQ(keywords.find("\nbiodiversity"), std::string::npos) << keywords;
  EXPECT_EQ(keywords.find("\nfinance"), std::string::npos) << keywords;
  EXPECT_NE(r.out.find("years with fewer than 5 papers merged with neighbouring years"),
            std::string::npos);
  EXPECT_NE(r.out.find("1977-2008"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("7 (100%)"), std::string::npos) << r.out;
  // --show-by citations lists the most cited first; --show 0 lists all.
  r = run_rlab({"lit-search", "--from", file, "--show", "2", "--show-by", "citations"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("W116"), std::string::npos);
  EXPECT_NE(r.out.find("W115"), std::string::npos);
  EXPECT_EQ(r.out.find("W100"), std::string::npos);
  EXPECT_NE(r.out.find("... and 15 more"), std::string::npos);
  r = run_rlab({"lit-search", "--from", file, "--show", "0"}, env);
  EXPECT_NE(r.out.find("W116"), std::string::npos);
  EXPECT_EQ(r.out.find("more (--show 0"), std::string::npos);
  // Without a query nothing is left out; JSON keeps every paper and says what was done.
  r = run_rlab({"lit-search", "--from", file, "--format", "json"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["papers"].size(), 17u);
  EXPECT_TRUE(j["analysis"]["query_terms"].empty());
  EXPECT_EQ(j["analysis"]["keywords"][0]["term"], "biodiversity");
  EXPECT_EQ(j["analysis"]["year_bins"].size(), 3u);
  r = run_rlab({"lit-search", "--from", file, "--show-by", "year"}, env);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "rlab: error: --show-by 'year': must be relevance or citations\n");
}

TEST(LitSearchE2E, ApiFailureIsExit4WithTheApiMessage) {
  FakeScholar s(FakeScholar::make_corpus(10));
  TempDir home;
  s.fail_next("/graph/v1/paper/search",
              std::vector<Fault>(
                  3, Fault{429, R"({"message":"Too Many Requests"})", "application/json", {}, 0}));
  const auto r = run_rlab({"lit-search", "--query", "x", "--retries", "2", "--rate", "1000"},
                          env_for(s, home));
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(
      r.err.find(
          "rlab: error: Semantic Scholar search: page 1 failed: HTTP 429: Too Many Requests\n"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("rlab: note: rate limited: set S2_API_KEY, or wait and rerun"),
            std::string::npos)
      << r.err;
  const auto off =
      run_rlab({"lit-search", "--query", "never-cached", "--offline"}, env_for(s, home));
  EXPECT_EQ(off.code, 4);
  EXPECT_NE(off.err.find("rlab: error: Semantic Scholar search: page 1 is not in the cache and "
                         "--offline is set (GET "),
            std::string::npos)
      << off.err;
}

TEST(LitSearchE2E, BadInputs) {
  TempDir home;
  const std::vector<std::string> env = {"RLAB_HOME=" + home.path(),
                                        "RLAB_S2_API_BASE=http://127.0.0.1:9/graph/v1"};
  auto r = run_rlab({"lit-search", "--query", "x", "--year", "20-21"}, env);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "rlab: error: --year '20-21': expected YYYY, YYYY-YYYY, YYYY- or -YYYY\n");
  r = run_rlab({"lit-search", "--query", "x", "--source", "arxiv"}, env);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "rlab: error: --source 'arxiv': must be one of s2, openalex, both\n");
  r = run_rlab({"lit-search"}, env);
  EXPECT_EQ(r.code, 2);
  const std::string cfg = home.write("c.yaml", "query: x\nlimt: 5\n");
  r = run_rlab({"lit-search", cfg}, env);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(
      r.err.substr(0, r.err.find('\n')),
      "rlab: error: " + cfg + ":2:1: unknown key 'limt' in top level (did you mean 'limit'?)");
  const std::string cfg2 = home.write("d.yaml", "query: x\nyear: 2020-19\n");
  r = run_rlab({"lit-search", cfg2}, env);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + cfg2 +
                       ":2:7: year '2020-19': expected YYYY, YYYY-YYYY, YYYY- or -YYYY\n");
  r = run_rlab({"lit-search", "--from", home.write("bad.jsonl", "{\"title\":\"a\"}\n[oops\n")},
               env);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + home.path() +
                       "/bad.jsonl:2:1: not a JSON object (expected one paper per line)\n");
  r = run_rlab(
      {"lit-search", "--query", "x", "--source", "openalex", "--fields-of-study", "Alchemy"}, env);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "rlab: error: --fields-of-study 'Alchemy': not a Semantic Scholar field of study "
            "(Computer Science, Medicine, Chemistry, Biology, Materials Science, Physics, Geology, "
            "Psychology, Art, History, Geography, Sociology, Business, Political Science, "
            "Economics, Philosophy, Mathematics, Engineering, Environmental Science, Agricultural "
            "and Food Sciences, Education, Law, Linguistics) nor an OpenAlex field name or "
            "number (11-36)\n");
  r = run_rlab(
      {"lit-search", "--from", home.write("ok.jsonl", "{\"title\":\"a\"}\n"), "--threads", "0"},
      env);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "rlab: error: --threads: must be between 1 and 256, got 0; run 'rlab lit-search "
            "--help' for usage\n");
  // Network down: exit 4.
  r = run_rlab({"lit-search", "--query", "x", "--retries", "0"}, env);
  EXPECT_EQ(r.code, 4);
  EXPECT_TRUE(starts_with(r.err,
                          "rlab: error: Semantic Scholar search: page 1 failed: GET "
                          "http://127.0.0.1:9/graph/v1/paper/search?"))
      << r.err;
  EXPECT_NE(r.err.find(": Couldn't connect to server\n"), std::string::npos) << r.err;
}

TEST(LitSearchTrendSvg, RoundPercentTicksYearsAndDistinctLines) {
  AnalysisResult a;
  a.years = {1990, 1995, 2001, 2010, 2024};
  a.docs_per_year = {2, 10, 20, 25, 29};
  a.trends = {TrendRow{"learning", {0.0, 0.1, 0.45, 0.3, 0.2}, {0, 1, 9, 8, 6}, {}, {}},
              TrendRow{"neural", {0.0, 0.1, 0.45, 0.3, 0.2}, {0, 1, 9, 8, 6}, {}, {}},
              TrendRow{"graph <net>", {0.5, 0.2, 0.05, 0.1, 0.12}, {1, 2, 1, 3, 3}, {}, {}}};
  const std::string svg = trend_svg(a);
  TempDir d;
  EXPECT_EQ(render_png(svg, d.path() + "/trend.png"), "");
  // 0..45 %: ticks on round percentages, never 23/45/68 %.
  EXPECT_EQ(svg_texts(svg, "ytick"),
            (std::vector<std::string>{"0%", "10%", "20%", "30%", "40%", "50%"}));
  EXPECT_EQ(svg_texts(svg, "xtick"),
            (std::vector<std::string>{"1990", "1995", "2000", "2005", "2010", "2015", "2020"}));
  EXPECT_EQ(svg_texts(svg, "legend"),
            (std::vector<std::string>{"learning", "neural (= learning)", "graph <net>"}));
  EXPECT_EQ(markers_outside_frames(svg), std::vector<std::string>{});
  const auto notes = svg_texts(svg, "note");
  ASSERT_EQ(notes.size(), 2U);
  EXPECT_EQ(notes[0], "'neural' and 'learning' are identical: drawn over each other");
  EXPECT_EQ(notes[1], "86 papers with a year, 5 years; 3 of 3 terms drawn");

  const std::string empty = trend_svg(AnalysisResult{});
  EXPECT_EQ(render_png(empty, d.path() + "/empty.png"), "");
  EXPECT_NE(empty.find("no papers with a publication year"), std::string::npos);
  EXPECT_TRUE(svg_texts(empty, "ytick").empty());
}

}  // namespace
}  // namespace rlab::test
