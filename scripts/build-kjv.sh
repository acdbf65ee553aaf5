#!/usr/bin/env bash
# Rebuilds data/datasets/kjv-pentateuch.txt.gz, the char-gpt default corpus: the first five books
# of the King James Version (public domain), one verse per line, from Debian's bible-kjv-text 4.38
# read with the bible-kjv program of the same version. Needs apt (Debian) and network to the
# Debian archive; not part of the build or the tests, which use the committed file.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download bible-kjv=4.38 bible-kjv-text=4.38 >/dev/null 2>&1
echo "d61b6aad4c51ba9e2800b825325fa6a09e99a0d02a9bb6dc4724fcc4995a1b7a  bible-kjv-text_4.38_all.deb" | sha256sum -c -
mkdir x && for d in *.deb; do dpkg -x "$d" x; done
# The five books, verse by verse; the program wraps verses and numbers them: join and strip.
x/usr/bin/bible -p x/usr/lib "gen1:1-deu34:12" | python3 -c '
import re, sys
verses, cur = [], None
for line in sys.stdin:
    line = line.rstrip("\n")
    m = re.match(r"^\s+\d+ (.*)$", line)
    if m:
        if cur: verses.append(cur)
        cur = m.group(1)
    elif line and cur is not None and not re.match(r"^[A-Z][a-z]+ \d+$", line):
        cur += " " + line.strip()
    elif cur:
        verses.append(cur); cur = None
if cur: verses.append(cur)
sys.stdout.write("\n".join(verses) + "\n")
' | gzip -9n > "$root/data/datasets/kjv-pentateuch.txt.gz"
zcat "$root/data/datasets/kjv-pentateuch.txt.gz" | wc -l -c
sha256sum "$root/data/datasets/kjv-pentateuch.txt.gz"
