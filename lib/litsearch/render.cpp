// The report of `rlab lit-search`: papers, keywords, phrases, distinctive terms and trends as
// plain tables, Markdown or JSON; and the trend chart (SVG).
#include "rlab/chart.h"
#include "rlab/litsearch.h"
#include "rlab/output.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "report.h"

namespace rlab::litsearch {

namespace {

std::string num(double v, int d = 3) { return format_fixed(v, d); }

}  // namespace

std::string shorten(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t cut = n - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

namespace {

Table papers_table(const std::vector<Paper>& ps, bool full) {
  Table t;
  t.headers = {"#", "title", "year", "venue", "citations", "id"};
  t.numeric_columns = {0, 2, 4};
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const Paper& p = ps[i];
    t.rows.push_back({std::to_string(i + 1), full ? p.title : shorten(p.title, 70),
                      p.year ? std::to_string(*p.year) : "", full ? p.venue : shorten(p.venue, 30),
                      p.citations ? std::to_string(*p.citations) : "",
                      p.doi.empty() ? p.paper_id : p.paper_id + (full ? " doi:" + p.doi : "")});
  }
  return t;
}

Table terms_table(const std::vector<Term>& ts, bool bg) {
  Table t;
  t.headers = {"term", "docs", "share"};
  t.numeric_columns = {1, 2};
  if (bg) {
    t.headers.insert(t.headers.end(), {"bg docs", "log-odds", "z"});
    t.numeric_columns.insert(t.numeric_columns.end(), {3, 4, 5});
  }
  for (const Term& x : ts) {
    std::vector<std::string> row = {x.text, std::to_string(x.df), num(x.share)};
    if (bg) row.insert(row.end(), {std::to_string(x.bg_df), num(x.log_odds), num(x.z, 2)});
    t.rows.push_back(row);
  }
  return t;
}

// Columns are the year bins; each cell is the number of papers of the bin with the term and
// its share of them.
Table trend_table(const AnalysisResult& a) {
  Table t;
  t.headers = {"term"};
  for (std::size_t i = 0; i < a.bins.size(); ++i) {
    t.headers.push_back(a.bins[i].label());
    t.numeric_columns.push_back(i + 1);
  }
  std::vector<std::string> n = {"(papers)"};
  for (const YearBin& b : a.bins) n.push_back(std::to_string(b.documents));
  t.rows.push_back(n);
  for (const TrendRow& r : a.trends) {
    std::vector<std::string> row = {r.term};
    for (std::size_t i = 0; i < r.bin_counts.size(); ++i) {
      row.push_back(std::to_string(r.bin_counts[i]) + " (" +
                    format_fixed(100 * r.bin_shares[i], 0) + "%)");
    }
    t.rows.push_back(row);
  }
  return t;
}

std::string trend_title(const AnalysisResult& a, int min_year_papers) {
  std::string s = "Trends (papers with the term, and their share of the column's papers";
  if (min_year_papers > 1 && a.bins.size() < a.years.size()) {
    s += "; years with fewer than " + std::to_string(min_year_papers) +
         " papers merged with neighbouring years";
  }
  return s + ")";
}

std::string percent(double share) { return format_fixed(100 * share, 0) + "%"; }

// The line under the keyword heading naming the query's words left out (or kept).
std::string query_note(const AnalysisResult& a, bool kept) {
  if (a.query_terms.empty()) return "";
  std::string words;
  for (const Term& t : a.query_terms)
    words += (words.empty() ? "" : ", ") + t.text + " " + percent(t.share);
  return kept ? "(the query's words are kept: " + words + ")\n"
              : "(the query's words are left out: " + words + " of papers; --keep-query-terms)\n";
}

std::string distinctive_none(const AnalysisResult& a) {
  return "No term is significantly more frequent than in " + a.background + " (none of " +
         std::to_string(a.distinctive_tested) + " terms tested has z >= " + num(a.min_z, 2) +
         ").\n";
}

// The papers the table shows: the first `show` (0: all) in result order or by citations.
std::vector<Paper> shown_papers(const std::vector<Paper>& ps, std::size_t show, bool by_citations) {
  std::vector<Paper> out = ps;
  if (by_citations) {
    std::stable_sort(out.begin(), out.end(), [](const Paper& x, const Paper& y) {
      return x.citations.value_or(-1) > y.citations.value_or(-1);
    });
  }
  if (show > 0 && out.size() > show) out.resize(show);
  return out;
}

std::string more_line(std::size_t shown, std::size_t total) {
  if (shown >= total) return "";
  return "... and " + std::to_string(total - shown) +
         " more (--show 0 lists all; --csv or --json exports them)\n";
}

}  // namespace

std::string report_plain(const std::vector<Paper>& papers, const AnalysisResult& a,
                         const ReportView& v) {
  const bool bgcols = !a.background.empty();
  const std::vector<Paper> shown = shown_papers(papers, v.show, v.by_citations);
  std::string text =
      render_plain(papers_table(shown, false)) + more_line(shown.size(), papers.size()) + "\n";
  text += std::to_string(papers.size()) + " papers (" + std::to_string(v.removed) +
          " duplicates merged, " + std::to_string(a.null_abstracts) +
          " without abstract)\n\nTop keywords\n" + query_note(a, v.keep_query_terms) +
          render_plain(terms_table(a.keywords, false)) + "\nTop phrases\n" +
          render_plain(terms_table(a.phrases, false));
  if (bgcols) {
    text += "\nDistinctive terms (log-odds z >= " + num(a.min_z, 2) + " vs " + a.background +
            ")\n" +
            (a.distinctive.empty() ? distinctive_none(a)
                                   : render_plain(terms_table(a.distinctive, true)));
  }
  if (!a.years.empty())
    text += "\n" + trend_title(a, v.min_year_papers) + "\n" + render_plain(trend_table(a));
  return text;
}

std::string report_markdown(const std::vector<Paper>& papers, const AnalysisResult& a,
                            const ReportView& v) {
  const bool bgcols = !a.background.empty();
  const std::vector<Paper> shown = shown_papers(papers, v.show, v.by_citations);
  const std::string more = more_line(shown.size(), papers.size());
  std::string text = "## Papers\n\n" + render_markdown(papers_table(shown, true)) +
                     (more.empty() ? "" : "\n" + more) + "\n## Keywords\n\n" +
                     query_note(a, v.keep_query_terms) + (a.query_terms.empty() ? "" : "\n") +
                     render_markdown(terms_table(a.keywords, bgcols)) + "\n## Phrases\n\n" +
                     render_markdown(terms_table(a.phrases, bgcols)) + "\n";
  if (bgcols) {
    text += "## Distinctive vs " + a.background + " (z >= " + num(a.min_z, 2) + ")\n\n" +
            (a.distinctive.empty() ? distinctive_none(a)
                                   : render_markdown(terms_table(a.distinctive, true))) +
            "\n";
  }
  if (!a.years.empty())
    text += "## " + trend_title(a, v.min_year_papers) + "\n\n" + render_markdown(trend_table(a));
  return text;
}

std::string report_json(const std::vector<Paper>& papers, const AnalysisResult& a,
                        const std::string& query, std::size_t fetched, std::size_t removed,
                        const FetchStats* stats) {
  using nlohmann::json;
  const json requests = stats != nullptr ? json{{"network", stats->requests},
                                                {"cache_hits", stats->cache_hits},
                                                {"pages", stats->pages},
                                                {"retries", stats->retries},
                                                {"notes", stats->notes}}
                                         : json(nullptr);
  return to_json(papers, &a,
                 {{"query", json(query).dump(2)},
                  {"records_fetched", json(fetched).dump(2)},
                  {"duplicates_merged", json(removed).dump(2)},
                  {"requests", requests.dump(2)}});
}

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
