# shellcheck shell=bash
# /usr/share/clawgress/launcher.sh: sourced by /usr/bin/clawgressd, /usr/bin/clawgressctl and
# /usr/libexec/clawgress/clawgressctl-cds (the clawgress package); not a program of its own. The build fills in the
# class path: the jars in a fixed order, so the class-data-sharing archive matches it.

# shellcheck disable=SC2034 # used by the scripts that source this file
readonly CLAWGRESS_CLASSPATH="@CLASSPATH@"
readonly CLAWGRESS_NATIVE=/usr/lib/clawgress/native
readonly CLAWGRESS_MIN_JAVA=21

clawgress_die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# The feature version of the JDK or JRE at $1 (21 for 21.0.5), from its release file, without starting a JVM.
clawgress_java_feature() {
    local line re='^JAVA_VERSION="([0-9]+)'
    [[ -r "$1/release" ]] || return 1
    while IFS= read -r line; do
        if [[ "$line" =~ $re ]]; then
            printf '%s\n' "${BASH_REMATCH[1]}"
            return 0
        fi
    done <"$1/release"
    return 1
}

# Sets CLAWGRESS_JAVA_HOME and CLAWGRESS_JAVA_FEATURE: $CLAWGRESS_JAVA_HOME if the environment names one (a
# systemd drop-in: Environment=CLAWGRESS_JAVA_HOME=...), else Java 21 (the package's dependency), else the
# default-java link, else the first Java >= 21 under /usr/lib/jvm.
clawgress_find_java() {
    local c v
    local candidates=()
    if [[ -n "${CLAWGRESS_JAVA_HOME:-}" ]]; then
        candidates=("$CLAWGRESS_JAVA_HOME")
    else
        candidates=(/usr/lib/jvm/java-21-openjdk-amd64 /usr/lib/jvm/default-java /usr/lib/jvm/*/)
    fi
    for c in "${candidates[@]}"; do
        c=${c%/}
        [[ -x "$c/bin/java" ]] || continue
        v=$(clawgress_java_feature "$c") || continue
        if ((v >= CLAWGRESS_MIN_JAVA)); then
            CLAWGRESS_JAVA_HOME=$c
            CLAWGRESS_JAVA_FEATURE=$v
            return 0
        fi
    done
    if [[ -n "${CLAWGRESS_JAVA_HOME:-}" ]]; then
        clawgress_die "CLAWGRESS_JAVA_HOME=$CLAWGRESS_JAVA_HOME is not a Java >= $CLAWGRESS_MIN_JAVA" \
            "(expected: a directory with bin/java and a release file)"
    fi
    clawgress_die "no Java >= $CLAWGRESS_MIN_JAVA found under /usr/lib/jvm (install openjdk-21-jre-headless)"
}

# Options every Clawgress JVM gets from the package layout: native libraries are loaded read-only from
# /usr/lib/clawgress/native and never unpacked; the unpack directories name that read-only directory too, so an
# attempt to unpack fails loudly instead of writing executable code to a temporary directory.
clawgress_fixed_options() { # $1 = name of the array to append to
    local -n out=$1
    out+=(
        "-Djava.library.path=$CLAWGRESS_NATIVE"
        "-Djffi.boot.library.path=$CLAWGRESS_NATIVE"
        "-Djffi.extract.dir=$CLAWGRESS_NATIVE"
        "-Dlmdbjava.native.lib=$CLAWGRESS_NATIVE/liblmdb.so"
        "-Dlmdbjava.extract.dir=$CLAWGRESS_NATIVE"
        "-Dio.netty.native.workdir=$CLAWGRESS_NATIVE"
        --enable-native-access=ALL-UNNAMED
    )
    # Java 24+ warns about sun.misc.Unsafe memory access, which Netty uses on purpose.
    if ((CLAWGRESS_JAVA_FEATURE >= 24)); then
        out+=(--sun-misc-unsafe-memory-access=allow)
    fi
}

# Appends the options of a jvm.options file ($1) that apply to this Java to the array named $2. Lines: OPTION, or
# N:OPTION, N-:OPTION, N-M:OPTION (Java feature versions); blank lines and # comments are skipped.
clawgress_read_options() {
    local file=$1 line n=0 lo hi
    local -n dest=$2
    local re_range='^([0-9]+)(-([0-9]*))?:(.+)$'
    [[ -r "$file" ]] || clawgress_die "$file: not readable (expected: the JVM options file)"
    while IFS= read -r line || [[ -n "$line" ]]; do
        n=$((n + 1))
        line=${line%$'\r'}
        line=${line#"${line%%[![:space:]]*}"}
        line=${line%"${line##*[![:space:]]}"}
        [[ -z "$line" || "$line" == \#* ]] && continue
        if [[ "$line" =~ $re_range ]]; then
            lo=${BASH_REMATCH[1]}
            hi=${BASH_REMATCH[3]}
            [[ -n "${BASH_REMATCH[2]}" ]] || hi=$lo
            [[ -n "$hi" ]] || hi=999999
            line=${BASH_REMATCH[4]}
            ((CLAWGRESS_JAVA_FEATURE >= lo && CLAWGRESS_JAVA_FEATURE <= hi)) || continue
        fi
        [[ "$line" == -* ]] || clawgress_die "$file:$n: '$line' (expected: a JVM option starting with -," \
            "optionally after a version range such as 21-23:)"
        dest+=("$line")
    done <"$file"
}
