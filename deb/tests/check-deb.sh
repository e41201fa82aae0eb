#!/usr/bin/env bash
# Checks a built clawgress_*.deb (issue 8, acceptance 1, 2 in part, 3 in part, 5): run by DebPackageIT in the deb
# module's integration tests, or by hand:
#
#   deb/tests/check-deb.sh [--deb FILE] [--no-rebuild]
#
#   size          at most 30 MB (30000000 bytes)
#   lintian       no error and no warning (overrides carry their reason in usr/share/lintian/overrides/clawgress)
#   apparmor      apparmor_parser -Q -K accepts the profile the package installs
#   units         systemd-analyze verify prints nothing for either unit (run in a root made of the package, the
#                 host's units and /bin/kill), and systemd-analyze security --offline rates clawgress.service at
#                 most 3.0 with this host's systemd
#   contents      every jar and JNI library is named by a Files: paragraph of the copyright file; every file in
#                 /etc is a conffile; the launchers find their class path
#   reproducible  the package built again from the same inputs (deb/build-deb.sh, same version and time) has the
#                 same sha256 (skipped by --no-rebuild)
#
# Exit 0 all passed, 1 a check failed, 77 a tool is missing (a failure when CI=true: CI never silently skips).
set -uo pipefail
export LC_ALL=C TZ=UTC

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEB_DIR=$(cd "$HERE/.." && pwd)
NAME=check-deb
MAX_BYTES=30000000

skip() {
    if [[ "${CI:-}" == true ]]; then echo "$NAME: $* (CI=true, so this is a failure)" >&2; exit 1; fi
    echo "$NAME: SKIPPED: $*" >&2
    exit 77
}

deb='' rebuild=1
while (($#)); do
    case "$1" in
        --deb) deb=${2:?}; shift ;;
        --no-rebuild) rebuild=0 ;;
        *) echo "$NAME: unknown argument '$1' (expected: --deb FILE, --no-rebuild)" >&2; exit 2 ;;
    esac
    shift
done
if [[ -z "$deb" ]]; then
    mapfile -t found < <(ls -t "$DEB_DIR"/target/clawgress_*_amd64.deb 2>/dev/null)
    ((${#found[@]})) || { echo "$NAME: no deb/target/clawgress_*_amd64.deb (build it: ./mvnw -pl deb -am package)" >&2; exit 1; }
    deb=${found[0]}
fi
[[ -f "$deb" ]] || { echo "$NAME: $deb not found" >&2; exit 1; }

for t in dpkg-deb lintian apparmor_parser systemd-analyze sha256sum tar man; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found (scripts/install-deps.sh installs lintian and apparmor)"
done

TMP=$(mktemp -d /tmp/clawgress-check-deb.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); echo "ok    $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL  $*"; }
indent() { sed 's/^/      /'; }

root="$TMP/root"
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$TMP/control"
echo "$NAME: $deb"

# --- size ---------------------------------------------------------------------------------------------------------
bytes=$(stat -c %s "$deb")
if ((bytes <= MAX_BYTES)); then pass "size: $bytes bytes (at most $MAX_BYTES)"; else fail "size: $bytes bytes (at most $MAX_BYTES)"; fi

# --- lintian ------------------------------------------------------------------------------------------------------
lintian_out=$(lintian --allow-root --fail-on error,warning "$deb" 2>&1)
lintian_rc=$?
if ((lintian_rc == 0)) && ! grep -qE '^[EW]: ' <<<"$lintian_out"; then
    pass "lintian $(lintian --version | awk '{print $2}'): no errors, no warnings"
else
    fail "lintian (exit $lintian_rc):"
    indent <<<"$lintian_out"
fi

# --- AppArmor -----------------------------------------------------------------------------------------------------
aa_out=$(apparmor_parser -Q -K "$root/etc/apparmor.d/clawgressd" 2>&1)
rc=$?
if ((rc == 0)); then
    pass "apparmor_parser -Q -K etc/apparmor.d/clawgressd ($(apparmor_parser --version | head -n1))"
else
    fail "apparmor_parser -Q -K etc/apparmor.d/clawgressd (exit $rc):"
    indent <<<"$aa_out"
fi

# --- systemd units ------------------------------------------------------------------------------------------------
# verify needs the units' executables and the units they name (sysinit.target, network-online.target ...) inside
# the root it checks, and man pages for Documentation=man:...
vroot="$TMP/verify-root"
mkdir -p "$vroot"
cp -a "$root/." "$vroot/"
mkdir -p "$vroot/usr/lib/systemd/system"
for unit in /usr/lib/systemd/system/* /lib/systemd/system/*; do
    [[ -f "$unit" && ! -e "$vroot/usr/lib/systemd/system/${unit##*/}" ]] && cp "$unit" "$vroot/usr/lib/systemd/system/"
done
for l in bin sbin lib; do [[ -e "$vroot/$l" ]] || ln -s "usr/$l" "$vroot/$l"; done
kill_bin=$(type -P kill) || skip "kill not found (procps)"
cp "$kill_bin" "$vroot/usr/bin/kill"
sav=$(systemd-analyze --version | head -n1)
for unit in clawgress.service clawgress-tproxy.service; do
    out=$(MANPATH="$vroot/usr/share/man" systemd-analyze verify --root="$vroot" "usr/lib/systemd/system/$unit" 2>&1)
    rc=$?
    if ((rc == 0)) && [[ -z "$out" ]]; then
        pass "systemd-analyze verify $unit ($sav): no output"
    else
        fail "systemd-analyze verify $unit (exit $rc):"
        indent <<<"$out"
    fi
done
sec=$(systemd-analyze security --offline=true --root="$vroot" --threshold=30 \
    usr/lib/systemd/system/clawgress.service 2>&1)
rc=$?
level=$(sed -n 's/.*Overall exposure level for clawgress.service: \([0-9.]*\).*/\1/p' <<<"$sec")
if ((rc == 0)) && [[ -n "$level" ]]; then
    pass "systemd-analyze security --offline clawgress.service: exposure $level (at most 3.0)"
else
    fail "systemd-analyze security --offline clawgress.service: exposure ${level:-?} (at most 3.0):"
    grep '✗' <<<"$sec" | indent
fi

# --- contents -----------------------------------------------------------------------------------------------------
copyright="$root/usr/share/doc/clawgress/copyright"
mapfile -t patterns < <(awk '/^Files:/{sub(/^Files: */,""); p=1} /^[A-Z][A-Za-z-]*:/ && !/^Files:/{p=0}
    p{n=split($0,a," "); for(i=1;i<=n;i++) if (a[i] != "*") print a[i]}' "$copyright")
unnamed=()
while IFS= read -r f; do
    rel=${f#"$root/"}
    named=0
    for p in "${patterns[@]}"; do
        # shellcheck disable=SC2053 # the copyright's Files: patterns are globs
        [[ "$rel" == $p ]] && { named=1; break; }
    done
    ((named)) || unnamed+=("$rel")
done < <(find "$root/usr/share/clawgress/lib" "$root/usr/lib/clawgress/native" -type f | sort)
if ((${#unnamed[@]} == 0)); then
    pass "copyright: every bundled jar and JNI library is named by a Files: paragraph (${#patterns[@]} patterns)"
else
    fail "copyright: not named by any Files: paragraph: ${unnamed[*]}"
fi
etc_files=$(cd "$root" && find etc -type f | sed 's|^|/|' | sort)
if [[ "$etc_files" == "$(sort "$TMP/control/conffiles")" ]]; then
    pass "conffiles: every file in /etc ($(wc -l <<<"$etc_files"))"
else
    fail "conffiles differ from the files in /etc:"
    diff <(echo "$etc_files") <(sort "$TMP/control/conffiles") | indent
fi
missing_cp=()
cp_line=$(sed -n 's/^readonly CLAWGRESS_CLASSPATH="\(.*\)"$/\1/p' "$root/usr/share/clawgress/launcher.sh")
IFS=: read -r -a cp_entries <<<"$cp_line"
for e in "${cp_entries[@]}"; do [[ -f "$root$e" ]] || missing_cp+=("$e"); done
jars=$(find "$root/usr/share/clawgress" -name '*.jar' | wc -l)
if ((${#cp_entries[@]} > 1 && ${#missing_cp[@]} == 0 && ${#cp_entries[@]} == jars)); then
    pass "launcher class path: ${#cp_entries[@]} jars, all in the package, none left out"
else
    fail "launcher class path: ${#cp_entries[@]} entries for $jars jars; missing: ${missing_cp[*]:-none}"
fi

# --- reproducible -------------------------------------------------------------------------------------------------
if ((rebuild)); then
    version=$(dpkg-deb -f "$deb" Version)
    epoch=$(dpkg-deb --fsys-tarfile "$deb" | tar -tv --full-time -f - ./usr/share/doc/clawgress/copyright |
        awk '{print $4" "$5}')
    epoch=$(date -u -d "$epoch" +%s)
    maven_version=$(sed -n 's|.*/clawgress-api-\(.*\)\.jar$|\1|p' <<<"$(ls "$root/usr/share/clawgress/lib/")")
    if again=$(SOURCE_DATE_EPOCH=$epoch "$DEB_DIR/build-deb.sh" --maven-version "${maven_version:-0}" \
            --deb-version "$version" --out "$TMP/rebuild" 2>&1); then
        a=$(sha256sum <"$deb" | cut -d' ' -f1)
        b=$(sha256sum <"$again" | cut -d' ' -f1)
        if [[ "$a" == "$b" ]]; then
            pass "reproducible: built again from the same inputs, same sha256 $a"
        else
            fail "reproducible: sha256 $a, built again: $b"
            if command -v diffoscope >/dev/null; then diffoscope "$deb" "$again" | head -50 | indent; fi
        fi
    else
        fail "reproducible: building again failed:"
        indent <<<"$again"
    fi
fi

echo "$PASS passed, $FAIL failed"
((FAIL == 0))
