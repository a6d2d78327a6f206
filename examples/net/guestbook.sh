#!/bin/sh
# The seed's quote book / guestbook, as a hamelin service: each visitor gets this script,
# types a quote, ends it with ^D, and it is appended.
#   hamelin-net 127.0.0.1 8080 ./examples/net/guestbook.sh /tmp/guestbook.txt
#   nc -N 127.0.0.1 8080
# -N makes OpenBSD nc (Debian's nc) half-close the connection when its input ends; without it,
# ^D ends nothing and the quote is never saved. ncat and `socat - TCP:127.0.0.1:8080` do it anyway.
book=${1:-guestbook.txt}
echo "Type your quote below. Hit ^D when done."
{
  printf '\n~~~~~~~ %s\n\n' "${H_CLIENT:-somebody}"
  cat
} >> "$book"
echo "Thanks, $(wc -l < "$book") lines in the book."
