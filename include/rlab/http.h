// HTTP for rlab: one interface the cores talk to, and the libcurl implementation behind it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlab::net {

/// One request. `headers` are sent as given; secrets (API keys) go in `secret_headers`, which
/// are sent but never appear in `describe()`, logs, error messages or cache keys.
struct HttpRequest {
  std::string method = "GET";  ///< "GET" or "POST".
  std::string url;             ///< Full URL, query string included (already encoded).
  std::string body;            ///< POST body.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> secret_headers;
  /// "GET url" / "POST url body" — the canonical form used for cache keys and messages.
  [[nodiscard]] std::string describe() const;
};

/// A completed exchange. Any HTTP status is a response (4xx/5xx included); only transport
/// failures after all retries are thrown (NetworkError).
struct HttpResponse {
  int status = 0;
  std::string body;                            ///< Decoded (gzip/deflate undone).
  std::map<std::string, std::string> headers;  ///< Lower-case names.
  std::string content_type() const;            ///< Lower-case, without parameters.
  int attempts = 1;                            ///< Tries it took (1 = no retry).
};

/// What the cores depend on; tests substitute fakes.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// Sends `request`, retrying as configured. Returns the final response (possibly 4xx/5xx
  /// after retries are used up); throws NetworkError when no response could be had.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

/// Transport failure (DNS, connect, timeout, TLS, truncated transfer) after every retry.
struct NetworkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Settings of the real client.
struct ClientOptions {
  double connect_timeout_s = 10;  ///< TCP + TLS handshake.
  double total_timeout_s = 60;    ///< Whole transfer, per attempt.
  int max_retries = 6;            ///< Retries after the first attempt (on 429/5xx/timeouts).
  double backoff_base_s = 2;  ///< Wait before retry k (0-based): U(0, base * 2^k) ("full jitter").
  double backoff_max_s = 60;  ///< Cap of one wait (also caps Retry-After).
  double min_interval_s = 0;  ///< Pacing: at least this long between request starts.
  bool verify_tls = true;     ///< Peer and host verification (never switched off by rlab).
  std::string user_agent;     ///< Defaults to "rlab/<version> (+lit-search)".
  unsigned seed = 0;          ///< Jitter seed (0: from the clock).
  /// Sleeps this many seconds; tests record instead of waiting. Default: real sleep.
  std::function<void(double)> sleep;
  /// Seconds on a monotonic clock; tests may fake it. Default: steady_clock.
  std::function<double()> now;
  /// Called before each retry with (attempt number, status or 0, wait seconds, reason).
  std::function<void(int, int, double, const std::string&)> on_retry;
};

/// Statuses worth retrying: 429, 500, 502, 503, 504.
bool is_retryable_status(int status);
/// Seconds to wait from a Retry-After value (delta-seconds or an HTTP-date relative to
/// `now_epoch_s`); negative when absent or unparsable.
double parse_retry_after(const std::string& value, double now_epoch_s);

/// The libcurl client. Thread-compatible (one instance per thread).
std::unique_ptr<HttpClient> make_curl_client(const ClientOptions& options);

/// Percent-encodes `s` for a query-string value (RFC 3986 unreserved kept).
std::string url_encode(const std::string& s);

}  // namespace rlab::net
