#!/bin/sh
# Answers each line in capitals, and says goodbye when the client half-closes.
#   hamelin-net 127.0.0.1 8080 ./examples/net/shout.sh
echo "hello $H_CLIENT, you are talking to $H_VERSION over $H_TYPE"
while IFS= read -r line; do
  printf '%s\n' "$line" | tr '[:lower:]' '[:upper:]'
done
echo "bye"
