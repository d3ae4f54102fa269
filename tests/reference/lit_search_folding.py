#!/usr/bin/python3
"""Independent reference for rlab lit-search's light plural folding, year bins and rejoining of
split words, written from the rules in docs/lit-search.md:

- Plural folding: a lower-case word of at least 4 letters (a-z and '-') ending in s, but not in
  ss, us, is, ics or -s, is folded to the first of its candidate singulars that occurs in the
  corpus (and is not a stop word): -yses/-eses/-oses -> -ysis/-esis/-osis; -ies -> -y;
  -xes/-ches/-shes/-sses/-zes/-oes -> without -es; then without the final s. A candidate needs 3
  letters at least.
- Year bins: years in order are gathered into a bin until it holds at least min papers; a short
  last bin joins the one before.
Writes lit_search_folding.json next to this script.
"""
import json
import os

# Words of a corpus (the singulars a plural may fold to must be among them).
VOCAB = """model models study studies analysis analyses machine machines glass glasses bus
physics physic box boxes approach approaches process processes thesis theses hypothesis
hypotheses diagnosis diagnoses series species hero heroes movie movies network networks
statistics statistic dynamics dynamic purpose purposes dose doses tie ties battery batteries
neural-network neural-networks new news case cases class classes status focus means mean
category categories index indexes data bias lens""".split()
STOP = {"new", "this", "its", "has", "was", "does", "is", "us", "our", "ours", "his"}

WORDS = VOCAB + ["unknowns", "cats", "café", "Models", "x-s", "ss", "yes", "gas", "ideas",
                 "idea-s", "analyses-s", "stimuli", "criteria"]


def singular(word, known):
    if len(word) < 4 or any(not ("a" <= c <= "z" or c == "-") for c in word):
        return ""
    if not word.endswith("s"):
        return ""
    for end in ("ss", "us", "is", "ics", "-s"):
        if word.endswith(end):
            return ""
    cands = []
    for plural_end, single_end in (("yses", "ysis"), ("eses", "esis"), ("oses", "osis")):
        if word.endswith(plural_end):
            cands.append(word[: -len(plural_end)] + single_end)
    if word.endswith("ies"):
        cands.append(word[:-3] + "y")
    for end in ("xes", "ches", "shes", "sses", "zes", "oes"):
        if word.endswith(end):
            cands.append(word[:-2])
            break
    cands.append(word[:-1])
    for c in cands:
        if len(c) >= 3 and not c.endswith("-") and c in known:
            return c
    return ""


def bins(years, docs, min_papers):
    out = []
    open_bin = False
    for y, n in zip(years, docs):
        if not open_bin:
            out.append([y, y, 0])
            open_bin = True
        out[-1][1] = y
        out[-1][2] += n
        if out[-1][2] >= min_papers:
            open_bin = False
    if open_bin and len(out) >= 2:
        last = out.pop()
        out[-1][1] = last[1]
        out[-1][2] += last[2]
    return out


BIN_CASES = [
    ([1977, 1986, 1988, 1992, 1993, 1994, 1995, 1996, 1997, 1998, 1999, 2000],
     [1, 1, 2, 2, 2, 3, 1, 3, 7, 5, 7, 17], 5),
    ([2018, 2019, 2020, 2021, 2022, 2023], [2, 2, 1, 1, 2, 2], 5),
    ([2020], [1], 5),
    ([2020, 2021, 2022], [29, 1, 2], 5),
    ([2020, 2021, 2022], [1, 2, 29], 5),
    ([2020, 2021, 2022], [1, 2, 3], 1),
    ([2020, 2021], [3, 1], 100),
]


def main():
    known = {w for w in VOCAB if w not in STOP}
    out = {
        "vocab": VOCAB,
        "stop": sorted(STOP),
        "fold": {w: singular(w, known) for w in WORDS},
        "bins": [{"years": y, "docs": d, "min": m, "bins": bins(y, d, m)} for y, d, m in BIN_CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lit_search_folding.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
