// SVG charts: the one axes, ticks, series and legend helper behind every picture rlab draws
// (bayesopt plots, lit-search trends, pomodoro slots, prototype curves). No I/O: it returns the
// SVG text.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rlab::chart {

enum class Scale {
  kLinear,
  kLog,   ///< decades labelled 10^k; values <= 0 are left out
  kAuto,  ///< log when every value is positive and they span more than two decades
};

/// Tick positions and labels of one axis, and the range the axis spans (data units).
struct Ticks {
  std::vector<double> values;
  std::vector<std::string> labels;
  double lo = 0;
  double hi = 1;
  bool log = false;
};

/// 5 to 8 round ticks (1, 2, 2.5 or 5 times a power of ten) for [lo, hi]. cover: the axis range
/// grows to the outer ticks (a value axis); otherwise it stays [lo, hi] and the ticks fall inside
/// (a time axis). integer: whole-number steps only (fewer ticks when the range is short).
/// percent: values are fractions labelled "0%" to "100%" on round percentages. One value, or
/// lo == hi, gets a range around it.
Ticks linear_ticks(double lo, double hi, bool cover = true, bool integer = false,
                   bool percent = false);
/// Decades labelled 10^k (every 2nd, 5th, ... decade when there are many), with 2 and 5 times a
/// decade added when the range holds fewer than three decades. Requires 0 < lo <= hi.
Ticks log_ticks(double lo, double hi, bool cover = true);
/// Ticks for the finite values in `values` (NaN and infinities are dropped; so are values <= 0 on
/// a log scale). Empty input gives the range [0, 1].
Ticks ticks_for(const std::vector<double>& values, Scale scale, bool cover = true,
                bool integer = false, bool percent = false);

enum class Style {
  kLine,    ///< polyline, markers at the points when there are few
  kStep,    ///< a running best: horizontal then vertical steps
  kPoints,  ///< markers only, with whiskers when `spread` is given
  kBars,    ///< bars from 0, with whiskers when `spread` is given
  kRug,     ///< short ticks along the bottom of the frame at each x (y is ignored)
};

struct Series {
  Series() = default;
  Series(std::string name_, std::vector<double> x_, std::vector<double> y_,
         Style style_ = Style::kLine)
      : name(std::move(name_)), x(std::move(x_)), y(std::move(y_)), style(style_) {}

  std::string name;  ///< legend entry; empty: not in the legend
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> spread;       ///< optional half-width of a whisker at each point
  std::vector<std::string> labels;  ///< optional text above each point or bar
  std::vector<std::string> colors;  ///< optional colour of each point or bar
  Style style = Style::kLine;
  std::string color;  ///< empty: the palette colour of the series' position
};

struct Axis {
  std::string title;  ///< with its unit, e.g. "share of papers (%)"
  Scale scale = Scale::kLinear;
  bool percent = false;       ///< values are fractions, labelled in per cent
  bool integer = false;       ///< ticks on whole numbers only (trials, years)
  std::optional<double> min;  ///< fixed range instead of the data's
  std::optional<double> max;
  /// A categorical x axis: value i is categories[i], drawn at i with room of one unit around.
  std::vector<std::string> categories;
  std::vector<std::string> category_notes;  ///< optional second line under each category
};

struct Chart {
  std::string title;
  Axis x;
  Axis y;
  std::vector<Series> series;
  std::vector<std::string> notes;      ///< lines of small text under the x axis title
  std::string empty_note = "no data";  ///< shown instead of axes when no series has a point
  double plot_width = 460;  ///< the frame; margins are added around it to fit every label
  double plot_height = 260;
};

/// A whole SVG document with one chart.
std::string render(const Chart& chart);
/// A whole SVG document with the charts in a grid of `columns`, under a common title.
std::string render_grid(const std::string& title, const std::vector<Chart>& charts, int columns);

/// Text width in pixels at `font_size`, as the chart estimates it for its margins (wide
/// characters count double, combining marks nothing).
double text_width(const std::string& text, double font_size);

}  // namespace rlab::chart
