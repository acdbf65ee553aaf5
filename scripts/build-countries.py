"""Regenerates data/countries.csv (iso2, iso3, name) from scripts/build-catalog.py's ISO3_TO_ISO2
table and the country rows of data/sites.csv. Run from the repository root:
    python3 scripts/build-countries.py
"""
import ast
import csv

src = open("scripts/build-catalog.py").read()
i = src.index("ISO3_TO_ISO2 = {")
j = src.index("}", i)
iso3_to_iso2 = ast.literal_eval(src[i + len("ISO3_TO_ISO2 = "): j + 1])
names = {r["id"]: r["name"] for r in csv.DictReader(open("data/sites.csv")) if r["kind"] == "country"}
with open("data/countries.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["iso2", "iso3", "name"])
    seen = set()
    for iso2, iso3 in sorted((v, k) for k, v in iso3_to_iso2.items()):
        if iso2 in seen:
            continue
        seen.add(iso2)
        w.writerow([iso2, iso3, names.get(iso2, "")])
