#!/bin/sh
# Joins an IRC channel to the chat room that `hamelin` serves (see README.md, "Hub mode").
# hamelin-irc --hub addressed runs this once for the channel: it is one client of the room on
# the room's TCP port, says who speaks on IRC ("alice: hi"), and says what the room says to
# the whole channel (`* TEXT`, one message for every nick). Usage: irc-bridge.sh HOST PORT
set -f
{
  while read -r event id rest; do
    case $event in
      join)
        for kv in $rest; do
          case $kv in H-IRC-NICK=*) eval "nick_$id=\${kv#*=}" ;; esac
        done ;;
      line)
        eval "nick=\$nick_$id"
        printf '%s: %s\n' "$nick" "$rest" ;;
      leave)
        unset "nick_$id" ;;
    esac
  done
} | nc "$1" "$2" | while IFS= read -r line; do printf '* %s\n' "$line"; done
