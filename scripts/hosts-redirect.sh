#!/usr/bin/env bash
# hosts-redirect.sh: make the push service's host resolve the APNS (and FCM) names to relay-pre,
# with one marked block in /etc/hosts that can be taken out again without touching any other line.
#
# Every change is written atomically (a temporary file beside the hosts file, then mv) after a
# backup (FILE.push-relay.bak.TIMESTAMP); a change that would change nothing writes nothing.
set -euo pipefail

readonly BEGIN_MARK="# BEGIN push-relay"
readonly BEGIN_LINE="$BEGIN_MARK (managed by hosts-redirect.sh; edits inside this block are replaced)"
readonly END_LINE="# END push-relay"
readonly APNS_NAMES=(api.push.apple.com api.sandbox.push.apple.com api.development.push.apple.com)
readonly FCM_NAMES=(fcm.googleapis.com oauth2.googleapis.com)
prog="$(basename "$0")"

usage() {
  cat <<USAGE
Usage: $prog [--file FILE] [--fcm] add RELAY_IP [NAME...]
       $prog [--file FILE] remove [RELAY_IP]
       $prog [--file FILE] [--fcm] status [RELAY_IP] [NAME...]

Points host names at a relay in /etc/hosts, inside one block:
  $BEGIN_MARK ...
  RELAY_IP NAME
  $END_LINE

Examples:
  $prog add 10.0.0.5                 # the three APNS hosts -> 10.0.0.5
  $prog --fcm add 10.0.0.5           # ... plus fcm.googleapis.com and oauth2.googleapis.com
  $prog add fd00::5 api.push.apple.com
  $prog status 10.0.0.5              # exit 0 when every name resolves to 10.0.0.5 here
  $prog remove

Commands:
  add RELAY_IP [NAME...]   write (or replace) the block: each NAME -> RELAY_IP. Default names:
                           ${APNS_NAMES[*]}.
                           Refused if a NAME is already mapped outside the block (the line is shown).
                           Adding the same again changes nothing.
  remove [RELAY_IP]        delete the block (only if it points at RELAY_IP, when given).
  status [RELAY_IP] [NAME...]
                           show where each name points; exit 0 if the block is in effect (every
                           name resolves to the block's address, RELAY_IP when given), 1 if not.

Options:
  --file FILE   the hosts file (default /etc/hosts)
  --fcm         add fcm.googleapis.com and oauth2.googleapis.com to the default names
  -h, --help    this help

A backup FILE.push-relay.bak.TIMESTAMP is written before each change.
Exit codes: 0 ok (status: in effect), 1 failed (status: not in effect), 2 usage error.
USAGE
}

die() { echo "ERROR: $prog: $*" >&2; exit 1; }
usage_error() { echo "ERROR: $prog: $*" >&2; echo "(see $prog --help)" >&2; exit 2; }

valid_ipv4() {
  local octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
  [[ $1 =~ ^$octet\.$octet\.$octet\.$octet$ ]]
}

# Number of colon-separated hex groups in $1 ("" -> 0), or -1 if malformed.
hex_groups() {
  local s=$1 colons
  if [[ -z $s ]]; then echo 0; return; fi
  if [[ ! $s =~ ^[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4})*$ ]]; then echo -1; return; fi
  colons=${s//[^:]/}
  echo $((${#colons} + 1))
}

valid_ipv6() {
  local a=$1 extra=0 v4 left right l r c
  [[ $a == *:* && $a =~ ^[0-9A-Fa-f:.]+$ ]] || return 1
  if [[ $a == *.* ]]; then
    # An IPv4 tail (::ffff:10.0.0.5) stands for two groups.
    v4=${a##*:}
    valid_ipv4 "$v4" || return 1
    a=${a%"$v4"}
    [[ $a == *:: ]] || a=${a%:}
    extra=2
  fi
  if [[ $a == *::* ]]; then
    left=${a%%::*}
    right=${a#*::}
    [[ $right != *::* ]] || return 1
    l=$(hex_groups "$left")
    r=$(hex_groups "$right")
    ((l >= 0 && r >= 0 && l + r + extra <= 7))
  else
    c=$(hex_groups "$a")
    ((c >= 0 && c + extra == 8))
  fi
}

check_ip() {
  local ip=$1
  if ! valid_ipv4 "$ip" && ! valid_ipv6 "$ip"; then
    usage_error "'$ip' is not an IPv4 or IPv6 address (the relay's address, e.g. 10.0.0.5 or fd00::5)"
  fi
  case "$ip" in
    0.0.0.0 | :: | 0:0:0:0:0:0:0:0) usage_error "'$ip' is not an address one can connect to" ;;
  esac
}

valid_name() {
  local label='[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
  [[ ${#1} -le 253 && $1 =~ ^$label(\.$label)*$ ]] && ! valid_ipv4 "$1"
}

# Reads $file into `lines`, and finds the block: `block_begin`/`block_end` (1-based line numbers,
# 0 when there is none), `block_ip` and `block_names` (what it maps).
read_file() {
  lines=()
  block_begin=0
  block_end=0
  block_ip=""
  block_names=()
  local n=0 line
  while IFS= read -r line || [[ -n $line ]]; do
    lines+=("$line")
    n=$((n + 1))
    line=${line%$'\r'}
    if [[ $line == "$BEGIN_MARK" || $line == "$BEGIN_MARK "* ]]; then
      ((block_begin == 0)) || die "$file: two '$BEGIN_MARK' lines ($block_begin and $n); fix the file by hand"
      block_begin=$n
    elif [[ $line == "$END_LINE" ]]; then
      ((block_begin > 0 && block_end == 0)) || die "$file: '$END_LINE' at line $n without a '$BEGIN_MARK' before it; fix the file by hand"
      block_end=$n
    elif ((block_begin > 0 && block_end == 0)); then
      local content=${line%%#*} words
      read -ra words <<<"$content"
      if ((${#words[@]} >= 2)); then
        [[ -z $block_ip || $block_ip == "${words[0]}" ]] || die "$file: the push-relay block (line $block_begin) maps to two addresses; fix the file by hand"
        block_ip=${words[0]}
        block_names+=("${words[@]:1}")
      fi
    fi
  done <"$file"
  if ((block_begin > 0 && block_end == 0)); then
    die "$file: '$BEGIN_MARK' at line $block_begin has no '$END_LINE'; fix the file by hand"
  fi
}

# One pass over the file for the names in `names`: `first_line[NAME]` and `first_ip[NAME]`, the
# first line mapping NAME (what the resolver's "files" source answers), and `outside[NAME]`, every
# line outside the block that maps NAME.
index_names() {
  declare -gA first_line=() first_ip=() outside=()
  local wanted=" ${names[*]} " i content words w
  for i in "${!lines[@]}"; do
    content=${lines[$i]%$'\r'}
    content=${content%%#*}
    read -ra words <<<"$content"
    ((${#words[@]} >= 2)) || continue
    for w in "${words[@]:1}"; do
      w=${w,,}
      [[ $wanted == *" $w "* ]] || continue
      if [[ -z ${first_line[$w]:-} ]]; then
        first_line[$w]=$((i + 1))
        first_ip[$w]=${words[0]}
      fi
      if ! in_block $((i + 1)); then
        outside[$w]+="  $w is already mapped at $file:$((i + 1)): ${lines[$i]}"$'\n'
      fi
    done
  done
}

# Keeps the first of each name in `names`.
dedupe_names() {
  local seen=" " n out=()
  for n in "${names[@]}"; do
    [[ $seen == *" $n "* ]] && continue
    seen+="$n "
    out+=("$n")
  done
  names=("${out[@]}")
}

in_block() { (($1 >= block_begin && $1 <= block_end && block_begin > 0)); }

# Command substitution drops a trailing newline: empty means the last byte is one (or the file is empty).
ends_with_newline() { [[ -z $(tail -c1 "$1") ]]; }

# A temporary file beside $file, removed on exit unless commit() moved it into place.
new_temp() {
  local dir
  dir=$(dirname "$file")
  tmp=$(mktemp "$dir/.$(basename "$file").push-relay.XXXXXX") || die "cannot create a temporary file in $dir"
  # shellcheck disable=SC2064
  trap "rm -f '$tmp'" EXIT
}

# Puts $tmp in place of $file: a backup first, then mv (atomic), keeping mode and owner.
# Returns 1, writing nothing, when the content would not change.
commit() {
  local backup stamp err i=1
  if cmp -s "$tmp" "$file"; then
    return 1
  fi
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  backup="$file.push-relay.bak.$stamp"
  while [[ -e $backup ]]; do
    backup="$file.push-relay.bak.$stamp.$i"
    i=$((i + 1))
  done
  cp -p "$file" "$backup" || die "cannot write the backup $backup"
  chmod --reference="$file" "$tmp" || die "cannot copy the mode of $file"
  # Only root can give the file to another owner; a user editing a file of their own needs not.
  chown --reference="$file" "$tmp" 2>/dev/null || true
  if ! err=$(mv -f "$tmp" "$file" 2>&1); then
    # In a container /etc/hosts is often a bind mount, and rename(2) onto a mount point fails
    # with EBUSY: the only way to change it is in place. Not atomic, but the backup is written.
    if [[ $err == *"busy"* ]]; then
      cat "$tmp" >"$file" || die "cannot write $file (backup: $backup)"
      echo "note: $file is a mount point (container?); rewrote it in place" >&2
    else
      die "cannot replace $file: $err (backup: $backup)"
    fi
  fi
  echo "backup: $backup"
}

# The file with lines [from, to] (1-based) replaced by $3; every other byte as it was.
splice() {
  local from=$1 to=$2 block=$3
  if ((from > 1)); then head -n $((from - 1)) "$file"; fi
  printf '%s' "$block"
  tail -n +$((to + 1)) "$file"
}

cmd_add() {
  (($# >= 1)) || usage_error "add needs RELAY_IP"
  local ip=$1 name conflicts="" block
  shift
  check_ip "$ip"
  names=()
  for name in "$@"; do
    valid_name "$name" || usage_error "'$name' is not a host name"
    names+=("${name,,}")
  done
  (($# > 0)) || names=("${APNS_NAMES[@]}")
  ((fcm == 0)) || names+=("${FCM_NAMES[@]}")
  dedupe_names
  read_file
  index_names
  for name in "${names[@]}"; do
    conflicts+=${outside[$name]:-}
  done
  if [[ -n $conflicts ]]; then
    {
      echo "ERROR: $prog: refusing to map names that $file already maps outside the push-relay block:"
      printf '%s' "$conflicts"
      echo "Remove or comment out those lines first (or leave those names out)."
    } >&2
    exit 1
  fi
  block="$BEGIN_LINE"$'\n'
  for name in "${names[@]}"; do
    block+="$ip $name"$'\n'
  done
  block+="$END_LINE"$'\n'
  new_temp
  if ((block_begin > 0)); then
    splice "$block_begin" "$block_end" "$block" >"$tmp"
  else
    # Appended at the end; a last line without its newline gets one, so the block starts a line.
    { cat "$file"; ends_with_newline "$file" || printf '\n'; printf '%s' "$block"; } >"$tmp"
  fi
  if commit; then
    echo "$file: ${names[*]} -> $ip"
  else
    echo "$file: already in effect (${names[*]} -> $ip); nothing changed"
  fi
}

cmd_remove() {
  (($# <= 1)) || usage_error "remove takes at most RELAY_IP"
  read_file
  if ((block_begin == 0)); then
    echo "$file: no push-relay block; nothing to remove"
    return 0
  fi
  if (($# == 1)); then
    check_ip "$1"
    [[ $block_ip == "$1" ]] || die "$file: the push-relay block points at ${block_ip:-nothing}, not $1; not removed"
  fi
  new_temp
  splice "$block_begin" "$block_end" "" >"$tmp"
  commit
  echo "$file: push-relay block removed (was lines $block_begin-$block_end)"
}

cmd_status() {
  local want_ip="" name effective=1 where resolved found_line found_ip
  if (($# > 0)) && { valid_ipv4 "$1" || valid_ipv6 "$1"; }; then
    want_ip=$1
    shift
  fi
  names=()
  for name in "$@"; do
    valid_name "$name" || usage_error "'$name' is not a host name (or RELAY_IP must come first)"
    names+=("${name,,}")
  done
  read_file
  if ((${#names[@]} == 0)); then
    if ((block_begin > 0 && fcm == 0)); then
      names=("${block_names[@]}")
    else
      names=("${APNS_NAMES[@]}")
      ((fcm == 0)) || names+=("${FCM_NAMES[@]}")
    fi
  elif ((fcm)); then
    names+=("${FCM_NAMES[@]}")
  fi
  dedupe_names
  index_names
  if ((block_begin > 0)); then
    echo "$file: push-relay block at lines $block_begin-$block_end, address ${block_ip:-(none)}"
  else
    echo "$file: no push-relay block"
    effective=0
  fi
  if [[ -n $want_ip && $block_ip != "$want_ip" ]]; then
    ((block_begin == 0)) || echo "  the block points at ${block_ip:-nothing}, not $want_ip"
    effective=0
  fi
  for name in "${names[@]}"; do
    found_line=${first_line[$name]:-0}
    found_ip=${first_ip[$name]:-}
    if ((found_line == 0)); then
      where="not in $file; DNS decides"
      effective=0
    elif in_block "$found_line"; then
      where="block, line $found_line"
    else
      where="line $found_line, outside the block"
      effective=0
    fi
    # For the real /etc/hosts, ask the resolver too: nsswitch.conf may consult DNS first.
    # getaddrinfo (ahosts) is what clients call; with AI_ADDRCONFIG it answers nothing on a host
    # with loopback only, where gethostbyname (hosts) still does.
    if [[ $given_file == /etc/hosts && $found_line -gt 0 ]] && command -v getent >/dev/null 2>&1; then
      resolved=$(timeout 5 getent ahosts "$name" 2>/dev/null | awk 'NR == 1 { print $1 }' || true)
      [[ -n $resolved ]] || resolved=$(timeout 5 getent hosts "$name" 2>/dev/null | awk 'NR == 1 { print $1 }' || true)
      if [[ $resolved != "$found_ip" ]]; then
        where+="; but the resolver answers ${resolved:-nothing} (check 'hosts:' in /etc/nsswitch.conf)"
        effective=0
      fi
    fi
    printf '  %-34s %-20s (%s)\n' "$name" "${found_ip:--}" "$where"
  done
  if ((effective)); then
    echo "in effect"
    return 0
  fi
  echo "not in effect"
  return 1
}

file=/etc/hosts
fcm=0
args=()
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --file) (($# >= 2)) || usage_error "--file needs a FILE"; file=$2; shift 2 ;;
    --file=*) file=${1#--file=}; shift ;;
    --fcm) fcm=1; shift ;;
    --) shift; args+=("$@"); break ;;
    -*) usage_error "unknown option '$1'" ;;
    *) args+=("$1"); shift ;;
  esac
done
((${#args[@]})) || { usage >&2; exit 2; }
set -- "${args[@]}"
command=$1
shift

[[ -n $file ]] || usage_error "--file needs a FILE"
given_file=$file
# Edit the file a symlink points at, not the symlink.
file=$(readlink -f -- "$file") || die "cannot resolve $file"
[[ -f $file ]] || die "$file: no such file"
[[ -r $file ]] || die "$file: not readable"

# Two changes at once would each write their own version: the second waits for the first. The
# lock is on the file as opened here, and a change replaces the file (mv), so a waiter may wake
# holding the lock of a file that is no longer there while a newcomer locks the new one: it then
# opens the file again by name and waits on that, until what it locked is what the name points at.
lock() {
  command -v flock >/dev/null 2>&1 || return 0
  local deadline=$((SECONDS + 30))
  while :; do
    exec 9<"$file"
    flock -w $((deadline - SECONDS > 0 ? deadline - SECONDS : 1)) 9 || die "$file: another change is still running"
    [[ /dev/fd/9 -ef $file ]] && return 0
    exec 9<&-
    ((SECONDS < deadline)) || die "$file: another change is still running"
  done
}

case "$command" in
  add) lock; cmd_add "$@" ;;
  remove) lock; cmd_remove "$@" ;;
  status) cmd_status "$@" ;;
  *) usage_error "unknown command '$command' (add, remove or status)" ;;
esac
