/*
 * store_sqlite.c: the SQLite backend of the store (one node).
 *
 * Two connections to one file: the committer thread owns the writer, every other
 * reader shares the second one under a mutex.  WAL lets readers run beside the writer;
 * synchronous=FULL makes each COMMIT durable before it returns, which the committer's
 * group commit relies on.  The schema is versioned in schema_version and migrated in
 * one transaction; a database written by a newer Hallmark is refused rather than
 * guessed at.  Disk full and I/O errors become HM_E_IO with a log line saying that
 * nothing of the transaction was written; the connections stay usable, so writing
 * resumes once space is back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_sqlite_int.h"

#define SQLITE_BUSY_MS 5000 /* how long a writer waits for another node's lock */

/* Ordered; each runs once, in the same transaction as its schema_version row. */
static const struct {
    int version;
    const char *sql;
} migrations[] = {
    { 1, "CREATE TABLE releases ("
         " id INTEGER PRIMARY KEY,"
         " product TEXT NOT NULL, channel TEXT NOT NULL, version TEXT NOT NULL,"
         " key_id TEXT, client_id TEXT, request_sha256 TEXT, artifacts_json TEXT,"
         " time INTEGER NOT NULL,"
         " UNIQUE (product, channel, version)) STRICT;"
         "CREATE TABLE highest ("
         " product TEXT NOT NULL, channel TEXT NOT NULL, version TEXT NOT NULL,"
         " PRIMARY KEY (product, channel),"
         " FOREIGN KEY (product, channel, version)"
         "  REFERENCES releases (product, channel, version)) STRICT;"
         "CREATE TABLE audit ("
         " id INTEGER PRIMARY KEY, time INTEGER NOT NULL, client_id TEXT,"
         " route TEXT NOT NULL, request_sha256 TEXT, product TEXT, version TEXT,"
         " decision TEXT NOT NULL CHECK (decision IN ('allow', 'deny', 'error')),"
         " outcome TEXT NOT NULL) STRICT;" },
    /* The transparency log (docs/tlog.md): leaves by index, complete-subtree hashes by
     * level << 56 | index, one signed checkpoint per batch. */
    { 2, "CREATE TABLE log_leaves ("
         " idx INTEGER PRIMARY KEY CHECK (idx >= 0), time INTEGER NOT NULL, key_event TEXT,"
         " leaf BLOB NOT NULL, bundle BLOB) STRICT;"
         "CREATE INDEX log_key_events ON log_leaves (key_event) WHERE key_event IS NOT NULL;"
         "CREATE TABLE log_nodes ("
         " id INTEGER PRIMARY KEY, hash BLOB NOT NULL CHECK (length(hash) = 32)) STRICT;"
         "CREATE TABLE log_checkpoints ("
         " size INTEGER PRIMARY KEY CHECK (size > 0), time INTEGER NOT NULL,"
         " note BLOB NOT NULL) STRICT;" },
};

/* Translates a SQLite result code at the module edge, and logs it there, once. */
hm_err
store_sqlite_err(sqlite3 *db, int rc, const char *what)
{
    char ebuf[128] = "";
    char sys[160] = "";
    int eno = db != NULL ? sqlite3_system_errno(db) : 0;
    const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

    if (eno != 0) {
        (void)snprintf(sys, sizeof(sys), ", %s", strerror_r(eno, ebuf, sizeof(ebuf)));
    }
    switch (rc & 0xff) {
    case SQLITE_FULL:
        hm_error("store: %s: the disk is full (%s%s); nothing of this transaction was written, "
                 "writing resumes once space is freed",
                 what, msg, sys);
        return HM_E_IO;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
        hm_error("store: %s: I/O error (%s, code %d%s); nothing of this transaction was written",
                 what, msg, rc, sys);
        return HM_E_IO;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        hm_warn("store: %s: database locked for more than %d ms (%s)", what, SQLITE_BUSY_MS, msg);
        return HM_E_UNAVAILABLE;
    case SQLITE_NOMEM:
        return HM_E_NOMEM;
    case SQLITE_NOTADB:
        hm_error("store: %s: not a SQLite database (%s)", what, msg);
        return HM_E_INVALID;
    default:
        hm_error("store: %s: %s (code %d)", what, msg, rc);
        return HM_E_BACKEND;
    }
}

static hm_err
exec_sql(sqlite3 *db, const char *sql, const char *what)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? HM_OK : store_sqlite_err(db, rc, what);
}

/* Binds ?1..?n to strings (NULL binds SQL NULL).  SQLITE_STATIC: the strings outlive
 * the statement's step, which is always reset before the caller returns. */
static int
bind_texts(sqlite3_stmt *stmt, const char *const *v, int n)
{
    int rc = SQLITE_OK;

    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        rc = v[i] == NULL ? sqlite3_bind_null(stmt, i + 1)
                          : sqlite3_bind_text(stmt, i + 1, v[i], -1, SQLITE_STATIC);
    }
    return rc;
}

/* Steps a statement that returns no row, then resets it. */
hm_err
store_sqlite_step_done(sqlite3 *db, sqlite3_stmt *stmt, int bind_rc, const char *what)
{
    int rc = bind_rc == SQLITE_OK ? sqlite3_step(stmt) : bind_rc;
    hm_err err = rc == SQLITE_DONE ? HM_OK : store_sqlite_err(db, rc, what);

    (void)sqlite3_reset(stmt);
    (void)sqlite3_clear_bindings(stmt);
    return err;
}

static hm_err
query_highest(sqlite3 *db, sqlite3_stmt *stmt, const char *product, const char *channel, char *out,
              size_t out_len)
{
    const char *v[2] = { product, channel };
    int rc = bind_texts(stmt, v, 2);
    hm_err err = HM_OK;

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(stmt, 0);
        int n = sqlite3_column_bytes(stmt, 0);

        if (t == NULL || n <= 0) {
            hm_error("store: empty highest version for %s/%s", product, channel);
            err = HM_E_BACKEND;
        } else if ((size_t)n >= out_len) {
            err = HM_E_LIMIT;
        } else {
            memcpy(out, t, (size_t)n);
            out[n] = '\0';
        }
    } else if (rc == SQLITE_DONE) {
        err = HM_E_NOTFOUND;
    } else {
        err = store_sqlite_err(db, rc, "reading the highest version");
    }
    (void)sqlite3_reset(stmt); /* ends the read transaction: never pin a WAL snapshot */
    (void)sqlite3_clear_bindings(stmt);
    return err;
}

/* Creates the file with mode 0600 ourselves: SQLite would use 0644. */
static hm_err
create_file(const char *path)
{
    char ebuf[128];
    struct stat sb;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0 && errno == EEXIST) {
        fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        hm_error("store: cannot open %s: %s", path, strerror_r(errno, ebuf, sizeof(ebuf)));
        return HM_E_IO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        hm_error("store: %s is not a regular file", path);
        (void)close(fd);
        return HM_E_INVALID;
    }
    if ((sb.st_mode & 077) != 0) {
        hm_warn("store: %s is open to group or others (mode %03o); it should be 0600", path,
                (unsigned)(sb.st_mode & 0777));
    }
    (void)close(fd);
    return HM_OK;
}

static int
journal_mode_cb(void *arg, int ncol, char **val, char **names)
{
    (void)names;
    if (ncol == 1 && val[0] != NULL) {
        (void)snprintf(arg, 16, "%s", val[0]);
    }
    return 0;
}

static hm_err
open_conn(const char *path, bool writer, sqlite3 **out)
{
    char mode[16] = "";
    sqlite3 *db = NULL;
    hm_err err = HM_OK;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);

    *out = NULL;
    if (rc != SQLITE_OK) {
        err = store_sqlite_err(db, rc, "opening the database");
        goto out;
    }
    (void)sqlite3_extended_result_codes(db, 1);
    (void)sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
    (void)sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    if ((err = exec_sql(db, "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;",
                        "setting pragmas")) != HM_OK) {
        goto out;
    }
    if (writer) {
        rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", journal_mode_cb, mode, NULL);
        if (rc != SQLITE_OK) {
            err = store_sqlite_err(db, rc, "switching to WAL");
            goto out;
        }
        if (strcmp(mode, "wal") != 0) {
            hm_error("store: %s: journal mode is \"%s\", not WAL", path, mode);
            err = HM_E_BACKEND;
            goto out;
        }
        err = exec_sql(db, "PRAGMA synchronous = FULL", "setting synchronous");
    } else {
        err = exec_sql(db, "PRAGMA query_only = ON", "setting query_only");
    }
    if (err == HM_OK) {
        *out = db;
        db = NULL; /* the caller owns it now */
    }
out:
    (void)sqlite3_close(db);
    return err;
}

static hm_err
schema_current(sqlite3 *db, sqlite3_int64 *out)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", -1,
                                &stmt, NULL);
    hm_err err = HM_OK;

    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(stmt, 0);
    } else {
        err = store_sqlite_err(db, rc, "reading the schema version");
    }
    (void)sqlite3_finalize(stmt);
    return err;
}

static hm_err
migrate_one(sqlite3 *db, int i)
{
    sqlite3_stmt *stmt = NULL;
    hm_err err;
    int rc;

    if ((err = exec_sql(db, migrations[i].sql, "migrating the schema")) != HM_OK) {
        return err;
    }
    rc = sqlite3_prepare_v2(db, "INSERT INTO schema_version (version, applied) VALUES (?1, ?2)", -1,
                            &stmt, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int(stmt, 1, migrations[i].version);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(stmt, 2, (sqlite3_int64)time(NULL));
    }
    err = store_sqlite_step_done(db, stmt, rc, "recording the schema version");
    (void)sqlite3_finalize(stmt);
    return err;
}

static hm_err
migrate(sqlite3 *db, const char *path)
{
    sqlite3_int64 cur = 0;
    hm_err err;

    if ((err = exec_sql(db, "BEGIN IMMEDIATE", "starting the migration")) != HM_OK) {
        return err;
    }
    if ((err = exec_sql(db,
                        "CREATE TABLE IF NOT EXISTS schema_version ("
                        " version INTEGER PRIMARY KEY, applied INTEGER NOT NULL) STRICT",
                        "creating schema_version")) != HM_OK ||
        (err = schema_current(db, &cur)) != HM_OK) {
        goto out;
    }
    if (cur > STORE_SCHEMA_VERSION) {
        hm_error("store: %s has schema version %lld, newer than this Hallmark knows (%d); "
                 "refusing to open it: upgrade Hallmark",
                 path, (long long)cur, STORE_SCHEMA_VERSION);
        err = HM_E_INVALID;
        goto out;
    }
    for (int i = 0; i < (int)(sizeof(migrations) / sizeof(migrations[0])); i++) {
        if (migrations[i].version > cur && (err = migrate_one(db, i)) != HM_OK) {
            goto out;
        }
    }
    if ((err = exec_sql(db, "COMMIT", "committing the migration")) == HM_OK && cur == 0) {
        hm_info("store: created schema version %d in %s", STORE_SCHEMA_VERSION, path);
    }
out:
    if (err != HM_OK && !sqlite3_get_autocommit(db)) {
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return err;
}

static hm_err
prepare_all(struct store_db *db)
{
    static const char q_highest[] =
        "SELECT version FROM highest WHERE product = ?1 AND channel = ?2";
    const struct {
        sqlite3 *conn;
        sqlite3_stmt **stmt;
        const char *sql;
    } s[] = {
        { db->w, &db->w_begin, "BEGIN IMMEDIATE" },
        { db->w, &db->w_commit, "COMMIT" },
        { db->w, &db->w_rollback, "ROLLBACK" },
        { db->w, &db->w_highest, q_highest },
        { db->w, &db->w_rel,
          "INSERT INTO releases (product, channel, version, key_id, client_id, request_sha256,"
          " artifacts_json, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" },
        { db->w, &db->w_set_highest,
          "INSERT INTO highest (product, channel, version) VALUES (?1, ?2, ?3)"
          " ON CONFLICT (product, channel) DO UPDATE SET version = excluded.version" },
        { db->w, &db->w_audit,
          "INSERT INTO audit (client_id, route, request_sha256, product, version, decision,"
          " outcome, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" },
        { db->r, &db->r_highest, q_highest },
        { db->w, &db->w_leaf,
          "INSERT INTO log_leaves (idx, time, key_event, leaf, bundle) VALUES (?1, ?2, ?3, ?4, "
          "?5)" },
        { db->w, &db->w_node, "INSERT INTO log_nodes (id, hash) VALUES (?1, ?2)" },
        { db->w, &db->w_cp, "INSERT INTO log_checkpoints (size, time, note) VALUES (?1, ?2, ?3)" },
        { db->r, &db->r_node, "SELECT hash FROM log_nodes WHERE id = ?1" },
        { db->r, &db->r_cp_latest,
          "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1" },
        { db->r, &db->r_cp_at, "SELECT size, note FROM log_checkpoints WHERE size = ?1" },
        { db->r, &db->r_entries_asc,
          "SELECT idx, leaf, bundle FROM log_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx" },
        { db->r, &db->r_entries_desc,
          "SELECT idx, leaf, bundle FROM log_leaves WHERE idx >= ?1 AND idx < ?2"
          " ORDER BY idx DESC" },
        { db->r, &db->r_key_event,
          "SELECT idx FROM log_leaves WHERE key_event = ?1 ORDER BY idx LIMIT 1" },
    };

    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        int rc =
            sqlite3_prepare_v3(s[i].conn, s[i].sql, -1, SQLITE_PREPARE_PERSISTENT, s[i].stmt, NULL);

        if (rc != SQLITE_OK) {
            return store_sqlite_err(s[i].conn, rc, "preparing statements");
        }
    }
    return HM_OK;
}

static void
sqlite_close(struct store_db *db)
{
    sqlite3_stmt *all[17];

    if (db == NULL) {
        return;
    }
    all[0] = db->w_begin;
    all[1] = db->w_commit;
    all[2] = db->w_rollback;
    all[3] = db->w_highest;
    all[4] = db->w_rel;
    all[5] = db->w_set_highest;
    all[6] = db->w_audit;
    all[7] = db->r_highest;
    all[8] = db->w_leaf;
    all[9] = db->w_node;
    all[10] = db->w_cp;
    all[11] = db->r_node;
    all[12] = db->r_cp_latest;
    all[13] = db->r_cp_at;
    all[14] = db->r_entries_asc;
    all[15] = db->r_entries_desc;
    all[16] = db->r_key_event;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        (void)sqlite3_finalize(all[i]);
    }
    (void)sqlite3_close(db->r);
    if (db->w != NULL && sqlite3_close(db->w) != SQLITE_OK) {
        hm_error("store: closing the database failed: %s", sqlite3_errmsg(db->w));
    }
    (void)pthread_mutex_destroy(&db->r_mu);
    free(db);
}

static hm_err
sqlite_open(const char *path, struct store_db **out)
{
    struct store_db *db = NULL;
    hm_err err;

    *out = NULL;
    if (path[0] == '\0') {
        hm_error("store: empty database path");
        return HM_E_INVALID;
    }
    if ((db = calloc(1, sizeof(*db))) == NULL) {
        return HM_E_NOMEM;
    }
    if (pthread_mutex_init(&db->r_mu, NULL) != 0) {
        free(db);
        return HM_E_INTERNAL;
    }
    if ((err = create_file(path)) != HM_OK || (err = open_conn(path, true, &db->w)) != HM_OK ||
        (err = migrate(db->w, path)) != HM_OK || (err = open_conn(path, false, &db->r)) != HM_OK ||
        (err = prepare_all(db)) != HM_OK) {
        goto out;
    }
    *out = db;
    db = NULL; /* the caller owns it now */
out:
    sqlite_close(db);
    return err;
}

static hm_err
sqlite_read_highest(struct store_db *db, const char *product, const char *channel, char *out,
                    size_t out_len)
{
    hm_err err;

    (void)pthread_mutex_lock(&db->r_mu);
    err = query_highest(db->r, db->r_highest, product, channel, out, out_len);
    (void)pthread_mutex_unlock(&db->r_mu);
    return err;
}

static hm_err
sqlite_begin(struct store_db *db)
{
    return store_sqlite_step_done(db->w, db->w_begin, SQLITE_OK, "starting a transaction");
}

static hm_err
sqlite_txn_highest(struct store_db *db, const char *product, const char *channel, char *out,
                   size_t out_len)
{
    return query_highest(db->w, db->w_highest, product, channel, out, out_len);
}

static hm_err
sqlite_insert_release(struct store_db *db, const struct hm_store_release *rel)
{
    const char *v[7] = { rel->product,   rel->channel,        rel->version,       rel->key_id,
                         rel->client_id, rel->request_sha256, rel->artifacts_json };
    int rc = bind_texts(db->w_rel, v, 7);

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(db->w_rel, 8, rel->time);
    }
    return store_sqlite_step_done(db->w, db->w_rel, rc, "writing a release");
}

static hm_err
sqlite_set_highest(struct store_db *db, const char *product, const char *channel,
                   const char *version)
{
    const char *v[3] = { product, channel, version };

    return store_sqlite_step_done(db->w, db->w_set_highest, bind_texts(db->w_set_highest, v, 3),
                                  "updating the highest version");
}

static hm_err
sqlite_insert_audit(struct store_db *db, const struct hm_store_audit *rec)
{
    const char *v[7] = { rec->client_id, rec->route,    rec->request_sha256, rec->product,
                         rec->version,   rec->decision, rec->outcome };
    int rc = bind_texts(db->w_audit, v, 7);

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(db->w_audit, 8, rec->time);
    }
    return store_sqlite_step_done(db->w, db->w_audit, rc, "writing an audit record");
}

static hm_err
sqlite_commit(struct store_db *db)
{
    return store_sqlite_step_done(db->w, db->w_commit, SQLITE_OK, "committing");
}

static void
sqlite_rollback(struct store_db *db)
{
    /* SQLite may have rolled back by itself (SQLITE_FULL, some I/O errors) */
    if (!sqlite3_get_autocommit(db->w)) {
        (void)store_sqlite_step_done(db->w, db->w_rollback, SQLITE_OK, "rolling back");
    }
}

const struct store_backend hm_store_sqlite_backend = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .read_highest = sqlite_read_highest,
    .begin = sqlite_begin,
    .txn_highest = sqlite_txn_highest,
    .insert_release = sqlite_insert_release,
    .set_highest = sqlite_set_highest,
    .insert_audit = sqlite_insert_audit,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .log_insert_leaf = sqlite_log_insert_leaf,
    .log_insert_nodes = sqlite_log_insert_nodes,
    .log_insert_checkpoint = sqlite_log_insert_checkpoint,
    .log_read_nodes = sqlite_log_read_nodes,
    .log_read_checkpoint = sqlite_log_read_checkpoint,
    .log_read_entries = sqlite_log_read_entries,
    .log_read_key_event = sqlite_log_read_key_event,
};
