// A loopback stand-in for the Semantic Scholar Graph API and OpenAlex /works, with scripted
// faults. It serves the response shapes the real APIs send (paging fields, null entries, error
// bodies) over real HTTP on 127.0.0.1, so the libcurl client is exercised end to end.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace rlab::test {

/// A paper of the fake corpus (ids "P0000"...).
struct FakePaper {
  std::string id, title, doi, venue;
  std::optional<std::string> abstract;
  int year = 2020;
  long long citations = 0;
  std::vector<std::string> authors;
};

/// A venue of the fake OpenAlex /sources endpoint.
struct FakeSource {
  std::string id;  ///< "S…"
  std::string name;
  std::string issn;
};

/// One scripted response, used instead of the normal one.
struct Fault {
  int status = 500;  ///< 0: no fault, answer normally (to fail a later request).
  std::string body = "{\"message\":\"Internal Server Error\"}";
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;  ///< Sleep before answering (timeouts).
};

/// One request the server saw.
struct SeenRequest {
  std::string method, path, query, body;
  std::string target;  ///< The request target exactly as sent (path and encoded query).
  std::map<std::string, std::string> headers;  ///< Lower-case names.
};

class FakeScholar {
 public:
  /// `corpus` is served by every search endpoint (filtered by year/minCitationCount).
  explicit FakeScholar(std::vector<FakePaper> corpus);
  ~FakeScholar();
  FakeScholar(const FakeScholar&) = delete;
  FakeScholar& operator=(const FakeScholar&) = delete;

  /// "http://127.0.0.1:PORT/graph/v1" and "http://127.0.0.1:PORT".
  [[nodiscard]] std::string s2_base() const;
  [[nodiscard]] std::string openalex_base() const;
  /// Queues faults for the next requests whose path starts with `path_prefix`.
  void fail_next(const std::string& path_prefix, const std::vector<Fault>& faults);
  /// Relevance search also sends `next` on the page that ends at the 1000 cap.
  void set_next_beyond_cap(bool v) { next_beyond_cap_ = v; }
  [[nodiscard]] std::vector<SeenRequest> requests() const;
  void clear_requests();

  /// The default corpus: `n` papers over 2015..2024 with a few deliberate quirks (null
  /// abstracts every 7th paper, empty venue every 5th).
  static std::vector<FakePaper> make_corpus(int n);
  /// The sources /sources serves, in its ranking order: "Journal 1 Letters" (S200) ranks
  /// before "Journal 1" (S101); "Journal 0" is S100, "Journal 2" S102.
  static std::vector<FakeSource> sources();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::vector<FakePaper> corpus_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::deque<Fault>>> faults_;
  std::vector<SeenRequest> seen_;
  bool next_beyond_cap_ = false;
};

}  // namespace rlab::test
