#!/usr/bin/python3
"""Writes a lit-search response cache for the demo, so `rlab lit-search ... --offline` runs
without network. The papers are invented for the demo (a battery-research themed corpus whose
vocabulary shifts over the years); the responses have the Semantic Scholar search shape.

usage: lit_search_demo_cache.py CACHE_DIR
The requests match configs/examples/lit-search.yaml (query, year 2015-, limit 150, 100/page).
"""
import json
import os
import random
import sys
import time
import urllib.parse

BASE = "https://api.semanticscholar.org/graph/v1"
FIELDS = ("paperId,externalIds,url,title,abstract,venue,year,publicationDate,citationCount,"
          "authors,journal,fieldsOfStudy")
QUERY = "battery degradation machine learning"

EARLY = ["equivalent circuit model", "Kalman filter", "capacity fade", "state of charge",
         "support vector regression", "impedance spectroscopy"]
LATE = ["transformer model", "physics-informed neural network", "transfer learning",
        "state of health", "remaining useful life", "graph neural network"]
COMMON = ["lithium-ion battery", "degradation", "cycling data", "prediction"]
VENUES = ["Journal of Power Sources", "Applied Energy", "Nature Energy", "", "Energy Storage Materials"]
NAMES = ["Wei Zhang", "Maria Garcia", "Anna Schmidt", "Kenji Tanaka", "Olu Adeyemi", "Sara Rossi"]


def enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def fnv1a64(s):
    h = 1469598103934665603
    for b in s.encode():
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x.json" % h


def papers(n=150):
    rnd = random.Random(42)
    out = []
    for i in range(n):
        year = 2015 + i % 10
        pool = EARLY if year < 2020 else LATE
        a, b = rnd.sample(pool, 2)
        c = rnd.choice(COMMON)
        title = f"{a.capitalize()} for {c} {rnd.choice(['estimation', 'analysis', 'forecasting'])}"
        abstract = None if i % 9 == 4 else (
            f"We propose a {a} approach to {c}. Using {b} on cycling data of lithium-ion battery "
            f"cells, the {a} improves prediction of {rnd.choice(['capacity fade', 'state of health', 'degradation'])}.")
        out.append({
            "paperId": "%040x" % (0xDE30 + i * 7919),
            "externalIds": {"DOI": f"10.5555/demo.{i}"},
            "url": "https://www.semanticscholar.org/paper/%040x" % (0xDE30 + i * 7919),
            "title": title, "abstract": abstract, "venue": VENUES[i % 5], "year": year,
            "publicationDate": None, "citationCount": (i * 53) % 400,
            "authors": [{"authorId": None, "name": NAMES[i % 6]}, {"authorId": "1", "name": NAMES[(i + 2) % 6]}],
            "journal": None, "fieldsOfStudy": ["Engineering"],
        })
    return out


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    data = papers()
    now = time.time()
    for offset, limit in ((0, 100), (100, 50)):
        url = (f"{BASE}/paper/search?query={enc(QUERY)}&offset={offset}&limit={limit}"
               f"&fields={enc(FIELDS)}&year={enc('2015-')}&minCitationCount=0")
        body = {"total": len(data), "offset": offset, "data": data[offset:offset + limit]}
        if offset + limit < len(data):
            body["next"] = offset + limit
        key = "GET " + url
        with open(os.path.join(out_dir, fnv1a64(key)), "w") as f:
            json.dump({"request": key, "status": 200, "stored_at": now, "body": json.dumps(body)}, f)
            f.write("\n")


if __name__ == "__main__":
    main()
