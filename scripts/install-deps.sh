#!/usr/bin/env bash
# Installs what the build, the demo, the tests and the load benchmarks need on Ubuntu 24.04 or Debian
# bookworm/trixie, and only what is missing: networking tools (iptables, iproute2, socat, ...), the end-to-end tests'
# clients (curl, openssl, headless Chromium), strace (the AppArmor profile test), the package's tools and checks
# (dpkg-deb, lintian, apparmor_parser, systemd-analyze) and its install test's (debootstrap, systemd-nspawn), the
# peers the load benchmarks compare with (HAProxy, Squid with OpenSSL; their system services are stopped and
# disabled: the benchmark runs its own instances in a network namespace), a JDK >= 21 (via scripts/env.sh), and the
# netfilter modules TPROXY needs when they are modules. Safe to run again; run it as root.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAME=install-deps
# iptables, sysctl, modprobe live in sbin, which a non-root PATH on Debian lacks.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

say() { printf '%s: %s\n' "$NAME" "$*" >&2; }

# command -> Debian package that provides it
readonly COMMANDS=(
    iptables:iptables ip6tables:iptables iptables-save:iptables iptables-restore:iptables
    ip:iproute2 ss:iproute2
    curl:curl openssl:openssl socat:socat nc:netcat-openbsd
    sysctl:procps pgrep:procps modprobe:kmod unzip:unzip getent:libc-bin groff:groff-base
    promtool:prometheus
    chromium:chromium
    strace:strace
    dpkg-deb:dpkg lintian:lintian apparmor_parser:apparmor systemd-analyze:systemd
    debootstrap:debootstrap systemd-nspawn:systemd-container
    haproxy:haproxy squid:squid-openssl
)
# Packages some distributions do not ship as a deb (Ubuntu has Chromium only as a snap): without an apt candidate
# they are reported and left out, and the tests that need them skip loudly (fail under CI=true).
readonly OPTIONAL_PACKAGES=(chromium)

missing=() dropped=()
add_missing() { local p; for p in "${missing[@]}"; do [[ "$p" == "$1" ]] && return 0; done; missing+=("$1"); }

for entry in "${COMMANDS[@]}"; do
    command -v "${entry%%:*}" >/dev/null 2>&1 || add_missing "${entry#*:}"
done
# The tests use OpenBSD nc flags (-N, -U); netcat-traditional also provides "nc" but lacks them.
if command -v nc >/dev/null 2>&1; then
    nc_help=$(nc -h 2>&1 || true)
    [[ "$nc_help" == *OpenBSD* ]] || add_missing netcat-openbsd
fi
[[ -s /etc/ssl/certs/ca-certificates.crt ]] || add_missing ca-certificates
# The benchmark's Squid must bump TLS (ssl-bump, its certificate generator): the plain "squid" package of some
# releases is built without OpenSSL, so ask for squid-openssl unless the helper is there.
if command -v squid >/dev/null 2>&1 && [[ ! -x /usr/lib/squid/security_file_certgen ]]; then
    add_missing squid-openssl
fi

if ((${#missing[@]})); then
    if ((EUID != 0)); then
        say "missing packages: ${missing[*]}"
        say "install them as root:  sudo apt-get install -y --no-install-recommends ${missing[*]}"
        say "(or run: sudo $0)"
        exit 1
    fi
    command -v apt-get >/dev/null 2>&1 ||
        { say "missing packages: ${missing[*]}, and apt-get is not available (expected Debian or Ubuntu)"; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    if ! apt-get update -qq >"$log" 2>&1; then
        cat "$log" >&2
        say "apt-get update failed"
        exit 1
    fi
    for optional in "${OPTIONAL_PACKAGES[@]}"; do
        for i in "${!missing[@]}"; do
            [[ "${missing[$i]}" == "$optional" ]] || continue
            # Not "apt-cache policy | grep -q": with pipefail, grep's early exit fails the pipe (SIGPIPE).
            policy=$(apt-cache policy "$optional" 2>/dev/null || true)
            if ! [[ "$policy" =~ Candidate:\ [^\(] ]]; then
                say "$optional: no installable package in this system's apt sources, so not installed (the tests"
                say "  that need it skip loudly, and fail under CI=true)"
                dropped+=("$optional")
                unset 'missing[i]'
            fi
        done
    done
    missing=("${missing[@]}")
fi
if ((${#missing[@]})); then
    say "installing: ${missing[*]}"
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
        cat "$log" >&2
        say "apt-get failed installing: ${missing[*]}"
        exit 1
    fi
    say "installed: ${missing[*]}"
    # Only promtool is wanted (the metrics tests' parser), and HAProxy and Squid only as programs the load
    # benchmark starts itself (benchmarks/systems/): keep the services these packages bring stopped.
    for p in "${missing[@]}"; do
        case "$p" in
            prometheus) unit=prometheus.service ;;
            haproxy) unit=haproxy.service ;;
            squid-openssl) unit=squid.service ;;
            *) continue ;;
        esac
        if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
            systemctl disable --now "$unit" >/dev/null 2>&1 || true
            say "$p: only its program is used; its service ($unit) is stopped and disabled"
        fi
    done
elif ((${#dropped[@]} == 0)); then
    say "system packages: all present"
fi

# JDK >= 21: env.sh finds one, or apt-installs openjdk-21-jdk-headless (root only), and exports JAVA_HOME.
# shellcheck source=SCRIPTDIR/env.sh
if ! CLAWGRESS_INSTALL_JDK=1 source "$ROOT/scripts/env.sh"; then
    ((EUID == 0)) ||
        say "no JDK >= 21: install one as root (sudo apt-get install -y openjdk-21-jdk-headless)"
    exit 1
fi
say "JDK: $JAVA_HOME ($("$JAVA_HOME/bin/java" -version 2>&1 | head -n1))"

# Netfilter pieces the TPROXY rules use (docs/tproxy.md). Usually autoloaded, and often built in; a failure to
# load one here is only reported: clawgress-tproxy up fails loudly if the kernel really lacks it.
readonly MODULES=(xt_TPROXY nf_tproxy_ipv4 nf_tproxy_ipv6 xt_socket nf_socket_ipv4 nf_socket_ipv6 iptable_mangle
    xt_mark xt_addrtype xt_conntrack xt_REDIRECT)
if ((EUID != 0)); then
    say "not root: netfilter modules not checked"
elif ! command -v modprobe >/dev/null 2>&1; then
    say "modprobe not found: netfilter modules not loaded (fine if they are built in)"
elif [[ ! -d "/lib/modules/$(uname -r)" ]]; then
    say "kernel $(uname -r) has no /lib/modules directory: netfilter support is built in or absent, nothing to load"
else
    builtin_list="/lib/modules/$(uname -r)/modules.builtin"
    loaded=() builtin=() unavailable=()
    for m in "${MODULES[@]}"; do
        if [[ -r "$builtin_list" ]] && grep -q "/$m\.ko" "$builtin_list"; then
            builtin+=("$m")
        elif [[ -d "/sys/module/$m" ]] || modprobe -q "$m" 2>/dev/null; then
            loaded+=("$m")
        else
            unavailable+=("$m")
        fi
    done
    if ((${#loaded[@]})); then say "netfilter modules loaded: ${loaded[*]}"; fi
    if ((${#builtin[@]})); then say "netfilter modules built in: ${builtin[*]}"; fi
    if ((${#unavailable[@]})); then
        say "netfilter modules not loadable (fine if built into the kernel): ${unavailable[*]}"
    fi
fi
exit 0
