#!/usr/bin/python3
"""Independent reference for `rlab trl` tests; writes tests/reference/trl_expected.json.

1. The official TRL definitions, transcribed here from the published tables (not read from
   rlab's configs/trl/*.yaml): NASA NPR 7123.1C Appendix E (Definition and Success Criteria
   columns) and EU Horizon 2020 General Annex G.
2. The level rule written from its statement, applied to configs/examples/trl.yaml:
   level = highest L such that every level <= L has each required criterion at >= threshold;
   criteria met above the first failed level are holes; system level = min over elements.
3. Quick mode from the issue's mapping (theory 3, lab prototype 4, relevant environment 6,
   operational environment 7, product ready 9), cumulative, for all 32 combinations.

Run: /usr/bin/python3 tests/reference/trl_reference.py   (needs PyYAML, python3-yaml)
"""
import itertools
import json
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NASA = {  # NPR 7123.1C, Appendix E: Definition
    1: "Basic principles observed and reported.",
    2: "Technology concept and/or application formulated.",
    3: "Analytical and experimental proof-of-concept of critical function and/or characteristics.",
    4: "Component and/or breadboard validation in a laboratory environment.",
    5: "Component and/or brassboard validated in a relevant environment.",
    6: "System/sub-system model or prototype demonstration in a relevant environment.",
    7: "System prototype demonstration in an operational environment.",
    8: 'Actual system completed and "flight qualified" through test and demonstration.',
    9: "Actual system flight proven through successful mission operations.",
}
NASA_SUCCESS = {  # NPR 7123.1C, Appendix E: Success Criteria
    1: "Peer reviewed documentation of research underlying the proposed concept/application.",
    2: "Documented description of the application/concept that addresses feasibility and benefit.",
    3: "Documented analytical/experimental results validating predictions of key parameters.",
    4: "Documented test performance demonstrating agreement with analytical predictions. "
       "Documented definition of potentially relevant environment.",
    5: "Documented test performance demonstrating agreement with analytical predictions. "
       "Documented definition of scaling requirements. Performance predictions are made for "
       "subsequent development phases.",
    6: "Documented test performance demonstrating agreement with analytical predictions.",
    7: "Documented test performance demonstrating agreement with analytical predictions.",
    8: "Documented test performance verifying analytical predictions.",
    9: "Documented mission operational results.",
}
EU = {  # Horizon 2020 General Annexes, Annex G
    1: "basic principles observed",
    2: "technology concept formulated",
    3: "experimental proof of concept",
    4: "technology validated in lab",
    5: "technology validated in relevant environment (industrially relevant environment in the "
       "case of key enabling technologies)",
    6: "technology demonstrated in relevant environment (industrially relevant environment in "
       "the case of key enabling technologies)",
    7: "system prototype demonstration in operational environment",
    8: "system complete and qualified",
    9: "actual system proven in operational environment (competitive manufacturing in the case "
       "of key enabling technologies; or in space)",
}


def percent_of(answer):
    if isinstance(answer, dict):
        if "done" in answer:
            return 100.0 if answer["done"] else 0.0
        answer = answer["percent"]
    if isinstance(answer, bool):
        return 100.0 if answer else 0.0
    return float(answer)


def assess(scale, answers, threshold):
    levels = sorted(scale["levels"], key=lambda l: l["level"])
    out = {"level": 0, "holes": [], "completion": [], "met": []}
    failed = None
    for lv in levels:
        crit = lv["criteria"]
        pcts = [percent_of(answers[c["id"]]) if c["id"] in answers else 0.0 for c in crit]
        met = all(p >= threshold for c, p in zip(crit, pcts) if c.get("required", True))
        out["met"].append(met)
        out["completion"].append(sum(pcts) / len(pcts))
        if failed is None and met:
            out["level"] = lv["level"]
        elif failed is None:
            failed = lv["level"]
        elif lv["level"] > failed:
            out["holes"] += [c["id"] for c, p in zip(crit, pcts) if p >= threshold]
    return out


def main():
    with open(os.path.join(ROOT, "configs/trl/nasa.yaml")) as f:
        nasa_scale = yaml.safe_load(f)  # only its criterion ids are used
    with open(os.path.join(ROOT, "configs/examples/trl.yaml")) as f:
        example = yaml.safe_load(f)["trl"]
    expected = {"definitions": {"nasa": NASA, "eu": EU}, "success_criteria": {"nasa": NASA_SUCCESS}}
    cases = {}
    for threshold in (100, 80, 50):
        elements = {}
        for e in example["elements"]:
            elements[e["id"]] = assess(nasa_scale, e["answers"], threshold)
        system = min(v["level"] for v in elements.values())
        cases[str(threshold)] = {
            "system": system,
            "bottleneck": [k for k, v in elements.items() if v["level"] == system],
            "elements": elements,
        }
    expected["example"] = cases
    mapping = [("theory", 3), ("lab-prototype", 4), ("relevant-env", 6), ("operational-env", 7),
               ("product-ready", 9)]
    quick = []
    for claimed in itertools.product([False, True], repeat=5):
        level = 1
        for c, (_, lv) in zip(claimed, mapping):
            if not c:
                break
            level = lv
        quick.append({"flags": [m for c, (m, _) in zip(claimed, mapping) if c], "level": level})
    expected["quick"] = quick
    with open(os.path.join(ROOT, "tests/reference/trl_expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
