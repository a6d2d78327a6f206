#!/bin/sh
# A chat room for `--hub addressed` (spec/hub.md, HUB-08 and HUB-09): one process for everyone,
# whatever they came over (nc, a browser, curl, IRC). Each client is named by its login
# (H-AUTH-USER), else its IRC nick or channel, else its address and id; joins and leaves are announced,
# and each line goes to everyone but its sender. See README.md ("Hub mode") for the commands.
set -f   # the words of a join event are split below, never globbed
while read -r event id rest; do
  case $event in
    join)
      user=; nick=; chan=; addr=
      for kv in $rest; do
        case $kv in
          H-AUTH-USER=*) user=${kv#*=} ;;
          H-IRC-NICK=*) nick=${kv#*=} ;;
          H-IRC-CHANNEL=*) chan=${kv#*=} ;;
          H-REMOTE-ADDR=*) addr=${kv#*=} ;;
        esac
      done
      name=${user:-${nick:-$chan}}
      [ -n "$name" ] || name="${addr:-guest}/$id"
      eval "name_$id=\$name"   # $id is the daemon's number: digits only
      printf '%s welcome, %s\n' "$id" "$name"
      printf '!%s * %s joined\n' "$id" "$name" ;;
    line)
      eval "name=\$name_$id"
      printf '!%s %s: %s\n' "$id" "$name" "$rest" ;;
    leave)
      eval "name=\$name_$id"
      unset "name_$id"
      printf '* * %s left (%s)\n' "$name" "$rest" ;;
  esac
done
