// rlab trl: Technology Readiness Level assessment against a scale of levels and criteria.
// Pure core: plain structs in, plain structs out; no I/O, no clock. Errors are InputError
// naming the location that each item carries from its file.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rlab::trl {

/// What a technology (element) is; criteria say which kinds they apply to.
enum class Kind { kHardware, kSoftware };
std::string kind_name(Kind kind);

/// One criterion (question) of a level.
struct Criterion {
  std::string id;
  std::string text;
  bool required = true;  ///< Needed for the level; optional ones may be answered n/a.
  double weight = 1;     ///< For the level's completion percentage.
  bool hardware = true;  ///< Applies to hardware.
  bool software = true;  ///< Applies to software.
  std::string where;     ///< file:line:col of its id.
  [[nodiscard]] bool applies(Kind kind) const {
    return kind == Kind::kHardware ? hardware : software;
  }
};

struct Level {
  int level = 0;
  std::string definition;
  std::string success_criteria;  ///< "" when the scale has none.
  std::vector<Criterion> criteria;
  std::string where;
};

/// A scale: levels 1..N, contiguous, with unique criterion ids.
struct Scale {
  std::string id;
  std::string name;
  std::string version;
  std::string source;
  std::string url;
  std::vector<Level> levels;
  std::string where;  ///< The file (or built-in name) it came from.
};

/// Checks a scale read from a file: levels start at 1 and have no gap or repeat, every level
/// has a definition and at least one criterion, criterion ids are unique. Throws InputError at
/// the offending entry.
void validate_scale(const Scale& scale);

/// An answer to one criterion.
struct Answer {
  std::string criterion;
  std::optional<double> percent;  ///< 0-100; nullopt with not_applicable.
  bool not_applicable = false;
  std::vector<std::string> evidence;  ///< Paths, URLs, DOIs.
  std::string note;
  std::string where;  ///< file:line:col of the answer.
};

/// A technology element (system, subsystem, component) with its answers.
struct Element {
  std::string id;
  std::string name;
  Kind kind = Kind::kSoftware;
  std::vector<Answer> answers;
  std::string where;
};

/// An assessment: what the answers file holds.
struct Assessment {
  std::string technology;  ///< Name of the technology as a whole.
  std::string date;        ///< YYYY-MM-DD or "".
  std::string assessor;
  double threshold = 100;  ///< Percent a required criterion needs to count as met.
  std::vector<Element> elements;
};

/// Checks answers against the scale: every criterion id exists (with "did you mean"), no
/// criterion answered twice in one element, n/a only on optional criteria, at least one
/// answer overall. Throws InputError at the offending answer.
void validate_answers(const Scale& scale, const Assessment& assessment,
                      const std::string& where_answers);

/// A criterion's state in an element.
struct CriterionResult {
  const Criterion* criterion = nullptr;
  const Answer* answer = nullptr;  ///< nullptr when unanswered (counts as 0 %).
  bool applicable = true;          ///< False when the element's kind is excluded or n/a.
  double percent = 0;
  bool met = false;  ///< percent >= threshold (applicable criteria only).
};

struct LevelResult {
  int level = 0;
  const Level* def = nullptr;
  std::vector<CriterionResult> criteria;
  int required_total = 0;  ///< Applicable required criteria.
  int required_met = 0;
  double completion = 0;  ///< Weighted mean percent over applicable criteria (100 if none).
  bool met = false;       ///< Every applicable required criterion met.
};

/// A criterion counted as met above the first failed level: reported, never counted.
struct Hole {
  int level = 0;
  std::string criterion;
};

struct ElementResult {
  const Element* element = nullptr;
  int level = 0;  ///< 0 when level 1 is not met.
  std::vector<LevelResult> levels;
  std::vector<Hole> holes;
  int first_failed = 0;  ///< Level that stopped the count; 0 when every level is met.
  /// Criteria still short at level + 1 (empty when level is the top).
  std::vector<const CriterionResult*> next_missing;
};

struct Result {
  int level = 0;                        ///< System level = minimum over elements.
  std::vector<std::size_t> bottleneck;  ///< Elements at that minimum.
  std::vector<ElementResult> elements;
};

/// Level = the highest L such that every level <= L has each applicable required criterion at
/// or above the threshold. System level = min over elements.
Result assess(const Scale& scale, const Assessment& assessment);

/// Definition of level `level` in `scale` ("" for 0 or out of range).
std::string definition_of(const Scale& scale, int level);

// ---- quick mode: the lab's five milestones --------------------------------------------------

struct Milestone {
  std::string flag;   ///< "theory", "lab-prototype", ...
  std::string label;  ///< "theory proven", ...
  int level = 0;      ///< NASA TRL it maps onto.
};
/// theory proven -> 3, lab prototype -> 4, relevant environment -> 6, operational environment
/// -> 7, product ready -> 9.
const std::vector<Milestone>& milestones();

struct QuickResult {
  int level = 1;                     ///< 1 when no milestone counts.
  std::vector<bool> counted;         ///< Per milestone, in milestones() order.
  std::vector<std::string> ignored;  ///< Claimed milestones after a missing one (flags).
  std::string first_missing;         ///< Flag of the first milestone not claimed; "" if all.
};
/// Cumulative rule: walk the milestones in order; each claimed one raises the level to its
/// mapping until the first unclaimed one; later claims are ignored (reported).
QuickResult quick(const std::vector<bool>& claimed);

// ---- questionnaire ----------------------------------------------------------------------

/// The next criterion to ask in an element: the first applicable, unanswered one in level
/// order; nullptr when all are answered.
const Criterion* next_question(const Scale& scale, const Element& element);
/// Number of applicable criteria and how many of them are answered.
std::pair<int, int> progress(const Scale& scale, const Element& element);

/// Parses a typed answer: "y"/"yes" = 100, "n"/"no" = 0, a number 0-100 (a trailing % is
/// allowed), "na"/"n/a" = not applicable. Returns false (and leaves `out` alone) otherwise.
struct TypedAnswer {
  std::optional<double> percent;
  bool not_applicable = false;
};
bool parse_typed_answer(const std::string& text, TypedAnswer& out);
/// Splits "a, b c" into evidence items (separated by commas or whitespace).
std::vector<std::string> split_evidence(const std::string& text);
/// "url", "doi" or "path" for an evidence item.
std::string evidence_type(const std::string& item);

// ---- history and diff ---------------------------------------------------------------------

/// One element's snapshot in a record.
struct SnapshotElement {
  std::string id;
  int level = 0;
  /// criterion id -> (percent, or -1 for n/a) and evidence.
  struct Item {
    std::string criterion;
    double percent = 0;
    bool not_applicable = false;
    std::vector<std::string> evidence;
  };
  std::vector<Item> items;
};
/// An assessment as recorded in the history, or as computed from an answers file.
struct Snapshot {
  std::string label;  ///< "#3" or a file name.
  std::string recorded_at;
  std::string date;
  std::string assessor;
  std::string technology;
  std::string scale_id;
  std::string scale_version;
  double threshold = 100;
  int level = 0;
  std::vector<std::string> bottleneck;
  std::vector<SnapshotElement> elements;
};
Snapshot snapshot(const Scale& scale, const Assessment& assessment, const Result& result);

struct Change {
  std::string element;
  std::string criterion;  ///< "" for an element-level change.
  std::string what;       ///< "level", "percent", "evidence+", "evidence-", "added", "removed"
  std::string before;
  std::string after;
};
struct Diff {
  int level_before = 0;
  int level_after = 0;
  bool scale_changed = false;
  std::vector<Change> changes;
};
/// What changed from a to b: system and element levels, criteria percentages, evidence items
/// added and removed, elements added and removed.
Diff diff(const Snapshot& a, const Snapshot& b);

}  // namespace rlab::trl
