/*
 * vt_mutate.h: changes one field of a bundle's JSON (by path), for the tampering tables.
 */
#ifndef HM_VT_MUTATE_H
#define HM_VT_MUTATE_H

#include <stddef.h>

enum vt_op {
    VT_NONE = 0,
    VT_SET,         /* the string at path becomes a */
    VT_FLIP,        /* base64 at path: bit 0 of decoded byte n flipped */
    VT_REPLACE,     /* text at path: first a replaced by b */
    VT_REPLACE_B64, /* base64 at path: first a replaced by b in the decoded text */
    VT_LINE_FLIP,   /* text at path: line n, a base64 character flipped ("end": 10 from the
                       end; "token": the first of the line's last word) */
    VT_DELETE,      /* the member or element at path removed */
    VT_APPEND_COPY, /* array at path: its first element appended again */
    VT_ADD_MEMBER,  /* object at path: "unexpected":1 added */
    VT_SET_NUMBER,  /* the member at path becomes the number n */
};
struct vt_mut {
    enum vt_op op;
    const char *path; /* "verificationMaterial.tlogEntries[0].inclusionProof.hashes[1]" */
    const char *a, *b;
    int n;
};
/* Applies up to n mutations to the JSON text; returns the new text (malloc'ed). */
char *vt_mutate(const char *json, const struct vt_mut *m, size_t n);

#endif
