#include "support/svg.h"

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/run.h"

namespace rlab::test {

std::string render_png(const std::string& svg, const std::string& png) {
  const std::string in = png + ".svg";
  std::ofstream(in) << svg;
  const RunResult r = run_program({"/usr/bin/rsvg-convert", "-o", png, in});
  if (r.code != 0) return "rsvg-convert exit " + std::to_string(r.code) + ": " + r.err;
  std::ifstream f(png, std::ios::binary);
  std::string head(8, '\0');
  f.read(head.data(), 8);
  if (head != "\x89PNG\r\n\x1a\n") return "rsvg-convert wrote no PNG";
  return "";
}

namespace {
std::string decode(std::string s) {
  const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [e, c] : kEntities) {
    for (auto p = s.find(e); p != std::string::npos; p = s.find(e, p + 1))
      s.replace(p, std::string(e).size(), c);
  }
  return s;
}
}  // namespace

std::vector<std::string> svg_texts(const std::string& svg, const std::string& cls) {
  std::vector<std::string> out;
  const std::regex re("<text([^>]*)>([^<]*)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator();
       ++it) {
    const std::string attrs = (*it)[1];
    if (!cls.empty() && attrs.find("class=\"" + cls + "\"") == std::string::npos) continue;
    out.push_back(decode((*it)[2]));
  }
  return out;
}

std::vector<std::string> markers_outside_frames(const std::string& svg) {
  struct Box {
    double x, y, w, h;
  };
  std::vector<Box> frames;
  const std::regex frame_re(
      "<path d=\"M([-0-9.]+) ([-0-9.]+)h([-0-9.]+)v([-0-9.]+)h[-0-9.]+z\" fill=\"none\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), frame_re);
       it != std::sregex_iterator(); ++it) {
    frames.push_back(
        {std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4])});
  }
  std::vector<std::string> out;
  const std::regex circle_re("<circle cx=\"([-0-9.]+)\" cy=\"([-0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), circle_re);
       it != std::sregex_iterator(); ++it) {
    const double x = std::stod((*it)[1]);
    const double y = std::stod((*it)[2]);
    bool inside = false;
    for (const Box& b : frames)
      inside = inside || (x > b.x && x < b.x + b.w && y > b.y && y < b.y + b.h);
    // Legend markers sit right of a frame, level with it.
    bool legend = false;
    for (const Box& b : frames) legend = legend || (x > b.x + b.w && y >= b.y && y <= b.y + b.h);
    if (!inside && !legend) out.push_back((*it)[1].str() + "," + (*it)[2].str());
  }
  return out;
}

std::vector<double> label_values(const std::vector<std::string>& labels) {
  std::vector<double> out;
  const std::pair<const char*, char> kSup[] = {{"⁰", '0'}, {"¹", '1'}, {"²", '2'}, {"³", '3'},
                                               {"⁴", '4'}, {"⁵", '5'}, {"⁶", '6'}, {"⁷", '7'},
                                               {"⁸", '8'}, {"⁹", '9'}, {"⁻", '-'}};
  for (std::string s : labels) {
    bool pct = false;
    if (!s.empty() && s.back() == '%') {
      s.pop_back();
      pct = true;
    }
    std::string plain;
    double mant = 1;
    auto times = s.find("×10");
    std::string exp_part;
    if (times != std::string::npos) {
      mant = std::stod(s.substr(0, times));
      exp_part = s.substr(times + std::string("×10").size());
    } else if (s.rfind("10", 0) == 0 && s.size() > 2 && static_cast<unsigned char>(s[2]) >= 0x80) {
      exp_part = s.substr(2);
    }
    double v = NAN;
    try {
      if (!exp_part.empty()) {
        std::string e;
        for (std::size_t i = 0; i < exp_part.size();) {
          bool hit = false;
          for (const auto& [sup, c] : kSup) {
            const std::string t = sup;
            if (exp_part.compare(i, t.size(), t) == 0) {
              e += c;
              i += t.size();
              hit = true;
              break;
            }
          }
          if (!hit) throw std::invalid_argument(s);
        }
        v = mant * std::pow(10.0, std::stod(e));
      } else {
        std::size_t used = 0;
        v = std::stod(s, &used);
        if (used != s.size()) v = NAN;
      }
    } catch (const std::exception&) {
      v = NAN;
    }
    out.push_back(pct ? v : v);
  }
  return out;
}

namespace {
bool round_mantissa(double step) {
  const double m = step / std::pow(10.0, std::floor(std::log10(step) + 1e-12));
  for (double r : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (std::fabs(m - r) < 1e-6) return true;
  return false;
}
}  // namespace

std::string tick_problem(const std::vector<std::string>& labels) {
  std::string all;
  for (const auto& l : labels) all += (all.empty() ? "" : " ") + l;
  const std::vector<double> v = label_values(labels);
  if (v.size() < 2) return "fewer than 2 ticks: " + all;
  for (double x : v)
    if (!std::isfinite(x)) return "a label is no number: " + all;
  const double step = v[1] - v[0];
  bool linear = step > 0 && round_mantissa(step);
  for (std::size_t i = 1; i < v.size() && linear; ++i)
    linear = std::fabs(v[i] - v[i - 1] - step) <= 1e-6 * std::fabs(step);
  for (double x : v)
    linear = linear && std::fabs(std::remainder(x, step)) <= 1e-6 * std::fabs(step);
  if (linear) return "";
  // Log: decades (10^a, 10^(a+k), ...) or 1-2-5 within decades.
  bool decades = v[0] > 0;
  const double k = decades ? std::log10(v[1]) - std::log10(v[0]) : 0;
  for (std::size_t i = 0; i < v.size() && decades; ++i) {
    const double e = std::log10(v[i]);
    decades = std::fabs(e - std::round(e)) < 1e-9 &&
              (i == 0 || std::fabs(e - std::log10(v[i - 1]) - k) < 1e-9);
  }
  if (decades && k >= 1 - 1e-9) return "";
  bool one_two_five = true;
  for (std::size_t i = 0; i < v.size() && one_two_five; ++i) {
    const double m = v[i] / std::pow(10.0, std::floor(std::log10(v[i]) + 1e-12));
    one_two_five =
        v[i] > 0 &&
        (std::fabs(m - 1) < 1e-6 || std::fabs(m - 2) < 1e-6 || std::fabs(m - 5) < 1e-6) &&
        (i == 0 || v[i] > v[i - 1]);
  }
  if (one_two_five) return "";
  return "not round, equally spaced ticks: " + all;
}

}  // namespace rlab::test
