#!/usr/bin/python3
"""Reference values for tests/pomodoro_test.cpp, computed with Python's standard library
(zoneinfo over the system tz database, datetime.isocalendar, statistics).

Run: /usr/bin/python3 tests/reference/pomodoro_reference.py > tests/reference/pomodoro_reference.json
"""
import datetime as dt
import json
import random
import statistics
from zoneinfo import ZoneInfo

out = {}

# Local wall time -> UTC seconds and offset, fold=0 (the first of a repeated hour; a skipped
# time is read with the offset before the jump).
cases = [
    ("Asia/Shanghai", (2025, 3, 3, 9, 0)),
    ("Europe/Berlin", (2025, 3, 30, 1, 30)),
    ("Europe/Berlin", (2025, 3, 30, 2, 30)),   # skipped by the spring jump
    ("Europe/Berlin", (2025, 3, 30, 3, 30)),
    ("Europe/Berlin", (2025, 10, 26, 2, 30)),  # repeated in autumn
    ("America/New_York", (2025, 11, 2, 1, 30)),
    ("America/New_York", (2025, 7, 1, 18, 0)),
    ("Australia/Lord_Howe", (2025, 1, 15, 9, 0)),
    ("Asia/Kathmandu", (2025, 3, 3, 9, 0)),
    ("America/St_Johns", (2025, 6, 1, 0, 0)),
]
out["zones"] = []
for name, (y, mo, d, h, mi) in cases:
    t = dt.datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(name))
    out["zones"].append({"zone": name, "local": [y, mo, d, h, mi],
                         "utc": int(t.timestamp()),
                         # the offset in force at that instant
                         "offset": int(dt.datetime.fromtimestamp(int(t.timestamp()), ZoneInfo(name))
                                       .utcoffset().total_seconds())})

# ISO weeks.
out["weeks"] = []
for s in ["2024-12-30", "2025-01-01", "2021-01-03", "2020-12-31", "2026-12-31", "2027-01-01",
          "2025-03-03", "2004-02-29"]:
    d = dt.date.fromisoformat(s)
    iy, iw, wd = d.isocalendar()
    out["weeks"].append({"date": s, "days": (d - dt.date(1970, 1, 1)).days,
                         "year": iy, "week": iw, "weekday": wd})

# A journal: 60 entries over three weeks at random times (fixed seed), UTC+08:00.
rng = random.Random(20250303)
tz = dt.timezone(dt.timedelta(hours=8))
entries = []
for i in range(60):
    day = dt.date(2025, 3, 3) + dt.timedelta(days=rng.randrange(21))
    t = dt.datetime(day.year, day.month, day.day, rng.choice([7, 8, 9, 10, 11, 13, 14, 15, 16, 20]),
                    rng.randrange(60), tzinfo=tz)
    entries.append({"ts": t.isoformat(), "mood": rng.randint(1, 10), "energy": rng.randint(1, 10)})
out["journal"] = entries
slots = []
for k in range(12):
    e = [x["energy"] for x in entries if dt.datetime.fromisoformat(x["ts"]).hour // 2 == k]
    slots.append({"start_hour": 2 * k, "samples": len(e),
                  "mean": statistics.mean(e) if e else None,
                  "sd": statistics.stdev(e) if len(e) > 1 else None})
out["slots"] = slots
filled = [s for s in slots if s["samples"] > 0]
best = max(filled, key=lambda s: (s["mean"], -s["start_hour"]))
out["best_slot_start_hour"] = best["start_hour"]
out["min_samples_in_filled_slots"] = min(s["samples"] for s in filled)

out["week_summaries"] = []
for s in ["2025-03-05", "2025-03-10", "2025-03-23", "2025-03-30"]:
    d = dt.date.fromisoformat(s)
    monday = d - dt.timedelta(days=d.weekday())
    sel = [x for x in entries
           if monday <= dt.datetime.fromisoformat(x["ts"]).date() < monday + dt.timedelta(days=7)]
    out["week_summaries"].append({
        "date": s, "samples": len(sel),
        "mood": statistics.mean(x["mood"] for x in sel) if sel else None,
        "energy": statistics.mean(x["energy"] for x in sel) if sel else None})

print(json.dumps(out, indent=1))
