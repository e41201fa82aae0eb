#!/usr/bin/env bash
# Builds clawgress_<version>_amd64.deb from the built tree (appliance/target: the jars, the JNI libraries, the
# generated man pages and bash completion) and the package sources (deb/src/deb, systemd/, apparmor/, config/),
# with dpkg-deb. The Maven build runs it in the deb module's package phase (deb/pom.xml); by hand:
#
#   deb/build-deb.sh --maven-version 0.1.0-SNAPSHOT [--deb-version[=]0.1.1-1] [--out DIR]
#
# Byte-for-byte reproducible: every file gets the time SOURCE_DATE_EPOCH (the environment's, else the last commit's),
# owner root:root, a fixed mode; dpkg-deb sorts the entries; man pages and the changelog are gzipped -9n.
#
# Version: --deb-version when given (a Debian revision -1 is added if it has none); otherwise derived from the
# Maven version: 0.1.0 -> 0.1.0-1, 0.1.0-SNAPSHOT -> 0.1.0~snapshot<commit time as YYYYMMDDhhmmss>-1, so a later
# commit's snapshot is a newer package, and every snapshot sorts before the release.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NAME=build-deb

die() { printf '%s: error: %s\n' "$NAME" "$*" >&2; exit 1; }

maven_version='' deb_version='' out="$HERE/target"
while (($#)); do
    case "$1" in
        --maven-version) maven_version=${2:?}; shift ;;
        --deb-version) deb_version=${2-}; shift ;;
        --deb-version=*) deb_version=${1#--deb-version=} ;;
        --out) out=${2:?}; shift ;;
        *) die "unknown argument '$1' (expected: --maven-version V [--deb-version V] [--out DIR])" ;;
    esac
    shift
done
[[ -n "$maven_version" ]] || die "--maven-version is required (the Maven project version, e.g. 0.1.0-SNAPSHOT)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (install dpkg; this build needs a Debian or Ubuntu host)"

APPLIANCE="$ROOT/appliance/target"
SRC="$HERE/src/deb"
for f in "$APPLIANCE/clawgress-appliance.jar" "$APPLIANCE/lib" "$APPLIANCE/native/liblmdb.so" \
    "$APPLIANCE/generated-docs/man/clawgressd.8" "$APPLIANCE/generated-docs/completion/clawgressctl"; do
    [[ -e "$f" ]] || die "$f is missing: build the appliance module first (./mvnw -pl deb -am package)"
done

# --- time and version ----------------------------------------------------------------------------------------
if [[ -n "${SOURCE_DATE_EPOCH:-}" ]]; then
    epoch=$SOURCE_DATE_EPOCH
elif epoch=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null) && [[ -n "$epoch" ]]; then
    :
else
    die "no SOURCE_DATE_EPOCH and no git history to take the time from (set SOURCE_DATE_EPOCH)"
fi
[[ "$epoch" =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH='$epoch' (expected: seconds since 1970)"
export SOURCE_DATE_EPOCH=$epoch
commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

if [[ -n "$deb_version" ]]; then
    version=$deb_version
    [[ "$version" == *-* ]] || version="$version-1"
else
    upstream=$maven_version
    if [[ "$upstream" == *-SNAPSHOT ]]; then
        upstream="${upstream%-SNAPSHOT}~snapshot$(date -u -d "@$epoch" +%Y%m%d%H%M%S)"
    fi
    version="${upstream//-/\~}-1"
fi
if command -v dpkg >/dev/null; then
    dpkg --validate-version "$version" || die "version '$version' is not a valid Debian version"
fi

# --- staging tree ---------------------------------------------------------------------------------------------
mkdir -p "$out"
stage="$out/deb-root"
rm -rf "$stage"
rm -f "$out"/clawgress_*.deb
mkdir -p "$stage"

put() { # $1 mode, $2 source, $3 target (relative to the root); creates parent directories 0755
    install -D -m "$1" "$2" "$stage/$3"
}
put_gz() { # $1 source, $2 target .gz: gzip -9n (no name, no time stamp)
    mkdir -p "$(dirname "$stage/$2")"
    gzip -9n -c "$1" >"$stage/$2"
    chmod 0644 "$stage/$2"
}

# Jars: the appliance and its runtime dependencies, minus the jars whose only payload is native code: that is
# unpacked into /usr/lib/clawgress/native (appliance/pom.xml), and other platforms' code does not belong in an
# amd64 package.
share=usr/share/clawgress
put 0644 "$APPLIANCE/clawgress-appliance.jar" "$share/clawgress-appliance.jar"
classpath="/$share/clawgress-appliance.jar"
while IFS= read -r jar; do
    base=${jar##*/}
    case "$base" in
        netty-tcnative-boringssl-static-*.jar | netty-transport-native-epoll-*-linux-*.jar | \
            netty-transport-native-io_uring-*-linux-*.jar | jffi-*-native.jar | native-[0-9]*.jar)
            continue ;;
    esac
    put 0644 "$jar" "$share/lib/$base"
    classpath="$classpath:/$share/lib/$base"
done < <(find "$APPLIANCE/lib" -maxdepth 1 -name '*.jar' -type f | sort)
sed "s|@CLASSPATH@|$classpath|" "$SRC/launcher/launcher.sh" >"$out/launcher.sh"
put 0644 "$out/launcher.sh" "$share/launcher.sh"
rm -f "$out/launcher.sh"

for so in "$APPLIANCE"/native/*.so; do
    put 0644 "$so" "usr/lib/clawgress/native/${so##*/}"
done
put 0755 "$SRC/launcher/clawgressctl-cds" usr/libexec/clawgress/clawgressctl-cds
put 0755 "$SRC/launcher/clawgressd" usr/bin/clawgressd
put 0755 "$SRC/launcher/clawgressctl" usr/bin/clawgressctl
put 0755 "$ROOT/systemd/clawgress-tproxy" usr/sbin/clawgress-tproxy

put 0644 "$ROOT/systemd/clawgress.service" usr/lib/systemd/system/clawgress.service
put 0644 "$ROOT/systemd/clawgress-tproxy.service" usr/lib/systemd/system/clawgress-tproxy.service
put 0644 "$ROOT/systemd/clawgress.sysusers" usr/lib/sysusers.d/clawgress.conf

put 0644 "$ROOT/config/clawgress.yaml" etc/clawgress/clawgress.yaml
put 0644 "$ROOT/systemd/tproxy.env" etc/clawgress/tproxy.env
put 0644 "$SRC/jvm.options" etc/clawgress/jvm.options
printf '{"keys": []}\n' >"$out/trusted-keys.json"
put 0644 "$out/trusted-keys.json" etc/clawgress/trust/trusted-keys.json
rm -f "$out/trusted-keys.json"
put 0644 "$ROOT/apparmor/clawgressd" etc/apparmor.d/clawgressd

put_gz "$APPLIANCE/generated-docs/man/clawgressctl.1" usr/share/man/man1/clawgressctl.1.gz
put_gz "$APPLIANCE/generated-docs/man/clawgressd.8" usr/share/man/man8/clawgressd.8.gz
put_gz "$ROOT/systemd/clawgress-tproxy.8" usr/share/man/man8/clawgress-tproxy.8.gz
# bash sources a completion file; it is not a program, so no #! line (picocli's generator writes one).
sed '1{/^#!/d}' "$APPLIANCE/generated-docs/completion/clawgressctl" >"$out/completion"
put 0644 "$out/completion" usr/share/bash-completion/completions/clawgressctl
rm -f "$out/completion"

doc=usr/share/doc/clawgress
put 0644 "$SRC/copyright" "$doc/copyright"
put 0644 "$SRC/README.Debian" "$doc/README.Debian"
sed -e "s|@VERSION@|$version|" -e "s|@COMMIT@|$commit|" \
    -e "s|@DATE@|$(date -u -R -d "@$epoch")|" "$SRC/changelog.in" >"$out/changelog.Debian"
put_gz "$out/changelog.Debian" "$doc/changelog.Debian.gz"
rm -f "$out/changelog.Debian"
put 0644 "$SRC/lintian-overrides" usr/share/lintian/overrides/clawgress

# --- control area -----------------------------------------------------------------------------------------------
mkdir -p "$stage/DEBIAN"
for s in postinst prerm postrm; do
    install -m 0755 "$SRC/DEBIAN/$s" "$stage/DEBIAN/$s"
done
install -m 0644 "$SRC/DEBIAN/triggers" "$stage/DEBIAN/triggers"
(cd "$stage" && find etc -type f | sort | sed 's|^|/|') >"$stage/DEBIAN/conffiles"
(cd "$stage" && find etc usr -type f | sort | xargs -d '\n' md5sum) >"$stage/DEBIAN/md5sums"
size=$(du -s -k --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@INSTALLED_SIZE@|$size|" "$SRC/control.in" >"$stage/DEBIAN/control"
chmod 0644 "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums" "$stage/DEBIAN/control"

# --- normalise and build --------------------------------------------------------------------------------------
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -exec touch -h -d "@$epoch" {} +
deb="$out/clawgress_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
touch -d "@$epoch" "$deb"
printf '%s\n' "$deb"
