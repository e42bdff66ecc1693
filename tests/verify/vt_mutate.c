/* vt_mutate.c: see vt_mutate.h.  cJSON is fine here: this writes test inputs. */
#include "vt_mutate.h"

#include <hm/common.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            fprintf(stderr, "%s:%d: mutation failed: %s\n", __FILE__, __LINE__, #x);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Resolves "a.b[2].c"; *parent and *last describe where the node hangs. */
static cJSON *
resolve(cJSON *root, const char *path, cJSON **parent, char *last, size_t last_len, int *index)
{
    char buf[512], *save = NULL;
    cJSON *node = root;

    CHECK(strlen(path) < sizeof(buf));
    strcpy(buf, path);
    *parent = NULL;
    for (char *part = strtok_r(buf, ".", &save); part != NULL; part = strtok_r(NULL, ".", &save)) {
        char *br = strchr(part, '[');

        *index = -1;
        if (br != NULL) {
            *br = '\0';
        }
        if (part[0] != '\0') {
            *parent = node;
            (void)snprintf(last, last_len, "%s", part);
            node = cJSON_GetObjectItemCaseSensitive(node, part);
            CHECK(node != NULL);
        }
        while (br != NULL) {
            *index = atoi(br + 1);
            *parent = node;
            node = cJSON_GetArrayItem(node, *index);
            CHECK(node != NULL);
            br = strchr(br + 1, '[');
        }
    }
    return node;
}

static char *
replace_text(const char *s, const char *a, const char *b)
{
    const char *at = strstr(s, a);
    char *out = NULL;

    CHECK(at != NULL);
    CHECK(asprintf(&out, "%.*s%s%s", (int)(at - s), s, b, at + strlen(a)) > 0);
    return out;
}

static char
flip_char(char c)
{
    return c == 'A' ? 'B' : 'A';
}

static char *
line_flip(const char *s, int line, const char *where)
{
    char *out = strdup(s), *p = out, *eol;

    CHECK(out != NULL);
    for (int i = 0; i < line; i++) {
        CHECK((p = strchr(p, '\n')) != NULL);
        p++;
    }
    CHECK((eol = strchr(p, '\n')) != NULL);
    if (strcmp(where, "end") == 0) {
        CHECK(eol - p > 12);
        eol[-10] = flip_char(eol[-10]);
    } else {
        char *sp = eol;
        while (sp > p && sp[-1] != ' ') {
            sp--;
        }
        sp[0] = flip_char(sp[0]);
    }
    return out;
}

static char *
b64_edit(const char *text, const struct vt_mut *m)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    char *plain, *changed, *out = NULL;

    CHECK(hm_b64_decode(text, strlen(text), HM_B64_ANY, &raw, &len) == HM_OK);
    if (m->op == VT_FLIP) {
        CHECK((size_t)m->n < len);
        raw[m->n] ^= 1;
        CHECK(hm_b64_encode(raw, len, &out) == HM_OK);
        free(raw);
        return out;
    }
    CHECK((plain = strndup((const char *)raw, len)) != NULL);
    changed = replace_text(plain, m->a, m->b);
    CHECK(hm_b64_encode((const uint8_t *)changed, strlen(changed), &out) == HM_OK);
    free(raw);
    free(plain);
    free(changed);
    return out;
}

static void
apply(cJSON *root, const struct vt_mut *m)
{
    cJSON *parent = NULL, *node;
    char last[128] = "";
    int index = -1;
    char *s = NULL;

    node = resolve(root, m->path, &parent, last, sizeof(last), &index);
    switch (m->op) {
    case VT_SET:
        CHECK(cJSON_SetValuestring(node, m->a) != NULL);
        return;
    case VT_SET_NUMBER:
        CHECK(cJSON_ReplaceItemInObjectCaseSensitive(parent, last, cJSON_CreateNumber(m->n)));
        return;
    case VT_FLIP:
    case VT_REPLACE_B64:
        s = b64_edit(cJSON_GetStringValue(node), m);
        break;
    case VT_REPLACE:
        s = replace_text(cJSON_GetStringValue(node), m->a, m->b);
        break;
    case VT_LINE_FLIP:
        s = line_flip(cJSON_GetStringValue(node), m->n, m->a);
        break;
    case VT_DELETE:
        if (index >= 0) {
            cJSON_DeleteItemFromArray(parent, index);
        } else {
            cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
        }
        return;
    case VT_APPEND_COPY:
        CHECK(cJSON_AddItemToArray(node, cJSON_Duplicate(cJSON_GetArrayItem(node, 0), true)));
        return;
    case VT_ADD_MEMBER:
        CHECK(cJSON_AddNumberToObject(node, "unexpected", 1) != NULL);
        return;
    case VT_NONE:
        return;
    }
    CHECK(s != NULL && cJSON_SetValuestring(node, s) != NULL);
    free(s);
}

char *
vt_mutate(const char *json, const struct vt_mut *m, size_t n)
{
    cJSON *root = cJSON_Parse(json);
    char *out;

    CHECK(root != NULL);
    for (size_t i = 0; i < n; i++) {
        if (m[i].op != VT_NONE) {
            apply(root, &m[i]);
        }
    }
    CHECK((out = cJSON_PrintUnformatted(root)) != NULL);
    cJSON_Delete(root);
    return out;
}
