// libFuzzer target: Semantic Scholar and OpenAlex response parsing, through the real Fetcher
// against a fake HTTP client that answers every request with the next piece of the input, and
// the papers file reader (read_papers, --from) plus the exports of what was parsed.
//
// Mode 8 reads the input as an on-disk cache entry (a damaged cache file must be a miss).
//
// Input: byte 0 picks the call, byte 1 the HTTP status of the first answer (200 mostly); the
// rest is split at "\n--\n" into the bodies of successive answers (then empty 200 answers).
#include "rlab/litsearch.h"

#include <stdexcept>

#include "fuzz_support.h"
#include "lib/litsearch/disk_cache.h"

namespace ls = rlab::litsearch;
namespace net = rlab::net;

namespace {

class FakeHttp : public net::HttpClient {
 public:
  FakeHttp(std::vector<std::string> bodies, int first_status)
      : bodies_(std::move(bodies)), first_status_(first_status) {}
  net::HttpResponse send(const net::HttpRequest& /*request*/) override {
    net::HttpResponse r;
    r.status = calls_ == 0 ? first_status_ : 200;
    r.headers["content-type"] = "application/json";
    if (calls_ < bodies_.size()) r.body = bodies_[calls_];
    ++calls_;
    if (calls_ > 64) throw net::NetworkError("too many requests");
    return r;
  }

 private:
  std::vector<std::string> bodies_;
  int first_status_;
  std::size_t calls_ = 0;
};

std::vector<std::string> split(const std::string& t) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto cut = t.find("\n--\n", start);
    out.push_back(t.substr(start, cut - start));
    if (cut == std::string::npos) break;
    start = cut + 4;
  }
  return out;
}

void exports(const std::vector<ls::Paper>& papers) {
  (void)ls::to_csv(papers);
  (void)ls::to_bibtex(papers);
  (void)ls::to_ris(papers);
  const std::string jl = ls::to_jsonl(papers);
  (void)ls::read_papers(jl, "again.jsonl");
  (void)ls::deduplicate(papers);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const int kStatus[] = {200, 200, 200, 200, 400, 404, 429, 500};
  const std::string t = rlab::fuzz::text(data + 2, size - 2);
  const int mode = data[0] % 9;
  rlab::fuzz::refuse_or_accept([&] {
    if (mode == 8) {
      const std::string key = "GET http://127.0.0.1:9/s2/paper/search?query=x";
      rlab::fuzz::write_scratch(ls::DiskCache::file_name(key), t);
      (void)ls::DiskCache(rlab::fuzz::scratch_dir()).get(key);
      return;
    }
    if (mode == 7) {
      exports(ls::read_papers(t, data[1] % 2 == 0 ? "papers.jsonl" : "papers.json"));
      return;
    }
    if (mode == 6) {
      // These two refuse anything but a JSON object with std::invalid_argument (their contract).
      try {
        (void)ls::parse_s2_paper(t);
        (void)ls::parse_openalex_work(t);
      } catch (const std::invalid_argument&) {
      }
      (void)ls::rebuild_abstract(t);
      (void)ls::error_message(kStatus[data[1] % 8], "application/json", t);
      return;
    }
    FakeHttp http(split(t), kStatus[data[1] % 8]);
    ls::Endpoints ep;
    ep.s2_base = "http://127.0.0.1:9/s2";
    ep.openalex_base = "http://127.0.0.1:9/oa";
    ls::Fetcher f(http, nullptr, ls::CachePolicy{}, ep);
    ls::Query q;
    q.text = "graph neural networks";
    q.limit = 250;
    q.page_size = 100;
    q.openalex_page_size = 100;
    std::vector<ls::Paper> papers;
    switch (mode) {
      case 0:
        papers = f.search_s2_relevance(q);
        break;
      case 1:
        q.mode = ls::Mode::kBulk;
        papers = f.search_s2_bulk(q);
        break;
      case 2:
        q.source = ls::Source::kOpenAlex;
        papers = f.search_openalex(q);
        break;
      case 3: {
        for (const auto& p : f.batch({"a", "b", "CorpusId:1", "DOI:10.1/x"}, {}))
          if (p) papers.push_back(*p);
        break;
      }
      case 4:
        papers = f.neighbours("abc", true, 50, {});
        break;
      default:
        q.source = ls::Source::kBoth;
        papers = f.search(q);
    }
    exports(papers);
  });
  return 0;
}
