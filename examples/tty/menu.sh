#!/bin/sh
# A menu and guestbook for a terminal, served by hamelin-tty:
#
#   cd examples/tty && npx hamelin-tty --respawn ./menu.sh
#
# Each session is one run of this script: it reads the user's lines on stdin and writes its
# answers on stdout. hamelin-tty does the rest (line editing, echo, CR LF, hangups, respawn).
# A prompt needs no newline: hamelin-tty shows a partial line once the script stops writing
# (TTY-18), so the answer is typed right after it.
# The guestbook is a plain file: $GUESTBOOK, or hamelin-guestbook.txt in $TMPDIR or /tmp.
book=${GUESTBOOK:-${TMPDIR:-/tmp}/hamelin-guestbook.txt}

menu() {
  echo
  echo "  1) sign the guestbook     2) read the guestbook"
  echo "  3) what time is it        4) who am I (the H- variables)"
  echo "  q) quit                   (^D works too)"
  printf 'choice? '
}

echo "Hello, user of ${H_CLIENT:-a terminal}. Session ${H_TTY_SESSION:-?}."
menu
while IFS= read -r choice; do
  case $choice in
    1)
      printf 'Your name? '
      IFS= read -r name || break
      printf 'Your message (one line)? '
      IFS= read -r message || break
      # One entry per line; tabs and control characters would upset the layout.
      name=$(printf '%s' "$name" | tr -d '\000-\037')
      message=$(printf '%s' "$message" | tr -d '\000-\037')
      printf '%s | %s | %s\n' "$(date '+%Y-%m-%d %H:%M')" "${name:-anonymous}" "$message" >> "$book"
      echo "Thank you, ${name:-anonymous}."
      ;;
    2)
      if [ -s "$book" ]; then
        echo "The last 10 entries:"
        tail -n 10 "$book"
      else
        echo "The guestbook is empty. Be the first: choose 1."
      fi
      ;;
    3) date ;;
    4) env | grep '^H_' | sort ;;
    q | Q | quit | exit) echo "Bye."; exit 0 ;;
    "") ;;
    *) echo "No such choice: $choice" ;;
  esac
  menu
done
echo "Bye (end of input)."
