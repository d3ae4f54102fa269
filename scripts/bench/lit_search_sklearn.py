#!/usr/bin/python3
"""scikit-learn CountVectorizer on the same corpus and n-gram settings (1-3, min_df 2, binary
document counts), timed from reading the file to the ranked document frequencies."""
import json
import sys
import time

from sklearn.feature_extraction.text import CountVectorizer


def main():
    t0 = time.perf_counter()
    docs = []
    with open(sys.argv[1]) as f:
        for line in f:
            p = json.loads(line)
            docs.append(p["title"] + " . " + (p["abstract"] or ""))
    v = CountVectorizer(ngram_range=(1, 3), min_df=2, binary=True, lowercase=True,
                        stop_words="english", token_pattern=r"(?u)\b\w[\w-]*\w\b")
    x = v.fit_transform(docs)
    df = x.sum(axis=0).A1
    top = df.argsort()[::-1][:20]
    names = v.get_feature_names_out()
    t1 = time.perf_counter()
    print("%.3f %d %s" % (t1 - t0, len(names), names[top[0]]))


if __name__ == "__main__":
    main()
