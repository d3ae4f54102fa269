// The chart module: tick algorithm, layout and rendering (every chart rendered by rsvg-convert).
#include "rlab/chart.h"

#include "rlab/output.h"
#include "rlab/text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/run.h"
#include "support/svg.h"

namespace rlab {
namespace {

using chart::Chart;
using chart::Scale;
using chart::Series;
using chart::Style;
using chart::Ticks;
using test::label_values;
using test::svg_texts;

// Round steps: equally spaced values whose step is 1, 2, 2.5 or 5 times a power of ten.
void expect_round_steps(const std::vector<double>& v) {
  ASSERT_GE(v.size(), 2U);
  const double step = v[1] - v[0];
  ASSERT_GT(step, 0);
  for (std::size_t i = 1; i < v.size(); ++i)
    EXPECT_NEAR(v[i] - v[i - 1], step, std::fabs(step) * 1e-9) << i;
  const double mant = step / std::pow(10.0, std::floor(std::log10(step) + 1e-12));
  EXPECT_TRUE(std::fabs(mant - 1) < 1e-9 || std::fabs(mant - 2) < 1e-9 ||
              std::fabs(mant - 2.5) < 1e-9 || std::fabs(mant - 5) < 1e-9)
      << "step " << step;
  for (double x : v) EXPECT_NEAR(std::remainder(x, step), 0, std::fabs(step) * 1e-6) << x;
}

void expect_nice(const Ticks& t, double lo, double hi) {
  EXPECT_GE(t.values.size(), 5U);
  EXPECT_LE(t.values.size(), 8U);
  ASSERT_EQ(t.values.size(), t.labels.size());
  expect_round_steps(t.values);
  EXPECT_LE(t.lo, lo);
  EXPECT_GE(t.hi, hi);
  // The labels say the values.
  const std::vector<double> parsed = label_values(t.labels);
  for (std::size_t i = 0; i < parsed.size(); ++i)
    EXPECT_NEAR(parsed[i], t.values[i], 1e-9 * std::max(1.0, std::fabs(t.values[i])))
        << t.labels[i];
}

TEST(ChartTicks, RoundNumbersCoveringTheData) {
  expect_nice(chart::linear_ticks(0, 1), 0, 1);
  expect_nice(chart::linear_ticks(0.37, 9.2), 0.37, 9.2);
  expect_nice(chart::linear_ticks(-7.3, 12.1), -7.3, 12.1);
  expect_nice(chart::linear_ticks(-0.004, -0.001), -0.004, -0.001);
  expect_nice(chart::linear_ticks(1.2e7, 3.4e7), 1.2e7, 3.4e7);
  expect_nice(chart::linear_ticks(0.000123, 0.000456), 0.000123, 0.000456);
  const Ticks t = chart::linear_ticks(0, 100);
  EXPECT_EQ(t.labels, (std::vector<std::string>{"0", "20", "40", "60", "80", "100"}));
}

TEST(ChartTicks, PercentAxisOnRoundPercentages) {
  // Shares up to 0.45 once gave ticks at 23/45/68 %.
  const Ticks t = chart::linear_ticks(0, 0.45, true, false, true);
  EXPECT_EQ(t.labels, (std::vector<std::string>{"0%", "10%", "20%", "30%", "40%", "50%"}));
  EXPECT_EQ(chart::linear_ticks(0, 1, true, false, true).labels,
            (std::vector<std::string>{"0%", "20%", "40%", "60%", "80%", "100%"}));
}

TEST(ChartTicks, TimeAxisStaysInsideAndOnWholeNumbers) {
  const Ticks years = chart::linear_ticks(1936, 2024, false, true);
  EXPECT_EQ(years.labels, (std::vector<std::string>{"1940", "1960", "1980", "2000", "2020"}));
  EXPECT_EQ(years.lo, 1936);
  EXPECT_EQ(years.hi, 2024);
  // Three trials: no half trials.
  EXPECT_EQ(chart::linear_ticks(1, 3, false, true).labels,
            (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(chart::linear_ticks(2020, 2020, false, true).labels,
            (std::vector<std::string>{"2019", "2020", "2021"}));
}

TEST(ChartTicks, DegenerateRanges) {
  // One point or all equal: a range around it with the point inside.
  for (double v : {0.0, 5.0, -3.0, 1e-12, 7e9}) {
    const Ticks t = chart::ticks_for({v, v, v}, Scale::kLinear);
    EXPECT_LT(t.lo, v);
    EXPECT_GT(t.hi, v);
    EXPECT_GE(t.values.size(), 3U) << v;
    expect_round_steps(t.values);
  }
  // NaN and infinities are dropped.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Ticks t = chart::ticks_for({nan, 1, inf, 3, -inf, 2}, Scale::kAuto);
  EXPECT_FALSE(t.log);
  expect_nice(t, 1, 3);
  // Nothing finite: a unit range, no crash.
  const Ticks none = chart::ticks_for({nan, inf}, Scale::kAuto);
  EXPECT_EQ(none.lo, 0);
  EXPECT_EQ(none.hi, 1);
  // Negative only.
  expect_nice(chart::ticks_for({-250, -40}, Scale::kAuto), -250, -40);
  // Extreme magnitudes on a linear axis still give finite round ticks.
  const Ticks huge = chart::linear_ticks(1e-300, 1e300);
  expect_nice(huge, 1e-300, 1e300);
  const Ticks widest = chart::linear_ticks(-1.5e308, 1.5e308);
  for (double v : widest.values) EXPECT_TRUE(std::isfinite(v));
  EXPECT_GE(widest.values.size(), 5U);
  const std::vector<double> said = label_values(widest.labels);
  for (std::size_t i = 0; i < said.size(); ++i)
    EXPECT_NEAR(said[i], widest.values[i], 1e-9 * 1e308) << widest.labels[i];
}

TEST(ChartTicks, LogAxisWhenValuesSpanDecades) {
  const Ticks t = chart::ticks_for({0.4, 3, 300}, Scale::kAuto);
  EXPECT_TRUE(t.log);
  EXPECT_EQ(t.labels, (std::vector<std::string>{"10⁻¹", "10⁰", "10¹", "10²", "10³"}));
  // 1e-300..1e300: every 100th decade, seven labels.
  const Ticks wide = chart::ticks_for({1e-300, 1, 1e300}, Scale::kAuto);
  EXPECT_TRUE(wide.log);
  EXPECT_EQ(wide.labels, (std::vector<std::string>{"10⁻³⁰⁰", "10⁻²⁰⁰", "10⁻¹⁰⁰", "10⁰", "10¹⁰⁰",
                                                   "10²⁰⁰", "10³⁰⁰"}));
  const std::vector<double> v = label_values(wide.labels);
  EXPECT_DOUBLE_EQ(v.front(), 1e-300);
  EXPECT_DOUBLE_EQ(v.back(), 1e300);
  // Two decades or less: 1-2-5.
  EXPECT_EQ(chart::log_ticks(1, 10).labels, (std::vector<std::string>{"1", "2", "5", "10"}));
  // One decade is not enough for a log axis on its own.
  EXPECT_FALSE(chart::ticks_for({2, 15}, Scale::kAuto).log);
  // A log axis drops values <= 0 instead of failing.
  const Ticks forced = chart::ticks_for({-1, 0, 1e-5, 0.1}, Scale::kLog);
  EXPECT_TRUE(forced.log);
  EXPECT_EQ(forced.labels.front(), "10⁻⁵");
  EXPECT_EQ(forced.labels.back(), "10⁻¹");
}

class ChartRender : public ::testing::Test {
 protected:
  test::TempDir dir_;
  // Renders with rsvg-convert (it must parse and draw it) and returns the SVG text.
  std::string rendered(const std::string& svg, const std::string& name) {
    EXPECT_EQ(test::render_png(svg, dir_.path() + "/" + name + ".png"), "") << svg;
    EXPECT_EQ(test::markers_outside_frames(svg), std::vector<std::string>{});
    return svg;
  }
};

TEST_F(ChartRender, LinesWithLegendTellCoincidingSeriesApart) {
  Chart c;
  c.title = "trends <&> \"quoted\"\nnewline";
  c.x.title = "year";
  c.x.integer = true;
  c.y.title = "share (%)";
  c.y.percent = true;
  c.series = {Series{"learning", {2000, 2001, 2002}, {0.1, 0.45, 0.2}},
              Series{"neural", {2000, 2001, 2002}, {0.1, 0.45, 0.2}},
              Series{"deep", {2000, 2001, 2002}, {0.05, 0.02, 0.3}}};
  const std::string svg = rendered(chart::render(c), "lines");
  EXPECT_NE(svg.find("trends &lt;&amp;&gt; &quot;quoted&quot; newline"), std::string::npos);
  EXPECT_EQ(svg_texts(svg, "ytick"),
            (std::vector<std::string>{"0%", "10%", "20%", "30%", "40%", "50%"}));
  EXPECT_EQ(svg_texts(svg, "xtick"), (std::vector<std::string>{"2000", "2001", "2002"}));
  EXPECT_EQ(svg_texts(svg, "legend"),
            (std::vector<std::string>{"learning", "neural (= learning)", "deep"}));
  EXPECT_EQ(
      svg_texts(svg, "note"),
      std::vector<std::string>{"'neural' and 'learning' are identical: drawn over each other"});
  EXPECT_EQ(svg_texts(svg, "xtitle"), std::vector<std::string>{"year"});
  EXPECT_EQ(svg_texts(svg, "ytitle"), std::vector<std::string>{"share (%)"});
  // Each line its own dash pattern.
  EXPECT_NE(svg.find("stroke-dasharray=\"7 3\""), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray=\"2 3\""), std::string::npos);
}

TEST_F(ChartRender, MarginsFitTheLongestLabel) {
  Chart c;
  c.y.title = "value";
  c.series = {Series{"", {0, 1}, {-123456.5, 987654.25}}};
  const std::string svg = rendered(chart::render(c), "margins");
  // The frame starts right of the widest y tick label and its title.
  const auto ticks = svg_texts(svg, "ytick");
  double widest = 0;
  for (const auto& t : ticks) widest = std::max(widest, chart::text_width(t, 11));
  const auto p = svg.find("<path d=\"M");
  const double frame_x = std::stod(svg.substr(p + 10));
  EXPECT_GE(frame_x, widest + 12 + 6);
}

TEST_F(ChartRender, StepsAndPointsOnALogAxis) {
  Chart c;
  c.x.title = "trial";
  c.x.integer = true;
  c.y.title = "objective";
  c.y.scale = Scale::kAuto;
  Series each{"each trial", {1, 2, 3, 4, 5, 6}, {300, 12, 40, 0.5, 2, 0.41}};
  each.style = Style::kPoints;
  Series best{"best so far", {1, 2, 3, 4, 5, 6}, {300, 12, 12, 0.5, 0.5, 0.41}};
  best.style = Style::kStep;
  c.series = {each, best};
  const std::string svg = rendered(chart::render(c), "log");
  EXPECT_EQ(svg_texts(svg, "ytick"),
            (std::vector<std::string>{"10⁻¹", "10⁰", "10¹", "10²", "10³"}));
  EXPECT_EQ(svg_texts(svg, "xtick"), (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST_F(ChartRender, CategoricalPointsWithSpreadAndBars) {
  Chart c;
  c.x.categories = {"red", "green", "blue"};
  c.x.category_notes = {"2 trials", "0 trials", "5 trials"};
  c.y.title = "objective";
  Series pts{"", {0, 1, 2}, {3, 4, 2}};
  pts.style = Style::kPoints;
  pts.spread = {1, 0.5, 0.7};
  c.series = {pts};
  const std::string svg = rendered(chart::render(c), "categorical");
  // Categories at their own positions, no numeric ticks at -0.5 or 2.5.
  EXPECT_EQ(svg_texts(svg, "xtick"), (std::vector<std::string>{"red", "green", "blue"}));
  const auto texts = svg_texts(svg);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "5 trials"), texts.end());
  expect_round_steps(label_values(svg_texts(svg, "ytick")));
  // Whiskers: the y range holds 3 - 1 = 2 ... 4 + 0.5.
  const auto y = label_values(svg_texts(svg, "ytick"));
  EXPECT_LE(y.front(), 1.3);
  EXPECT_GE(y.back(), 4.5);

  Chart b;
  b.x.categories = {"a", "b"};
  b.y.min = 0;
  b.y.max = 10;
  Series bars{"", {0, 1}, {5.5, 7.25}};
  bars.style = Style::kBars;
  bars.labels = {"5.5", "7.2"};
  b.series = {bars};
  const std::string bsvg = rendered(chart::render(b), "bars");
  EXPECT_EQ(svg_texts(bsvg, "ytick"), (std::vector<std::string>{"0", "2", "4", "6", "8", "10"}));
  std::size_t rects = 0;
  for (auto p = bsvg.find("<rect"); p != std::string::npos; p = bsvg.find("<rect", p + 1)) ++rects;
  EXPECT_EQ(rects, 3U);  // background and two bars
}

TEST_F(ChartRender, NoDataSaysSo) {
  Chart c;
  c.title = "nothing";
  c.x.title = "x";
  c.series = {Series{"a", {}, {}},
              Series{"b", {1, 2}, {std::nan(""), std::numeric_limits<double>::infinity()}}};
  const std::string svg = rendered(chart::render(c), "empty");
  const auto texts = svg_texts(svg);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "no data"), texts.end());
  EXPECT_TRUE(svg_texts(svg, "xtick").empty());
  EXPECT_EQ(svg.find("<path d=\"M"), std::string::npos);  // no empty frame
}

TEST_F(ChartRender, GridOfPanels) {
  std::vector<Chart> panels(4);
  for (int i = 0; i < 4; ++i) {
    panels[static_cast<std::size_t>(i)].title = "panel " + std::to_string(i);
    panels[static_cast<std::size_t>(i)].series = {
        Series{"", {0, 1, 2}, {1.0 * i, 2.0 * i + 1, 0.5}}};
  }
  panels[3].series.clear();
  const std::string svg = rendered(chart::render_grid("grid", panels, 3), "grid");
  std::size_t frames = 0;
  for (auto p = svg.find("fill=\"none\" stroke=\"#333\""); p != std::string::npos;
       p = svg.find("fill=\"none\" stroke=\"#333\"", p + 1))
    ++frames;
  EXPECT_EQ(frames, 3U);
  const auto texts = svg_texts(svg);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "no data"), texts.end());
}

TEST(TextDisplayWidth, WideEmojiAndCombiningMarks) {
  EXPECT_EQ(display_width("abc"), 3U);
  EXPECT_EQ(display_width("é"), 1U);         // precomposed
  EXPECT_EQ(display_width("e\u0301"), 1U);   // e + combining acute
  EXPECT_EQ(display_width("深層学習"), 8U);  // CJK: 2 each
  EXPECT_EQ(display_width("ｆｕｌｌ"), 8U);  // fullwidth Latin
  EXPECT_EQ(display_width("🧪"), 2U);
  EXPECT_EQ(display_width("한국어"), 6U);
  EXPECT_EQ(display_width("a\u200Bb"), 2U);  // zero-width space
  EXPECT_EQ(display_width("\xff"), 1U);      // invalid UTF-8 counts one column
}

TEST(TextEscapeControls, OneLineForEveryCell) {
  EXPECT_EQ(escape_controls("plain é 深"), "plain é 深");
  EXPECT_EQ(escape_controls("a\nb\tc\r"), "a\\nb\\tc\\r");
  EXPECT_EQ(escape_controls("bell\x07!"), "bell\\x07!");
  EXPECT_EQ(escape_controls("del\x7f"), "del\\x7F");
  EXPECT_EQ(escape_controls("nel\xc2\x85."), "nel\\u0085.");
  EXPECT_EQ(xml_escape("a\x01<b\n"), "a\xEF\xBF\xBD&lt;b\n");
}

TEST(OutputPlain, AlignsWideCharactersByDisplayWidth) {
  Table t;
  t.headers = {"title", "n"};
  t.numeric_columns = {1};
  t.rows = {{"深層学習", "1"}, {"🧪 lab", "22"}, {"plain", "3"}, {"two\nlines", "4"}};
  // Every row's second column ends in the same terminal column.
  EXPECT_EQ(render_plain(t),
            "title        n\n"
            "----------  --\n"
            "深層学習     1\n"
            "🧪 lab      22\n"
            "plain        3\n"
            "two\\nlines   4\n");
  Table m;
  m.headers = {"a"};
  m.rows = {{"x\ny\x07"}};
  EXPECT_EQ(render_markdown(m), "| a |\n|---|\n| x<br>y\\x07 |\n");
  EXPECT_EQ(render_csv(m), "a\n\"x\ny\x07\"\n");
}

}  // namespace
}  // namespace rlab
