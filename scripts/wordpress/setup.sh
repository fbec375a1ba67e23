#!/usr/bin/env bash
# Install what a real WordPress test site needs, from Debian's packages (run as root; idempotent).
#
# Installs wordpress, the Twenty Twenty-One theme, Apache with mod_php, MariaDB and PHP's
# MySQL driver when any is missing, and the one file Debian's WordPress reads from
# /etc/wordpress: config-preserve.php, which hands over to the configuration that
# start.sh writes into each instance's private run directory. Starts no service:
# start.sh runs private MariaDB and Apache processes on 127.0.0.1 only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
packages=(wordpress wordpress-theme-twentytwentyone apache2 libapache2-mod-php mariadb-server php-mysql php-xml)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup.sh: missing packages (${missing[*]}); run this script as root" >&2
        exit 2
    fi
    # policy-rc.d 101: the packages' own services are not started (nothing listens on port 80 or 3306).
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

target=/etc/wordpress/config-preserve.php
if ! cmp -s "$here/config-preserve.php" "$target"; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup.sh: $target is missing or out of date; run this script as root" >&2
        exit 2
    fi
    install -m 644 "$here/config-preserve.php" "$target"
fi
