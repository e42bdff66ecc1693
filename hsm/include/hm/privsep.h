/*
 * hm/privsep.h: privilege separation for the keys (docs/privsep.md).
 *
 * As OpenSSH's ssh-pkcs11-helper: the PKCS#11 (or TPM) code and the PIN live in a small
 * separate process, hallmark-hsm-helper, that hallmarkd starts first thing over a set of
 * socketpairs ("channels", one per HSM session, so that signatures run in parallel).  The
 * network-facing process gets a struct hm_hsm whose backend forwards to the helper: the
 * rest of hm/hsm.h (hm_hsm_find_key, hm_key_sign, ...) works unchanged on it.
 *
 * Wire protocol, on every channel, strictly request/reply:
 *   frame   = u32 length (big-endian, 1..HM_PS_MAX_FRAME) || body[length]
 *   body    = u8 type || payload
 *   LIST    (0x01)  payload empty
 *   SIGN    (0x02)  key_id[32] (SHA-256 of the SPKI DER) || u32 n || input[n]
 *                   (1 <= n <= HM_PS_MAX_INPUT; the digest, or the message for Ed25519)
 *   KEYS    (0x81)  u16 count || count * (u8 alg || u16 n spki[n] || u16 n label[n] ||
 *                   u16 n ckid[n] || u16 n uri[n] || u8 ev || evidence)
 *                   ev 0: no evidence follows; ev 1: the key's PKCS#11 evidence, read by the
 *                   helper once at start (public metadata, self-asserted, docs/privsep.md):
 *                   u8 flags (bit 0 CKA_SENSITIVE, 1 CKA_ALWAYS_SENSITIVE, 2 CKA_EXTRACTABLE,
 *                   3 CKA_NEVER_EXTRACTABLE, 4 CKA_LOCAL, 5 has CKA_KEY_GEN_MECHANISM; bits
 *                   6-7 zero) || u64 key_gen_mechanism (0 unless bit 5) || u8 firmware
 *                   major, minor, hardware major, minor, library major, minor, cryptoki
 *                   major, minor || 6 * (u16 n text[n]): token label, manufacturer, model,
 *                   serial, library description, library manufacturer (n <= 32, bytes
 *                   0x20..0x7e: what hm_key_attest puts in the predicate)
 *   SIG     (0x82)  u16 n || sig[n]  (raw: ECDSA r||s; 1 <= n <= HM_PS_MAX_SIG)
 *   ERR     (0xff)  u32 hm_err (1 .. HM_E_CONFLICT)
 * Anything else (a short or long frame, a trailing byte, an unknown type) is refused, and
 * the helper exits: a well-behaved daemon never sends it.
 */
#ifndef HM_PRIVSEP_H
#define HM_PRIVSEP_H

#include <hm/common.h>
#include <hm/verify.h>
#include <sys/types.h>

struct hm_hsm;

#define HM_PS_MAX_INPUT ((size_t)4 << 20) /* an Ed25519 message (a DSSE PAE) */
#define HM_PS_MAX_FRAME (HM_PS_MAX_INPUT + 64)
#define HM_PS_MAX_KEYS  256
#define HM_PS_MAX_SPKI  2048
#define HM_PS_MAX_LABEL 256
#define HM_PS_MAX_CKID  128
#define HM_PS_MAX_URI   1024
#define HM_PS_MAX_SIG   512
#define HM_PS_KEYID_LEN 32
/* The helper's exit status when its seccomp filter trapped a forbidden system call. */
#define HM_PS_EXIT_SECCOMP 159

enum hm_ps_type {
    HM_PS_LIST = 0x01,
    HM_PS_SIGN = 0x02,
    HM_PS_KEYS = 0x81,
    HM_PS_SIG = 0x82,
    HM_PS_ERR = 0xff,
};

/* What follows a key in KEYS. */
enum hm_ps_ev {
    HM_PS_EV_NONE = 0,
    HM_PS_EV_PKCS11 = 1,
};

/* One key as the helper describes it (pointers into the parsed body). */
struct hm_ps_key {
    uint8_t alg; /* enum hm_key_alg */
    const uint8_t *spki;
    size_t spki_len;
    const uint8_t *label;
    size_t label_len;
    const uint8_t *ckid;
    size_t ckid_len;
    const uint8_t *uri;
    size_t uri_len;
    uint8_t ev;                  /* enum hm_ps_ev */
    struct hm_keyatt_pkcs11 p11; /* HM_PS_EV_PKCS11: copied out, texts NUL-terminated */
};

/* A parsed message; the pointers point into the body given to the parser. */
struct hm_ps_msg {
    uint8_t type;
    const uint8_t *key_id; /* SIGN: HM_PS_KEYID_LEN bytes */
    const uint8_t *data;   /* SIGN: the input; SIG: the signature */
    size_t data_len;
    uint32_t err;           /* ERR */
    struct hm_ps_key *keys; /* KEYS: malloc'ed, free with hm_ps_msg_clear */
    size_t n_keys;
};

/* Parses one body (the frame's length already removed).  requests says which side is
 * parsing: true for the helper (only LIST and SIGN are accepted), false for the daemon
 * (only KEYS, SIG and ERR).  *reason (static text) says what was wrong: HM_E_INVALID for
 * "empty message", "unknown message type", "truncated message", "trailing bytes",
 * "zero-length input", "bad error code", "bad algorithm", "empty SPKI", "bad evidence
 * type", "bad evidence flags", "bad evidence text"; HM_E_LIMIT for "input too long",
 * "signature too long", "too many keys", "field too long". */
HM_MUST_CHECK hm_err hm_ps_parse(const uint8_t *body, size_t len, bool requests,
                                 struct hm_ps_msg *out, const char **reason);
void hm_ps_msg_clear(struct hm_ps_msg *m);

/* Reads one frame from fd (blocking; EINTR retried).  HM_E_IO on EOF or an error (at EOF
 * before the first byte *eof is set), HM_E_INVALID for a zero length, HM_E_LIMIT for a
 * length over max.  *body is malloc'ed. */
HM_MUST_CHECK hm_err hm_ps_read_frame(int fd, size_t max, uint8_t **body, size_t *len, bool *eof);
/* Writes the frame for body (type byte included) in one go. */
HM_MUST_CHECK hm_err hm_ps_write_frame(int fd, const uint8_t *body, size_t len);
/* Encoders (into a struct hm_buf; the frame length is added by hm_ps_write_frame). */
void hm_ps_put_sign(struct hm_buf *b, const uint8_t key_id[HM_PS_KEYID_LEN], const uint8_t *in,
                    size_t len);
void hm_ps_put_sig(struct hm_buf *b, const uint8_t *sig, size_t len);
void hm_ps_put_err(struct hm_buf *b, hm_err err);
/* One key of a KEYS reply (the caller writes the type and the count first); ev NULL: the
 * key goes without evidence.  The texts in ev must be what hm_key_attest gives (printable
 * ASCII, at most HM_KEYATT_TEXT_MAX bytes): the parser refuses anything else. */
void hm_ps_put_key(struct hm_buf *b, uint8_t alg, const uint8_t *spki, size_t spki_len,
                   const char *label, const uint8_t *ckid, size_t ckid_len, const char *uri,
                   const struct hm_keyatt_pkcs11 *ev);

/* ---- the helper (privsep_helper.c) ---- */
/* What the helper runs on: hm_hsm_open(uri), then one thread per channel fd. */
struct hm_ps_helper_opts {
    const char *uri;
    const int *fds;
    unsigned n_fds;
    const char *user;    /* drop to this user when started as root; NULL: stay */
    int seccomp;         /* 0 off, 1 kill the process, 2 trap: log the call, exit 159 */
    bool test_forbidden; /* test hook: make a forbidden call once the filter is on */
    /* Installs the seccomp filter (the executable links libseccomp, hm_hsm does not);
     * called once the token is open, before the first request. */
    hm_err (*sandbox)(int mode);
};
/* Serves until every channel is closed; returns the process exit status. */
int hm_ps_helper_run(const struct hm_ps_helper_opts *o);
/* One packet between hallmarkd and the root spawner (privsep_spawner.c has the protocol;
 * both ends are processes of the same build on one socketpair). */
struct hm_ps_spawn_rec {
    char type; /* 'S' 'K' from the daemon; 'P' 'E' 'D' from the spawner */
    int32_t a; /* K: pid; P: pid; E: errno; D: pid */
    int32_t b; /* K: signal; D: waitpid status */
};
/* The root spawner's loop (privsep_spawner.c): hallmark-hsm-helper --spawner ARGS, with
 * the daemon's socket at fd 3; starts helper_argv[0] with helper_argv on request.
 * Returns the exit status. */
int hm_ps_spawner_run(char *const *helper_argv, unsigned nch);
/* The main() of hallmark-hsm-helper (argument parsing, then hm_ps_helper_run, or with
 * --spawner first, hm_ps_spawner_run). */
int hm_ps_helper_main(int argc, char **argv, hm_err (*sandbox)(int mode));
/* What the helper serves: the keys registered in hsm (after hm_hsm_list_keys), each with
 * its PKCS#11 evidence (hm_key_attest) read now, once, while the token is open and before
 * the seccomp filter; a key whose evidence cannot be read is served without (ev 0). */
struct hm_ps_served;
HM_MUST_CHECK hm_err hm_ps_served_new(struct hm_hsm *hsm, struct hm_ps_served **out);
void hm_ps_served_free(struct hm_ps_served *s);
/* One request body in, one reply body out (exposed for tests and fuzzing).  Returns
 * false when the request is malformed: the helper then exits. */
bool hm_ps_serve_one(const struct hm_ps_served *s, const uint8_t *req, size_t len,
                     struct hm_buf *reply);

/* ---- the daemon's side (privsep_client.c) ---- */
struct hm_privsep_opts {
    const char *helper_path;  /* the hallmark-hsm-helper executable */
    const char *uri;          /* hsm.uri (no PIN in it: pin-source names where the PIN is) */
    unsigned channels;        /* = HSM sessions; 0 means 1 */
    const char *user;         /* passed on to the helper; NULL: none */
    int seccomp;              /* as in struct hm_ps_helper_opts */
    unsigned sign_timeout_ms; /* a reply later than this kills the helper; 0 = 5000 */
    unsigned restart_max_ms;  /* backoff ceiling between restarts; 0 = 5000 */
    bool test_forbidden;      /* passed on (tests only) */
};
/* Starts the helper, waits until it answered LIST, and returns an hm_hsm that forwards to
 * it.  If the helper dies later, the calls in flight and those until it is back return
 * HM_E_UNAVAILABLE, and a supervisor thread restarts it with bounded backoff. */
HM_MUST_CHECK hm_err hm_privsep_start(const struct hm_privsep_opts *o, struct hm_hsm **out);
/* The helper's pid (0 when it is down), and how often it was restarted. */
pid_t hm_privsep_pid(struct hm_hsm *hsm);
/* Drops privileges: when root and user is not NULL, setgroups/setgid/setuid to it (and
 * checks that root cannot be regained); always PR_SET_NO_NEW_PRIVS and PR_SET_DUMPABLE 0. */
HM_MUST_CHECK hm_err hm_privsep_drop(const char *user);

#endif /* HM_PRIVSEP_H */
