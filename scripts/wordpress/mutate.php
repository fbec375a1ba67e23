<?php
/*
 * Changes the populated site as a recrawl test expects: edits the body of 3 posts, retitles 1,
 * trashes 2 (their URLs then answer 404) and publishes 2 new posts. Prints what it did as JSON
 * (and keeps it in RUN_DIR/mutations.json); a second run changes nothing and prints the same.
 */
require __DIR__ . '/bootstrap.php';

$dir = getenv('PRESERVE_WP_DIR');
$done = $dir . '/mutations.json';
if (is_file($done)) {
    echo file_get_contents($done);
    exit(0);
}
$manifest = json_decode(file_get_contents($dir . '/manifest.json'), true);
$posts = $manifest['posts'];

$edited = array();
foreach (array(10, 25, 40) as $i) {
    $post = get_post($posts[$i]['id']);
    $content = $post->post_content . "\n\n<!-- wp:paragraph -->\n<p>Update: the office has since received a written answer, published in full below, and will report back after the next committee meeting.</p>\n<!-- /wp:paragraph -->";
    $content = str_replace('as it stood on', 'as it was first reported on', $content);
    wp_update_post(array('ID' => $post->ID, 'post_content' => $content));
    $edited[] = array('url' => $posts[$i]['url'], 'title' => $posts[$i]['title']);
}

$retitled = array();
foreach (array(33) as $i) {
    $title = $posts[$i]['title'] . ' (corrected)';
    wp_update_post(array('ID' => $posts[$i]['id'], 'post_title' => $title));
    $retitled[] = array('url' => $posts[$i]['url'], 'old_title' => $posts[$i]['title'], 'title' => $title);
}

// Posts without comments, so the Latest Comments widget on every page stays the same.
$trashed = array();
foreach (array(18, 46) as $i) {
    wp_trash_post($posts[$i]['id']);
    $trashed[] = array('url' => $posts[$i]['url'], 'title' => $posts[$i]['title']);
}

$authors = array();
foreach (get_users(array('role' => 'author')) as $user) {
    $authors[$user->display_name] = $user->ID;
}
$new = array();
$specs = array(
    array('Ferry timetable: the winter changes', 'Ailsa Morrison', '2024-12-02 10:00:00', array('Transport'), array('Ferries', 'Orkney')),
    array('Fisheries quotas: the December council', 'Eilidh MacLeod', '2024-12-03 11:30:00', array('Fisheries'), array('Shetland')),
);
foreach ($specs as $spec) {
    list($title, $author, $date, $cats, $tags) = $spec;
    $id = wp_insert_post(array(
        'post_title' => $title,
        'post_content' => "<!-- wp:paragraph -->\n<p>" . $title . ': a new post published after the first crawl.</p>' . "\n<!-- /wp:paragraph -->\n\n<!-- wp:paragraph -->\n<p>The office will publish the details as soon as they are confirmed by the operators and the Commission.</p>\n<!-- /wp:paragraph -->",
        'post_status' => 'publish',
        'post_author' => $authors[$author],
        'post_date' => $date,
        'post_date_gmt' => $date,
        'post_category' => array_map(function ($c) { return get_cat_ID($c); }, $cats),
        'tags_input' => $tags,
    ), true);
    if (is_wp_error($id)) {
        fwrite(STDERR, $id->get_error_message() . "\n");
        exit(1);
    }
    $new[] = array('url' => get_permalink($id), 'title' => $title, 'day' => substr($date, 0, 10),
        'author' => $author, 'categories' => $cats, 'tags' => $tags);
}

$out = json_encode(array('edited' => $edited, 'retitled' => $retitled, 'trashed' => $trashed, 'new' => $new),
    JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
file_put_contents($done . '.tmp', $out);
rename($done . '.tmp', $done);
echo $out;
