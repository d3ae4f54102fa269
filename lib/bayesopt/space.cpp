// The bayesopt core's search space: validation, unit-cube encoding, JSON forms.
#include "rlab/bayesopt.h"
#include "rlab/error.h"
#include "rlab/text.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core_internal.h"

namespace rlab::bayesopt {

using namespace detail;

namespace {

std::string num(double v) { return format_number(v, 6); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Space

void validate_space(const Space& space) {
  if (space.dims.empty()) throw InputError(space.where + ": the search space is empty");
  std::set<std::string> names;
  for (const Dimension& d : space.dims) {
    const std::string at = d.where.empty() ? space.where : d.where;
    if (d.name.empty()) throw InputError(at + ": a dimension has an empty name");
    if (!names.insert(d.name).second) {
      throw InputError(at + ": duplicate dimension name '" + d.name + "'");
    }
    switch (d.kind) {
      case Dimension::Kind::kReal:
      case Dimension::Kind::kInteger:
        if (!std::isfinite(d.low) || !std::isfinite(d.high)) {
          throw InputError(at + ": '" + d.name + "' needs finite bounds");
        }
        if (d.low >= d.high) {
          throw InputError(at + ": '" + d.name + "' has low >= high (" + num(d.low) +
                           " >= " + num(d.high) + ")");
        }
        if (d.log && d.low <= 0) {
          throw InputError(at + ": '" + d.name + "' is log-uniform, so low must be > 0 (got " +
                           num(d.low) + ")");
        }
        // The search works in [0, 1] per dimension, x = low + u (high - low): the width must be
        // a finite double and hold more than a handful of distinct values.
        if (!d.log && !std::isfinite(d.high - d.low)) {
          throw InputError(at + ": '" + d.name + "' has a range too wide to search (" + num(d.low) +
                           " .. " + num(d.high) +
                           ": high - low overflows a double); give realistic bounds, or a "
                           "log-uniform prior for a range over many orders of magnitude");
        }
        if (d.kind == Dimension::Kind::kReal &&
            (d.high - d.low) <
                64 * (std::nextafter(std::max(std::abs(d.low), std::abs(d.high)), kInf) -
                      std::max(std::abs(d.low), std::abs(d.high)))) {
          throw InputError(at + ": '" + d.name + "' has low and high too close to search (" +
                           num(d.low) + " .. " + num(d.high) +
                           ": fewer than 64 doubles between them)");
        }
        if (d.kind == Dimension::Kind::kInteger &&
            (std::abs(d.low) > 0x1.0p53 || std::abs(d.high) > 0x1.0p53)) {
          throw InputError(at + ": '" + d.name +
                           "' is an integer beyond +-2^53, where doubles skip integers");
        }
        if (d.kind == Dimension::Kind::kInteger &&
            (d.low != std::floor(d.low) || d.high != std::floor(d.high))) {
          throw InputError(at + ": '" + d.name + "' is an integer, so its bounds must be whole");
        }
        break;
      case Dimension::Kind::kCategorical: {
        if (d.categories.empty()) {
          throw InputError(at + ": '" + d.name + "' has no categories");
        }
        std::set<std::string> cats;
        for (const auto& c : d.categories) {
          if (!cats.insert(c).second) {
            throw InputError(at + ": '" + d.name + "' lists category '" + c + "' twice");
          }
        }
        break;
      }
    }
  }
}

int encoded_size(const Space& space) {
  int n = 0;
  for (const Dimension& d : space.dims) {
    n += d.kind == Dimension::Kind::kCategorical ? static_cast<int>(d.categories.size()) : 1;
  }
  return n;
}

Eigen::VectorXd encode(const Space& space, const Point& x) {
  Eigen::VectorXd z = Eigen::VectorXd::Zero(encoded_size(space));
  Eigen::Index c = 0;
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    switch (d.kind) {
      case Dimension::Kind::kReal:
        z(c++) = d.log ? (std::log(x[i]) - std::log(d.low)) / (std::log(d.high) - std::log(d.low))
                       : (x[i] - d.low) / (d.high - d.low);
        break;
      case Dimension::Kind::kInteger:
        z(c++) = (x[i] - d.low) / (d.high - d.low);
        break;
      case Dimension::Kind::kCategorical:
        z(c + static_cast<Eigen::Index>(x[i])) = 1;
        c += static_cast<Eigen::Index>(d.categories.size());
        break;
    }
  }
  return z;
}

Point decode(const Space& space, const Eigen::VectorXd& z) {
  Point x(space.dims.size());
  Eigen::Index c = 0;
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    if (d.kind == Dimension::Kind::kCategorical) {
      const auto k = static_cast<Eigen::Index>(d.categories.size());
      Eigen::Index best = 0;
      z.segment(c, k).maxCoeff(&best);
      x[i] = static_cast<double>(best);
      c += k;
      continue;
    }
    const double u = std::clamp(z(c++), 0.0, 1.0);
    if (d.kind == Dimension::Kind::kInteger) {
      x[i] = std::clamp(std::round(d.low + u * (d.high - d.low)), d.low, d.high);
    } else if (d.log) {
      x[i] = std::clamp(std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low))), d.low,
                        d.high);
    } else {
      x[i] = std::clamp(d.low + u * (d.high - d.low), d.low, d.high);
    }
  }
  return x;
}

Point from_unit(const Space& space, const std::vector<double>& u) {
  Point x(space.dims.size());
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    const double v = std::clamp(u[i], 0.0, std::nextafter(1.0, 0.0));
    switch (d.kind) {
      case Dimension::Kind::kReal:
        x[i] = d.log ? std::exp(std::log(d.low) + v * (std::log(d.high) - std::log(d.low)))
                     : d.low + v * (d.high - d.low);
        x[i] = std::clamp(x[i], d.low, d.high);
        break;
      case Dimension::Kind::kInteger:
        x[i] = std::min(d.high, d.low + std::floor(v * (d.high - d.low + 1)));
        break;
      case Dimension::Kind::kCategorical:
        x[i] = std::floor(v * static_cast<double>(d.categories.size()));
        break;
    }
  }
  return x;
}

nlohmann::json point_to_json(const Space& space, const Point& x) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    if (d.kind == Dimension::Kind::kCategorical) {
      j[d.name] = d.categories[static_cast<std::size_t>(x[i])];
    } else if (d.kind == Dimension::Kind::kInteger) {
      j[d.name] = static_cast<long long>(x[i]);
    } else {
      j[d.name] = x[i];
    }
  }
  return j;
}

Point point_from_json(const Space& space, const nlohmann::json& params, const std::string& where) {
  if (!params.is_object()) throw InputError(where + ": 'params' must be an object");
  Point x(space.dims.size());
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    if (!params.contains(d.name)) throw InputError(where + ": params lack '" + d.name + "'");
    const nlohmann::json& v = params.at(d.name);
    if (d.kind == Dimension::Kind::kCategorical) {
      if (!v.is_string()) throw InputError(where + ": '" + d.name + "' must be a string");
      const auto it = std::find(d.categories.begin(), d.categories.end(), v.get<std::string>());
      if (it == d.categories.end()) {
        throw InputError(where + ": '" + d.name + "' has unknown category '" +
                         v.get<std::string>() + "'");
      }
      x[i] = static_cast<double>(it - d.categories.begin());
      continue;
    }
    if (!v.is_number()) throw InputError(where + ": '" + d.name + "' must be a number");
    x[i] = v.get<double>();
    if (d.kind == Dimension::Kind::kInteger && x[i] != std::floor(x[i])) {
      throw InputError(where + ": '" + d.name + "' must be a whole number, got " + num(x[i]));
    }
    if (!(x[i] >= d.low && x[i] <= d.high)) {
      throw InputError(where + ": '" + d.name + "' = " + num(x[i]) + " is outside [" + num(d.low) +
                       ", " + num(d.high) + "]");
    }
  }
  for (const auto& item : params.items()) {
    const bool known = std::any_of(space.dims.begin(), space.dims.end(),
                                   [&](const Dimension& d) { return d.name == item.key(); });
    if (!known) throw InputError(where + ": params have unknown name '" + item.key() + "'");
  }
  return x;
}

nlohmann::json space_to_json(const Space& space) {
  nlohmann::json a = nlohmann::json::array();
  for (const Dimension& d : space.dims) {
    nlohmann::json j;
    j["name"] = d.name;
    if (d.kind == Dimension::Kind::kCategorical) {
      j["type"] = "categorical";
      j["categories"] = d.categories;
    } else if (d.kind == Dimension::Kind::kInteger) {
      j["type"] = "integer";
      j["low"] = static_cast<long long>(d.low);
      j["high"] = static_cast<long long>(d.high);
    } else {
      j["type"] = "real";
      j["low"] = d.low;
      j["high"] = d.high;
      j["prior"] = d.log ? "log-uniform" : "uniform";
    }
    a.push_back(j);
  }
  return a;
}

std::string space_difference(const Space& space, const nlohmann::json& other) {
  const nlohmann::json mine = space_to_json(space);
  if (!other.is_array()) return "the study file has no space";
  if (other.size() != mine.size()) {
    return "the study has " + std::to_string(other.size()) + " dimension(s), this space has " +
           std::to_string(mine.size());
  }
  for (std::size_t i = 0; i < mine.size(); ++i) {
    const nlohmann::json& a = mine[i];
    const nlohmann::json& b = other[i];
    const std::string name = a["name"].get<std::string>();
    if (!b.is_object() || b.value("name", std::string()) != name) {
      return "dimension " + std::to_string(i + 1) + " is '" + name + "' here, '" +
             (b.is_object() ? b.value("name", std::string("?")) : std::string("?")) +
             "' in the study";
    }
    for (const auto& item : a.items()) {
      const bool equal =
          b.contains(item.key()) && (item.value().is_number() && b[item.key()].is_number()
                                         ? item.value().get<double>() == b[item.key()].get<double>()
                                         : item.value() == b[item.key()]);
      if (!equal) {
        return "'" + name + "' has " + item.key() + " " + item.value().dump() + " here, " +
               (b.contains(item.key()) ? b[item.key()].dump() : std::string("none")) +
               " in the study";
      }
    }
  }
  return "";
}

std::optional<double> finite_size(const Space& space) {
  double size = 1;
  for (const Dimension& d : space.dims) {
    if (d.kind == Dimension::Kind::kReal) return std::nullopt;
    size *= d.kind == Dimension::Kind::kCategorical ? static_cast<double>(d.categories.size())
                                                    : d.high - d.low + 1;
  }
  return std::min(size, 0x1.0p63);
}

}  // namespace rlab::bayesopt
