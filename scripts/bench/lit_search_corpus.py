#!/usr/bin/python3
"""Generates a synthetic abstract corpus as rlab JSONL (one paper per line).

usage: lit_search_corpus.py N OUT.jsonl
Zipf-distributed vocabulary of 20,000 words plus recurring multi-word terms, ~150 words per
abstract with clause punctuation, years 2000..2024, deterministic (seed 1).
"""
import json
import random
import sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(1)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rnd.choice(letters) for _ in range(rnd.randint(3, 10))) for _ in range(20000)]
    weights = [1.0 / (r + 1) ** 1.05 for r in range(len(vocab))]
    cum = list(__import__("itertools").accumulate(weights))
    stops = ["the", "of", "and", "in", "to", "a", "we", "is", "for", "with", "on", "this", "that"]
    terms = ["neural network", "state of health", "bayesian optimisation", "graph neural network",
             "lithium-ion battery", "transformer model", "transfer learning", "capacity fade"]
    pool = rnd.choices(vocab, cum_weights=cum, k=n * 160)
    pi = 0
    with open(out, "w") as f:
        for i in range(n):
            words = []
            while len(words) < 150:
                r = rnd.random()
                if r < 0.3:
                    words.append(rnd.choice(stops))
                elif r < 0.34:
                    words.extend(rnd.choice(terms).split())
                else:
                    words.append(pool[pi % len(pool)])
                    pi += 1
                if rnd.random() < 0.06:
                    words[-1] += rnd.choice([",", ".", ";"])
            title = " ".join(pool[(pi + k) % len(pool)] for k in range(8))
            pi += 8
            f.write(json.dumps({"paperId": "B%07d" % i, "title": title, "abstract": " ".join(words) + ".",
                                "year": 2000 + i % 25}) + "\n")


if __name__ == "__main__":
    main()
