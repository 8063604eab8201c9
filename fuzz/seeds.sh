#!/usr/bin/env bash
# Builds the seed corpus of the `lecture` fuzz target in fuzz/corpus/lecture/:
# the input files of every case of the malformed-input corpus (written by the corpus
# test with OBSERVATOIRE_CORPUS_DIR), the sample-data workbooks and CSV files, and the
# shared public fixtures when present; files up to 256 KiB (the campaign's -max_len).
# Each seed is the file prefixed with two bytes: the format (index in FORMATS of
# fuzz_targets/lecture.rs) and the table.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="$here/corpus/lecture"
raw="$(mktemp -d)"
mkdir -p "$out"

# 1. Corpus cases' inputs (the filter matches no case: only the files are written).
(cd "$repo" && OBSERVATOIRE_CORPUS_DIR="$raw/cas" OBSERVATOIRE_CAS=aucun-cas-seulement-les-fichiers \
  cargo test -q --test integration corpus_of_malformed_inputs >/dev/null 2>&1 || true)
# 2. Sample data and public fixtures.
mkdir -p "$raw/exemples"
find "$repo/sample-data" "$repo/../shared/fixtures" -type f \
  \( -iname '*.xlsx' -o -iname '*.xlsm' -o -iname '*.xlsb' -o -iname '*.xls' -o -iname '*.ods' -o -iname '*.csv' \) \
  -size -256k -print0 2>/dev/null | while IFS= read -r -d '' f; do
    cp "$f" "$raw/exemples/$(basename "$f")"
  done

format_byte() {
  case "${1,,}" in
    *.xlsx) echo 0 ;; *.xlsm) echo 1 ;; *.xlsb) echo 2 ;; *.xls) echo 3 ;; *.ods) echo 4 ;; *.csv) echo 5 ;;
    *) echo 0 ;;
  esac
}
table_byte() {
  local n="${1,,}"
  case "$n" in
    *service*|*referentiel*) echo 0 ;;
    *activite*) echo 2 ;;
    *personnel*|*effectif*) echo 3 ;;
    *formation*) echo 4 ;;
    *satisfaction*|*questionnaire*) echo 5 ;;
    *action*) echo 6 ;;
    *) echo 1 ;;
  esac
}
n=0
for f in "$raw"/cas/* "$raw"/exemples/*; do
  [ -f "$f" ] || continue
  # Larger inputs (the corpus's deliberately huge files) would only be truncated.
  [ "$(stat -c %s "$f")" -le 262144 ] || continue
  name="$(basename "$f")"
  fb="$(format_byte "$name")"; tb="$(table_byte "$name")"
  dest="$out/$(printf '%s' "$name" | sha1sum | cut -c1-16)"
  { printf "\\x$(printf %02x "$fb")\\x$(printf %02x "$tb")"; cat "$f"; } > "$dest"
  n=$((n + 1))
done
rm -rf "$raw"
echo "$n seeds in $out"
