#!/usr/bin/env bash
# install.sh: install push-relay from this source tree: the jars, the launcher, a starting config
# per role and the systemd units. Builds the jars first when they are missing or older than the
# sources. Running it again updates what it installed and keeps every existing config.
set -euo pipefail

self="$(readlink -f "${BASH_SOURCE[0]}")"
scripts="$(dirname "$self")"
root="$(dirname "$scripts")"
modules=(certs relay-core relay-pre relay-post)
prog="$(basename "$0")"

usage() {
  cat <<USAGE
Usage: $prog [--prefix DIR] [--config-dir DIR] [--role pre|post|both] [--unit-dir DIR]
                  [--no-systemd] [--no-user] [--dry-run]

Installs push-relay from this source tree:
  PREFIX/lib/              every module jar and runtime library, flattened (replaced as a whole)
  PREFIX/bin/push-relay    the launcher (runs PREFIX/lib/*)
  PREFIX/bin/hosts-redirect.sh
  PREFIX/VERSION
  PREFIX/share/examples/   pre.example.yaml, post.example.yaml (refreshed on every install)
  CONFIG_DIR/ROLE.yaml     from the example, only if it does not exist yet
  UNIT_DIR/push-relay-ROLE.service, and the system user push-relay (unless --no-systemd)

Examples:
  sudo scripts/install.sh
  sudo scripts/install.sh --role pre
  scripts/install.sh --prefix \$HOME/push-relay --config-dir \$HOME/push-relay/etc --no-systemd
  scripts/install.sh --dry-run

Options:
  --prefix DIR      where to install (default /opt/push-relay)
  --config-dir DIR  where the configs live (default /etc/push-relay)
  --role ROLE       pre, post or both (default both): which configs and units
  --unit-dir DIR    where systemd units go (default /etc/systemd/system)
  --no-systemd      no units, no system user
  --no-user         units, but no system user (create push-relay yourself: LDAP, config management)
  --dry-run         print what would be done; change nothing
  -h, --help        this help

Environment: MVN_ARGS, extra arguments for the build (e.g. -o for offline).
Exit codes: 0 ok, 1 failed, 2 usage error.
USAGE
}

die() { echo "ERROR: $prog: $*" >&2; exit 1; }
usage_error() { echo "ERROR: $prog: $*" >&2; echo "(see $prog --help)" >&2; exit 2; }
say() { echo "$prog: $*"; }

prefix=/opt/push-relay
config_dir=/etc/push-relay
role=both
unit_dir=/etc/systemd/system
systemd=1
make_user=1
dry=0
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --prefix | --config-dir | --role | --unit-dir)
      (($# >= 2)) || usage_error "$1 needs a value"
      case "$1" in
        --prefix) prefix=$2 ;;
        --config-dir) config_dir=$2 ;;
        --role) role=$2 ;;
        --unit-dir) unit_dir=$2 ;;
      esac
      shift 2
      ;;
    --no-systemd) systemd=0; shift ;;
    --no-user) make_user=0; shift ;;
    --dry-run) dry=1; shift ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

case "$role" in
  pre) roles=(pre) ;;
  post) roles=(post) ;;
  both) roles=(pre post) ;;
  *) usage_error "--role must be pre, post or both, got '$role'" ;;
esac
# These paths end up in unit files (ExecStart=, ReadOnlyPaths=), where spaces and % need quoting.
for p in "$prefix" "$config_dir" "$unit_dir"; do
  [[ $p =~ ^/[A-Za-z0-9._/+-]*$ ]] || usage_error "'$p': give an absolute path of letters, digits and . _ - + /"
done
prefix=${prefix%/}
config_dir=${config_dir%/}
unit_dir=${unit_dir%/}
[[ -f $root/pom.xml ]] || die "$root is not a push-relay source tree (no pom.xml); run the install.sh of a checkout"

# run CMD...: runs it, or with --dry-run only says so.
run() {
  if ((dry)); then
    echo "would run: $*"
  else
    "$@"
  fi
}

needs_build() {
  local m jar
  for m in "${modules[@]}"; do
    jar="$root/$m/target/$m.jar"
    [[ -f $jar ]] || return 0
    if [[ -n "$(find "$root/$m/src/main" "$root/$m/pom.xml" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]]; then
      return 0
    fi
  done
  return 1
}

build() {
  command -v mvn >/dev/null 2>&1 || die "the jars need building and Maven (mvn) is missing: apt-get install -y maven"
  local cmd
  # shellcheck disable=SC2206
  cmd=(mvn -q -B ${MVN_ARGS:-} -DskipTests package)
  if ((dry)); then
    echo "would run: (cd $root && ${cmd[*]})"
    return
  fi
  say "building the jars (${cmd[*]})..."
  (cd "$root" && "${cmd[@]}") || die "the build failed; run 'cd $root && mvn -DskipTests package' to see why"
}

version() {
  local v
  v="$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml" | head -1)"
  if git -C "$root" rev-parse --short HEAD >/dev/null 2>&1; then
    v="$v ($(git -C "$root" rev-parse --short HEAD))"
  fi
  echo "$v"
}

# Every module jar and runtime library, one per file name. The same name twice must be the same
# bytes (every module resolves the same versions; the parent pom enforces convergence).
collect_jars() {
  declare -gA jar_by_name=()
  local m f name
  for m in "${modules[@]}"; do
    for f in "$root/$m/target/$m.jar" "$root/$m/target/lib/"*.jar; do
      [[ -f $f ]] || continue
      name=$(basename "$f")
      if [[ -n ${jar_by_name[$name]:-} ]]; then
        cmp -s "${jar_by_name[$name]}" "$f" || die "two different $name: ${jar_by_name[$name]} and $f; rebuild (mvn clean package)"
        continue
      fi
      jar_by_name[$name]=$f
    done
    [[ -f $root/$m/target/$m.jar ]] || die "$root/$m/target/$m.jar is missing after the build"
  done
}

# Installs a regular file with a mode, unless an identical one is already there.
put() {
  local mode=$1 src=$2 dst=$3
  if [[ -f $dst ]] && cmp -s "$src" "$dst"; then
    return
  fi
  run install -m "$mode" "$src" "$dst"
  ((dry)) || say "installed $dst"
}

install_lib() {
  local staged="$prefix/.lib.new" name same=1
  if [[ -d $prefix/lib ]]; then
    local installed
    installed=$(cd "$prefix/lib" && LC_ALL=C ls -1A)
    [[ $installed == "$(printf '%s\n' "${!jar_by_name[@]}" | LC_ALL=C sort)" ]] || same=0
    if ((same)); then
      for name in "${!jar_by_name[@]}"; do
        cmp -s "${jar_by_name[$name]}" "$prefix/lib/$name" || { same=0; break; }
      done
    fi
  else
    same=0
  fi
  if ((same)); then
    say "$prefix/lib: up to date (${#jar_by_name[@]} jars)"
    return
  fi
  if ((dry)); then
    echo "would install ${#jar_by_name[@]} jars into $prefix/lib (replacing it as a whole)"
    return
  fi
  # Staged beside it, then swapped: a relay starting meanwhile sees the old set or the new one.
  rm -rf "$staged" "$prefix/.lib.old"
  mkdir -p "$staged"
  for name in "${!jar_by_name[@]}"; do
    install -m 0644 "${jar_by_name[$name]}" "$staged/$name"
  done
  chmod 0755 "$staged"
  if [[ -d $prefix/lib ]]; then
    mv "$prefix/lib" "$prefix/.lib.old"
  fi
  mv "$staged" "$prefix/lib"
  rm -rf "$prefix/.lib.old"
  say "installed ${#jar_by_name[@]} jars into $prefix/lib"
}

# A unit with the default paths replaced by the ones chosen here.
render_unit() {
  sed -e "s|/opt/push-relay|$prefix|g" -e "s|/etc/push-relay|$config_dir|g" "$1"
}

have_group() { getent group push-relay >/dev/null 2>&1; }

# --- build ---------------------------------------------------------------------------------
if needs_build; then
  build
fi

# --- files under PREFIX ----------------------------------------------------------------------
run mkdir -p "$prefix/bin" "$prefix/share/examples"
if ((dry)) && needs_build; then
  echo "would install the jars of ${modules[*]} (with their runtime libraries) into $prefix/lib"
else
  collect_jars
  install_lib
fi
put 0755 "$scripts/push-relay" "$prefix/bin/push-relay"
put 0755 "$scripts/hosts-redirect.sh" "$prefix/bin/hosts-redirect.sh"
put 0644 "$scripts/pre.example.yaml" "$prefix/share/examples/pre.example.yaml"
put 0644 "$scripts/post.example.yaml" "$prefix/share/examples/post.example.yaml"
v=$(version)
if [[ ! -f $prefix/VERSION || $(cat "$prefix/VERSION") != "$v" ]]; then
  if ((dry)); then
    echo "would write $prefix/VERSION: $v"
  else
    printf '%s\n' "$v" >"$prefix/VERSION"
    say "installed $prefix/VERSION ($v)"
  fi
fi

# --- the system user ---------------------------------------------------------------------------
if ((systemd && make_user)) && ! id push-relay >/dev/null 2>&1; then
  command -v useradd >/dev/null 2>&1 || die "useradd is missing; create the system user push-relay by hand"
  run useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --comment "push-relay" push-relay
  ((dry)) || say "created the system user push-relay"
fi

# --- configs: never overwritten ----------------------------------------------------------------
if [[ ! -d $config_dir ]]; then
  run install -d -m 0750 "$config_dir"
fi
# The service reads its config and keys through group push-relay (see the unit files).
if ((!dry)) && have_group && [[ $(id -u) -eq 0 ]]; then
  chgrp push-relay "$config_dir"
fi
for r in "${roles[@]}"; do
  cfg="$config_dir/$r.yaml"
  if [[ -e $cfg ]]; then
    say "kept $cfg (the current example is $prefix/share/examples/$r.example.yaml)"
    continue
  fi
  run install -m 0640 "$scripts/$r.example.yaml" "$cfg"
  if ((!dry)); then
    if have_group && [[ $(id -u) -eq 0 ]]; then
      chgrp push-relay "$cfg"
    fi
    say "installed $cfg (from the example; edit it)"
  fi
done

# --- systemd units ---------------------------------------------------------------------------
if ((systemd)); then
  run mkdir -p "$unit_dir"
  for r in "${roles[@]}"; do
    unit="$unit_dir/push-relay-$r.service"
    rendered=$(render_unit "$scripts/systemd/push-relay-$r.service")
    if [[ -f $unit && $(cat "$unit") == "$rendered" ]]; then
      continue
    fi
    if ((dry)); then
      echo "would write $unit"
    else
      tmp=$(mktemp "$unit_dir/.push-relay-$r.service.XXXXXX")
      printf '%s\n' "$rendered" >"$tmp"
      chmod 0644 "$tmp"
      mv -f "$tmp" "$unit"
      say "installed $unit"
    fi
  done
fi

# --- what next ---------------------------------------------------------------------------------
((dry)) && echo "(dry run: nothing was changed)"
echo
echo "Next steps:"
step=1
echo "  $step. Make the certificates the config names, e.g.:"
echo "       $prefix/bin/push-relay certs ca create --dir $config_dir/ca"
for r in "${roles[@]}"; do
  if [[ $r == pre ]]; then
    echo "       $prefix/bin/push-relay certs server create --ca $config_dir/ca --out $config_dir/pre \\"
    echo "           --host api.push.apple.com api.sandbox.push.apple.com api.development.push.apple.com"
  else
    echo "       $prefix/bin/push-relay certs server create --ca $config_dir/ca --out $config_dir/post --host RELAY-POST-NAME"
  fi
done
echo "     and let the service read them: chgrp -R push-relay $config_dir; chmod 640 KEY-FILES"
step=$((step + 1))
for r in "${roles[@]}"; do
  echo "  $step. Edit $config_dir/$r.yaml, then check it: $prefix/bin/push-relay $r check --config $config_dir/$r.yaml"
  step=$((step + 1))
done
if [[ " ${roles[*]} " == *" pre "* ]]; then
  echo "  $step. On the push service's host, point the APNS names at relay-pre: $prefix/bin/hosts-redirect.sh add RELAY_IP"
  step=$((step + 1))
fi
if ((systemd)); then
  units=()
  for r in "${roles[@]}"; do units+=("push-relay-$r"); done
  echo "  $step. systemctl daemon-reload; systemctl enable --now ${units[*]}"
else
  echo "  $step. Run it: $prefix/bin/push-relay ${roles[0]} --config $config_dir/${roles[0]}.yaml"
fi
