#include "disk_cache.h"

#include "rlab/error.h"
#include "rlab/files.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace rlab::litsearch {

namespace {

void make_dirs(const std::string& dir) {
  std::string path;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      throw EnvironmentError(path + ": cannot create the cache directory");
    }
  }
}

}  // namespace

std::string DiskCache::file_name(const std::string& key) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx.json", static_cast<unsigned long long>(h));
  return buf;
}

std::optional<CachedResponse> DiskCache::get(const std::string& key) {
  std::ifstream in(dir_ + "/" + file_name(key), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("request", "") != key || !j.contains("body") ||
      !j["body"].is_string()) {
    return std::nullopt;
  }
  CachedResponse r;
  r.status = j.value("status", 0);
  r.stored_at = j.value("stored_at", 0.0);
  r.body = j["body"].get<std::string>();
  return r;
}

void DiskCache::put(const std::string& key, const CachedResponse& value) {
  make_dirs(dir_);
  nlohmann::json j;
  j["request"] = key;
  j["status"] = value.status;
  j["stored_at"] = value.stored_at;
  j["body"] = value.body;
  write_file_atomic(dir_ + "/" + file_name(key), j.dump() + "\n");
}

}  // namespace rlab::litsearch
