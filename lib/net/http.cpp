// The libcurl HTTP client: timeouts, retries with full-jitter exponential backoff honouring
// Retry-After, client-side pacing, TLS verification, transparent gzip, a User-Agent naming rlab.
#include "rlab/http.h"

#include "rlab/version.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

namespace rlab::net {

std::string HttpRequest::describe() const {
  std::string s = method + " " + url;
  if (!body.empty()) s += " " + body;
  return s;
}

std::string HttpResponse::content_type() const {
  auto it = headers.find("content-type");
  if (it == headers.end()) return "";
  std::string v = it->second.substr(0, it->second.find(';'));
  std::string out;
  for (char c : v) {
    if (c != ' ' && c != '\t')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool is_retryable_status(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

double parse_retry_after(const std::string& raw, double now_epoch_s) {
  std::string v;
  for (char c : raw) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') v += c;
  }
  if (v.empty()) return -1;
  if (std::all_of(v.begin(), v.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (v.size() > 9) return -1;
    return std::stod(v);
  }
  // HTTP-date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  const time_t t = curl_getdate(raw.c_str(), nullptr);
  if (t < 0) return -1;
  return std::max(0.0, static_cast<double>(t) - now_epoch_s);
}

std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

std::once_flag g_curl_init;

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after a redirect or 100-continue)
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string value = line.substr(colon + 1);
  const auto b = value.find_first_not_of(" \t");
  const auto e = value.find_last_not_of(" \t\r\n");
  value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
  (*headers)[name] = value;
  return size * n;
}

struct Attempt {
  bool transport_ok = false;
  bool retryable_transport = false;
  std::string error;
  HttpResponse response;
};

class CurlClient : public HttpClient {
 public:
  explicit CurlClient(ClientOptions o) : o_(std::move(o)) {
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (o_.user_agent.empty()) o_.user_agent = std::string("rlab/") + version() + " (+lit-search)";
    if (!o_.sleep) {
      o_.sleep = [](double s) {
        std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.0, s)));
      };
    }
    if (!o_.now) {
      o_.now = [] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
      };
    }
    rng_.seed(o_.seed != 0 ? o_.seed
                           : static_cast<unsigned>(
                                 std::chrono::steady_clock::now().time_since_epoch().count()));
    curl_ = curl_easy_init();
  }
  ~CurlClient() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  HttpResponse send(const HttpRequest& req) override {
    std::string last_error;
    for (int attempt = 0;; ++attempt) {
      pace();
      Attempt a = once(req);
      const int status = a.transport_ok ? a.response.status : 0;
      const bool retry = a.transport_ok ? is_retryable_status(status) : a.retryable_transport;
      if (!retry || attempt >= o_.max_retries) {
        if (!a.transport_ok) {
          throw NetworkError(
              req.method + " " + req.url + ": " + a.error +
              (attempt > 0 ? " (after " + std::to_string(attempt + 1) + " attempts)" : ""));
        }
        a.response.attempts = attempt + 1;
        return a.response;
      }
      // Backoff: full jitter U(0, base*2^k), capped; Retry-After, when given, is a floor.
      const double cap = std::min(o_.backoff_max_s, o_.backoff_base_s * std::pow(2.0, attempt));
      std::uniform_real_distribution<double> u(0.0, std::max(0.0, cap));
      double wait = u(rng_);
      if (a.transport_ok) {
        auto it = a.response.headers.find("retry-after");
        if (it != a.response.headers.end()) {
          const double ra = parse_retry_after(it->second, static_cast<double>(std::time(nullptr)));
          if (ra >= 0) wait = std::max(wait, std::min(ra, o_.backoff_max_s));
        }
      }
      const std::string reason = a.transport_ok ? "HTTP " + std::to_string(status) : a.error;
      if (o_.on_retry) o_.on_retry(attempt + 1, status, wait, reason);
      o_.sleep(wait);
    }
  }

 private:
  void pace() {
    if (o_.min_interval_s > 0 && last_start_ >= 0) {
      const double gap = o_.now() - last_start_;
      if (gap < o_.min_interval_s) o_.sleep(o_.min_interval_s - gap);
    }
    last_start_ = o_.now();
  }

  Attempt once(const HttpRequest& req) {
    Attempt a;
    if (curl_ == nullptr) {
      a.error = "cannot initialise libcurl";
      return a;
    }
    curl_easy_reset(curl_);
    std::string body;
    std::map<std::string, std::string> headers;
    curl_easy_setopt(curl_, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl_, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(o_.connect_timeout_s * 1000));
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(o_.total_timeout_s * 1000));
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, o_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, o_.verify_tls ? 2L : 0L);
    curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, o_.user_agent.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &headers);
    curl_slist* list = nullptr;
    for (const auto& [k, v] : req.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    for (const auto& [k, v] : req.secret_headers) {
      list = curl_slist_append(list, (k + ": " + v).c_str());
    }
    if (req.method == "POST") {
      curl_easy_setopt(curl_, CURLOPT_POST, 1L);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, req.body.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
      a.error = curl_easy_strerror(rc);
      a.retryable_transport = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT ||
                              rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
                              rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE ||
                              rc == CURLE_COULDNT_RESOLVE_HOST;
      if (rc == CURLE_OPERATION_TIMEDOUT) {
        a.error = "timed out (connect " + trim_num(o_.connect_timeout_s) + " s, total " +
                  trim_num(o_.total_timeout_s) + " s)";
      }
      return a;
    }
    long code = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
    a.transport_ok = true;
    a.response.status = static_cast<int>(code);
    a.response.body = std::move(body);
    a.response.headers = std::move(headers);
    return a;
  }

  static std::string trim_num(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  ClientOptions o_;
  CURL* curl_ = nullptr;
  std::mt19937 rng_;
  double last_start_ = -1;
};

}  // namespace

std::unique_ptr<HttpClient> make_curl_client(const ClientOptions& options) {
  return std::make_unique<CurlClient>(options);
}

}  // namespace rlab::net
