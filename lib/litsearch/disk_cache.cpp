#include "disk_cache.h"

#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace rlab::litsearch {

std::string DiskCache::file_name(const std::string& key) {
  const std::uint64_t h = fnv1a(key);
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
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  // A request that is not a string (a number, say) is no entry of ours: a miss, not a type error.
  const auto request = j.find("request");
  if (request == j.end() || !request->is_string() || request->get<std::string>() != key ||
      !j.contains("body") || !j["body"].is_string()) {
    return std::nullopt;
  }
  // An entry written by hand or by another program may hold anything: a status that is not a
  // whole number in 100..599 (20700000000.5 once overflowed the conversion to int) or a
  // stored_at that is not a number makes it a miss.
  const auto status = j.find("status");
  const auto stored_at = j.find("stored_at");
  if (status == j.end() || !status->is_number_integer() ||
      (stored_at != j.end() && !stored_at->is_number())) {
    return std::nullopt;
  }
  const bool in_range =
      status->is_number_unsigned()
          ? status->get<std::uint64_t>() >= 100 && status->get<std::uint64_t>() <= 599
          : status->get<std::int64_t>() >= 100 && status->get<std::int64_t>() <= 599;
  if (!in_range) return std::nullopt;
  CachedResponse r;
  r.status = static_cast<int>(status->get<std::int64_t>());
  r.stored_at = stored_at != j.end() ? stored_at->get<double>() : 0.0;
  r.body = j["body"].get<std::string>();
  return r;
}

void DiskCache::put(const std::string& key, const CachedResponse& value) {
  make_dirs(dir_, 0700);
  nlohmann::json j;
  j["request"] = key;
  j["status"] = value.status;
  j["stored_at"] = value.stored_at;
  j["body"] = value.body;
  write_file_atomic(dir_ + "/" + file_name(key), j.dump() + "\n");
}

}  // namespace rlab::litsearch
