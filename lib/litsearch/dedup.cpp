// Deduplication (same paperId, DOI, or normalised title and year) and the local filters.
#include "rlab/litsearch.h"

#include <unordered_map>

namespace rlab::litsearch {

std::vector<Paper> deduplicate(const std::vector<Paper>& papers, std::size_t* removed) {
  return deduplicate(std::vector<Paper>(papers), removed);
}

// In place: a kept paper moves down to the next free slot, so nothing is copied and no second
// vector is allocated.
std::vector<Paper> deduplicate(std::vector<Paper>&& papers, std::size_t* removed) {
  std::unordered_map<std::string, std::size_t> by_id;
  std::unordered_map<std::string, std::size_t> by_doi;
  std::unordered_map<std::string, std::size_t> by_title;
  by_id.reserve(papers.size());
  by_title.reserve(papers.size());
  std::size_t merged = 0;
  auto title_key = [](const Paper& p) -> std::string {
    std::string t = normalise_title(p.title);
    if (t.empty()) return "";
    return t + "|" + (p.year ? std::to_string(*p.year) : "?");
  };
  auto find = [](const std::unordered_map<std::string, std::size_t>& m,
                 const std::string& k) -> std::optional<std::size_t> {
    if (k.empty()) return std::nullopt;
    const auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
  std::size_t kept = 0;
  for (std::size_t i = 0; i < papers.size(); ++i) {
    Paper& p = papers[i];
    std::optional<std::size_t> hit = find(by_id, p.paper_id);
    if (!hit) hit = find(by_doi, p.doi);
    std::string tk = title_key(p);
    if (!hit) hit = find(by_title, tk);
    if (hit) {  // *hit < kept <= i: an earlier paper
      ++merged;
      Paper& q = papers[*hit];
      if (q.source != p.source && q.source.find(p.source) == std::string::npos)
        q.source += "+" + p.source;
      if (q.openalex_id.empty()) q.openalex_id = p.openalex_id;
      if (q.doi.empty()) q.doi = p.doi;
      if (q.arxiv.empty()) q.arxiv = p.arxiv;
      if (!q.abstract && p.abstract) q.abstract = std::move(p.abstract);
      if (!q.year) q.year = p.year;
      if (q.publication_date.empty()) q.publication_date = p.publication_date;
      if (q.venue.empty()) q.venue = p.venue;
      if (!q.citations || (p.citations && *p.citations > *q.citations)) q.citations = p.citations;
      if (q.authors.empty()) q.authors = std::move(p.authors);
      if (q.fields_of_study.empty()) q.fields_of_study = std::move(p.fields_of_study);
      if (q.url.empty()) q.url = p.url;
      if (q.bibtex.empty()) q.bibtex = std::move(p.bibtex);
      if (!p.paper_id.empty()) by_id.emplace(p.paper_id, *hit);
      if (!q.doi.empty()) by_doi.emplace(q.doi, *hit);
      continue;
    }
    const std::size_t idx = kept++;
    if (!p.paper_id.empty()) by_id.emplace(p.paper_id, idx);
    if (!p.openalex_id.empty()) by_id.emplace(p.openalex_id, idx);
    if (!p.doi.empty()) by_doi.emplace(p.doi, idx);
    if (!tk.empty()) by_title.emplace(std::move(tk), idx);
    if (idx != i) papers[idx] = std::move(p);
  }
  papers.erase(papers.begin() + static_cast<std::ptrdiff_t>(kept), papers.end());
  if (removed != nullptr) *removed = merged;
  return std::move(papers);
}

std::vector<Paper> apply_filters(const std::vector<Paper>& papers, const Query& q) {
  return apply_filters(std::vector<Paper>(papers), q);
}

std::vector<Paper> apply_filters(std::vector<Paper>&& papers, const Query& q) {
  auto dropped = [&](const Paper& p) {
    if (q.years.from && (!p.year || *p.year < *q.years.from)) return true;
    if (q.years.to && (!p.year || *p.year > *q.years.to)) return true;
    return q.min_citations && (!p.citations || *p.citations < *q.min_citations);
  };
  papers.erase(std::remove_if(papers.begin(), papers.end(), dropped), papers.end());
  return std::move(papers);
}

}  // namespace rlab::litsearch
