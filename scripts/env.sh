# Sourced by bin/* and scripts/*: finds a JDK >= 21 and exports JAVA_HOME. Installs one when asked
# (CLAWGRESS_INSTALL_JDK=1, as root) and none is found.
# shellcheck shell=bash

clawgress_java_major() { # $1 = java binary; prints the feature version, e.g. 21
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1
}

clawgress_find_jdk() {
    local candidates=() c v
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
    candidates+=(/usr/lib/jvm/* /opt/java/* /opt/jdk*)
    command -v javac >/dev/null 2>&1 && candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
    for c in "${candidates[@]}"; do
        [[ -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
        v="$(clawgress_java_major "$c/bin/java")"
        [[ "$v" =~ ^[0-9]+$ ]] && (( v >= 21 )) && { echo "$c"; return 0; }
    done
    return 1
}

if ! CLAWGRESS_JAVA_HOME="$(clawgress_find_jdk)"; then
    if [[ "${CLAWGRESS_INSTALL_JDK:-0}" == 1 && "$(id -u)" == 0 ]]; then
        echo "clawgress: no JDK >= 21 found; installing openjdk-21-jdk-headless with apt" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-21-jdk-headless >&2 \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-25-jdk-headless >&2
        CLAWGRESS_JAVA_HOME="$(clawgress_find_jdk)" || { echo "clawgress: JDK install failed" >&2; return 1 2>/dev/null || exit 1; }
    else
        echo "clawgress: no JDK >= 21 found (looked at JAVA_HOME, /usr/lib/jvm/*, PATH). Install openjdk-21-jdk-headless," \
             "or run scripts/install-deps.sh as root." >&2
        return 1 2>/dev/null || exit 1
    fi
fi
export JAVA_HOME="$CLAWGRESS_JAVA_HOME"
# Maven's bundled Guice touches sun.misc.Unsafe; JDK >= 24 warns loudly unless told it is expected.
if (( $(clawgress_java_major "$JAVA_HOME/bin/java") >= 24 )); then
    case " ${MAVEN_OPTS:-} " in *sun-misc-unsafe*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
fi
