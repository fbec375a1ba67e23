<?php
/*
 * Fills a freshly installed WordPress with a seeded, deterministic site: 3 authors (two with a
 * biography, so Twenty Twenty-One shows its author-bio box; one without, shown as "By ..."),
 * 60 posts over 2019-2024 with categories, tags, images and approved comments, 5 static pages
 * in the primary menu, pretty permalinks and 8 posts a page. wp_install()'s five default
 * widgets (Latest Comments and Archives among them) in the theme's footer widget area.
 * Prints a JSON manifest of everything it made: the truth the tests compare against.
 */
require __DIR__ . '/bootstrap.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/media.php';

mt_srand(15, MT_RAND_MT19937);

function preserve_pick(array $items) {
    return $items[mt_rand(0, count($items) - 1)];
}

function preserve_paragraph(string $text): string {
    return "<!-- wp:paragraph -->\n<p>" . $text . "</p>\n<!-- /wp:paragraph -->";
}

update_option('blogdescription', 'News from the constituency office');
update_option('posts_per_page', 8);
update_option('show_avatars', 0);
update_option('timezone_string', 'UTC');
update_option('date_format', 'F j, Y');
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%year%/%monthnum%/%day%/%postname%/');

// wp_install()'s sample post, sample page and draft privacy page make way for the site's own.
foreach (get_posts(array('post_type' => array('post', 'page'), 'post_status' => 'any', 'numberposts' => -1)) as $p) {
    wp_delete_post($p->ID, true);
}

$author_specs = array(
    array('eilidh', 'Eilidh', 'MacLeod', 'Eilidh MacLeod is the Member for the Highlands and Islands and sits on the fisheries and regional development committees.'),
    array('tomas', 'Tomás', 'Ó Briain', 'Tomás Ó Briain runs the constituency office in Inverness and writes about transport, energy and the islands.'),
    array('ailsa', 'Ailsa', 'Morrison', ''),
);
$authors = array();
foreach ($author_specs as $spec) {
    list($login, $first, $last, $bio) = $spec;
    $id = wp_insert_user(array(
        'user_login' => $login,
        'user_pass' => 'preserve-test-' . $login,
        'user_email' => $login . '@example.org',
        'first_name' => $first,
        'last_name' => $last,
        'display_name' => $first . ' ' . $last,
        'nickname' => $first,
        'description' => $bio,
        'role' => 'author',
    ));
    if (is_wp_error($id)) {
        fwrite(STDERR, $id->get_error_message() . "\n");
        exit(1);
    }
    $authors[] = array('id' => $id, 'name' => $first . ' ' . $last, 'bio' => $bio !== '');
}

$category_names = array('Fisheries', 'Transport', 'Energy', 'Culture', 'Economy');
$categories = array();
foreach ($category_names as $name) {
    $term = wp_insert_term($name, 'category', array('description' => 'Posts about ' . strtolower($name) . '.'));
    $categories[$name] = $term['term_id'];
}
$tag_names = array('Orkney', 'Shetland', 'Western Isles', 'Ferries', 'Gaelic', 'Hydrogen', 'Brexit', 'Tourism', 'Broadband', 'Crofting');

$topics = array('Fisheries quotas', 'Island ferries', 'Rural broadband', 'Crofting support', 'Tidal energy',
    'Gaelic broadcasting', 'Whisky exports', 'Cohesion funds', 'Hydrogen buses', 'Coastal tourism',
    'Student exchanges', 'Salmon farming');
$phrases = array('a debate in Strasbourg', 'the consultation opens', 'a visit to Stornoway',
    'what the committee decided', 'questions to the Commission');
$sentences = array(
    'The committee heard evidence from fishermen, hauliers and harbour authorities.',
    'Local councils have asked for a clearer timetable before the next funding round.',
    'Constituents wrote in large numbers, and every letter was read.',
    'The proposal now goes to a vote in the plenary session next month.',
    'Small island communities depend on these services more than anyone.',
    'A cross-party group of members signed the joint letter to the Commissioner.',
    'The office will hold a surgery in Kirkwall to hear views in person.',
    'Figures published this week show the gap between mainland and island costs.',
    'Several amendments were tabled to protect the interests of remote regions.',
    'The Commission promised a written answer within six weeks.',
    'Harbour upgrades at Scrabster and Lerwick were mentioned as examples.',
    'Young people from the region spoke about training and apprenticeships.',
    'The report calls for a fairer share of structural funds for peripheral areas.',
    'Farmers and crofters raised the cost of feed and transport.',
    'The minister agreed to meet a delegation from the islands in the spring.',
    'Researchers at the University of the Highlands and Islands contributed data.',
    'A public meeting in Portree drew more than two hundred people.',
    'The regulation would take effect at the start of the next financial year.',
);
$names = array('Morag Campbell', 'Iain Mackenzie', 'Fiona Grant', 'Donald Ross', 'Catriona Fraser', 'Calum Munro');

function preserve_image(int $n, string $when): int {
    $img = imagecreatetruecolor(480, 300);
    $bg = imagecolorallocate($img, 40 + ($n * 37) % 180, 60 + ($n * 53) % 160, 80 + ($n * 71) % 150);
    $fg = imagecolorallocate($img, 255, 255, 255);
    imagefilledrectangle($img, 0, 0, 479, 299, $bg);
    imagestring($img, 5, 20, 140, 'Highlands and Islands picture ' . $n, $fg);
    ob_start();
    imagepng($img);
    $bytes = ob_get_clean();
    $upload = wp_upload_bits('picture-' . $n . '.png', null, $bytes, $when);
    $id = wp_insert_attachment(array(
        'post_mime_type' => 'image/png',
        'post_title' => 'Picture ' . $n,
        'post_status' => 'inherit',
    ), $upload['file']);
    wp_update_attachment_metadata($id, wp_generate_attachment_metadata($id, $upload['file']));
    return $id;
}

$start = new DateTimeImmutable('2019-01-09 09:15:00', new DateTimeZone('UTC'));
$posts = array();
$comment_n = 0;
for ($i = 0; $i < 60; $i++) {
    $when = $start->add(new DateInterval('PT' . (int) round($i * 36.4 * 86400) . 'S'))->setTime(9 + $i % 8, (7 * $i) % 60, 0);
    $title = $topics[$i % 12] . ': ' . $phrases[intdiv($i, 12)];
    $author = $authors[$i % 3];
    $cats = array($category_names[$i % 5]);
    if ($i % 4 === 0) {
        $cats[] = $category_names[($i + 2) % 5];
    }
    $tags = array();
    $n_tags = mt_rand(0, 3);
    while (count($tags) < $n_tags) {
        $t = preserve_pick($tag_names);
        if (!in_array($t, $tags, true)) {
            $tags[] = $t;
        }
    }
    $blocks = array(preserve_paragraph('Post ' . ($i + 1) . ' of the office: ' . strtolower($title) . ', as it stood on ' . $when->format('j F Y') . '.'));
    $n_par = mt_rand(3, 6);
    for ($p = 0; $p < $n_par; $p++) {
        $blocks[] = preserve_paragraph(preserve_pick($sentences) . ' ' . preserve_pick($sentences) . ' ' . preserve_pick($sentences));
        if ($p === 1 && $i % 3 === 1) {
            $blocks[] = "<!-- wp:heading -->\n<h2>What happens next</h2>\n<!-- /wp:heading -->";
        }
        if ($p === 2 && $i % 5 === 2) {
            $blocks[] = "<!-- wp:list -->\n<ul><li>" . preserve_pick($sentences) . '</li><li>' . preserve_pick($sentences) . "</li></ul>\n<!-- /wp:list -->";
        }
    }
    $image_id = 0;
    if ($i % 4 === 3) {
        $image_id = preserve_image($i, $when->format('Y/m'));
        $src = wp_get_attachment_image_url($image_id, 'large');
        array_splice($blocks, 2, 0, array(
            '<!-- wp:image {"id":' . $image_id . ',"sizeSlug":"large"} -->' . "\n"
            . '<figure class="wp-block-image size-large"><img src="' . esc_url($src) . '" alt="Picture ' . $i . '" class="wp-image-' . $image_id . '"/>'
            . '<figcaption>' . esc_html($topics[$i % 12]) . '</figcaption></figure>' . "\n<!-- /wp:image -->"));
    }
    $date = $when->format('Y-m-d H:i:s');
    $id = wp_insert_post(array(
        'post_title' => $title,
        'post_content' => implode("\n\n", $blocks),
        'post_status' => 'publish',
        'post_author' => $author['id'],
        'post_date' => $date,
        'post_date_gmt' => $date,
        'post_category' => array_map(function ($c) use ($categories) { return $categories[$c]; }, $cats),
        'tags_input' => $tags,
    ), true);
    if (is_wp_error($id)) {
        fwrite(STDERR, $id->get_error_message() . "\n");
        exit(1);
    }
    if ($image_id) {
        set_post_thumbnail($id, $image_id);
    }
    $comment_ids = array();
    if ($i % 4 === 1) {
        $n_comments = 1 + $i % 3;
        for ($c = 0; $c < $n_comments; $c++) {
            $cdate = $when->add(new DateInterval('P' . ($c + 1) . 'DT' . (3 * $c + 2) . 'H'))->format('Y-m-d H:i:s');
            $comment_ids[] = wp_insert_comment(array(
                'comment_post_ID' => $id,
                'comment_author' => $names[$comment_n % count($names)],
                'comment_author_email' => 'reader' . $comment_n . '@example.org',
                'comment_content' => preserve_pick($sentences) . ' Thank you for the update.',
                'comment_date' => $cdate,
                'comment_date_gmt' => $cdate,
                'comment_approved' => 1,
                'comment_parent' => ($c === 2 ? $comment_ids[0] : 0),
            ));
            $comment_n++;
        }
    }
    $posts[] = array(
        'id' => $id,
        'index' => $i,
        'title' => $title,
        'published' => $when->format('Y-m-d\TH:i:s+00:00'),
        'day' => $when->format('Y-m-d'),
        'author' => $author['name'],
        'author_has_bio' => $author['bio'],
        'categories' => $cats,
        'tags' => $tags,
        'comment_ids' => $comment_ids,
        'image' => $image_id !== 0,
    );
}

$page_specs = array(
    array('About', 'Eilidh MacLeod has represented the Highlands and Islands since 2019. This page tells you who she is and how the office works.'),
    array('Contact', 'Write to the constituency office in Inverness, or come to one of the surgeries held across the region every month.'),
    array('Priorities', 'Fair funding for remote regions, reliable ferries and broadband, a future for fishing and crofting communities.'),
    array('Surgeries', 'Surgeries are held in Inverness, Kirkwall, Lerwick, Stornoway and Portree. No appointment is needed.'),
    array('Press', 'Journalists can reach the press officer by telephone during office hours. Photographs on this site may be reused with credit.'),
);
$pages = array();
$menu_id = wp_create_nav_menu('Main');
foreach ($page_specs as $n => $spec) {
    $pid = wp_insert_post(array(
        'post_type' => 'page',
        'post_title' => $spec[0],
        'post_content' => preserve_paragraph($spec[1]) . "\n\n" . preserve_paragraph(preserve_pick($sentences) . ' ' . preserve_pick($sentences)),
        'post_status' => 'publish',
        'post_author' => $authors[0]['id'],
        'post_date' => '2019-01-02 10:00:00',
        'post_date_gmt' => '2019-01-02 10:00:00',
        'menu_order' => $n,
    ), true);
    wp_update_nav_menu_item($menu_id, 0, array(
        'menu-item-object-id' => $pid,
        'menu-item-object' => 'page',
        'menu-item-type' => 'post_type',
        'menu-item-status' => 'publish',
        'menu-item-position' => $n + 1,
    ));
    $pages[] = array('id' => $pid, 'title' => $spec[0]);
}
set_theme_mod('nav_menu_locations', array('primary' => $menu_id));

// wp_install() puts its five default widgets in two sidebars; Twenty Twenty-One has one,
// in the footer: all five go there, so the Archives block links the monthly archives.
$sidebars = get_option('sidebars_widgets');
$sidebars['sidebar-1'] = array_merge($sidebars['sidebar-1'], isset($sidebars['sidebar-2']) ? $sidebars['sidebar-2'] : array());
unset($sidebars['sidebar-2']);
update_option('sidebars_widgets', $sidebars);
flush_rewrite_rules(false);

// Permalinks only after the structure is flushed.
foreach ($posts as &$post) {
    $post['url'] = get_permalink($post['id']);
}
unset($post);
foreach ($pages as &$page) {
    $page['url'] = get_permalink($page['id']);
}
unset($page);
$months = array();
foreach ($posts as $post) {
    $months[get_month_link((int) substr($post['day'], 0, 4), (int) substr($post['day'], 5, 2))] = true;
}
echo json_encode(array(
    'site_name' => get_bloginfo('name'),
    'home' => home_url('/'),
    'posts_per_page' => (int) get_option('posts_per_page'),
    'authors' => array_map(function ($a) {
        return array('name' => $a['name'], 'bio' => $a['bio'], 'url' => get_author_posts_url($a['id']));
    }, $authors),
    'categories' => array_map(function ($name) use ($categories) {
        return array('name' => $name, 'url' => get_category_link($categories[$name]));
    }, $category_names),
    'tags' => array_values(array_map(function ($t) {
        return array('name' => $t->name, 'url' => get_tag_link($t->term_id));
    }, get_tags(array('hide_empty' => false)))),
    'months' => array_keys($months),
    'posts' => $posts,
    'pages' => $pages,
), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
