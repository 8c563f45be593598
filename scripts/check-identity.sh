#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# scripts/check-identity.sh - every file that names the project's home, issue tracker, contact
# or version agrees with the one place they are set: the CMake cache variables VHDX_HOME_URL,
# VHDX_ISSUES_URL, VHDX_CONTACT and project(VERSION) at the top of CMakeLists.txt
# (ctest build.identity passes them in).
#
#   scripts/check-identity.sh [--upstream] SRC=dir BUILD=dir HOME_URL=url ISSUES_URL=url \
#                             CONTACT=mail VERSION=x.y.z
#
# Checked: oss-fuzz/project.yaml (homepage, main_repo, primary_contact), the clone in
# oss-fuzz/Dockerfile, the $id of every reports/schema/*.json (HOME_URL/reports/schema/<file>),
# the generated BUILD/vhdx.pc (URL, Version) and BUILD/generated/vhdx_project.h, VHDX_VERSION_STRING
# in lib/include/vhdx.h, the SARIF informationUri once cli/report_sarif.c takes it from
# vhdx_project.h, and every GitHub repository URL in the project's files (corpus/ aside): each
# must be HOME_URL's repository or a third-party repository listed in THIRD_PARTY below.
# --upstream, or VHDX_UPSTREAM_CHECK=1 in the environment (before submitting to OSS-Fuzz or
# publishing): also fails while VHDX_CONTACT is a placeholder (.invalid or example.* domain)
# and when `git ls-remote HOME_URL` cannot reach the repository. Exit 0 when everything agrees,
# 1 otherwise, with one line per disagreement.
set -uo pipefail

# GitHub repositories the project may name besides its own (tools it integrates with).
THIRD_PARTY="google/oss-fuzz google/clusterfuzzlite"

upstream=${VHDX_UPSTREAM_CHECK:-0}   # VHDX_UPSTREAM_CHECK=1 ctest -R build.identity
for a in "$@"; do
  case $a in
    --upstream) upstream=1 ;;
    SRC=*|BUILD=*|HOME_URL=*|ISSUES_URL=*|CONTACT=*|VERSION=*) printf -v "${a%%=*}" '%s' "${a#*=}" ;;
    *) echo "usage: $0 [--upstream] SRC=dir BUILD=dir HOME_URL=url ISSUES_URL=url CONTACT=mail VERSION=x.y.z" >&2; exit 64 ;;
  esac
done
for v in SRC BUILD HOME_URL ISSUES_URL CONTACT VERSION; do
  [ -n "${!v:-}" ] || { echo "check-identity: $v= missing" >&2; exit 64; }
done

fail=0
ok() { echo "ok    $*"; }
bad() { echo "WRONG $*"; fail=1; }
# expect FILE WHAT ACTUAL WANTED...: ok when ACTUAL equals one of WANTED
expect() {
  local file=$1 what=$2 actual=$3 w; shift 3
  for w in "$@"; do
    if [ "$actual" = "$w" ]; then ok "$file: $what = $actual"; return; fi
  done
  bad "$file: $what is '${actual}', expected '$1' (the CMake cache value; see oss-fuzz/README.md)"
}
# yaml_value FILE KEY: the unquoted value of a top-level "key: value" line
yaml_value() { sed -n "s/^$2:[[:space:]]*\"\{0,1\}\([^\"]*\)\"\{0,1\}[[:space:]]*$/\1/p" "$1" | head -1; }

cd "$SRC" || exit 1
home_repo=""
case $HOME_URL in
  https://github.com/*/*) home_repo=${HOME_URL#https://github.com/}; home_repo=${home_repo%.git}; home_repo=${home_repo%/} ;;
esac

# --- OSS-Fuzz project files
f=oss-fuzz/project.yaml
expect $f homepage "$(yaml_value $f homepage)" "$HOME_URL"
expect $f main_repo "$(yaml_value $f main_repo)" "$HOME_URL" "$HOME_URL.git"
expect $f primary_contact "$(yaml_value $f primary_contact)" "$CONTACT"
f=oss-fuzz/Dockerfile
clones=$(grep -c 'git clone' $f)
clone=$(sed -n 's/.*git clone\( --[a-z-]*\( [0-9]*\)\{0,1\}\)* \([^ ]*\) vhdx[[:space:]]*$/\3/p' $f)
if [ "$clones" -ne 1 ] || [ -z "$clone" ]; then
  bad "$f: expected exactly one 'git clone ... <VHDX_HOME_URL> vhdx' line"
else
  expect $f "git clone URL" "$clone" "$HOME_URL" "$HOME_URL.git"
fi

# --- JSON schemas
for f in reports/schema/*.json; do
  [ -f "$f" ] || continue
  id=$(sed -n 's/^[[:space:]]*"\$id":[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | head -1)
  expect "$f" '$id' "$id" "$HOME_URL/reports/schema/$(basename "$f")"
done

# --- generated files in the build tree
f=$BUILD/vhdx.pc
if [ -f "$f" ]; then
  expect vhdx.pc URL "$(sed -n 's/^URL: //p' "$f")" "$HOME_URL"
  expect vhdx.pc Version "$(sed -n 's/^Version: //p' "$f")" "$VERSION"
else
  bad "$f: not generated (configure the build first)"
fi
f=$BUILD/generated/vhdx_project.h
if [ -f "$f" ]; then
  for m in HOME_URL:VHDX_HOME_URL ISSUES_URL:VHDX_ISSUES_URL VERSION:VHDX_VERSION; do
    var=${m%%:*} macro=${m#*:}
    expect vhdx_project.h "$macro" "$(sed -n "s/^#define $macro \"\(.*\)\"$/\1/p" "$f")" "${!var}"
  done
else
  bad "$f: not generated (configure the build first)"
fi

# --- sources that repeat the version or (once they include vhdx_project.h) the home
f=lib/include/vhdx.h
expect $f VHDX_VERSION_STRING "$(sed -n 's/^#define VHDX_VERSION_STRING "\(.*\)"$/\1/p' $f)" "$VERSION"
f=cli/report_sarif.c
if [ -f $f ] && grep -q '#include "vhdx_project.h"' $f; then
  if grep 'informationUri' $f | grep -q 'VHDX_HOME_URL'; then ok "$f: informationUri = VHDX_HOME_URL"
  else bad "$f: informationUri does not use VHDX_HOME_URL"; fi
fi

# --- every GitHub repository named anywhere in the project
allowed=" $THIRD_PARTY ${home_repo} "
files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard
  else
    find . -type d \( -name .git -o -name 'build*' \) -prune -o -type f -print0 | sed -z 's|^\./||'
  fi
}
n=0
while IFS= read -r -d '' f; do
  case $f in corpus/*|LICENSE) continue ;; esac
  [ -f "$f" ] || continue
  grep -Iq . "$f" 2>/dev/null || continue     # binary
  while IFS= read -r hit; do
    line=${hit%%:*} url=${hit#*:}
    repo=$(sed -E 's#^https?://(www\.)?github\.com/##; s#^https?://raw\.githubusercontent\.com/##' <<<"$url" |
           awk -F/ '{ sub(/\.git$/, "", $2); print $1 "/" $2 }')
    n=$((n + 1))
    case $allowed in
      *" $repo "*) ;;
      *) bad "$f:$line: names repository $repo ($url); the project's is ${home_repo:-$HOME_URL}" ;;
    esac
  done < <(grep -noE 'https?://(www\.)?(github\.com|raw\.githubusercontent\.com)/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+' "$f")
done < <(files)
ok "$n GitHub URL(s) in the tree name $home_repo or an allowed third party ($THIRD_PARTY)"

if [ $upstream -eq 1 ]; then
  case ${CONTACT##*@} in
    *.invalid|example.com|example.org|example.net|*.example) bad "VHDX_CONTACT '$CONTACT' is a placeholder: set a maintainer's (Google-linked) address" ;;
    *) ok "VHDX_CONTACT is not a placeholder" ;;
  esac
  if GIT_TERMINAL_PROMPT=0 git ls-remote --exit-code "$HOME_URL" HEAD >/dev/null 2>&1; then
    ok "git ls-remote $HOME_URL reaches the repository"
  else
    bad "git ls-remote $HOME_URL fails: VHDX_HOME_URL must be the public repository"
  fi
fi

[ $fail -eq 0 ] && echo "check-identity: every file agrees with VHDX_HOME_URL=$HOME_URL VHDX_CONTACT=$CONTACT version $VERSION"
exit $fail
