/*
 * workers.c: the signing threads.
 *
 * Signing never runs on an event loop: a worker waits for an HSM session, for the
 * signature (milliseconds on a network HSM) and for the group commit of the store,
 * while the loops go on serving TLS.  With n workers up to n signatures are in flight,
 * so n is at least the HSM session count (docs/operations.md, "Concurrency").
 */
#include <pthread.h>
#include <stdlib.h>

#include "hmd.h"

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct hmd_job *head, *tail;
    unsigned queued;
    unsigned max_queue;
    bool stopping;
    pthread_t *threads;
    unsigned n;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *
worker_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (pool.head == NULL && !pool.stopping) {
            pthread_cond_wait(&pool.cond, &pool.lock);
        }
        struct hmd_job *job = pool.head;
        if (job == NULL) {
            pthread_mutex_unlock(&pool.lock);
            return NULL; /* stopping and the queue is empty */
        }
        pool.head = job->next;
        if (pool.head == NULL) {
            pool.tail = NULL;
        }
        pthread_mutex_unlock(&pool.lock);
        job->next = NULL;
        job->run(job); /* the job posts its reply and is owned elsewhere from here */
        pthread_mutex_lock(&pool.lock);
        pool.queued--;
        pthread_mutex_unlock(&pool.lock);
    }
}

hm_err
hmd_workers_start(unsigned n, unsigned max_queue)
{
    if (n == 0 || (pool.threads = calloc(n, sizeof(pthread_t))) == NULL) {
        return n == 0 ? HM_E_INVALID : HM_E_NOMEM;
    }
    pool.max_queue = max_queue;
    pool.stopping = false;
    for (pool.n = 0; pool.n < n; pool.n++) {
        if (pthread_create(&pool.threads[pool.n], NULL, worker_main, NULL) != 0) {
            hmd_workers_stop();
            return HM_E_INTERNAL;
        }
    }
    return HM_OK;
}

hm_err
hmd_workers_submit(struct hmd_job *job, hmd_job_fn run)
{
    hm_err rc = HM_OK;

    job->run = run;
    job->next = NULL;
    pthread_mutex_lock(&pool.lock);
    if (pool.stopping || pool.queued >= pool.max_queue) {
        rc = HM_E_LIMIT;
    } else {
        if (pool.tail != NULL) {
            pool.tail->next = job;
        } else {
            pool.head = job;
        }
        pool.tail = job;
        pool.queued++;
        pthread_cond_signal(&pool.cond);
    }
    pthread_mutex_unlock(&pool.lock);
    return rc;
}

void
hmd_workers_stop(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.stopping = true;
    pthread_cond_broadcast(&pool.cond);
    pthread_mutex_unlock(&pool.lock);
    for (unsigned i = 0; i < pool.n; i++) {
        pthread_join(pool.threads[i], NULL);
    }
    free(pool.threads);
    pool.threads = NULL;
    pool.n = 0;
}
