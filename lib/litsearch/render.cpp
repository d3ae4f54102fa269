// The trend chart (SVG) of the analysis.
#include "rlab/chart.h"
#include "rlab/litsearch.h"

#include <algorithm>

namespace rlab::litsearch {

std::string trend_svg(const AnalysisResult& a, std::size_t max_lines) {
  chart::Chart c;
  c.title = "Keyword trends: share of papers per year";
  c.x.title = "publication year";
  c.x.integer = true;
  c.y.title = "share of the year's papers (%)";
  c.y.percent = true;
  c.y.min = 0;
  c.plot_width = 520;
  c.plot_height = 300;
  const std::size_t nl = std::min(max_lines, a.trends.size());
  for (std::size_t i = 0; i < nl; ++i) {
    const TrendRow& r = a.trends[i];
    chart::Series s{r.term, {}, {}};
    for (std::size_t k = 0; k < a.years.size() && k < r.shares.size(); ++k) {
      s.x.push_back(a.years[k]);
      s.y.push_back(r.shares[k]);
    }
    c.series.push_back(std::move(s));
  }
  if (!a.years.empty()) {
    long long papers = 0;
    for (long long n : a.docs_per_year) papers += n;
    c.notes.push_back(std::to_string(papers) + " papers with a year, " +
                      std::to_string(a.years.size()) + " years; " +
                      std::to_string(a.trends.size() > nl ? nl : a.trends.size()) + " of " +
                      std::to_string(a.trends.size()) + " terms drawn");
  }
  c.empty_note = a.years.empty() ? "no papers with a publication year" : "no keyword trends";
  return chart::render(c);
}

}  // namespace rlab::litsearch
