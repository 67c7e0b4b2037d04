// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

#include "datapath/loader.h"
#include "datapath/pool.h"

struct probe_pool {
	struct datapath *dp;
	struct probe **ready;
	int nr_ready;
	/* while filling */
	pthread_mutex_t lock;
	int want, next;
	const volatile sig_atomic_t *stop;
};

struct probe_pool *probe_pool__new(struct datapath *dp)
{
	struct probe_pool *pool = calloc(1, sizeof(*pool));

	if (pool)
		pool->dp = dp;
	return pool;
}

static void *worker(void *arg)
{
	struct probe_pool *pool = arg;

	for (;;) {
		struct probe *p;
		int mine;

		pthread_mutex_lock(&pool->lock);
		/* a signal at start ends the loading too */
		mine = pool->next < pool->want && !(pool->stop && *pool->stop) ? pool->next++ : -1;
		pthread_mutex_unlock(&pool->lock);
		if (mine < 0)
			return NULL;
		p = probe__new(pool->dp);
		pthread_mutex_lock(&pool->lock);
		if (p)
			pool->ready[pool->nr_ready++] = p;
		pthread_mutex_unlock(&pool->lock);
	}
}

int probe_pool__fill(struct probe_pool *pool, int n, const volatile sig_atomic_t *stop)
{
	struct probe **more;
	pthread_t th[POOL_MAX_THREADS];
	int i, nth, started = 0;

	if (!pool || n <= 0)
		return pool ? pool->nr_ready : 0;
	more = realloc(pool->ready, (pool->nr_ready + n) * sizeof(*more));
	if (!more)
		return pool->nr_ready;
	pool->ready = more;
	pool->want = n;
	pool->next = 0;
	pool->stop = stop;
	pthread_mutex_init(&pool->lock, NULL);
	nth = libbpf_num_possible_cpus();
	if (nth < 1)
		nth = 1;
	if (nth > POOL_MAX_THREADS)
		nth = POOL_MAX_THREADS;
	if (nth > n)
		nth = n;
	for (i = 1; i < nth; i++)
		if (!pthread_create(&th[started], NULL, worker, pool))
			started++;
	worker(pool);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	return pool->nr_ready;
}

struct probe *probe_pool__take(struct probe_pool *pool)
{
	return pool && pool->nr_ready ? pool->ready[--pool->nr_ready] : NULL;
}

int probe_pool__ready(const struct probe_pool *pool)
{
	return pool ? pool->nr_ready : 0;
}

void probe_pool__free(struct probe_pool *pool)
{
	if (!pool)
		return;
	while (pool->nr_ready)
		probe__free(pool->ready[--pool->nr_ready]);
	free(pool->ready);
	free(pool);
}
