// rlab cost: the price catalogues (rlab's CSV and SkyPilot's), parsed with positions for the
// messages.
#include "rlab/clock.h"
#include "rlab/cost.h"
#include "rlab/error.h"
#include "rlab/text.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace rlab::cost {

namespace {

// CSV (RFC 4180) with positions.

struct Field {
  std::string text;
  int line = 0;
  int column = 0;
};
struct Row {
  std::vector<Field> fields;
  int line = 0;
};

std::vector<Row> parse_csv(const std::string& text, const std::string& name) {
  std::vector<Row> rows;
  std::size_t i = 0;
  int line = 1;
  int col = 1;
  const std::size_t n = text.size();
  if (n >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // UTF-8 byte order mark
  while (i < n) {
    Row row;
    row.line = line;
    // A blank line (or one holding only a CR) is skipped.
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      col = 1;
      continue;
    }
    while (true) {
      Field f;
      f.line = line;
      f.column = col;
      if (i < n && text[i] == '"') {
        ++i;
        ++col;
        bool closed = false;
        while (i < n) {
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              f.text += '"';
              i += 2;
              col += 2;
              continue;
            }
            ++i;
            ++col;
            closed = true;
            break;
          }
          if (text[i] == '\n') {
            ++line;
            col = 0;
          }
          f.text += text[i++];
          ++col;
        }
        if (!closed) {
          throw InputError(name + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) +
                           ": unterminated quoted field");
        }
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          throw InputError(name + ":" + std::to_string(line) + ":" + std::to_string(col) +
                           ": unexpected character after a closing quote (a quote inside a "
                           "quoted field is written \"\")");
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') {
            throw InputError(name + ":" + std::to_string(line) + ":" + std::to_string(col) +
                             ": quote inside an unquoted field (quote the whole field)");
          }
          f.text += text[i++];
          ++col;
        }
      }
      row.fields.push_back(std::move(f));
      if (i < n && text[i] == ',') {
        ++i;
        ++col;
        continue;
      }
      if (i < n && text[i] == '\r') ++i;
      if (i < n && text[i] == '\n') ++i;
      ++line;
      col = 1;
      break;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string at(const std::string& name, const Field& f) {
  return name + ":" + std::to_string(f.line) + ":" + std::to_string(f.column);
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out);
}

double price_field(const std::string& name, const Field& f, const std::string& column) {
  const std::string v = trim(f.text, " \t");
  if (v.empty()) throw InputError(at(name, f) + ": missing " + column + " price");
  double d = 0;
  if (!parse_number(v, d)) {
    throw InputError(at(name, f) + ": " + column + " price must be a number in $/hour, got '" + v +
                     "'");
  }
  if (d <= 0) {
    throw InputError(at(name, f) + ": " + column + " price must be > 0 $/hour, got " + v);
  }
  return d;
}

std::map<std::string, std::size_t> header_index(const Row& header) {
  std::map<std::string, std::size_t> idx;
  for (std::size_t k = 0; k < header.fields.size(); ++k)
    idx[trim(header.fields[k].text, " \t")] = k;
  return idx;
}

void check_width(const std::string& name, const Row& row, std::size_t width) {
  if (row.fields.size() != width) {
    throw InputError(name + ":" + std::to_string(row.line) + ": row has " +
                     std::to_string(row.fields.size()) + " fields, the header has " +
                     std::to_string(width));
  }
}

Catalogue parse_rlab(const std::vector<Row>& rows, const std::string& name) {
  static const std::vector<std::string> kColumns = {
      "provider",  "region", "instance",     "gpus",   "gpu_type",
      "on_demand", "spot",   "interruption", "source", "as_of"};
  const auto idx = header_index(rows[0]);
  for (const auto& c : kColumns) {
    if (idx.count(c) == 0) {
      throw InputError(name + ":1: missing column '" + c + "' (rlab catalogue columns: " +
                       "provider,region,instance,gpus,gpu_type,on_demand,spot,interruption,"
                       "source,as_of)");
    }
  }
  Catalogue cat;
  cat.name = name;
  cat.format = "rlab";
  std::map<std::tuple<std::string, std::string, std::string>, std::string> seen;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Row& row = rows[r];
    check_width(name, row, rows[0].fields.size());
    auto f = [&](const std::string& c) -> const Field& { return row.fields[idx.at(c)]; };
    Offer o;
    o.where = name + ":" + std::to_string(row.line);
    o.provider = trim(f("provider").text, " \t");
    o.region = trim(f("region").text, " \t");
    o.instance = trim(f("instance").text, " \t");
    for (const char* c : {"provider", "region", "instance"}) {
      if (trim(f(c).text, " \t").empty()) throw InputError(at(name, f(c)) + ": empty " + c);
    }
    double g = 0;
    const std::string gs = trim(f("gpus").text, " \t");
    if (!parse_number(gs, g) || g < 1 || g != std::floor(g) || g > 1024) {
      throw InputError(at(name, f("gpus")) + ": gpus must be a whole number >= 1, got '" + gs +
                       "'");
    }
    o.gpus = static_cast<int>(g);
    o.gpu_type = trim(f("gpu_type").text, " \t");
    o.on_demand = price_field(name, f("on_demand"), "on-demand");
    const std::string sp = trim(f("spot").text, " \t");
    if (ascii_lower(sp) != "none") {
      if (sp.empty()) {
        throw InputError(at(name, f("spot")) +
                         ": missing spot price (write 'none' when no spot is offered)");
      }
      o.spot = price_field(name, f("spot"), "spot");
    }
    o.band = trim(f("interruption").text, " \t");
    if (!o.band.empty() &&
        std::find(band_names().begin(), band_names().end(), o.band) == band_names().end()) {
      throw InputError(at(name, f("interruption")) + ": unknown interruption band '" + o.band +
                       "' (use <5, 5-10, 10-15, 15-20, >20 or leave empty)");
    }
    o.source = trim(f("source").text, " \t");
    o.as_of = trim(f("as_of").text, " \t");
    if (!o.as_of.empty() && !parse_date(o.as_of)) {
      throw InputError(at(name, f("as_of")) + ": as_of must be a date YYYY-MM-DD, got '" + o.as_of +
                       "'");
    }
    const auto key = std::make_tuple(o.provider, o.region, o.instance);
    const auto it = seen.find(key);
    if (it != seen.end()) {
      throw InputError(o.where + ": duplicate row for " + o.provider + " " + o.region + " " +
                       o.instance + " (first at " + it->second + ")");
    }
    seen[key] = o.where;
    cat.offers.push_back(std::move(o));
  }
  return cat;
}

Catalogue parse_skypilot(const std::vector<Row>& rows, const std::string& name,
                         const std::string& provider) {
  const auto idx = header_index(rows[0]);
  for (const char* c :
       {"InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "SpotPrice", "Region"}) {
    if (idx.count(c) == 0) throw InputError(name + ":1: missing SkyPilot column '" + c + "'");
  }
  Catalogue cat;
  cat.name = name;
  cat.format = "skypilot";
  std::map<std::pair<std::string, std::string>, std::size_t> pos;  // (instance, region) -> offer
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Row& row = rows[r];
    check_width(name, row, rows[0].fields.size());
    auto f = [&](const char* c) -> const Field& { return row.fields[idx.at(c)]; };
    const std::string acc = trim(f("AcceleratorName").text, " \t");
    if (acc.empty()) continue;  // no GPU
    double g = 0;
    const std::string gs = trim(f("AcceleratorCount").text, " \t");
    if (!parse_number(gs, g) || g < 0) {
      throw InputError(at(name, f("AcceleratorCount")) +
                       ": AcceleratorCount must be a number, got '" + gs + "'");
    }
    if (g < 1 || g != std::floor(g)) continue;  // fractional GPUs are not modelled
    const double od = price_field(name, f("Price"), "on-demand (Price)");
    std::optional<double> spot;
    if (!trim(f("SpotPrice").text, " \t").empty())
      spot = price_field(name, f("SpotPrice"), "spot (SpotPrice)");
    const std::string inst = trim(f("InstanceType").text, " \t");
    const std::string region = trim(f("Region").text, " \t");
    if (inst.empty()) throw InputError(at(name, f("InstanceType")) + ": empty InstanceType");
    const auto key = std::make_pair(inst, region);
    const auto it = pos.find(key);
    if (it == pos.end()) {
      Offer o;
      o.provider = provider.empty() ? "skypilot" : provider;
      o.region = region;
      o.instance = inst;
      o.gpus = static_cast<int>(g);
      o.gpu_type = acc;
      o.on_demand = od;
      o.spot = spot;
      o.source = "SkyPilot catalogue " + name;
      o.where = name + ":" + std::to_string(row.line);
      pos[key] = cat.offers.size();
      cat.offers.push_back(std::move(o));
    } else {
      // One row per zone: keep the highest price of the region (conservative).
      Offer& o = cat.offers[it->second];
      o.on_demand = std::max(o.on_demand, od);
      if (spot) o.spot = o.spot ? std::max(*o.spot, *spot) : *spot;
    }
  }
  return cat;
}

}  // namespace

Catalogue parse_catalogue(const std::string& text, const std::string& name,
                          const std::string& provider) {
  const std::vector<Row> rows = parse_csv(text, name);
  if (rows.empty()) throw InputError(name + ": the price catalogue is empty");
  const auto idx = header_index(rows[0]);
  Catalogue cat;
  if (idx.count("InstanceType") > 0) {
    cat = parse_skypilot(rows, name, provider);
  } else if (idx.count("instance") > 0) {
    cat = parse_rlab(rows, name);
  } else {
    throw InputError(name +
                     ":1: unknown catalogue header: expected rlab's (provider,region,"
                     "instance,...) or SkyPilot's (InstanceType,AcceleratorName,...)");
  }
  if (cat.offers.empty()) throw InputError(name + ": the price catalogue has no GPU instances");
  return cat;
}

}  // namespace rlab::cost
