#!/usr/bin/env bash
# Start a private WordPress on 127.0.0.1:PORT with its data in RUN_DIR; print its base URL.
#
#   start.sh RUN_DIR PORT
#
# MariaDB listens on a Unix socket in RUN_DIR only (no TCP at all); Apache listens on
# 127.0.0.1:PORT only. The first start of an empty RUN_DIR creates the database, installs
# WordPress with wp_install() (install.php) and fills it with populate.php, which writes
# RUN_DIR/manifest.json (what was created: the truth the tests compare against). A later
# start of the same RUN_DIR on the same port reuses its data. stop.sh RUN_DIR stops both.
# RUN_DIR must be traversable by www-data when run as root (Apache's workers drop to it).
set -euo pipefail
if [ "$#" != 2 ]; then
    echo "usage: start.sh RUN_DIR PORT" >&2
    exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
port="$2"
case "$port" in
    ''|*[!0-9]*) echo "start.sh: PORT must be a number, not '$port'" >&2; exit 2 ;;
esac
url="http://127.0.0.1:$port"
if [ ! -f /etc/wordpress/config-preserve.php ] || [ ! -d /usr/share/wordpress ]; then
    echo "start.sh: WordPress is not set up; run scripts/wordpress/setup.sh as root first" >&2
    exit 2
fi
if [ -f "$dir/url" ] && [ "$(cat "$dir/url")" != "$url" ]; then
    echo "start.sh: $dir was made for $(cat "$dir/url"); use a new RUN_DIR for $url" >&2
    exit 2
fi
chmod 755 "$dir"
as_root=0
[ "$(id -u)" = 0 ] && as_root=1

# MariaDB: a private data directory and socket; --skip-networking opens no TCP port.
sock="$dir/mysqld.sock"
fresh=0
if [ ! -d "$dir/mysql" ]; then
    fresh=1
    user_opt=()
    [ "$as_root" = 1 ] && user_opt=(--user=root)
    mariadb-install-db --no-defaults --datadir="$dir/mysql" "${user_opt[@]}" \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/mysql-install.log" 2>&1
fi
if ! mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; then
    user_opt=()
    [ "$as_root" = 1 ] && user_opt=(--user=root)
    setsid mariadbd --no-defaults --datadir="$dir/mysql" --socket="$sock" --skip-networking \
        --pid-file="$dir/mysqld.pid" --log-error="$dir/mysqld.err" "${user_opt[@]}" \
        --innodb-buffer-pool-size=32M --performance-schema=OFF --skip-log-bin \
        </dev/null >/dev/null 2>&1 &
    for _ in $(seq 1 300); do
        mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1 || {
        echo "start.sh: MariaDB did not start; see $dir/mysqld.err" >&2
        exit 1
    }
fi
chmod 777 "$sock"
mariadb --no-defaults --socket="$sock" -uroot -e \
    "CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

# WordPress: this instance's configuration and wp-content (themes and plugins from Debian's packages).
mkdir -p "$dir/wp-content/uploads"
ln -sfn /usr/share/wordpress/wp-content/themes "$dir/wp-content/themes"
ln -sfn /usr/share/wordpress/wp-content/plugins "$dir/wp-content/plugins"
echo "$url" >"$dir/url"
cat >"$dir/wp-config.php" <<PHP
<?php
/* Written by preserve's scripts/wordpress/start.sh for $url. */
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:$sock');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', '$url');
define('WP_SITEURL', '$url');
define('WP_CONTENT_DIR', '$dir/wp-content');
define('WP_CONTENT_URL', '$url/wp-content');
define('WP_DEFAULT_THEME', 'twentytwentyone');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
/* Fixed keys: a disposable test site whose pages must be the same on every run. */
foreach (array('AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
               'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT') as \$k) {
    define(\$k, 'preserve-test-' . \$k);
}
\$table_prefix = 'wp_';
PHP
chmod -R a+rX "$dir/wp-content" "$dir/wp-config.php"

# Apache: one private server on 127.0.0.1:PORT, WordPress as docroot, rewrite rules for pretty permalinks.
user_lines=""
[ "$as_root" = 1 ] && user_lines=$'User www-data\nGroup www-data'
php_mod="$(ls /usr/lib/apache2/modules/libphp*.so | head -n 1)"
mods=/usr/lib/apache2/modules
cat >"$dir/apache2.conf" <<CONF
# Written by preserve's scripts/wordpress/start.sh.
ServerRoot "$dir"
DefaultRuntimeDir "$dir"
PidFile "$dir/apache2.pid"
Mutex file:$dir default
Listen 127.0.0.1:$port
ServerName 127.0.0.1:$port
$user_lines
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule dir_module $mods/mod_dir.so
LoadModule mime_module $mods/mod_mime.so
LoadModule rewrite_module $mods/mod_rewrite.so
LoadModule alias_module $mods/mod_alias.so
LoadModule env_module $mods/mod_env.so
LoadModule php_module $php_mod
StartServers 2
MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 8
Timeout 30
KeepAlive On
ErrorLog "$dir/apache-error.log"
LogFormat "%h %t \"%r\" %>s %b" short
CustomLog "$dir/apache-access.log" short
TypesConfig /etc/mime.types
DocumentRoot /usr/share/wordpress
DirectoryIndex index.php index.html
SetEnv WORDPRESS_CONFIG preserve
SetEnv PRESERVE_WP_DIR "$dir"
Alias /wp-content "$dir/wp-content"
<FilesMatch "\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory /usr/share/wordpress>
    Options FollowSymLinks
    Require all granted
    RewriteEngine On
    RewriteBase /
    RewriteRule ^index\.php\$ - [L]
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteRule . /index.php [L]
</Directory>
<Directory "$dir/wp-content">
    Options FollowSymLinks
    Require all granted
</Directory>
CONF
if [ ! -f "$dir/apache2.pid" ] || ! kill -0 "$(cat "$dir/apache2.pid")" 2>/dev/null; then
    rm -f "$dir/apache2.pid"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/sbin/apache2 -f "$dir/apache2.conf" -k start
    for _ in $(seq 1 100); do
        [ -f "$dir/apache2.pid" ] && break
        sleep 0.1
    done
    [ -f "$dir/apache2.pid" ] || { echo "start.sh: Apache did not start; see $dir/apache-error.log" >&2; exit 1; }
fi

export PRESERVE_WP_DIR="$dir" PRESERVE_WP_URL="$url"
if [ "$fresh" = 1 ] || [ ! -f "$dir/manifest.json" ]; then
    php "$here/install.php" >"$dir/install.log"
    php "$here/populate.php" >"$dir/manifest.json.tmp"
    mv "$dir/manifest.json.tmp" "$dir/manifest.json"
    chmod -R a+rX "$dir/wp-content"
fi
echo "$url"
