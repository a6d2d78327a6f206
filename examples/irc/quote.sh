#!/bin/sh
# A quote bot for hamelin-irc: one process per conversation, one answer per line.
#   (empty line)  a random quote
#   WORDS         a random quote containing WORDS (case-insensitive), or "no quote about WORDS"
# Usage: quote.sh QUOTES-FILE      (one quote per line)
file=${1:?usage: quote.sh QUOTES-FILE}
while IFS= read -r want; do
  if [ -z "$want" ]; then
    shuf -n 1 -- "$file"
  else
    grep -i -F -- "$want" "$file" | shuf -n 1 | grep . || printf 'no quote about %s\n' "$want"
  fi
done
