// Checks on the SVG charts rlab draws: rendering by rsvg-convert, tick labels, frames.
#pragma once

#include <string>
#include <vector>

namespace rlab::test {

/// Renders `svg` to the PNG file `png` with rsvg-convert; "" when it rendered, else why not.
std::string render_png(const std::string& svg, const std::string& png);

/// Text of every <text> element with class="cls" ("xtick", "ytick", "legend", "note",
/// "xtitle", "ytitle"), XML entities decoded; all <text> elements when cls is "".
std::vector<std::string> svg_texts(const std::string& svg, const std::string& cls = "");

/// Markers (circle centres and path starts of filled markers) outside every chart frame of
/// `svg`, as "x,y"; empty when every marker lies inside a frame.
std::vector<std::string> markers_outside_frames(const std::string& svg);

/// Parses the labels as numbers ("40%" -> 40, "10⁻³" -> 0.001, "2×10⁵" -> 200000); NaN for
/// text that is no number.
std::vector<double> label_values(const std::vector<std::string>& labels);

/// "" when `labels` are nice ticks: at least 2 numbers, equally spaced by 1, 2, 2.5 or 5 times a
/// power of ten, each a multiple of the step; or on a log axis decades equally spaced in the
/// exponent, or 1-2-5 steps. Otherwise what is wrong.
std::string tick_problem(const std::vector<std::string>& labels);

}  // namespace rlab::test
