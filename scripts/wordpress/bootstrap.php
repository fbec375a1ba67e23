<?php
/*
 * Loads the WordPress of the instance named by PRESERVE_WP_DIR and PRESERVE_WP_URL (set by
 * start.sh) for a command-line script, as Debian's wp-config.php expects a web request.
 */
$preserve_url = getenv('PRESERVE_WP_URL');
if (!is_string($preserve_url) || getenv('PRESERVE_WP_DIR') === false) {
    fwrite(STDERR, "set PRESERVE_WP_DIR and PRESERVE_WP_URL (start.sh does)\n");
    exit(2);
}
$preserve_parts = parse_url($preserve_url);
$_SERVER['HTTP_HOST'] = $preserve_parts['host'] . (isset($preserve_parts['port']) ? ':' . $preserve_parts['port'] : '');
$_SERVER['SERVER_NAME'] = $preserve_parts['host'];
$_SERVER['SERVER_PORT'] = isset($preserve_parts['port']) ? (string) $preserve_parts['port'] : '80';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['WORDPRESS_CONFIG'] = 'preserve';
$_SERVER['PRESERVE_WP_DIR'] = getenv('PRESERVE_WP_DIR');
// No mail leaves a test site (and Debian's image has no sendmail): wp_mail() is pluggable.
function wp_mail($to, $subject, $message, $headers = '', $attachments = array()) {
    return false;
}
require_once '/usr/share/wordpress/wp-load.php';
