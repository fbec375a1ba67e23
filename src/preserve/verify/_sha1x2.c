/* Two SHA-1 digests over the same bytes at once, with the x86 SHA extensions.

   A response record's block digest (HTTP head and payload) and payload digest (the
   payload alone) are two SHA-1 streams over the same bytes, offset by the head's
   length. The SHA instructions are latency-bound, so two independent streams
   interleaved instruction by instruction run at close to the speed of one. Used by
   preserve.verify.sha1pair only when cpuid says the CPU has the SHA extensions
   (available()); anywhere else, hashlib gives the same digests. The compression is
   the usual SHA-NI sequence of four-round groups, written once for two lanes and once
   for one (a lone stream's first and last blocks, and update()).

   It also holds verify's fast path for the usual small record (head() and record(),
   below): the header block parsed and checked, and the block and payload hashed, in
   one call, for records verify.warcheaders and verify.warcscan would find nothing
   wrong with; anything else is left to them. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define HAVE_SHA_NI 0
#endif

typedef struct {
    PyObject_HEAD
    uint32_t h[5];
    uint8_t buf[64];
    Py_ssize_t buflen; /* bytes held in buf, always < 64 */
    uint64_t total;    /* bytes fed */
} Sha1Object;

static const uint32_t H0[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
                               0xC3D2E1F0u};

#if HAVE_SHA_NI

#define TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* A lane's state in registers: ABCD, E0, E1, the four message words, and the saved state. */
#define DECL(L) \
    __m128i ABCD##L, ABCDs##L, E0##L, E0s##L, E1##L, M0##L, M1##L, M2##L, M3##L

#define LOAD(L, st) \
    ABCD##L = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(st)), 0x1B); \
    E0##L = _mm_set_epi32((int)(st)[4], 0, 0, 0)

#define STORE(L, st) \
    _mm_storeu_si128((__m128i *)(st), _mm_shuffle_epi32(ABCD##L, 0x1B)); \
    (st)[4] = (uint32_t)_mm_extract_epi32(E0##L, 3)

#define MSG(L, p) \
    ABCDs##L = ABCD##L; E0s##L = E0##L; \
    M0##L = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 0)), MASK); \
    M1##L = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 16)), MASK); \
    M2##L = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 32)), MASK); \
    M3##L = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 48)), MASK)

/* Rounds 0-11: the message words are not all loaded yet. */
#define FIRST(L) \
    E0##L = _mm_add_epi32(E0##L, M0##L); E1##L = ABCD##L; \
    ABCD##L = _mm_sha1rnds4_epu32(ABCD##L, E0##L, 0); \
    E1##L = _mm_sha1nexte_epu32(E1##L, M1##L); E0##L = ABCD##L; \
    ABCD##L = _mm_sha1rnds4_epu32(ABCD##L, E1##L, 0); \
    M0##L = _mm_sha1msg1_epu32(M0##L, M1##L); \
    E0##L = _mm_sha1nexte_epu32(E0##L, M2##L); E1##L = ABCD##L; \
    ABCD##L = _mm_sha1rnds4_epu32(ABCD##L, E0##L, 0); \
    M1##L = _mm_sha1msg1_epu32(M1##L, M2##L); \
    M0##L = _mm_xor_si128(M0##L, M2##L)

/* Four rounds from group 3 on: Ec takes the message word Mc (group i uses M[i % 4] and
   E[i % 2]); the next word gets msg2, the one three on msg1, the one two on the xor.
   In the last groups some of these results are unused, and the compiler drops them. */
#define G(L, Ec, En, Mc, Mn, Mx, Mp, f) \
    Ec##L = _mm_sha1nexte_epu32(Ec##L, Mc##L); En##L = ABCD##L; \
    Mn##L = _mm_sha1msg2_epu32(Mn##L, Mc##L); \
    ABCD##L = _mm_sha1rnds4_epu32(ABCD##L, Ec##L, f); \
    Mp##L = _mm_sha1msg1_epu32(Mp##L, Mc##L); \
    Mx##L = _mm_xor_si128(Mx##L, Mc##L)

#define REST(L) \
    G(L, E1, E0, M3, M0, M1, M2, 0); G(L, E0, E1, M0, M1, M2, M3, 0); \
    G(L, E1, E0, M1, M2, M3, M0, 1); G(L, E0, E1, M2, M3, M0, M1, 1); \
    G(L, E1, E0, M3, M0, M1, M2, 1); G(L, E0, E1, M0, M1, M2, M3, 1); \
    G(L, E1, E0, M1, M2, M3, M0, 1); G(L, E0, E1, M2, M3, M0, M1, 2); \
    G(L, E1, E0, M3, M0, M1, M2, 2); G(L, E0, E1, M0, M1, M2, M3, 2); \
    G(L, E1, E0, M1, M2, M3, M0, 2); G(L, E0, E1, M2, M3, M0, M1, 2); \
    G(L, E1, E0, M3, M0, M1, M2, 3); G(L, E0, E1, M0, M1, M2, M3, 3); \
    G(L, E1, E0, M1, M2, M3, M0, 3); G(L, E0, E1, M2, M3, M0, M1, 3); \
    G(L, E1, E0, M3, M0, M1, M2, 3); \
    E0##L = _mm_sha1nexte_epu32(E0##L, E0s##L); \
    ABCD##L = _mm_add_epi32(ABCD##L, ABCDs##L)

TARGET static void
compress1(uint32_t *st, const uint8_t *p, size_t blocks)
{
    const __m128i MASK = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    DECL(a);
    LOAD(a, st);
    for (size_t k = 0; k < blocks; k++, p += 64) {
        MSG(a, p);
        FIRST(a);
        REST(a);
    }
    STORE(a, st);
}

/* Two streams, each ``blocks`` blocks long, in the same instruction stream. */
TARGET static void
compress2(uint32_t *sa, const uint8_t *pa, uint32_t *sb, const uint8_t *pb, size_t blocks)
{
    const __m128i MASK = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    DECL(a);
    DECL(b);
    LOAD(a, sa);
    LOAD(b, sb);
    for (size_t k = 0; k < blocks; k++, pa += 64, pb += 64) {
        MSG(a, pa); MSG(b, pb);
        FIRST(a); FIRST(b);
        G(a, E1, E0, M3, M0, M1, M2, 0); G(b, E1, E0, M3, M0, M1, M2, 0);
        G(a, E0, E1, M0, M1, M2, M3, 0); G(b, E0, E1, M0, M1, M2, M3, 0);
        G(a, E1, E0, M1, M2, M3, M0, 1); G(b, E1, E0, M1, M2, M3, M0, 1);
        G(a, E0, E1, M2, M3, M0, M1, 1); G(b, E0, E1, M2, M3, M0, M1, 1);
        G(a, E1, E0, M3, M0, M1, M2, 1); G(b, E1, E0, M3, M0, M1, M2, 1);
        G(a, E0, E1, M0, M1, M2, M3, 1); G(b, E0, E1, M0, M1, M2, M3, 1);
        G(a, E1, E0, M1, M2, M3, M0, 1); G(b, E1, E0, M1, M2, M3, M0, 1);
        G(a, E0, E1, M2, M3, M0, M1, 2); G(b, E0, E1, M2, M3, M0, M1, 2);
        G(a, E1, E0, M3, M0, M1, M2, 2); G(b, E1, E0, M3, M0, M1, M2, 2);
        G(a, E0, E1, M0, M1, M2, M3, 2); G(b, E0, E1, M0, M1, M2, M3, 2);
        G(a, E1, E0, M1, M2, M3, M0, 2); G(b, E1, E0, M1, M2, M3, M0, 2);
        G(a, E0, E1, M2, M3, M0, M1, 2); G(b, E0, E1, M2, M3, M0, M1, 2);
        G(a, E1, E0, M3, M0, M1, M2, 3); G(b, E1, E0, M3, M0, M1, M2, 3);
        G(a, E0, E1, M0, M1, M2, M3, 3); G(b, E0, E1, M0, M1, M2, M3, 3);
        G(a, E1, E0, M1, M2, M3, M0, 3); G(b, E1, E0, M1, M2, M3, M0, 3);
        G(a, E0, E1, M2, M3, M0, M1, 3); G(b, E0, E1, M2, M3, M0, M1, 3);
        G(a, E1, E0, M3, M0, M1, M2, 3); G(b, E1, E0, M3, M0, M1, M2, 3);
        E0a = _mm_sha1nexte_epu32(E0a, E0sa); ABCDa = _mm_add_epi32(ABCDa, ABCDsa);
        E0b = _mm_sha1nexte_epu32(E0b, E0sb); ABCDb = _mm_add_epi32(ABCDb, ABCDsb);
    }
    STORE(a, sa);
    STORE(b, sb);
}

static int
cpu_has_sha(void)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (!(c & (1u << 9)) || !(c & (1u << 19)))  /* SSSE3, SSE4.1 */
        return 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 29)) != 0;  /* SHA */
}

#else

static void compress1(uint32_t *st, const uint8_t *p, size_t blocks) {}
static void compress2(uint32_t *sa, const uint8_t *pa, uint32_t *sb, const uint8_t *pb,
                      size_t blocks) {}
static int cpu_has_sha(void) { return 0; }

#endif

static int have_sha = 0;

/* Fill the partial block held in ``s`` from ``p``; the bytes of ``p`` taken. */
static Py_ssize_t
top_up(Sha1Object *s, const uint8_t *p, Py_ssize_t n)
{
    if (s->buflen == 0)
        return 0;
    Py_ssize_t take = 64 - s->buflen < n ? 64 - s->buflen : n;
    memcpy(s->buf + s->buflen, p, (size_t)take);
    s->buflen += take;
    if (s->buflen == 64) {
        compress1(s->h, s->buf, 1);
        s->buflen = 0;
    }
    return take;
}

/* After top_up: the whole blocks of ``p`` from ``at`` are done, the rest is held. */
static void
hold(Sha1Object *s, const uint8_t *p, Py_ssize_t n, Py_ssize_t at)
{
    Py_ssize_t rest = (n - at) % 64;
    memcpy(s->buf + s->buflen, p + n - rest, (size_t)rest);
    s->buflen += rest;
    s->total += (uint64_t)n;
}

static void
feed(Sha1Object *s, const uint8_t *p, Py_ssize_t n)
{
    Py_ssize_t at = top_up(s, p, n);
    if (s->buflen != 0) {  /* all of it went into the held block */
        s->total += (uint64_t)n;
        return;
    }
    compress1(s->h, p + at, (size_t)((n - at) / 64));
    hold(s, p, n, at);
}

static void
feed2(Sha1Object *a, Sha1Object *b, const uint8_t *p, Py_ssize_t n)
{
    Py_ssize_t ia = top_up(a, p, n);
    Py_ssize_t ib = top_up(b, p, n);
    if (a->buflen != 0 || b->buflen != 0) {  /* too few bytes to fill a held block */
        if (a->buflen == 0) feed(a, p + ia, n - ia), a->total += (uint64_t)ia;
        else a->total += (uint64_t)n;
        if (b->buflen == 0) feed(b, p + ib, n - ib), b->total += (uint64_t)ib;
        else b->total += (uint64_t)n;
        return;
    }
    size_t na = (size_t)((n - ia) / 64), nb = (size_t)((n - ib) / 64);
    size_t both = na < nb ? na : nb;
    compress2(a->h, p + ia, b->h, p + ib, both);
    compress1(a->h, p + ia + 64 * both, na - both);
    compress1(b->h, p + ib + 64 * both, nb - both);
    hold(a, p, n, ia);
    hold(b, p, n, ib);
}

static PyTypeObject Sha1Type;

static PyObject *
sha1_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (!have_sha) {
        PyErr_SetString(PyExc_RuntimeError, "this CPU has no SHA extensions");
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) != 0 || (kwds != NULL && PyDict_GET_SIZE(kwds) != 0)) {
        PyErr_SetString(PyExc_TypeError, "Sha1() takes no arguments");
        return NULL;
    }
    Sha1Object *s = (Sha1Object *)type->tp_alloc(type, 0);
    if (s == NULL)
        return NULL;
    memcpy(s->h, H0, sizeof H0);
    s->buflen = 0;
    s->total = 0;
    return (PyObject *)s;
}

static PyObject *
sha1_update(Sha1Object *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    feed(self, (const uint8_t *)view.buf, view.len);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static void
finish(const Sha1Object *self, uint8_t out[20])
{
    uint32_t h[5];
    uint8_t last[128];
    memcpy(h, self->h, sizeof h);
    memset(last, 0, sizeof last);
    memcpy(last, self->buf, (size_t)self->buflen);
    last[self->buflen] = 0x80;
    size_t blocks = self->buflen + 9 <= 64 ? 1 : 2;
    uint64_t bits = self->total * 8;
    for (int i = 0; i < 8; i++)
        last[blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress1(h, last, blocks);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

static PyObject *
sha1_digest(Sha1Object *self, PyObject *Py_UNUSED(ignored))
{
    uint8_t out[20];
    finish(self, out);
    return PyBytes_FromStringAndSize((const char *)out, 20);
}

static PyMethodDef sha1_methods[] = {
    {"update", (PyCFunction)sha1_update, METH_O, "Feed bytes (any buffer)."},
    {"digest", (PyCFunction)sha1_digest, METH_NOARGS, "The digest of the bytes fed so far."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject Sha1Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "preserve.verify._sha1x2.Sha1",
    .tp_basicsize = sizeof(Sha1Object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "SHA-1 with the x86 SHA extensions (only where available() is true).",
    .tp_new = sha1_new,
    .tp_methods = sha1_methods,
};

static PyObject *
update2(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "update2(a, b, data) takes three arguments");
        return NULL;
    }
    if (!PyObject_TypeCheck(args[0], &Sha1Type) || !PyObject_TypeCheck(args[1], &Sha1Type)) {
        PyErr_SetString(PyExc_TypeError, "update2: a and b must be Sha1 objects");
        return NULL;
    }
    Sha1Object *a = (Sha1Object *)args[0], *b = (Sha1Object *)args[1];
    Py_buffer view;
    if (PyObject_GetBuffer(args[2], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (a == b) {  /* one object fed twice, as two update() calls would */
        feed(a, (const uint8_t *)view.buf, view.len);
        feed(a, (const uint8_t *)view.buf, view.len);
    } else {
        feed2(a, b, (const uint8_t *)view.buf, view.len);
    }
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static PyObject *
available(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(have_sha);
}

/* ---- The usual WARC record, parsed and checked whole ------------------------------

   head(raw) and record(data, pos) are verify.warcheaders' and verify.warcscan's fast
   paths, in C: they accept only the usual record (ASCII printable header values,
   CRLF lines, a plain version line, no name twice, every field good and allowed in
   the record's type, SHA-1 digests in base32 that match, the whole record in the
   bytes given) and return None for anything else, which the Python code then reads
   with every check. So they never report a problem: a record they accept is one the
   Python code finds nothing wrong with (tests/test_fastrecord.py compares the two). */

enum { R_EXT, R_ANY, R_BRACKETED, R_URI, R_DIGITS, R_IP, R_MEDIA, R_TOKEN, R_DATE,
       R_NONEMPTY };
enum { T_WARCINFO, T_RESPONSE, T_RESOURCE, T_REQUEST, T_METADATA, T_REVISIT,
       T_CONVERSION, T_CONTINUATION, T_COUNT };
static const char *const TYPES[T_COUNT] = {"warcinfo", "response", "resource", "request",
                                           "metadata", "revisit", "conversion",
                                           "continuation"};
#define TBIT(t) (1u << (t))
#define ALL_TYPES (TBIT(T_COUNT) - 1u)

/* The defined fields of WARC 1.1 section 5: the test of the value, and the record
   types the field shall not be used in (warcheaders._RULES). */
enum { F_TYPE, F_RECORD_ID, F_DATE, F_CONTENT_LENGTH, F_CONTENT_TYPE, F_CONCURRENT_TO,
       F_BLOCK_DIGEST, F_PAYLOAD_DIGEST, F_IP_ADDRESS, F_REFERS_TO, F_REFERS_TO_URI,
       F_REFERS_TO_DATE, F_TARGET_URI, F_TRUNCATED, F_WARCINFO_ID, F_FILENAME, F_PROFILE,
       F_IDENTIFIED_TYPE, F_SEGMENT_NUMBER, F_SEGMENT_ORIGIN, F_SEGMENT_TOTAL, F_COUNT };
static const struct { const char *key; int rule; unsigned not_in; } FIELDS[F_COUNT] = {
    {"warc-type", R_TOKEN, 0},
    {"warc-record-id", R_BRACKETED, 0},
    {"warc-date", R_DATE, 0},
    {"content-length", R_DIGITS, 0},
    {"content-type", R_MEDIA, 0},
    {"warc-concurrent-to", R_BRACKETED,
     TBIT(T_WARCINFO) | TBIT(T_CONVERSION) | TBIT(T_CONTINUATION)},
    {"warc-block-digest", R_ANY, 0},
    {"warc-payload-digest", R_ANY, 0},
    {"warc-ip-address", R_IP, TBIT(T_WARCINFO) | TBIT(T_CONVERSION) | TBIT(T_CONTINUATION)},
    {"warc-refers-to", R_BRACKETED, TBIT(T_WARCINFO) | TBIT(T_RESPONSE) | TBIT(T_RESOURCE)
     | TBIT(T_REQUEST) | TBIT(T_CONTINUATION)},
    {"warc-refers-to-target-uri", R_URI, 0},
    {"warc-refers-to-date", R_DATE, 0},
    {"warc-target-uri", R_URI, TBIT(T_WARCINFO)},
    {"warc-truncated", R_TOKEN, 0},
    {"warc-warcinfo-id", R_BRACKETED, TBIT(T_WARCINFO)},
    {"warc-filename", R_NONEMPTY, ALL_TYPES & ~TBIT(T_WARCINFO)},
    {"warc-profile", R_URI, 0},
    {"warc-identified-payload-type", R_MEDIA, 0},
    {"warc-segment-number", R_DIGITS, 0},
    {"warc-segment-origin-id", R_BRACKETED, ALL_TYPES & ~TBIT(T_CONTINUATION)},
    {"warc-segment-total-length", R_DIGITS, 0},
};

/* The token characters of RFC 9110 (warcheaders._TOKEN), filled at import. */
static unsigned char TCHAR[256];

static void
fill_tchar(void)
{
    for (int c = 0; c < 256; c++)
        TCHAR[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
is_tchar(unsigned char c)
{
    return TCHAR[c];
}

/* An ASCII str of the n bytes at p (each below 0x80), without the UTF-8 decoder. */
static PyObject *
ascii_str(const unsigned char *p, Py_ssize_t n)
{
    PyObject *s = PyUnicode_New(n, 127);
    if (s != NULL)
        memcpy(PyUnicode_1BYTE_DATA(s), p, (size_t)n);
    return s;
}

static int
is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int
is_scheme(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '+' || c == '.' || c == '-';
}

/* The values reaching the tests hold only the bytes 0x20-0x7E, so \s is a space. */

/* [A-Za-z][A-Za-z0-9+.-]*: at v; the index after the colon, or -1. */
static Py_ssize_t
scheme_end(const unsigned char *v, Py_ssize_t n)
{
    if (n < 1 || !is_alpha(v[0]))
        return -1;
    Py_ssize_t i = 1;
    while (i < n && is_scheme(v[i]))
        i++;
    return i < n && v[i] == ':' ? i + 1 : -1;
}

/* no space, < or > */
static int
uri_rest(const unsigned char *v, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (v[i] == ' ' || v[i] == '<' || v[i] == '>')
            return 0;
    return 1;
}

static int
test_value(int rule, const unsigned char *v, Py_ssize_t n)
{
    Py_ssize_t i, k;
    switch (rule) {
    case R_EXT:
    case R_ANY:
        return 1;
    case R_NONEMPTY:
        return n > 0;
    case R_BRACKETED:  /* <[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]+> */
        if (n < 2 || v[0] != '<' || v[n - 1] != '>')
            return 0;
        k = scheme_end(v + 1, n - 2);
        return k >= 0 && 1 + k < n - 1 && uri_rest(v + 1 + k, n - 2 - k);
    case R_URI:  /* <?[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*>? */
        i = n > 0 && v[0] == '<' ? 1 : 0;
        if (n > i && v[n - 1] == '>')
            n--;
        k = scheme_end(v + i, n - i);
        return k >= 0 && uri_rest(v + i + k, n - i - k);
    case R_DIGITS:
        if (n == 0)
            return 0;
        for (i = 0; i < n; i++)
            if (!is_digit(v[i]))
                return 0;
        return 1;
    case R_TOKEN:
        if (n == 0)
            return 0;
        for (i = 0; i < n; i++)
            if (!is_tchar(v[i]))
                return 0;
        return 1;
    case R_MEDIA:  /* token/token\s*(;.*)? */
        i = 0;
        while (i < n && is_tchar(v[i]))
            i++;
        if (i == 0 || i == n || v[i] != '/')
            return 0;
        k = ++i;
        while (i < n && is_tchar(v[i]))
            i++;
        if (i == k)
            return 0;
        while (i < n && v[i] == ' ')
            i++;
        return i == n || v[i] == ';';
    case R_IP:  /* four decimal octets 0-255, no leading zero */
        i = 0;
        for (int octet = 0; octet < 4; octet++) {
            if (octet > 0) {
                if (i >= n || v[i] != '.')
                    return 0;
                i++;
            }
            k = i;
            int value = 0;
            while (i < n && is_digit(v[i]) && i - k < 3)
                value = value * 10 + (v[i++] - '0');
            if (i == k || (i - k > 1 && v[k] == '0') || value > 255)
                return 0;
        }
        return i == n;
    case R_DATE: {  /* \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z */
        static const char form[] = "dddd-dd-ddTdd:dd:dd";
        if (n < 20)
            return 0;
        for (i = 0; i < 19; i++)
            if (form[i] == 'd' ? !is_digit(v[i]) : v[i] != (unsigned char)form[i])
                return 0;
        if (v[n - 1] != 'Z')
            return 0;
        if (n == 20)
            return 1;
        if (v[19] != '.' || n - 21 < 1 || n - 21 > 9)
            return 0;
        for (i = 20; i < n - 1; i++)
            if (!is_digit(v[i]))
                return 0;
        return 1;
    }
    }
    return 0;
}

/* Field names seen: the name as written, its str, its key in lower case, its field. */
#define NAMES_MAX 256
#define NAME_LEN_MAX 64  /* a longer name is not remembered: a hostile file's megabyte
                            names would be kept (three times) as long as the process */
static struct { char *bytes; Py_ssize_t len; PyObject *name; PyObject *key; int field; }
    names[NAMES_MAX];
static int names_n = 0;

static int
name_index(const char *p, Py_ssize_t n)
{
    for (int i = 0; i < names_n; i++)
        if (names[i].len == n && memcmp(names[i].bytes, p, (size_t)n) == 0)
            return i;
    if (names_n == NAMES_MAX || n > NAME_LEN_MAX)
        return -2;  /* not remembered: the caller reads the record the general way */
    char *copy = PyMem_Malloc((size_t)n + 1);
    if (copy == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(copy, p, (size_t)n);
    for (Py_ssize_t i = 0; i < n; i++)
        copy[i] = (char)(copy[i] >= 'A' && copy[i] <= 'Z' ? copy[i] + 32 : copy[i]);
    PyObject *key = PyUnicode_FromStringAndSize(copy, n);
    memcpy(copy, p, (size_t)n);
    copy[n] = 0;
    PyObject *name = PyUnicode_FromStringAndSize(p, n);
    if (key == NULL || name == NULL) {
        Py_XDECREF(key);
        Py_XDECREF(name);
        PyMem_Free(copy);
        return -1;
    }
    int field = -1;
    for (int f = 0; f < F_COUNT; f++)
        if (PyUnicode_CompareWithASCIIString(key, FIELDS[f].key) == 0)
            field = f;
    names[names_n].bytes = copy;
    names[names_n].len = n;
    names[names_n].name = name;
    names[names_n].key = key;
    names[names_n].field = field;
    return names_n++;
}

static PyObject *VERSIONS[4];  /* "WARC/0.17", "WARC/0.18", "WARC/1.0", "WARC/1.1" */

typedef struct {
    PyObject *version;  /* borrowed */
    PyObject *headers, *keys, *fields, *type, *uri;
    int type_index;
    const unsigned char *value[F_COUNT];  /* each defined field's value, if present */
    Py_ssize_t value_len[F_COUNT];
} Head;

static void
head_clear(Head *h)
{
    Py_CLEAR(h->headers);
    Py_CLEAR(h->keys);
    Py_CLEAR(h->fields);
    Py_CLEAR(h->type);
    Py_CLEAR(h->uri);
}

/* Parse and check the header block p[0:n] (without its CRLF CRLF): 1 if it is the usual
   block (h filled), 0 if not (h empty), -1 with an exception set. */
static int
parse_block(const unsigned char *p, Py_ssize_t n, Head *h)
{
    memset(h, 0, sizeof *h);
    Py_ssize_t i = 0;
    while (i < n && p[i] != '\r')
        i++;
    static const char *const forms[4] = {"WARC/0.17", "WARC/0.18", "WARC/1.0", "WARC/1.1"};
    for (int v = 0; v < 4; v++)
        if ((size_t)i == strlen(forms[v]) && memcmp(p, forms[v], (size_t)i) == 0)
            h->version = VERSIONS[v];
    if (h->version == NULL || i == n || i + 1 == n || p[i + 1] != '\n')
        return 0;
    i += 2;
    h->headers = PyList_New(0);
    h->keys = PyList_New(0);
    h->fields = PyDict_New();
    if (h->headers == NULL || h->keys == NULL || h->fields == NULL)
        goto error;
    uint32_t present = 0;
    Py_ssize_t count = 0;
    for (;;) {  /* one field line from i */
        Py_ssize_t start = i;
        while (i < n && is_tchar(p[i]))
            i++;
        if (i == start || i == n || p[i] != ':')
            goto usual_not;
        int at = name_index((const char *)p + start, i - start);
        if (at == -1)
            goto error;
        if (at == -2)
            goto usual_not;
        i++;
        Py_ssize_t vs = i;
        while (i < n && p[i] >= 0x20 && p[i] <= 0x7e)
            i++;
        Py_ssize_t ve = i;
        if (i < n) {  /* the line must end in CRLF, with a line after it */
            if (p[i] != '\r' || i + 2 >= n || p[i + 1] != '\n')
                goto usual_not;
            i += 2;
        }
        while (vs < ve && p[vs] == ' ')
            vs++;
        while (ve > vs && p[ve - 1] == ' ')
            ve--;
        int field = names[at].field;
        if (!test_value(field < 0 ? R_EXT : FIELDS[field].rule, p + vs, ve - vs))
            goto usual_not;
        if (field >= 0) {
            if (present & (1u << field))
                goto usual_not;  /* named twice */
            present |= 1u << field;
            h->value[field] = p + vs;
            h->value_len[field] = ve - vs;
        }
        PyObject *value = ascii_str(p + vs, ve - vs);
        if (value == NULL)
            goto error;
        PyObject *pair = PyTuple_New(2);
        if (pair != NULL) {
            Py_INCREF(names[at].name);
            PyTuple_SET_ITEM(pair, 0, names[at].name);
            Py_INCREF(value);
            PyTuple_SET_ITEM(pair, 1, value);
        }
        int bad = pair == NULL || PyList_Append(h->headers, pair) < 0
            || PyList_Append(h->keys, names[at].key) < 0
            || PyDict_SetItem(h->fields, names[at].key, value) < 0;
        Py_XDECREF(pair);
        if (field == F_TYPE && !bad) {
            h->type = value;
            Py_INCREF(value);
        }
        Py_DECREF(value);
        if (bad)
            goto error;
        count++;
        if (i == n)
            break;
    }
    if (PyDict_GET_SIZE(h->fields) != count)
        goto usual_not;  /* a name twice, in two cases */
    const uint32_t mandatory = (1u << F_RECORD_ID) | (1u << F_CONTENT_LENGTH)
        | (1u << F_DATE) | (1u << F_TYPE);
    if ((present & mandatory) != mandatory)
        goto usual_not;
    h->type_index = -1;
    for (int t = 0; t < T_COUNT; t++)
        if ((size_t)h->value_len[F_TYPE] == strlen(TYPES[t])
                && memcmp(h->value[F_TYPE], TYPES[t], (size_t)h->value_len[F_TYPE]) == 0)
            h->type_index = t;
    int t = h->type_index;
    if (t < 0 || t == T_WARCINFO || t == T_CONTINUATION)
        goto usual_not;  /* unknown or upper case; or warnings to look for */
    if ((present & (1u << F_SEGMENT_NUMBER)) || !(present & (1u << F_CONTENT_TYPE)))
        goto usual_not;
    for (int f = 0; f < F_COUNT; f++)
        if ((present & (1u << f)) && (FIELDS[f].not_in & TBIT(t)))
            goto usual_not;
    if (t != T_METADATA && !(present & (1u << F_TARGET_URI)))
        goto usual_not;
    if (t == T_REVISIT && !(present & (1u << F_PROFILE)))
        goto usual_not;
    if (present & (1u << F_TARGET_URI)) {
        const unsigned char *u = h->value[F_TARGET_URI];
        Py_ssize_t un = h->value_len[F_TARGET_URI];
        if (un >= 1 && u[0] == '<' && u[un - 1] == '>') {  /* un >= 2: _URI's test */
            h->value[F_TARGET_URI] = u + 1;
            h->value_len[F_TARGET_URI] = un - 2;
            h->uri = ascii_str(u + 1, un - 2);
        } else {  /* (not PyDict_GetItemString: it hides a MemoryError) */
            h->uri = ascii_str(u, un);
        }
    } else {
        h->uri = PyUnicode_FromStringAndSize("", 0);
    }
    if (h->uri == NULL)
        goto error;
    return 1;
usual_not:
    head_clear(h);
    return 0;
error:
    head_clear(h);
    return -1;
}

/* A tuple of ``6 + extra`` items, the head's six from ``at`` on (h is emptied). */
static PyObject *
head_tuple(Head *h, Py_ssize_t extra, Py_ssize_t at)
{
    PyObject *t = PyTuple_New(6 + extra);
    if (t == NULL) {
        head_clear(h);
        return NULL;
    }
    Py_INCREF(h->version);
    PyTuple_SET_ITEM(t, at, h->version);
    PyTuple_SET_ITEM(t, at + 1, h->headers);
    PyTuple_SET_ITEM(t, at + 2, h->keys);
    PyTuple_SET_ITEM(t, at + 3, h->fields);
    PyTuple_SET_ITEM(t, at + 4, h->type);
    PyTuple_SET_ITEM(t, at + 5, h->uri);
    memset(h, 0, sizeof *h);
    return t;
}

static PyObject *
fast_head(PyObject *module, PyObject *arg)
{
    /* bytes only: they cannot change while the block is read (a bytearray could, from a
       finalizer run by an allocation); anything else is left to the Python parse. */
    if (!PyBytes_CheckExact(arg))
        Py_RETURN_NONE;
    Head h;
    int got = parse_block((const unsigned char *)PyBytes_AS_STRING(arg),
                          PyBytes_GET_SIZE(arg), &h);
    if (got < 0)
        return NULL;
    if (got == 0)
        Py_RETURN_NONE;
    return head_tuple(&h, 0, 0);
}

/* sha1: and 32 base32 digits (upper case), decoded to ``out``; 0 if not in this form. */
static int
sha1_base32(const unsigned char *v, Py_ssize_t n, uint8_t out[20])
{
    if (n != 37 || memcmp(v, "sha1:", 5) != 0)
        return 0;
    uint64_t acc = 0;
    int bits = 0, k = 0;
    for (Py_ssize_t i = 5; i < n; i++) {
        unsigned c = v[i], d;
        if (c >= 'A' && c <= 'Z')
            d = c - 'A';
        else if (c >= '2' && c <= '7')
            d = c - '2' + 26;
        else
            return 0;
        acc = (acc << 5) | d;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (uint8_t)(acc >> bits);
        }
    }
    return k == 20;
}

static void
sha1_init(Sha1Object *s)
{
    memcpy(s->h, H0, sizeof H0);
    s->buflen = 0;
    s->total = 0;
}

/* The first line of ``b`` made of [ \t\r\v\f] only and ending in LF (httphead's
   _BLANK_LINE): 1 with its start and end, or 0. */
static int
blank_line(const unsigned char *b, Py_ssize_t n, Py_ssize_t *start, Py_ssize_t *end)
{
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t j = i;
        while (j < n && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\v'
                         || b[j] == '\f'))
            j++;
        if (j < n && b[j] == '\n') {
            *start = i;
            *end = j + 1;
            return 1;
        }
        const unsigned char *nl = memchr(b + j, '\n', (size_t)(n - j));
        if (nl == NULL)
            return 0;
        i = nl - b + 1;
    }
    return 0;
}

#define HTTP_STEP 65536  /* httphead.HTTP_STEP: the head is found in the first step */

/* record(data, pos): the usual record starting at data[pos], all of it in data, with
   its digests matching: (end, version, headers, keys, fields, type, uri, length,
   http_head or None, payload_start, payload SHA-1 or None), else None. ``end`` is past
   the CRLF CRLF that closes it; the payload SHA-1 is given when the record has no
   WARC-Payload-Digest and is not a revisit. */
static PyObject *
fast_record(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "record(data, pos) takes two arguments");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred())
        return NULL;
    if (!have_sha)
        Py_RETURN_NONE;
    /* bytes only, as head(): they cannot change during the call. */
    if (!PyBytes_CheckExact(args[0]))
        Py_RETURN_NONE;
    const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t n = PyBytes_GET_SIZE(args[0]), hend = -1;
    PyObject *result = NULL;
    Head h;
    memset(&h, 0, sizeof h);
    if (pos < 0 || pos > n)
        goto none;
    for (Py_ssize_t i = pos; i + 3 < n; i++) {
        const unsigned char *cr = memchr(d + i, '\r', (size_t)(n - 3 - i));
        if (cr == NULL)
            break;
        i = cr - d;
        if (d[i + 1] == '\n' && d[i + 2] == '\r' && d[i + 3] == '\n') {
            hend = i;
            break;
        }
    }
    if (hend < 0)
        goto none;
    int got = parse_block(d + pos, hend - pos, &h);
    if (got < 0)
        goto done;
    if (got == 0)
        goto none;
    const unsigned char *cl = h.value[F_CONTENT_LENGTH];
    Py_ssize_t cln = h.value_len[F_CONTENT_LENGTH];
    if (cln > 15)
        goto none;
    Py_ssize_t length = 0;
    for (Py_ssize_t i = 0; i < cln; i++) {
        /* Read again: a bytearray may have changed since parse_block checked it (a
           finalizer run by the GC in between), and a negative length reads anywhere. */
        if (!is_digit(cl[i]))
            goto none;
        length = length * 10 + (cl[i] - '0');
    }
    Py_ssize_t bs = hend + 4, be = bs + length;
    if (be + 4 > n || memcmp(d + be, "\r\n\r\n", 4) != 0)
        goto none;
    uint8_t block_want[20], payload_want[20];
    int has_block = h.value[F_BLOCK_DIGEST] != NULL;
    int has_payload = h.value[F_PAYLOAD_DIGEST] != NULL;
    if (has_block && !sha1_base32(h.value[F_BLOCK_DIGEST], h.value_len[F_BLOCK_DIGEST],
                                  block_want))
        goto none;
    if (has_payload && !sha1_base32(h.value[F_PAYLOAD_DIGEST],
                                    h.value_len[F_PAYLOAD_DIGEST], payload_want))
        goto none;
    int t = h.type_index;
    int http = 0;
    if ((t == T_RESPONSE || t == T_REQUEST || t == T_REVISIT) && length > 0
            && h.value[F_TARGET_URI] != NULL) {
        const unsigned char *u = h.value[F_TARGET_URI];
        Py_ssize_t un = h.value_len[F_TARGET_URI];
        char low[6];
        for (Py_ssize_t i = 0; i < 6; i++)
            low[i] = (char)(i < un && u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32
                            : i < un ? u[i] : 0);
        http = (un >= 5 && memcmp(low, "http:", 5) == 0)
            || (un >= 6 && memcmp(low, "https:", 6) == 0);
    }
    Py_ssize_t ps = bs, hs = 0, he = 0;
    if (http) {
        if (!blank_line(d + bs, length < HTTP_STEP ? length : HTTP_STEP, &hs, &he))
            goto none;
        ps = bs + he;
    }
    int revisit = t == T_REVISIT;
    Sha1Object block, payload;
    sha1_init(&block);
    sha1_init(&payload);
    int hash_payload = !revisit;  /* its digest, or the SHA-1 for the sink */
    if (has_block && hash_payload) {
        feed(&block, d + bs, ps - bs);
        feed2(&block, &payload, d + ps, be - ps);
    } else if (has_block) {
        feed(&block, d + bs, be - bs);
    } else if (hash_payload) {
        feed(&payload, d + ps, be - ps);
    }
    uint8_t found[20];
    if (has_block) {
        finish(&block, found);
        if (memcmp(found, block_want, 20) != 0)
            goto none;
    }
    PyObject *sha1 = Py_None;
    Py_INCREF(sha1);
    if (hash_payload) {
        finish(&payload, found);
        if (has_payload) {
            if (memcmp(found, payload_want, 20) != 0) {
                Py_DECREF(sha1);
                goto none;
            }
        } else {
            Py_DECREF(sha1);
            sha1 = PyBytes_FromStringAndSize((const char *)found, 20);
            if (sha1 == NULL)
                goto done;
        }
    }
    PyObject *http_head = Py_None;
    Py_INCREF(http_head);
    if (http) {  /* as HttpHead.head(): the blank line is kept, and is the line too */
        Py_DECREF(http_head);
        http_head = PyBytes_FromStringAndSize(NULL, he + he - hs);
        if (http_head == NULL) {
            Py_DECREF(sha1);
            goto done;
        }
        char *out = PyBytes_AS_STRING(http_head);
        memcpy(out, d + bs, (size_t)he);
        memcpy(out + he, d + bs + hs, (size_t)(he - hs));
    }
    result = head_tuple(&h, 5, 1);
    if (result == NULL) {
        Py_DECREF(sha1);
        Py_DECREF(http_head);
        goto done;
    }
    PyObject *items[3] = {PyLong_FromSsize_t(be + 4), PyLong_FromSsize_t(length),
                          PyLong_FromSsize_t(ps)};
    if (items[0] == NULL || items[1] == NULL || items[2] == NULL) {
        Py_XDECREF(items[0]);
        Py_XDECREF(items[1]);
        Py_XDECREF(items[2]);
        Py_DECREF(sha1);
        Py_DECREF(http_head);
        Py_CLEAR(result);
        goto done;
    }
    PyTuple_SET_ITEM(result, 0, items[0]);
    PyTuple_SET_ITEM(result, 7, items[1]);
    PyTuple_SET_ITEM(result, 8, http_head);
    PyTuple_SET_ITEM(result, 9, items[2]);
    PyTuple_SET_ITEM(result, 10, sha1);
    goto done;
none:
    head_clear(&h);
    result = Py_None;
    Py_INCREF(result);
done:
    head_clear(&h);
    return result;
}

static PyMethodDef module_methods[] = {
    {"update2", (PyCFunction)(void (*)(void))update2, METH_FASTCALL,
     "update2(a, b, data): feed data to both Sha1 objects, interleaved."},
    {"available", available, METH_NOARGS, "Whether this CPU has the SHA extensions."},
    {"head", fast_head, METH_O, "head(raw): the usual WARC header block parsed, or None."},
    {"record", (PyCFunction)(void (*)(void))fast_record, METH_FASTCALL,
     "record(data, pos): the usual WARC record at pos, checked whole, or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_sha1x2",
    "Two SHA-1 streams over the same bytes at once (x86 SHA extensions).", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__sha1x2(void)
{
    have_sha = cpu_has_sha();
    fill_tchar();
    static const char *const forms[4] = {"WARC/0.17", "WARC/0.18", "WARC/1.0", "WARC/1.1"};
    for (int v = 0; v < 4; v++)
        if (VERSIONS[v] == NULL && (VERSIONS[v] = PyUnicode_InternFromString(forms[v])) == NULL)
            return NULL;
    if (PyType_Ready(&Sha1Type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    Py_INCREF(&Sha1Type);
    if (PyModule_AddObject(m, "Sha1", (PyObject *)&Sha1Type) < 0) {
        Py_DECREF(&Sha1Type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
