// What the source adapters share: reading fields of API JSON, one record of Semantic Scholar or
// OpenAlex as a Paper, and the OpenAlex field-of-study filter. Private to lib/litsearch.
#pragma once

#include "rlab/litsearch.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace rlab::litsearch::detail {

/// The string at `key` of an object, "" when absent, null or not a string.
std::string str(const nlohmann::json& j, const char* key);
/// The whole number at `key` of an object, nullopt when absent or not a whole number.
std::optional<long long> integer(const nlohmann::json& j, const char* key);
/// One S2 paper object (any field may be null or absent).
Paper from_s2(const nlohmann::json& j);
/// One OpenAlex work object.
Paper from_openalex(const nlohmann::json& j);
/// The `primary_topic.field.id:` filter for the fields of study ("" for none); an unknown name
/// is a usage error.
std::string openalex_field_filter(const std::vector<std::string>& fields_of_study);
/// Fails one page of a paged request (exit 4), with notes on resuming and on the status.
[[noreturn]] void fail_page(const std::string& what, int page, const std::string& message,
                            int status);

/// Fails a request that --offline forbids and the cache does not hold (exit 4).
[[noreturn]] void fail_offline(const std::string& what, int page, const std::string& key);

}  // namespace rlab::litsearch::detail
