# Shell helpers shared by scripts/test and scripts/bench (sourced, not run).
# apt_install installs Debian/Ubuntu packages as root or through sudo, running apt-get update once.

say() { printf '==> %s\n' "$*" >&2; }
die() {
  echo "ERROR: $*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

apt_updated=false
apt_install() {
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    have sudo || die "missing packages: $*; not root and no sudo: install them (apt-get install -y $*) and run again"
    sudo=(sudo)
  fi
  have apt-get || die "missing packages: $*; no apt-get here: install the equivalent packages and run again"
  say "installing $*"
  if ! $apt_updated; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    apt_updated=true
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 || die "apt-get install $* failed"
}
