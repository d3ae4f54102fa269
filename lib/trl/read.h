// Reading TRL scales and answers files into the core's structs, and writing answers back.
#pragma once

#include "rlab/config.h"
#include "rlab/trl.h"

#include <string>

namespace rlab::trl {

/// Names of the built-in scales ("eu", "nasa").
std::vector<std::string> builtin_scale_names();

/// A scale from a built-in name or a file path (relative paths resolved against `base_dir`).
/// `where` is the location that named it ("" when it came from --scale): an unknown name is
/// an InputError there, or a UsageError for --scale. The scale is validated.
Scale load_scale(const std::string& spec, const std::string& base_dir, const std::string& where);

/// Reads a scale document (keys `scale` and `levels`).
Scale read_scale(const ConfigNode& root);

/// What an answers file holds beyond the assessment itself.
struct AnswersFile {
  Assessment assessment;
  std::string path;            ///< As given.
  std::string scale = "nasa";  ///< Built-in name or path.
  std::string scale_where;     ///< Location of `scale:` ("" when absent).
  std::string scale_version;   ///< "" when absent.
  std::string version_where;
  std::string where;   ///< Location of the section.
  bool multi = false;  ///< Written with `elements:`.
};

/// Reads the `trl` section of an answers file (or the file's top level). Empty answers are an
/// error unless `allow_empty` (a questionnaire being resumed).
AnswersFile read_answers(const ConfigNode& section, const std::string& path,
                         bool allow_empty = false);

/// Checks that the answers were written for this scale's version.
void check_scale_version(const AnswersFile& file, const Scale& scale);

/// The answers file as YAML (what the questionnaire saves after each question).
std::string answers_yaml(const AnswersFile& file, const Scale& scale);

}  // namespace rlab::trl
