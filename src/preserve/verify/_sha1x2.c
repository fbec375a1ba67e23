/* Two SHA-1 digests over the same bytes at once, with the x86 SHA extensions.

   A response record's block digest (HTTP head and payload) and payload digest (the
   payload alone) are two SHA-1 streams over the same bytes, offset by the head's
   length. The SHA instructions are latency-bound, so two independent streams
   interleaved instruction by instruction run at close to the speed of one. Used by
   preserve.verify.sha1pair only when cpuid says the CPU has the SHA extensions
   (available()); anywhere else, hashlib gives the same digests. The compression is
   the usual SHA-NI sequence of four-round groups, written once for two lanes and once
   for one (a lone stream's first and last blocks, and update()). */

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

static PyObject *
sha1_digest(Sha1Object *self, PyObject *Py_UNUSED(ignored))
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
    uint8_t out[20];
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
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

static PyMethodDef module_methods[] = {
    {"update2", (PyCFunction)(void (*)(void))update2, METH_FASTCALL,
     "update2(a, b, data): feed data to both Sha1 objects, interleaved."},
    {"available", available, METH_NOARGS, "Whether this CPU has the SHA extensions."},
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
