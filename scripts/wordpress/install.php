<?php
/*
 * Installs WordPress into the instance's empty database with wp_install(), as the web
 * installer would (Debian ships no wp-cli). Run by start.sh.
 */
define('WP_INSTALLING', true);
require __DIR__ . '/bootstrap.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if (is_blog_installed()) {
    echo "already installed\n";
    exit(0);
}
$result = wp_install('Highlands and Islands in Europe', 'admin', 'admin@example.org', true, '', 'preserve-test-admin');
echo "installed, admin user " . $result['user_id'] . "\n";
