// Exports for reference managers and reading: CSV, BibTeX (stable keys), RIS and one-page
// Markdown evaluation templates.
#include "rlab/litsearch.h"
#include "rlab/output.h"
#include "rlab/text.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

namespace rlab::litsearch {

namespace {

// ASCII letters of the first author's surname (last word), lower case.
std::string ascii_word(const std::string& s) {
  std::string r;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0) r += static_cast<char>(std::tolower(c));
  }
  return r;
}

std::string bib_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    switch (c) {
      case '&':
        r += "\\&";
        break;
      case '%':
        r += "\\%";
        break;
      case '$':
        r += "\\$";
        break;
      case '#':
        r += "\\#";
        break;
      case '_':
        r += "\\_";
        break;
      case '{':
        r += "\\{";
        break;
      case '}':
        r += "\\}";
        break;
      case '~':
        r += "\\textasciitilde{}";
        break;
      case '^':
        r += "\\textasciicircum{}";
        break;
      case '\\':
        r += "\\textbackslash{}";
        break;
      case '\n':
      case '\r':
      case '\t':
        r += ' ';
        break;
      default:
        r += c;
    }
  }
  return r;
}

std::string one_line(const std::string& s) {
  std::string r;
  for (char c : s) r += (c == '\n' || c == '\r') ? ' ' : c;
  return r;
}

}  // namespace

std::string to_csv(const std::vector<Paper>& papers) {
  Table t;
  t.headers = {"paperId",   "doi",     "title",  "year", "venue",
               "citations", "authors", "source", "url",  "abstract"};
  for (const Paper& p : papers) {
    t.rows.push_back({p.paper_id, p.doi, p.title, p.year ? std::to_string(*p.year) : "", p.venue,
                      p.citations ? std::to_string(*p.citations) : "", join(p.authors, "; "),
                      p.source, p.url, p.abstract ? *p.abstract : ""});
  }
  return render_csv(t);
}

std::string to_bibtex(const std::vector<Paper>& papers) {
  std::map<std::string, int> used;
  std::string s;
  for (const Paper& p : papers) {
    std::string surname = p.authors.empty() ? "anon" : p.authors.front();
    const auto sp = surname.find_last_of(' ');
    if (sp != std::string::npos) surname = surname.substr(sp + 1);
    surname = ascii_word(surname);
    if (surname.empty()) surname = "anon";
    std::string word;
    std::istringstream tw(p.title);
    for (std::string w; tw >> w;) {
      const std::string a = ascii_word(w);
      if (a.size() > 3 && snowball_stopwords().count(a) == 0) {
        word = a;
        break;
      }
    }
    std::string key = surname + (p.year ? std::to_string(*p.year) : "nd") + word;
    const int k = used[key]++;
    if (k > 0) key += std::string(1, static_cast<char>('a' + std::min(k - 1, 25)));
    const bool article = !p.venue.empty();
    s += std::string(article ? "@article{" : "@misc{") + key + ",\n";
    auto field = [&](const char* name, const std::string& v) {
      if (!v.empty()) s += std::string("  ") + name + " = {" + v + "},\n";
    };
    field("title", "{" + bib_escape(p.title) + "}");
    field("author", bib_escape(join(p.authors, " and ")));
    if (p.year) field("year", std::to_string(*p.year));
    field(article ? "journal" : "howpublished", bib_escape(p.venue));
    field("doi", bib_escape(p.doi));
    if (!p.arxiv.empty()) {
      field("eprint", bib_escape(p.arxiv));
      field("archiveprefix", "arXiv");
    }
    field("url", bib_escape(p.url));
    if (!p.paper_id.empty())
      field("note", "Semantic Scholar/OpenAlex id " + bib_escape(p.paper_id));
    s += "}\n\n";
  }
  return s;
}

std::string to_ris(const std::vector<Paper>& papers) {
  std::string s;
  for (const Paper& p : papers) {
    s += std::string("TY  - ") + (p.venue.empty() ? "GEN" : "JOUR") + "\r\n";
    s += "TI  - " + one_line(p.title) + "\r\n";
    for (const auto& a : p.authors) s += "AU  - " + one_line(a) + "\r\n";
    if (p.year) s += "PY  - " + std::to_string(*p.year) + "\r\n";
    if (!p.publication_date.empty()) s += "DA  - " + p.publication_date + "\r\n";
    if (!p.venue.empty()) s += "JO  - " + one_line(p.venue) + "\r\n";
    if (!p.doi.empty()) s += "DO  - " + p.doi + "\r\n";
    if (!p.url.empty()) s += "UR  - " + p.url + "\r\n";
    if (p.abstract) s += "AB  - " + one_line(*p.abstract) + "\r\n";
    if (!p.paper_id.empty()) s += "ID  - " + p.paper_id + "\r\n";
    s += "ER  - \r\n\r\n";
  }
  return s;
}

std::string to_summary_markdown(const std::vector<Paper>& papers, const std::string& query) {
  std::string s = "# Paper evaluations";
  if (!query.empty()) s += ": " + query;
  s += "\n\n";
  for (const Paper& p : papers) {
    s += "## " + one_line(p.title) + "\n\n";
    s += "- **Authors:** " +
         (p.authors.empty() ? std::string("(unknown)") : join(p.authors, ", ")) + "\n";
    s += "- **Year / venue:** " + (p.year ? std::to_string(*p.year) : std::string("?")) + " / " +
         (p.venue.empty() ? std::string("?") : one_line(p.venue)) + "\n";
    s += "- **Citations:** " + (p.citations ? std::to_string(*p.citations) : std::string("?")) +
         "\n";
    s += "- **Link:** " + (p.doi.empty() ? p.url : "https://doi.org/" + p.doi) + "\n\n";
    s +=
        "**Abstract.** " +
        (p.abstract ? one_line(*p.abstract) : std::string("(no abstract available from the API)")) +
        "\n\n";
    s += "### Contribution\n\n- \n\n### Method\n\n- \n\n### Results\n\n- \n\n";
    s += "### My thoughts\n\n- Relevance to our work: \n- Strengths: \n- Weaknesses / doubts: \n- "
         "Follow-up: \n\n---\n\n";
  }
  return s;
}

}  // namespace rlab::litsearch
