#!/bin/sh
# A chat-like script: greets its client, names the transport it came over (H-TYPE, the csgi
# idea: one handler, any transport), and answers every line. Used by examples/hamelin.yaml.
echo "welcome, ${H_CLIENT:-stranger} (over ${H_TYPE:-a pipe}); type a line, or /quit"
while IFS= read -r line || [ -n "$line" ]; do   # a last line without its newline too
  case "$line" in
    /quit) echo "bye"; exit 0 ;;
    *) echo "you said: $line" ;;
  esac
done
