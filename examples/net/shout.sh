#!/bin/sh
# Answers each line in capitals, and says goodbye when the client half-closes.
#   hamelin-net 127.0.0.1 8080 ./examples/net/shout.sh
#   nc -N 127.0.0.1 8080     # type lines; ^D ends your input (plain OpenBSD nc never sends the end)
echo "hello $H_CLIENT, you are talking to $H_VERSION over $H_TYPE"
# `read` returns non-zero at a last line with no newline, but still fills $line: answer it too.
while IFS= read -r line || [ -n "$line" ]; do
  printf '%s\n' "$line" | tr '[:lower:]' '[:upper:]'
done
echo "bye"
