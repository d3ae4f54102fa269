// The on-disk response cache of `rlab lit-search` (one JSON file per request).
#pragma once

#include "rlab/litsearch.h"

#include <string>

namespace rlab::litsearch {

/// Files `<dir>/<fnv1a64 of the key>.json` holding {request, status, stored_at, body}. The key
/// is the canonical request without secrets; a file whose stored request differs from the key
/// (hash collision) or that does not parse is treated as a miss. Writes are atomic.
class DiskCache : public Cache {
 public:
  explicit DiskCache(std::string dir) : dir_(std::move(dir)) {}
  std::optional<CachedResponse> get(const std::string& key) override;
  void put(const std::string& key, const CachedResponse& value) override;
  [[nodiscard]] const std::string& dir() const { return dir_; }
  /// The file name for `key` (for tests and docs).
  static std::string file_name(const std::string& key);

 private:
  std::string dir_;
};

}  // namespace rlab::litsearch
