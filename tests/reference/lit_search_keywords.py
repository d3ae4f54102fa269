#!/usr/bin/python3
"""Independent reference for rlab lit-search's keyword analysis on a small ASCII corpus.

Re-implements, from the documented rules (docs/lit-search.md), the candidate n-grams (1..3
tokens, not crossing clause punctuation, not starting or ending with a stop word, in >= 2
documents), document frequencies, per-year shares and the log-odds ratio with an informative
Dirichlet prior (Monroe, Colaresi & Quinn 2008) of the recent years against the earlier ones,
with light plural folding (the rules of lit_search_folding.py: a plural whose singular is a word
of the corpus counts as that word and is shown as the commonest of the forms) and the year bins
of the trend table (years gathered until a bin holds 5 papers). Writes lit_search_keywords.json
next to this script.
"""
import collections
import json
import math
import os
import re

from lit_search_folding import bins, singular

SNOWBALL = set("""i me my myself we our ours ourselves you your yours yourself yourselves he him
his himself she her hers herself it its itself they them their theirs themselves what which who
whom this that these those am is are was were be been being have has had having do does did doing
would should could ought a an the and but if or because as until while of at by for with about
against between into through during before after above below to from up down in out on off over
under again further then once here there when where why how all any both each few more most other
some such no nor not only own same so than too very cannot""".split())
BOILER = set("""paper study studies propose proposed proposes approach approaches method methods
result results show shows shown novel based using use used also however present presents new can
may well work within among via thus therefore furthermore moreover et al one two first finally
demonstrate demonstrates""".split())

CORPUS = [
    (2018, "Graph neural networks for molecules", "We propose graph neural networks. Message passing on molecules works."),
    (2018, "Message passing revisited", "Message passing neural networks, and graph kernels for molecules."),
    (2019, "Kernel methods", "Graph kernels remain strong baselines; message passing is costly."),
    (2019, "Battery state estimation", "Lithium-ion battery state of health estimation with Kalman filters."),
    (2020, "Battery degradation models", "Lithium-ion battery degradation: state of health and capacity fade."),
    (2021, "Transformers for batteries", "Transformer models predict battery state of health from cycling data."),
    (2022, "Transformer graph models", "Graph transformer models replace message passing in molecules."),
    (2022, "Capacity fade with transformers", "Transformer models forecast capacity fade of lithium-ion battery cells."),
    (2023, "LLM agents", "LLM agents plan experiments; transformer models write code."),
    (2023, "Transformer models at scale", "Scaling transformer models; LLM training costs and state of health of GPUs."),
]
BREAK = set(".,;:!?()[]\"/")


def tokens(text):
    out = []
    for m in re.finditer(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*|[.,;:!?()\[\]\"/]", text):
        w = m.group(0)
        if w in BREAK:
            if out and out[-1] != "":
                out.append("")
            continue
        if not re.search(r"[A-Za-z]", w):
            if out and out[-1] != "":
                out.append("")
            continue
        acronym = w.isupper() and w.isalpha() and 2 <= len(w) <= 5
        lw = w.lower()
        if len(lw) < 3 and not acronym:
            if lw in SNOWBALL:
                out.append(lw)
            elif out and out[-1] != "":
                out.append("")
            continue
        out.append(lw)
    while out and out[-1] == "":
        out.pop()
    return out


def grams(toks, stop):
    g = set()
    for i, t in enumerate(toks):
        if t == "" or t in stop:
            continue
        for n in (1, 2, 3):
            if i + n > len(toks):
                break
            last = toks[i + n - 1]
            if "" in toks[i:i + n]:
                break
            if last in stop:
                continue
            g.add(" ".join(toks[i:i + n]))
    return g


def main():
    stop = SNOWBALL | BOILER
    toks = [tokens(t + " . " + a) for _, t, a in CORPUS]
    occurrences = collections.Counter(w for ts in toks for w in ts if w)
    known = {w for w in occurrences if w not in stop}
    key = {w: (singular(w, known) or w) if w not in stop else w for w in occurrences}
    forms = collections.defaultdict(list)
    for w, n in occurrences.items():
        forms[key[w]].append((-n, w))
    shown = {k: min(v)[1] for k, v in forms.items()}
    folded = [[shown[key[w]] if w else "" for w in ts] for ts in toks]
    docs = [(y, grams(ts, stop)) for (y, _, _), ts in zip(CORPUS, folded)]
    years = sorted({y for y, _ in docs})
    split = years[-1] - 3  # recent_years = 3
    df, da, db = {}, {}, {}
    for y, g in docs:
        for x in g:
            df[x] = df.get(x, 0) + 1
            if y <= split:
                db[x] = db.get(x, 0) + 1
            else:
                da[x] = da.get(x, 0) + 1
    cands = {x for x, c in df.items() if c >= 2}
    n_a = sum(da.get(x, 0) for x in cands)
    n_b = sum(db.get(x, 0) for x in cands)
    a0 = 10.0
    terms = {}
    year_bins = bins(years, [sum(1 for yy, _ in docs if yy == y) for y in years], 5)
    for x in sorted(cands):
        ya, yb = da.get(x, 0), db.get(x, 0)
        alpha = a0 * (ya + yb) / (n_a + n_b)
        d = math.log((ya + alpha) / (n_a + a0 - ya - alpha)) - math.log((yb + alpha) / (n_b + a0 - yb - alpha))
        z = d / math.sqrt(1 / (ya + alpha) + 1 / (yb + alpha))
        per_year = {}
        for y in years:
            ny = sum(1 for yy, _ in docs if yy == y)
            per_year[str(y)] = sum(1 for yy, g in docs if yy == y and x in g) / ny
        per_bin = []
        for first, last, n in year_bins:
            per_bin.append(sum(1 for yy, g in docs if first <= yy <= last and x in g))
        terms[x] = {"df": df[x], "a": ya, "b": yb, "log_odds": d, "z": z, "shares": per_year,
                    "bin_counts": per_bin}
    out = {"corpus": [{"year": y, "title": t, "abstract": a} for y, t, a in CORPUS],
           "years": years, "terms": terms, "year_bins": year_bins,
           "folded": {w: k for w, k in sorted(key.items()) if k != w},
           "not_candidates": sorted(x for x, c in df.items() if c < 2)[:20]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lit_search_keywords.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
