// SVG charts: nice ticks, margins from label widths, series styles that stay apart, legends.
#include "rlab/chart.h"

#include "rlab/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace rlab::chart {

namespace {

constexpr double kTickFont = 11;
constexpr double kTitleFont = 13;
constexpr double kAxisTitleFont = 12;
constexpr double kNoteFont = 11;
constexpr double kPad = 0.04;  // share of the tick range added inside the frame at each end

const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
const char* const kDashes[] = {"", "7 3", "2 3", "9 3 2 3", "4 4", "1 2 6 2"};

std::string num(double v) { return format_fixed(v, 1); }

// One line of text for a label: control characters become spaces, then XML escaping.
std::string text(const std::string& s) {
  std::string r = s;
  for (char& c : r) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return xml_escape(r);
}

std::string superscript(long long k) {
  static const char* const kDigits[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  std::string digits = std::to_string(k < 0 ? -k : k);
  std::string r = k < 0 ? "⁻" : "";
  for (char c : digits) r += kDigits[c - '0'];
  return r;
}

// Label of value `v` on a linear axis whose step is m * 10^k.
std::string linear_label(double v, double m, int k, double maxabs) {
  const int extra = m == 2.5 ? 1 : 0;
  if (maxabs >= 1e6 || (maxabs > 0 && maxabs < 1e-3)) {
    const int e = static_cast<int>(std::floor(std::log10(maxabs)));
    const double mant = v / std::pow(10.0, e);
    if (std::fabs(mant) < 1e-9) return "0";
    return format_fixed(mant, std::max(0, e - k + extra)) + "×10" + superscript(e);
  }
  return format_fixed(v, std::max(0, -k + extra));
}

struct Step {
  double m = 1;
  int k = 0;
  [[nodiscard]] double value() const { return m * std::pow(10.0, k); }
};

// Number of ticks a step gives over [lo, hi].
long long tick_count(double lo, double hi, double s, bool cover) {
  const double a = cover ? std::floor(lo / s + 1e-9) : std::ceil(lo / s - 1e-9);
  const double b = cover ? std::ceil(hi / s - 1e-9) : std::floor(hi / s + 1e-9);
  return static_cast<long long>(b - a) + 1;
}

Step choose_step(double lo, double hi, bool cover, bool integer) {
  const double range = hi - lo;
  const int k0 = static_cast<int>(std::floor(std::log10(range)));
  Step best;
  double best_score = std::numeric_limits<double>::infinity();
  for (int k = k0 - 2; k <= k0 + 1; ++k) {
    for (double m : {1.0, 2.0, 5.0, 2.5}) {
      const Step st{m, k};
      const double s = st.value();
      if (integer && (s < 1 || std::fabs(s - std::round(s)) > 1e-9)) continue;
      const long long n = tick_count(lo, hi, s, cover);
      double score = 0;
      if (n >= 5 && n <= 8) {
        score = static_cast<double>(std::llabs(n - 6)) + (m == 2.5 ? 1.5 : 0);
      } else {
        score = 10 + static_cast<double>(n < 5 ? 5 - n : n - 8);
      }
      if (score < best_score) {
        best_score = score;
        best = st;
      }
    }
  }
  if (!std::isfinite(best_score)) best = Step{1, 0};  // integer axis over a short range
  return best;
}

}  // namespace

Ticks linear_ticks(double lo, double hi, bool cover, bool integer, bool percent) {
  if (lo > hi) std::swap(lo, hi);
  if (percent) {
    Ticks t = linear_ticks(lo * 100, hi * 100, cover, integer, false);
    for (double& v : t.values) v /= 100;
    for (std::string& l : t.labels) l += "%";
    t.lo /= 100;
    t.hi /= 100;
    return t;
  }
  if (hi == lo) {
    const double d = integer || lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= d;
    hi += d;
    cover = true;
  }
  // A range too wide for a double (-1e308..1e308) is drawn on half the values.
  if (!std::isfinite(hi - lo)) {
    Ticks t = linear_ticks(lo / 2, hi / 2, false, integer, false);
    for (double& v : t.values) v *= 2;
    t.lo = lo;
    t.hi = hi;
    if (t.values.size() >= 2) {
      const double step = t.values[1] - t.values[0];
      const int k = static_cast<int>(std::floor(std::log10(step)));
      const double m = std::round(step / std::pow(10.0, k) * 2) / 2;
      const double maxabs = std::max(std::fabs(t.values.front()), std::fabs(t.values.back()));
      for (std::size_t i = 0; i < t.values.size(); ++i)
        t.labels[i] = linear_label(t.values[i], m, k, maxabs);
    }
    return t;
  }
  const Step st = choose_step(lo, hi, cover, integer);
  const double s = st.value();
  const double a = cover ? std::floor(lo / s + 1e-9) : std::ceil(lo / s - 1e-9);
  const double b = cover ? std::ceil(hi / s - 1e-9) : std::floor(hi / s + 1e-9);
  Ticks t;
  t.lo = cover ? std::min(lo, a * s) : lo;
  t.hi = cover ? std::max(hi, b * s) : hi;
  const double maxabs = std::max(std::fabs(a * s), std::fabs(b * s));
  for (double i = a; i <= b; i += 1) {
    double v = i * s;
    if (std::fabs(v) < s * 1e-9) v = 0;
    t.values.push_back(v);
    t.labels.push_back(linear_label(v, st.m, st.k, maxabs));
  }
  return t;
}

Ticks log_ticks(double lo, double hi, bool cover) {
  if (lo > hi) std::swap(lo, hi);
  if (hi == lo) {
    lo /= 10;
    hi *= 10;
  }
  Ticks t;
  t.log = true;
  const double llo = std::log10(lo);
  const double lhi = std::log10(hi);
  const long long d0 = static_cast<long long>(std::floor(llo + 1e-9));
  const long long d1 = static_cast<long long>(std::ceil(lhi - 1e-9));
  const long long decades = std::max(1LL, d1 - d0);
  if (decades < 3) {
    // Few decades: 1, 2 and 5 times each, as far as they fall in the range.
    const double a = cover ? std::pow(10.0, static_cast<double>(d0)) : lo;
    const double b = cover ? std::pow(10.0, static_cast<double>(d1)) : hi;
    for (long long d = d0; d <= d1; ++d) {
      for (int m : {1, 2, 5}) {
        const double v = m * std::pow(10.0, static_cast<double>(d));
        if (v < a * (1 - 1e-9) || v > b * (1 + 1e-9)) continue;
        t.values.push_back(v);
        if (d >= -3 && d <= 3) {
          t.labels.push_back(format_number(v, 3));
        } else {
          t.labels.push_back(m == 1 ? "10" + superscript(d)
                                    : std::to_string(m) + "×10" + superscript(d));
        }
      }
    }
    t.lo = std::min(lo, a);
    t.hi = std::max(hi, b);
    if (t.values.size() >= 3) return t;
    // Less than a decade: round numbers on the log scale.
    Ticks lin = linear_ticks(lo, hi, false);
    lin.log = true;
    lin.lo = lo;
    lin.hi = hi;
    lin.values.erase(
        std::remove_if(lin.values.begin(), lin.values.end(), [](double v) { return v <= 0; }),
        lin.values.end());
    lin.labels.erase(lin.labels.begin(),
                     lin.labels.begin() + static_cast<long>(lin.labels.size() - lin.values.size()));
    return lin;
  }
  long long every = 1;
  for (long long m : {1, 2, 3, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000}) {
    every = m;
    if (decades / m + 1 <= 8) break;
  }
  const auto floor_div = [](long long a, long long b) {
    return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
  };
  long long first = floor_div(d0, every) * every;
  long long last = -floor_div(-d1, every) * every;
  if (!cover) {
    first = -floor_div(-static_cast<long long>(std::ceil(llo - 1e-9)), every) * every;
    last = floor_div(static_cast<long long>(std::floor(lhi + 1e-9)), every) * every;
  }
  for (long long d = first; d <= last; d += every) {
    t.values.push_back(std::pow(10.0, static_cast<double>(d)));
    t.labels.push_back("10" + superscript(d));
  }
  t.lo = cover ? std::min(lo, t.values.front()) : lo;
  t.hi = cover ? std::max(hi, t.values.back()) : hi;
  return t;
}

Ticks ticks_for(const std::vector<double>& values, Scale scale, bool cover, bool integer,
                bool percent) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  double plo = lo;  // smallest positive
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    if (v > 0) plo = std::min(plo, v);
  }
  const bool any = lo <= hi;
  const bool log = scale == Scale::kLog
                       ? std::isfinite(plo)
                       : scale == Scale::kAuto && any && lo > 0 && hi / lo > 100 && !percent;
  if (log) return log_ticks(plo, hi, cover);
  if (!any) return linear_ticks(0, 1, true, integer, percent);
  return linear_ticks(lo, hi, cover, integer, percent);
}

double text_width(const std::string& s, double font_size) {
  // DejaVu Sans averages about 0.6 em for Latin text; wide characters take a full em.
  return static_cast<double>(display_width(s)) * 0.62 * font_size;
}

namespace {

struct Frame {
  double x0, y0, w, h;
  Ticks xt, yt;
  bool categorical = false;
  double xlo, xhi, ylo, yhi;  // the frame's data range (log10 units on a log axis)

  [[nodiscard]] double tx(double v) const { return xt.log ? std::log10(v) : v; }
  [[nodiscard]] double ty(double v) const { return yt.log ? std::log10(v) : v; }
  [[nodiscard]] double px(double v) const {
    return x0 + (xhi > xlo ? (tx(v) - xlo) / (xhi - xlo) : 0.5) * w;
  }
  [[nodiscard]] double py(double v) const {
    return y0 + h - (yhi > ylo ? (ty(v) - ylo) / (yhi - ylo) : 0.5) * h;
  }
  [[nodiscard]] bool ok_x(double v) const { return std::isfinite(v) && (!xt.log || v > 0); }
  [[nodiscard]] bool ok_y(double v) const { return std::isfinite(v) && (!yt.log || v > 0); }
};

bool has_points(const Chart& c) {
  for (const Series& s : c.series) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.x[i]) &&
          (s.style == Style::kRug || (i < s.y.size() && std::isfinite(s.y[i]))))
        return true;
    }
  }
  return false;
}

std::string marker(int shape, double x, double y, const std::string& color, double r = 3.2) {
  char buf[320];
  switch (shape % 6) {
    case 0:
      std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>\n",
                    x, y, r, color.c_str());
      break;
    case 1:
      std::snprintf(buf, sizeof buf, "<path d=\"M%.1f %.1fh%.1fv%.1fh%.1fz\" fill=\"%s\"/>\n",
                    x - r, y - r, 2 * r, 2 * r, -2 * r, color.c_str());
      break;
    case 2:
      std::snprintf(buf, sizeof buf, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fz\" fill=\"%s\"/>\n",
                    x, y - 1.2 * r, x + 1.1 * r, y + 0.8 * r, x - 1.1 * r, y + 0.8 * r,
                    color.c_str());
      break;
    case 3:
      std::snprintf(buf, sizeof buf,
                    "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fz\" fill=\"%s\"/>\n", x,
                    y - 1.3 * r, x + 1.3 * r, y, x, y + 1.3 * r, x - 1.3 * r, y, color.c_str());
      break;
    case 4:
      std::snprintf(buf, sizeof buf,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"white\" stroke=\"%s\" "
                    "stroke-width=\"1.5\"/>\n",
                    x, y, r, color.c_str());
      break;
    default:
      std::snprintf(buf, sizeof buf,
                    "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" stroke=\"%s\" "
                    "stroke-width=\"1.8\"/>\n",
                    x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r, color.c_str());
  }
  return buf;
}

std::string dash_attr(std::size_t i) {
  const char* d = kDashes[i % (sizeof kDashes / sizeof kDashes[0])];
  return *d ? std::string(" stroke-dasharray=\"") + d + "\"" : std::string();
}

bool same_points(const Series& a, const Series& b) {
  if (a.x.size() != b.x.size() || a.y.size() != b.y.size() || a.style != b.style) return false;
  auto close = [](double u, double v) {
    return u == v || std::fabs(u - v) <= 1e-9 * std::max(std::fabs(u), std::fabs(v));
  };
  for (std::size_t i = 0; i < a.x.size(); ++i)
    if (!close(a.x[i], b.x[i])) return false;
  for (std::size_t i = 0; i < a.y.size(); ++i)
    if (!close(a.y[i], b.y[i])) return false;
  return true;
}

struct Layout {
  double left, right, top, bottom;  // margins around the frame
  double legend_w = 0;
  std::vector<std::string> legend;  // legend text per series (empty: none)
  std::vector<std::string> notes;
  double cell_w, cell_h;
};

Ticks x_ticks(const Chart& c) {
  if (!c.x.categories.empty()) {
    Ticks t;
    const auto n = static_cast<double>(c.x.categories.size());
    t.lo = -0.5;
    t.hi = n - 0.5;
    for (std::size_t i = 0; i < c.x.categories.size(); ++i) {
      t.values.push_back(static_cast<double>(i));
      t.labels.push_back(c.x.categories[i]);
    }
    return t;
  }
  std::vector<double> xs;
  for (const Series& s : c.series) xs.insert(xs.end(), s.x.begin(), s.x.end());
  if (c.x.min) xs.push_back(*c.x.min);
  if (c.x.max) xs.push_back(*c.x.max);
  // Ticks inside the data's (or the fixed) range: a bounded dimension does not grow past its
  // bounds.
  return ticks_for(xs, c.x.scale, false, c.x.integer, c.x.percent);
}

Ticks y_ticks(const Chart& c) {
  std::vector<double> ys;
  bool bars = false;
  for (const Series& s : c.series) {
    if (s.style == Style::kRug) continue;
    bars = bars || s.style == Style::kBars;
    for (std::size_t i = 0; i < s.y.size(); ++i) {
      ys.push_back(s.y[i]);
      if (i < s.spread.size() && std::isfinite(s.spread[i])) {
        ys.push_back(s.y[i] - s.spread[i]);
        ys.push_back(s.y[i] + s.spread[i]);
      }
    }
  }
  if (bars) ys.push_back(0);
  if (c.y.min) ys.push_back(*c.y.min);
  if (c.y.max) ys.push_back(*c.y.max);
  return ticks_for(ys, c.y.scale, true, c.y.integer, c.y.percent);
}

Layout layout(const Chart& c, const Ticks& xt, const Ticks& yt, bool empty) {
  Layout l{};
  double ylab = 0;
  for (const auto& s : yt.labels) ylab = std::max(ylab, text_width(s, kTickFont));
  l.left = 10 + (c.y.title.empty() ? 0 : kAxisTitleFont + 8) + ylab + 8;
  l.top = 14 + (c.title.empty() ? 0 : kTitleFont + 10);
  double lastx = 0;
  double widest_cat = 0;
  for (std::size_t i = 0; i < xt.labels.size(); ++i) {
    widest_cat = std::max(widest_cat, text_width(xt.labels[i], kTickFont));
    lastx = text_width(xt.labels[i], kTickFont) / 2;
  }
  double right = std::max(14.0, lastx + 6);
  // Legend: named series, with a word when two coincide.
  l.legend.assign(c.series.size(), "");
  std::size_t named = 0;
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    if (c.series[i].name.empty()) continue;
    ++named;
    l.legend[i] = c.series[i].name;
    for (std::size_t j = 0; j < i; ++j) {
      if (!c.series[j].name.empty() && same_points(c.series[i], c.series[j])) {
        l.legend[i] += " (= " + c.series[j].name + ")";
        l.notes.push_back("'" + c.series[i].name + "' and '" + c.series[j].name +
                          "' are identical: drawn over each other");
        break;
      }
    }
  }
  if (named == 0 || empty) l.legend.assign(c.series.size(), "");
  for (const auto& s : l.legend)
    if (!s.empty()) l.legend_w = std::max(l.legend_w, 34 + text_width(s, kTickFont));
  if (l.legend_w > 0) right = std::max(right, l.legend_w + 16);
  l.right = right;
  for (const auto& n : c.notes) l.notes.push_back(n);
  l.bottom = 8 + (empty ? 0 : kTickFont + 8) + (c.x.category_notes.empty() ? 0 : kTickFont + 4) +
             (c.x.title.empty() || empty ? 0 : kAxisTitleFont + 10) +
             static_cast<double>(l.notes.size()) * (kNoteFont + 4) + 4;
  double note_w = 0;
  for (const auto& n : l.notes) note_w = std::max(note_w, text_width(n, kNoteFont));
  if (!c.title.empty()) note_w = std::max(note_w, text_width(c.title, kTitleFont));
  const double legend_h =
      12 + 16 * static_cast<double>(std::count_if(l.legend.begin(), l.legend.end(),
                                                  [](const std::string& s) { return !s.empty(); }));
  l.cell_w = std::max(l.left + c.plot_width + l.right, note_w + 20);
  l.cell_h = l.top + std::max(c.plot_height, legend_h) + l.bottom;
  (void)widest_cat;
  return l;
}

// The frame of a chart with points: the ticks' range, padded (bars from zero keep their base).
Frame frame_of(const Chart& c, const Ticks& xt, const Ticks& yt, double cx, double cy, double w,
               double h) {
  Frame f{cx, cy, w, h, xt, yt, !c.x.categories.empty(), 0, 0, 0, 0};
  const double a = f.tx(xt.lo);
  const double b = f.tx(xt.hi);
  const double pad = f.categorical ? 0 : (b - a) * kPad;
  f.xlo = a - pad;
  f.xhi = b + pad;
  const double ya = f.ty(yt.lo);
  const double yb = f.ty(yt.hi);
  bool bars_from_zero = false;
  for (const Series& sr : c.series) bars_from_zero = bars_from_zero || sr.style == Style::kBars;
  f.ylo = ya - (bars_from_zero && yt.lo == 0 ? 0 : (yb - ya) * kPad);
  f.yhi = yb + (yb - ya) * kPad;
  return f;
}

// Grid lines, tick labels, the frame and the axis titles; returns the height the notes start
// below.
double axes(std::string& s, const Chart& c, const Frame& f, double ox) {
  const double cx = f.x0;
  const double cy = f.y0;
  const double w = f.w;
  const double h = f.h;
  const Ticks& xt = f.xt;
  const Ticks& yt = f.yt;
  for (std::size_t i = 0; i < yt.values.size(); ++i) {
    const double y = f.py(yt.values[i]);
    s += "<line x1=\"" + num(cx) + "\" y1=\"" + num(y) + "\" x2=\"" + num(cx + w) + "\" y2=\"" +
         num(y) + "\" stroke=\"#e5e7eb\"/>\n";
    s += "<text class=\"ytick\" x=\"" + num(cx - 6) + "\" y=\"" + num(y + 4) +
         "\" text-anchor=\"end\" font-size=\"" + num(kTickFont) + "\">" + text(yt.labels[i]) +
         "</text>\n";
  }
  for (std::size_t i = 0; i < xt.values.size(); ++i) {
    const double x = f.px(xt.values[i]);
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(cy + h) + "\" x2=\"" + num(x) + "\" y2=\"" +
         num(cy + h + 4) + "\" stroke=\"#333\"/>\n";
    s += "<text class=\"xtick\" x=\"" + num(x) + "\" y=\"" + num(cy + h + 6 + kTickFont) +
         "\" text-anchor=\"middle\" font-size=\"" + num(kTickFont) + "\">" + text(xt.labels[i]) +
         "</text>\n";
    if (i < c.x.category_notes.size()) {
      s += "<text x=\"" + num(x) + "\" y=\"" + num(cy + h + 6 + 2 * kTickFont + 4) +
           "\" text-anchor=\"middle\" font-size=\"" + num(kTickFont) + "\" fill=\"#555\">" +
           text(c.x.category_notes[i]) + "</text>\n";
    }
  }
  double note_y = cy + h + 6 + kTickFont + (c.x.category_notes.empty() ? 0 : kTickFont + 4);
  // Frame as a path (rectangles are the bars).
  s += "<path d=\"M" + num(cx) + " " + num(cy) + "h" + num(w) + "v" + num(h) + "h" + num(-w) +
       "z\" fill=\"none\" stroke=\"#333\"/>\n";
  if (!c.x.title.empty()) {
    note_y += kAxisTitleFont + 8;
    s += "<text class=\"xtitle\" x=\"" + num(cx + w / 2) + "\" y=\"" + num(note_y) +
         "\" text-anchor=\"middle\" font-size=\"" + num(kAxisTitleFont) + "\">" + text(c.x.title) +
         "</text>\n";
  }
  if (!c.y.title.empty()) {
    const double tx = ox + 10 + kAxisTitleFont - 2;
    const double ty = cy + h / 2;
    s += "<text class=\"ytitle\" x=\"" + num(tx) + "\" y=\"" + num(ty) +
         "\" text-anchor=\"middle\" font-size=\"" + num(kAxisTitleFont) +
         "\" transform=\"rotate(-90 " + num(tx) + " " + num(ty) + ")\">" + text(c.y.title) +
         "</text>\n";
  }
  return note_y;
}

// How a series is drawn: its colour, whether as a line and with markers, and the points in the
// frame.
struct SeriesLook {
  std::string color;
  bool line = false;
  bool markers = false;
  std::vector<std::size_t> idx;
};

SeriesLook look_of(const Series& sr, std::size_t si, const Frame& f) {
  SeriesLook k;
  k.color = !sr.color.empty() ? sr.color : kPalette[si % 10];
  for (std::size_t i = 0; i < sr.x.size(); ++i) {
    if (!f.ok_x(sr.x[i])) continue;
    if (sr.style != Style::kRug && (i >= sr.y.size() || !f.ok_y(sr.y[i]))) continue;
    k.idx.push_back(i);
  }
  k.line = sr.style == Style::kLine || sr.style == Style::kStep;
  k.markers = sr.style == Style::kPoints || (k.line && k.idx.size() <= 30);
  return k;
}

// One series: its line, rugs, bars, error bars, markers and point labels.
void draw_series(std::string& s, const Series& sr, std::size_t si, const Frame& f,
                 const SeriesLook& k) {
  const std::string& color = k.color;
  const std::vector<std::size_t>& idx = k.idx;
  const double cy = f.y0;
  const double w = f.w;
  const double h = f.h;
  const Ticks& yt = f.yt;
  auto color_at = [&](std::size_t i) { return i < sr.colors.size() ? sr.colors[i] : color; };
  if (k.line && !idx.empty()) {
    s += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" + dash_attr(si) +
         " points=\"";
    for (std::size_t j = 0; j < idx.size(); ++j) {
      const std::size_t i = idx[j];
      if (sr.style == Style::kStep && j > 0)
        s += num(f.px(sr.x[i])) + "," + num(f.py(sr.y[idx[j - 1]])) + " ";
      s += num(f.px(sr.x[i])) + "," + num(f.py(sr.y[i])) + (j + 1 < idx.size() ? " " : "");
    }
    s += "\"/>\n";
  }
  for (const std::size_t i : idx) {
    const double x = f.px(sr.x[i]);
    if (sr.style == Style::kRug) {
      s += "<line x1=\"" + num(x) + "\" y1=\"" + num(cy + h) + "\" x2=\"" + num(x) + "\" y2=\"" +
           num(cy + h - 7) + "\" stroke=\"" + color + "\"/>\n";
      continue;
    }
    const double y = f.py(sr.y[i]);
    if (sr.style == Style::kBars) {
      const double unit = f.categorical ? w / (f.xhi - f.xlo) : w / 20;
      const double bw = unit * 0.7;
      const double y0 = f.py(yt.log ? yt.lo : 0);
      s += "<rect x=\"" + num(x - bw / 2) + "\" y=\"" + num(std::min(y, y0)) + "\" width=\"" +
           num(bw) + "\" height=\"" + num(std::fabs(y0 - y)) + "\" fill=\"" + color_at(i) +
           "\"/>\n";
    }
    if (i < sr.spread.size() && std::isfinite(sr.spread[i]) && sr.spread[i] > 0) {
      const double lo = sr.y[i] - sr.spread[i];
      const double ya = f.ok_y(lo) ? f.py(lo) : cy + h;
      const double yb = f.py(sr.y[i] + sr.spread[i]);
      s += "<path d=\"M" + num(x) + " " + num(ya) + "V" + num(yb) + "M" + num(x - 5) + " " +
           num(ya) + "h10M" + num(x - 5) + " " + num(yb) + "h10\" stroke=\"" +
           (sr.style == Style::kBars ? std::string("#333") : color_at(i)) +
           "\" stroke-width=\"1.2\"/>\n";
    }
    if (k.markers) s += marker(static_cast<int>(si), x, y, color_at(i));
    if (i < sr.labels.size() && !sr.labels[i].empty()) {
      double top = std::min(y, f.py(yt.log ? yt.lo : 0));
      if (i < sr.spread.size() && std::isfinite(sr.spread[i]) && sr.spread[i] > 0)
        top = std::min(top, f.py(sr.y[i] + sr.spread[i]));
      s += "<text x=\"" + num(x) + "\" y=\"" + num(top - 5) +
           "\" text-anchor=\"middle\" font-size=\"" + num(kTickFont) + "\">" + text(sr.labels[i]) +
           "</text>\n";
    }
  }
}

// A series' legend entry: its swatch at (lx, legend_y) and its name.
void legend_entry(std::string& s, const Series& sr, std::size_t si, const SeriesLook& k,
                  const std::string& name, double lx, double legend_y) {
  const std::string& color = k.color;
  if (sr.style == Style::kBars) {
    s += "<rect x=\"" + num(lx) + "\" y=\"" + num(legend_y - 9) +
         "\" width=\"24\" height=\"10\" fill=\"" + color + "\"/>\n";
  } else if (sr.style == Style::kRug) {
    s += "<line x1=\"" + num(lx + 12) + "\" y1=\"" + num(legend_y - 10) + "\" x2=\"" +
         num(lx + 12) + "\" y2=\"" + num(legend_y) + "\" stroke=\"" + color + "\"/>\n";
  } else {
    if (k.line) {
      s += "<line x1=\"" + num(lx) + "\" y1=\"" + num(legend_y - 4) + "\" x2=\"" + num(lx + 24) +
           "\" y2=\"" + num(legend_y - 4) + "\" stroke=\"" + color + "\" stroke-width=\"2\"" +
           dash_attr(si) + "/>\n";
    }
    if (k.markers || sr.style == Style::kPoints)
      s += marker(static_cast<int>(si), lx + 12, legend_y - 4, color);
  }
  s += "<text class=\"legend\" x=\"" + num(lx + 30) + "\" y=\"" + num(legend_y) +
       "\" font-size=\"" + num(kTickFont) + "\">" + text(name) + "</text>\n";
}

std::string panel(const Chart& c, double ox, double oy) {
  const bool empty = !has_points(c);
  const Ticks xt = x_ticks(c);
  const Ticks yt = y_ticks(c);
  const Layout l = layout(c, xt, yt, empty);
  std::string s;
  const double cx = ox + l.left;
  const double cy = oy + l.top;
  const double w = c.plot_width;
  const double h = std::max(c.plot_height, 0.0);
  if (!c.title.empty()) {
    s += "<text x=\"" + num(ox + 10) + "\" y=\"" + num(oy + 14 + kTitleFont - 2) +
         "\" font-size=\"" + num(kTitleFont) + "\" font-weight=\"bold\">" + text(c.title) +
         "</text>\n";
  }
  double note_y = cy + h + 8;
  if (empty) {
    s += "<text x=\"" + num(cx + w / 2) + "\" y=\"" + num(cy + h / 2) +
         "\" text-anchor=\"middle\" font-size=\"14\" fill=\"#555\">" + text(c.empty_note) +
         "</text>\n";
    for (const auto& n : l.notes) {
      note_y += kNoteFont + 4;
      s += "<text x=\"" + num(ox + 10) + "\" y=\"" + num(note_y) + "\" font-size=\"" +
           num(kNoteFont) + "\" fill=\"#555\">" + text(n) + "</text>\n";
    }
    return s;
  }
  const Frame f = frame_of(c, xt, yt, cx, cy, w, h);
  note_y = axes(s, c, f, ox);
  double legend_y = cy + 6;
  const double lx = cx + w + 14;
  for (std::size_t si = 0; si < c.series.size(); ++si) {
    const Series& sr = c.series[si];
    const SeriesLook k = look_of(sr, si, f);
    draw_series(s, sr, si, f, k);
    if (!l.legend[si].empty()) {
      legend_y += 16;
      legend_entry(s, sr, si, k, l.legend[si], lx, legend_y);
    }
  }
  if (!c.x.title.empty()) note_y += 4;
  for (const auto& n : l.notes) {
    note_y += kNoteFont + 4;
    s += "<text class=\"note\" x=\"" + num(ox + 10) + "\" y=\"" + num(note_y) + "\" font-size=\"" +
         num(kNoteFont) + "\" fill=\"#555\">" + text(n) + "</text>\n";
  }
  return s;
}

std::string document(double w, double h, const std::string& body) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(w) + "\" height=\"" + num(h) +
         "\" viewBox=\"0 0 " + num(w) + " " + num(h) +
         "\" font-family=\"DejaVu Sans, sans-serif\">\n<rect width=\"100%\" height=\"100%\" "
         "fill=\"white\"/>\n" +
         body + "</svg>\n";
}

Layout measure(const Chart& c) {
  const bool empty = !has_points(c);
  return layout(c, x_ticks(c), y_ticks(c), empty);
}

}  // namespace

std::string render(const Chart& chart) {
  const Layout l = measure(chart);
  return document(l.cell_w, l.cell_h, panel(chart, 0, 0));
}

std::string render_grid(const std::string& title, const std::vector<Chart>& charts, int columns) {
  columns = std::max(1, std::min(columns, static_cast<int>(charts.size())));
  double cw = 0;
  double ch = 0;
  for (const Chart& c : charts) {
    const Layout l = measure(c);
    cw = std::max(cw, l.cell_w);
    ch = std::max(ch, l.cell_h);
  }
  const double top = title.empty() ? 0 : 30;
  std::string body;
  if (!title.empty()) {
    body += "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">" + text(title) +
            "</text>\n";
  }
  const auto n = static_cast<int>(charts.size());
  const int rows = (n + columns - 1) / columns;
  for (int i = 0; i < n; ++i)
    body +=
        panel(charts[static_cast<std::size_t>(i)], (i % columns) * cw, top + (i / columns) * ch);
  const double title_w = title.empty() ? 0 : text_width(title, 15) + 20;
  return document(std::max({cw * std::min(columns, std::max(n, 1)), title_w, 200.0}),
                  top + std::max(rows, 1) * ch, body);
}

}  // namespace rlab::chart
