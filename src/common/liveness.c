/* The marks of the serving threads (see liveness.h). */
#include "liveness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"

struct slot {
	atomic_bool used;
	_Atomic int64_t since;         /* time_mono_ns when it became busy; 0 idle */
	_Atomic(const char *) role;
};

static struct slot slots[LIVENESS_SLOTS_MAX];
/* Slots below this index have been used: the scan stops there. */
static atomic_int high;
static atomic_bool full_logged;
static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct slot *mine;
static _Thread_local bool tried;

/* The thread exits: its slot is free again. */
static void slot_release(void *p)
{
	struct slot *s = p;
	atomic_store(&s->since, 0);
	atomic_store(&s->used, false);
}

static void key_make(void)
{
	pthread_key_create(&key, slot_release);
}

static struct slot *slot_take(void)
{
	tried = true;
	pthread_once(&key_once, key_make);
	for (int i = 0; i < LIVENESS_SLOTS_MAX; i++) {
		bool no = false;
		if (atomic_compare_exchange_strong(&slots[i].used, &no, true)) {
			int h = atomic_load(&high);
			while (h < i + 1 && !atomic_compare_exchange_weak(&high, &h, i + 1))
				;
			pthread_setspecific(key, &slots[i]);
			return &slots[i];
		}
	}
	if (!atomic_exchange(&full_logged, true))
		log_event(LOG_WARN, "service.liveness_full", "slots=%d note=\"threads past it are not watched\"",
			LIVENESS_SLOTS_MAX);
	return NULL;
}

void liveness_busy(const char *role)
{
	if (!mine && !tried)
		mine = slot_take();
	if (!mine)
		return;
	atomic_store(&mine->role, role);
	atomic_store(&mine->since, time_mono_ns());
}

void liveness_touch(void)
{
	if (mine && atomic_load(&mine->since) != 0)
		atomic_store(&mine->since, time_mono_ns());
}

void liveness_idle(void)
{
	if (mine)
		atomic_store(&mine->since, 0);
}

int64_t liveness_oldest_ms(const char **role)
{
	int64_t now = time_mono_ns(), oldest = -1;
	*role = NULL;
	int n = atomic_load(&high);
	for (int i = 0; i < n; i++) {
		int64_t since = atomic_load(&slots[i].since);
		if (since != 0 && now - since > oldest) {
			oldest = now - since;
			*role = atomic_load(&slots[i].role);
		}
	}
	return oldest < 0 ? 0 : oldest / 1000000;
}

static const char *hold_path;

void liveness_test_hold_file(const char *path)
{
	hold_path = path && *path ? path : NULL;
}

void liveness_test_hold(void)
{
	if (!hold_path)
		return;
	for (int i = 0; i < 12000 && access(hold_path, F_OK) == 0; i++)
		usleep(50 * 1000);
}
