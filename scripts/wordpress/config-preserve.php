<?php
/*
 * Installed as /etc/wordpress/config-preserve.php by preserve's scripts/wordpress/setup.sh.
 * Debian's wp-config.php loads it when WORDPRESS_CONFIG=preserve; each test instance keeps
 * its real configuration in its own run directory, named by PRESERVE_WP_DIR (set by the
 * instance's Apache configuration, or in the environment of the PHP scripts).
 */
$preserve_wp_dir = isset($_SERVER['PRESERVE_WP_DIR']) ? $_SERVER['PRESERVE_WP_DIR'] : getenv('PRESERVE_WP_DIR');
if (!is_string($preserve_wp_dir) || $preserve_wp_dir === '' || !is_file($preserve_wp_dir . '/wp-config.php')) {
    header('HTTP/1.0 500 Internal Server Error');
    echo "PRESERVE_WP_DIR does not name a run directory made by scripts/wordpress/start.sh\n";
    exit(1);
}
require $preserve_wp_dir . '/wp-config.php';
