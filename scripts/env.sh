# Sourced by bin/* and scripts/*: finds a JDK >= 21 and exports JAVA_HOME. With CLAWGRESS_INSTALL_JDK=1 (as root)
# it installs one with apt when none is found: openjdk-21-jdk-headless (Ubuntu 24.04, Debian 13), else
# openjdk-25-jdk-headless. Debian 12 ships neither; there, install a JDK >= 21 (e.g. Temurin) under /usr/lib/jvm.
# shellcheck shell=bash

clawgress_java_major() { # $1 = java binary; prints the feature version, e.g. 21
    # The JDK's release file says it without starting a JVM, and bash reads it without forking sed or readlink
    # (bin/clawgressctl sources this file on every call: its start-up time counts). Else ask java.
    local home="${1%/bin/java}" line
    [[ -r "$home/release" ]] || home="$(dirname "$(dirname "$(readlink -f "$1")")")"
    if [[ -r "$home/release" ]]; then
        while IFS= read -r line; do
            [[ "$line" =~ ^JAVA_VERSION=\"([0-9]+) ]] && { echo "${BASH_REMATCH[1]}"; return 0; }
        done < "$home/release"
    fi
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1
}

clawgress_find_jdk() {
    local candidates=() c v
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
    candidates+=(/usr/lib/jvm/* /opt/java/* /opt/jdk*)
    if command -v javac >/dev/null 2>&1; then
        candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
    fi
    for c in "${candidates[@]}"; do
        [[ -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
        v="$(clawgress_java_major "$c/bin/java")"
        [[ "$v" =~ ^[0-9]+$ ]] && (( v >= 21 )) && { echo "$c"; return 0; }
    done
    return 1
}

clawgress_install_jdk() {
    local pkg log
    log="$(mktemp /tmp/clawgress-jdk-install.XXXXXX.log)"
    echo "clawgress: no JDK >= 21 found; installing one with apt (log: $log)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; return 1; }
    for pkg in openjdk-21-jdk-headless openjdk-25-jdk-headless; do
        if [[ -n "$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)')" ]]; then
            if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >>"$log" 2>&1
            then
                echo "clawgress: installed $pkg" >&2
                rm -f "$log"
                return 0
            fi
            tail -n 30 "$log" >&2
        fi
    done
    echo "clawgress: this distribution's apt sources offer no JDK >= 21 (Debian 12 has only 17);" \
         "install one (e.g. Temurin 21) under /usr/lib/jvm, or use Ubuntu 24.04 / Debian 13" >&2
    return 1
}

if ! CLAWGRESS_JAVA_HOME="$(clawgress_find_jdk)"; then
    if [[ "${CLAWGRESS_INSTALL_JDK:-0}" == 1 && "$(id -u)" == 0 ]] && clawgress_install_jdk \
            && CLAWGRESS_JAVA_HOME="$(clawgress_find_jdk)"; then
        :
    else
        echo "clawgress: no JDK >= 21 found (looked at JAVA_HOME, /usr/lib/jvm/*, /opt, PATH);" \
             "run scripts/install-deps.sh as root, or install openjdk-21-jdk-headless" >&2
        return 1 2>/dev/null || exit 1
    fi
fi
export JAVA_HOME="$CLAWGRESS_JAVA_HOME"

# Maven's bundled Guice touches sun.misc.Unsafe; JDK >= 24 warns loudly unless told it is expected.
CLAWGRESS_JAVA_MAJOR="$(clawgress_java_major "$JAVA_HOME/bin/java")"
export CLAWGRESS_JAVA_MAJOR
if (( CLAWGRESS_JAVA_MAJOR >= 24 )); then
    case " ${MAVEN_OPTS:-} " in
        *sun-misc-unsafe*) ;;
        *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
    esac
fi
