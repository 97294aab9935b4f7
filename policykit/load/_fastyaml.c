/* The common case of policykit's YAML reader, in C, straight from libyaml's events.
 *
 * policykit/load/reader.py builds a document's values from the parser's event stream
 * (_Builder.build). Through PyYAML that costs a Python object per event and per mark,
 * and a trip round the interpreter loop per event: most of the time `policykit
 * validate` takes on a large project. This module builds the same values -- the same
 * YMap and YSeq objects, the same positions array, the same interned keys, the same
 * resolved scalars (through the reader's own resolver and cache) -- for documents that
 * need nothing unusual.
 *
 * It never reports an error itself. Anything the Python builder would refuse or treat
 * specially (a syntax error, a tag, an anchor or alias, a second document, a duplicate
 * key, a key that is not a scalar, nesting deeper than the limit, a root that is not a
 * mapping, an empty file, a scalar the resolver rejects) makes build() return None, and
 * the reader runs the Python builder, which raises the diagnostic. So what a user sees
 * never depends on whether this module was built.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <yaml.h>

/* Raised by the reader when the layout of this module's arguments or result changes. */
#define FASTYAML_ABI 3

typedef struct {
    uint64_t *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} PosBuf;

static int
posbuf_push(PosBuf *b, uint64_t v)
{
    if (b->len == b->cap) {
        Py_ssize_t cap = b->cap ? b->cap * 2 : 16;
        uint64_t *data = PyMem_Realloc(b->data, (size_t)cap * sizeof(uint64_t));
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = data;
        b->cap = cap;
    }
    b->data[b->len++] = v;
    return 0;
}

/* One open collection: what the Python builder keeps in local variables and on its
 * stack. `run` is the collection's own position, then its keys' and values' (or its
 * items') positions; it is appended to the document's positions when it closes. */
typedef struct {
    PyObject *node;  /* a YMap being filled, or NULL for a sequence */
    PyObject *items; /* a list of a sequence's items, or NULL for a mapping */
    PyObject *key;   /* the key waiting for its value */
    PosBuf run;
} Frame;

typedef struct {
    Frame *frames;
    Py_ssize_t depth;
    Py_ssize_t cap;
} Stack;

static void
frame_clear(Frame *f)
{
    Py_CLEAR(f->node);
    Py_CLEAR(f->items);
    Py_CLEAR(f->key);
    PyMem_Free(f->run.data);
    f->run.data = NULL;
    f->run.len = f->run.cap = 0;
}

static PyObject *str_at;   /* "_at" */
static PyObject *str_base; /* "_base" */

/* The outcome of one event: 1 go on, 0 give the document to the Python builder,
 * -1 a Python exception is set (out of memory). */
enum { FALLBACK = 0, GO_ON = 1, FAILED = -1 };

typedef struct {
    const char *narrow; /* the typecode of 4-byte positions, or "" */
    uint64_t max_line;
    uint64_t max_column;
    Py_ssize_t max_depth;
    PyObject *ymap_type;
    PyObject *yseq_type;
    PyObject *scalars; /* the reader's cache of resolved plain scalars, by text */
    Py_ssize_t scalars_max;     /* how many it holds before it is emptied */
    Py_ssize_t scalar_text_max; /* the longest text it keeps */
    PyObject *resolve; /* the reader's resolver for a plain scalar not in the cache */
    PyObject *resolved_starts; /* first characters of every text that can resolve to
                                  something else than itself; NULL: any text can */
    Stack stack;
    PosBuf positions;
    PyObject *made; /* every collection made, with its base, to get `_at` at the end */
    PyObject *root;
    int documents;
} Builder;

/* A position while building: the 0-based line and column as libyaml counts them; packed
 * as the reader packs them once the whole document is read (see finish). */
static uint64_t
position(Builder *b, yaml_mark_t mark)
{
    uint64_t line = mark.line, column = mark.column;
    if (line > b->max_line)
        b->max_line = line;
    if (column > b->max_column)
        b->max_column = column;
    return line << 32 | (column & 0xffffffffu);
}

/* Put a finished value into the open collection (or make it the root). */
static int
place(Builder *b, PyObject *value, uint64_t pos)
{
    if (b->stack.depth == 0) {
        if (b->root != NULL || !PyObject_TypeCheck(value, (PyTypeObject *)b->ymap_type))
            return FALLBACK; /* a second root, or a root that is not a mapping */
        Py_INCREF(value);
        b->root = value;
        return GO_ON;
    }
    Frame *f = &b->stack.frames[b->stack.depth - 1];
    if (f->node != NULL) {
        if (f->key == NULL)
            return FALLBACK; /* a collection as a key */
        int rc = PyDict_SetItem(f->node, f->key, value);
        Py_CLEAR(f->key);
        if (rc < 0)
            return FAILED;
    }
    else if (PyList_Append(f->items, value) < 0) {
        return FAILED;
    }
    return posbuf_push(&f->run, pos) < 0 ? FAILED : GO_ON;
}

/* Whether a plain scalar's text is a string without asking the resolver: YAML 1.1's
 * implicit types (bool, int, float, null, timestamp, merge, value) are each tried only
 * for texts that start with one of their first characters. */
static int
is_plain_text(Builder *b, PyObject *text)
{
    if (b->resolved_starts == NULL || PyUnicode_GET_LENGTH(text) == 0)
        return 0;
    Py_UCS4 first = PyUnicode_READ_CHAR(text, 0);
    return PyUnicode_FindChar(b->resolved_starts, first, 0,
                              PyUnicode_GET_LENGTH(b->resolved_starts), 1) == -1;
}

static int
on_scalar(Builder *b, yaml_event_t *event)
{
    if (event->data.scalar.tag != NULL || event->data.scalar.anchor != NULL)
        return FALLBACK;
    PyObject *text = PyUnicode_DecodeUTF8(
        (const char *)event->data.scalar.value, (Py_ssize_t)event->data.scalar.length,
        "strict");
    if (text == NULL) {
        PyErr_Clear();
        return FALLBACK;
    }
    uint64_t pos = position(b, event->start_mark);
    Frame *f = b->stack.depth ? &b->stack.frames[b->stack.depth - 1] : NULL;
    if (f != NULL && f->node != NULL && f->key == NULL) {
        /* a key is a name: the text as written, whatever it would resolve to */
        PyUnicode_InternInPlace(&text);
        int seen = PyDict_Contains(f->node, text);
        if (seen != 0) {
            Py_DECREF(text);
            return seen < 0 ? FAILED : FALLBACK; /* a duplicate key */
        }
        f->key = text;
        return posbuf_push(&f->run, pos) < 0 ? FAILED : GO_ON;
    }
    PyObject *value;
    if (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        value = text; /* quoted or block: always a string */
    }
    else {
        value = PyDict_GetItemWithError(b->scalars, text);
        if (value != NULL) {
            Py_INCREF(value);
        }
        else if (PyErr_Occurred()) {
            Py_DECREF(text);
            return FAILED;
        }
        else if (is_plain_text(b, text)) {
            /* what resolve() does for a text that resolves to itself (an id, a name,
               most prose): remember it, so later copies share it */
            value = text;
            Py_INCREF(value);
            if (PyUnicode_GET_LENGTH(text) <= b->scalar_text_max) {
                if (PyDict_GET_SIZE(b->scalars) >= b->scalars_max)
                    PyDict_Clear(b->scalars);
                if (PyDict_SetItem(b->scalars, text, text) < 0) {
                    Py_DECREF(value);
                    Py_DECREF(text);
                    return FAILED;
                }
            }
        }
        else {
            value = PyObject_CallOneArg(b->resolve, text);
            if (value == NULL) {
                /* not a valid int, float or date: the Python builder says so */
                PyErr_Clear();
                Py_DECREF(text);
                return FALLBACK;
            }
        }
        Py_DECREF(text);
    }
    int rc = place(b, value, pos);
    Py_DECREF(value);
    return rc;
}

static int
on_start(Builder *b, yaml_event_t *event, int mapping)
{
    const yaml_char_t *tag = mapping ? event->data.mapping_start.tag
                                     : event->data.sequence_start.tag;
    const yaml_char_t *anchor = mapping ? event->data.mapping_start.anchor
                                        : event->data.sequence_start.anchor;
    if (tag != NULL || anchor != NULL || b->stack.depth >= b->max_depth)
        return FALLBACK;
    if (b->stack.depth == b->stack.cap) {
        Py_ssize_t cap = b->stack.cap ? b->stack.cap * 2 : 16;
        Frame *frames = PyMem_Realloc(b->stack.frames, (size_t)cap * sizeof(Frame));
        if (frames == NULL) {
            PyErr_NoMemory();
            return FAILED;
        }
        b->stack.frames = frames;
        b->stack.cap = cap;
    }
    Frame *f = &b->stack.frames[b->stack.depth];
    memset(f, 0, sizeof(Frame));
    b->stack.depth++;
    if (mapping) {
        f->node = PyObject_CallNoArgs(b->ymap_type);
        if (f->node == NULL)
            return FAILED;
    }
    else {
        f->items = PyList_New(0);
        if (f->items == NULL)
            return FAILED;
    }
    return posbuf_push(&f->run, position(b, event->start_mark)) < 0 ? FAILED : GO_ON;
}

static int
on_end(Builder *b)
{
    Frame *f = &b->stack.frames[b->stack.depth - 1];
    PyObject *value;
    if (f->node != NULL) {
        if (f->key != NULL)
            return FALLBACK; /* libyaml never ends a mapping on a key; be safe */
        value = f->node;
        Py_INCREF(value);
    }
    else {
        value = PyObject_CallOneArg(b->yseq_type, f->items);
        if (value == NULL)
            return FAILED;
    }
    Py_ssize_t base = b->positions.len;
    uint64_t pos = f->run.data[0];
    for (Py_ssize_t i = 0; i < f->run.len; i++) {
        if (posbuf_push(&b->positions, f->run.data[i]) < 0) {
            Py_DECREF(value);
            return FAILED;
        }
    }
    PyObject *entry = Py_BuildValue("(On)", value, base);
    if (entry == NULL || PyList_Append(b->made, entry) < 0) {
        Py_XDECREF(entry);
        Py_DECREF(value);
        return FAILED;
    }
    Py_DECREF(entry);
    frame_clear(f);
    b->stack.depth--;
    int rc = place(b, value, pos);
    Py_DECREF(value);
    return rc;
}

static int
on_event(Builder *b, yaml_event_t *event)
{
    switch (event->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(b, event);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, event, 1);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, event, 0);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return on_end(b);
    case YAML_ALIAS_EVENT:
        return FALLBACK;
    case YAML_DOCUMENT_START_EVENT:
        return ++b->documents > 1 ? FALLBACK : GO_ON;
    default:
        return GO_ON;
    }
}

/* The positions as an array.array packed as the reader packs them (1-based line and
 * column, in 4 bytes as line << 12 | column where every position fits, else in 8 as
 * line << 24 | column), and `_at`/`_base` set on every collection, as the Python
 * builder sets them. */
static int
finish(Builder *b, PyObject *array_type)
{
    int narrow = b->narrow[0] != '\0' && b->max_line + 1 < (1u << 20) &&
                 b->max_column + 1 < (1u << 12);
    unsigned bits = narrow ? 12 : 24;
    if (b->max_column + 1 >= (1u << 24) || b->max_line + 1 >= ((uint64_t)1 << 40)) {
        PyErr_SetString(PyExc_ValueError, "a position past what the reader can pack");
        return -1;
    }
    PyObject *at = PyObject_CallFunction(array_type, "s", narrow ? b->narrow : "Q");
    if (at == NULL)
        return -1;
    Py_ssize_t itemsize = 0;
    PyObject *size = PyObject_GetAttrString(at, "itemsize");
    if (size != NULL) {
        itemsize = PyLong_AsSsize_t(size);
        Py_DECREF(size);
    }
    if (itemsize != (narrow ? 4 : 8)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "positions need a 4- or 8-byte typecode");
        Py_DECREF(at);
        return -1;
    }
    PyObject *raw = PyBytes_FromStringAndSize(NULL, b->positions.len * itemsize);
    if (raw == NULL) {
        Py_DECREF(at);
        return -1;
    }
    char *out = PyBytes_AS_STRING(raw);
    for (Py_ssize_t i = 0; i < b->positions.len; i++) {
        uint64_t raw_pos = b->positions.data[i];
        uint64_t v = ((raw_pos >> 32) + 1) << bits | ((raw_pos & 0xffffffffu) + 1);
        if (narrow) {
            uint32_t v32 = (uint32_t)v;
            memcpy(out + 4 * i, &v32, 4);
        }
        else {
            memcpy(out + 8 * i, &v, 8);
        }
    }
    PyObject *done = PyObject_CallMethod(at, "frombytes", "O", raw);
    Py_DECREF(raw);
    if (done == NULL) {
        Py_DECREF(at);
        return -1;
    }
    Py_DECREF(done);
    Py_ssize_t n = PyList_GET_SIZE(b->made);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *entry = PyList_GET_ITEM(b->made, i);
        PyObject *value = PyTuple_GET_ITEM(entry, 0);
        if (PyObject_SetAttr(value, str_at, at) < 0 ||
            PyObject_SetAttr(value, str_base, PyTuple_GET_ITEM(entry, 1)) < 0) {
            Py_DECREF(at);
            return -1;
        }
    }
    Py_DECREF(at);
    return 0;
}

PyDoc_STRVAR(build_doc,
"build(text, narrow, max_depth, ymap, yseq, scalars, scalars_max, scalar_text_max,\n"
"      resolve, resolved_starts, array)\n"
"--\n\n"
"The root YMap of a YAML document, built as policykit.load.reader's Python builder\n"
"builds it; None where that builder must run instead (it reports the error, or\n"
"handles anchors and aliases).");

static PyObject *
build(PyObject *Py_UNUSED(self), PyObject *args)
{
    const char *text;
    Py_ssize_t length;
    Builder b;
    PyObject *array_type;
    memset(&b, 0, sizeof(b));
    PyObject *starts;
    if (!PyArg_ParseTuple(args, "s#snOOO!nnOOO", &text, &length, &b.narrow, &b.max_depth,
                          &b.ymap_type, &b.yseq_type, &PyDict_Type, &b.scalars,
                          &b.scalars_max, &b.scalar_text_max, &b.resolve, &starts,
                          &array_type))
        return NULL;
    if (starts != Py_None) {
        if (!PyUnicode_Check(starts)) {
            PyErr_SetString(PyExc_TypeError, "resolved_starts is a str or None");
            return NULL;
        }
        b.resolved_starts = starts;
    }
    b.made = PyList_New(0);
    if (b.made == NULL)
        return NULL;

    yaml_parser_t parser;
    yaml_event_t event;
    if (!yaml_parser_initialize(&parser)) {
        Py_DECREF(b.made);
        return PyErr_NoMemory();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, (size_t)length);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    int rc = GO_ON;
    for (;;) {
        if (!yaml_parser_parse(&parser, &event)) {
            rc = FALLBACK; /* a syntax error: the Python builder reports it */
            break;
        }
        int end = event.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &event);
        yaml_event_delete(&event);
        if (rc != GO_ON || end)
            break;
    }
    yaml_parser_delete(&parser);

    PyObject *result = NULL;
    if (rc == GO_ON && b.root != NULL && b.stack.depth == 0) {
        if (finish(&b, array_type) == 0) {
            result = b.root;
            b.root = NULL;
        }
    }
    else if (rc != FAILED) {
        result = Py_None;
        Py_INCREF(result);
    }
    for (Py_ssize_t i = 0; i < b.stack.depth; i++)
        frame_clear(&b.stack.frames[i]);
    PyMem_Free(b.stack.frames);
    PyMem_Free(b.positions.data);
    Py_XDECREF(b.root);
    Py_DECREF(b.made);
    return result;
}

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, build_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "policykit.load._fastyaml",
    "The common case of policykit's YAML reader, built from libyaml's events in C.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__fastyaml(void)
{
    str_at = PyUnicode_InternFromString("_at");
    str_base = PyUnicode_InternFromString("_base");
    if (str_at == NULL || str_base == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "ABI", FASTYAML_ABI) < 0 ||
        PyModule_AddStringConstant(m, "LIBYAML_VERSION", yaml_get_version_string()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
