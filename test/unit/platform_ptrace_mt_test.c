/* platform_ptrace_mt_test.c: the ptrace platform with several host threads, each with its own
 * context, running one address space at once: traps, unmaps, interrupts, threads leaving,
 * stub-thread hygiene, release with threads attached, and timings. */
#include "test/unit/platform_ptrace_fixture.h"

#include <sys/ptrace.h>

/* rdi = this thread's counter, r8 = a counter all threads share, rdx = what the previous
 * syscall returned: count, then getpid(), forever. */
PROG(prog_mt_work, "1: incq (%rdi)\n lock incq (%r8)\n mov %rax, %rdx\n"
		   " mov $39, %eax\n syscall\n jmp 1b");
/* Increment (%rdi) forever: a heartbeat the test can watch in the memory file. */
PROG(prog_heartbeat, "1: incq (%rdi)\n jmp 1b");

#define SPIN_ADDR 0x410000ULL	/* a second code page */
#define SPIN_OFF (5 * PG)
#define SHARED_OFF DATA_OFF	/* per-thread counters at 64-byte strides, shared at 0 */
#define MAX_WORKERS 8

static void put_prog(struct fixture *f, uint64_t addr, uint64_t off, const char *b,
		     const char *e)
{
	memset(f->mem + off, 0xcc, PG);
	memcpy(f->mem + off, b, (size_t)(e - b));
	assert_int_equal(f->o->as_map(f->as, addr, PG, off, PROT_READ | PROT_EXEC), 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static volatile uint64_t *word(struct fixture *f, uint64_t off)
{
	return (volatile uint64_t *)(f->mem + off);
}

/* Wait until *counter passes `than`: the thread behind it still makes progress. A
 * loaded host may not run it for a while, so no fixed time is enough. */
static void wait_progress(atomic_int *counter, int than)
{
	uint64_t t0 = now_ns();

	while (atomic_load(counter) <= than) {
		if (now_ns() - t0 > 30000000000ULL)
			fail_msg("no progress in 30 s (still %d)", than);
		sleep_ms(1);
	}
}

/* Tasks of the stub process, and how many are zombies. */
static int count_tasks(pid_t pid, int *zombies)
{
	char path[320], buf[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	*zombies = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *st;

		if (de->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, de->d_name);
		st = fopen(path, "r");
		if (st && fgets(buf, sizeof(buf), st) && strstr(buf, ") Z "))
			(*zombies)++;
		if (st)
			fclose(st);
	}
	closedir(d);
	return n;
}

/* No child or tracee of ours has exited without being reaped. */
static void assert_no_unreaped(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0)
		assert_int_equal(si.si_pid, 0);
	else
		assert_int_equal(errno, ECHILD);
}

/* ---- workers: host threads with their own context ---- */

struct worker {
	struct fixture *f;
	pthread_t thread;
	int id;
	int iterations;			/* syscall traps to serve; 0 = until stop */
	const atomic_bool *stop;
	pthread_barrier_t *start;
	uint64_t rip, rdi, r8;		/* where it starts */
	/* Results, checked by the main thread (cmocka asserts only work there). */
	int ret;
	atomic_int done;		/* syscall traps served (read while it runs) */
	int bad;			/* traps that were not this thread's expected syscall */
	uint64_t ns;			/* time spent serving `done` traps */
	uint64_t first_ns;		/* first switch_to: attach + first trap */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct plat_ctx *ctx;
	struct plat_trap t;
	uint64_t t0, t1;
	plat_regs_t r;

	w->ret = w->f->o->ctx_create(w->f->p, &ctx);
	if (w->ret)
		return NULL;
	start_regs(&r);
	r.rip = w->rip;
	r.rdi = w->rdi;
	r.r8 = w->r8;
	r.rsi = (uint64_t)w->id;
	if (w->start)
		pthread_barrier_wait(w->start);
	t0 = now_ns();
	for (int i = 0; w->iterations ? i < w->iterations : !atomic_load(w->stop); i++) {
		w->ret = w->f->o->switch_to(ctx, w->f->as, &r, &t);
		if (i == 0) {
			t1 = now_ns();
			w->first_ns = t1 - t0;
			t0 = t1;
		}
		if (w->ret)
			break;
		/* rsi = our id and rdx = the value we returned last time: the trap is ours. */
		if (t.kind != TRAP_SYSCALL || r.orig_rax != 39 || r.rsi != (uint64_t)w->id ||
		    (i > 0 && r.rdx != ((uint64_t)w->id << 32 | (uint64_t)i)))
			w->bad++;
		r.rax = (uint64_t)w->id << 32 | (uint64_t)(i + 1);
		atomic_fetch_add(&w->done, 1);
	}
	w->ns = now_ns() - t0;
	w->f->o->ctx_release(ctx);
	return NULL;
}

static void worker_init(struct worker *w, struct fixture *f, int id, int iterations)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->id = id;
	w->iterations = iterations;
	w->rip = CODE_ADDR;
	w->rdi = DATA_ADDR + 64 * (uint64_t)(id + 1);
	w->r8 = DATA_ADDR;
}

static void load_work(struct fixture *f)
{
	LOAD(f, f->as, prog_mt_work);
	memset(f->mem + SHARED_OFF, 0, PG);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, SHARED_OFF,
				      PROT_READ | PROT_WRITE), 0);
}

/* n threads each serve `iters` getpid traps of their own thread, concurrently. */
static void run_workers(struct fixture *f, int n, int iters, struct worker *w)
{
	pthread_barrier_t start;
	int zombies;

	load_work(f);
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		worker_init(&w[i], f, i, iters);
		w[i].start = &start;
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < n; i++) {
		assert_int_equal(w[i].ret, 0);
		assert_int_equal(w[i].done, iters);
		assert_int_equal(w[i].bad, 0);
		/* Its counter in the shared page: one increment per trap. */
		assert_int_equal(*word(f, SHARED_OFF + 64 * (uint64_t)(i + 1)), iters);
	}
	assert_int_equal(*word(f, SHARED_OFF), (uint64_t)n * (uint64_t)iters);
	/* All their stub threads left: leader and injector remain. */
	assert_int_equal(count_tasks(((struct ptrace_as *)f->as)->pid, &zombies), 2);
	assert_int_equal(zombies, 0);
	assert_no_unreaped();
}

static void two_threads_run_one_address_space(void **state)
{
	struct worker w[2];

	run_workers(*state, 2, 2000, w);
}

static void eight_threads_run_one_address_space(void **state)
{
	struct worker w[8];

	run_workers(*state, 8, 500, w);
}

/* ---- runners: one switch_to on a thread of its own ---- */

struct runner {
	struct fixture *f;
	pthread_t thread;
	plat_regs_t r;				/* in: start registers; out: at the trap */
	const struct plat_fpu *fpu_in;		/* set before running, if not NULL */
	pthread_barrier_t *before;		/* all runners start together, if set */
	pthread_barrier_t *after;		/* waited on before get_fpu and release */
	_Atomic(struct plat_ctx *) ctx;		/* published before running */
	int ret, fpu_ret;
	struct plat_trap t;
	_Atomic uint64_t done_ns;		/* when switch_to returned */
	struct plat_fpu fpu_out;
};

static void *runner_main(void *arg)
{
	struct runner *ru = arg;
	struct plat_ctx *ctx;

	ru->ret = ru->f->o->ctx_create(ru->f->p, &ctx);
	if (ru->ret)
		return NULL;
	if (ru->fpu_in)
		ru->f->o->set_fpu(ctx, ru->fpu_in);
	atomic_store(&ru->ctx, ctx);
	if (ru->before)
		pthread_barrier_wait(ru->before);
	ru->ret = ru->f->o->switch_to(ctx, ru->f->as, &ru->r, &ru->t);
	ru->done_ns = now_ns();
	if (ru->after)
		pthread_barrier_wait(ru->after);
	ru->fpu_ret = ru->f->o->get_fpu(ctx, &ru->fpu_out);
	ru->f->o->ctx_release(ctx);
	return NULL;
}

static void runner_start(struct runner *ru, struct fixture *f, uint64_t rip, uint64_t rdi)
{
	memset(ru, 0, sizeof(*ru));
	ru->f = f;
	start_regs(&ru->r);
	ru->r.rip = rip;
	ru->r.rdi = rdi;
}

static void runner_go(struct runner *ru)
{
	assert_int_equal(pthread_create(&ru->thread, NULL, runner_main, ru), 0);
}

/* Wait until the heartbeat at off moves on its own: the spinner runs application code. */
static void wait_heartbeat(struct fixture *f, uint64_t off)
{
	uint64_t t0 = now_ns();

	while (*word(f, off) < 1000) {
		if (now_ns() - t0 > 5000000000ULL)
			fail_msg("the spinning thread never ran");
		sleep_ms(1);
	}
}

/* as_unmap from one thread while another spins writing the page: when as_unmap returns
 * the page is gone for the spinner, which faults on it. */
static void unmap_stops_a_spinner(struct fixture *f, bool caller_has_stub_thread)
{
	struct runner sp;
	struct plat_trap t;
	plat_regs_t r;
	uint64_t hb, t_unmapped;

	load_work(f);
	put_prog(f, SPIN_ADDR, SPIN_OFF, prog_heartbeat, prog_heartbeat_end);
	if (caller_has_stub_thread) {
		LOAD(f, f->as, prog_syscalls);
		start_regs(&r);
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
	}
	runner_start(&sp, f, SPIN_ADDR, DATA_ADDR + 8);
	runner_go(&sp);
	wait_heartbeat(f, SHARED_OFF + 8);
	assert_int_equal(f->o->as_unmap(f->as, DATA_ADDR, PG), 0);
	t_unmapped = now_ns();
	hb = *word(f, SHARED_OFF + 8);
	sleep_ms(20);
	/* Not one more store after as_unmap returned. */
	assert_int_equal(*word(f, SHARED_OFF + 8), hb);
	pthread_join(sp.thread, NULL);
	assert_int_equal(sp.ret, 0);
	assert_int_equal(sp.t.kind, TRAP_FAULT);
	assert_int_equal(sp.t.signo, SIGSEGV);
	assert_int_equal(sp.t.code, SEGV_MAPERR);
	assert_int_equal(sp.t.addr, DATA_ADDR + 8);
	print_message("spinner's SIGSEGV trap returned %+lld us from as_unmap's return "
		      "(negative: before it; unmapper %s)\n", ((long long)sp.done_ns - (long long)t_unmapped) / 1000,
		      caller_has_stub_thread ? "injects itself" : "asks the manager");
}

static void unmap_from_a_thread_of_the_stub(void **state)
{
	unmap_stops_a_spinner(*state, true);
}

static void unmap_from_a_thread_without_stub_thread(void **state)
{
	unmap_stops_a_spinner(*state, false);
}

/* interrupt() of one context stops only its stub thread. */
static void interrupt_hits_only_its_thread(void **state)
{
	struct fixture *f = *state;
	atomic_bool stop = false;
	struct runner sp;
	struct worker w;
	int served;

	load_work(f);
	put_prog(f, SPIN_ADDR, SPIN_OFF, prog_heartbeat, prog_heartbeat_end);
	worker_init(&w, f, 1, 0);
	w.stop = &stop;
	assert_int_equal(pthread_create(&w.thread, NULL, worker_main, &w), 0);
	runner_start(&sp, f, SPIN_ADDR, DATA_ADDR + 8);
	runner_go(&sp);
	wait_heartbeat(f, SHARED_OFF + 8);
	while (*word(f, SHARED_OFF + 128) < 100)
		sleep_ms(1);
	f->o->interrupt(atomic_load(&sp.ctx));
	pthread_join(sp.thread, NULL);
	assert_int_equal(sp.ret, 0);
	assert_int_equal(sp.t.kind, TRAP_INTERRUPT);
	assert_true(sp.r.rip >= SPIN_ADDR && sp.r.rip < SPIN_ADDR + 16);
	/* The other thread goes on serving syscalls, none interrupted. */
	served = w.done;
	wait_progress(&w.done, served);
	atomic_store(&stop, true);
	pthread_join(w.thread, NULL);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.bad, 0);
	assert_true(w.done > served);
	assert_int_equal(*word(f, SHARED_OFF + 128), (uint64_t)w.done);
}

/* One thread leaves (its stub thread exits and is reaped) while others keep running. */
static void thread_exits_while_others_run(void **state)
{
	struct fixture *f = *state;
	pid_t pid;
	atomic_bool stop = false;
	struct worker w[4];
	int zombies, before[3];

	load_work(f);
	for (int i = 0; i < 4; i++) {
		worker_init(&w[i], f, i, i == 3 ? 300 : 0);
		w[i].stop = &stop;
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
	}
	/* The three others have trapped once at least (so hold their stub threads). */
	for (int i = 0; i < 3; i++)
		wait_progress(&w[i].done, 0);
	pthread_join(w[3].thread, NULL);
	assert_int_equal(w[3].ret, 0);
	assert_int_equal(w[3].done, 300);
	assert_int_equal(w[3].bad, 0);
	pid = ((struct ptrace_as *)f->as)->pid;
	/* Leader, injector and the three still running. */
	assert_int_equal(count_tasks(pid, &zombies), 5);
	assert_int_equal(zombies, 0);
	for (int i = 0; i < 3; i++) {
		before[i] = w[i].done;
		wait_progress(&w[i].done, before[i]);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].ret, 0);
		assert_int_equal(w[i].bad, 0);
		assert_true(w[i].done > before[i]);
	}
	assert_int_equal(count_tasks(pid, &zombies), 2);
	assert_no_unreaped();
}

/* 100 threads come and go: no stub thread and no zombie is left behind. */
static void hundred_attach_exit_cycles(void **state)
{
	struct fixture *f = *state;
	uint64_t total = 0, best = ~0ULL;
	struct worker w;
	int zombies;
	pid_t pid;

	load_work(f);
	for (int i = 0; i < 100; i++) {
		worker_init(&w, f, i % MAX_WORKERS, 2);
		assert_int_equal(pthread_create(&w.thread, NULL, worker_main, &w), 0);
		pthread_join(w.thread, NULL);
		assert_int_equal(w.ret, 0);
		assert_int_equal(w.bad, 0);
		if (i > 0) { /* the first one also forks the stub */
			total += w.first_ns;
			best = w.first_ns < best ? w.first_ns : best;
		}
	}
	pid = ((struct ptrace_as *)f->as)->pid;
	assert_int_equal(count_tasks(pid, &zombies), 2);
	assert_int_equal(zombies, 0);
	assert_no_unreaped();
	assert_int_equal(*word(f, SHARED_OFF), 200);
	print_message("attach a thread to a live address space (first switch_to: clone via "
		      "the manager, seize, FPU, first trap): avg %llu ns, best %llu ns\n",
		      (unsigned long long)(total / 99), (unsigned long long)best);
}

/* as_release while three contexts have stub threads in it (not running) kills the whole
 * process at once; the contexts live on and can be released later. */
static void release_with_threads_attached(void **state)
{
	struct fixture *f = *state;
	pthread_barrier_t after;
	struct runner ru[3];
	int zombies;
	pid_t pid;
	char path[64];

	LOAD(f, f->as, prog_syscalls);
	pthread_barrier_init(&after, NULL, 4);
	for (int i = 0; i < 3; i++) {
		runner_start(&ru[i], f, CODE_ADDR, 0);
		ru[i].after = &after;
		runner_go(&ru[i]);
	}
	/* Wait until all three have trapped (and so hold stub threads). */
	for (int i = 0; i < 3; i++)
		while (ru[i].done_ns == 0)
			sleep_ms(1);
	pid = ((struct ptrace_as *)f->as)->pid;
	assert_int_equal(count_tasks(pid, &zombies), 5);
	f->o->as_release(f->as);
	f->as = NULL;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	assert_int_equal(access(path, F_OK), -1);
	assert_no_unreaped();
	pthread_barrier_wait(&after);
	for (int i = 0; i < 3; i++) {
		pthread_join(ru[i].thread, NULL);
		assert_int_equal(ru[i].ret, 0);
		assert_int_equal(ru[i].t.kind, TRAP_SYSCALL);
		assert_int_equal(ru[i].fpu_ret, 0); /* the context's own copy */
	}
	pthread_barrier_destroy(&after);
	assert_no_unreaped();
}

struct orphaner {
	struct fixture *f;
	pthread_barrier_t step;
	struct plat_ctx *ctx;	/* handed to the main thread to release */
	int ret1, ret2, tasks_after_adopt;
};

static void *orphaner_main(void *arg)
{
	struct orphaner *o = arg;
	struct plat_ctx *ctx;
	struct plat_trap t;
	plat_regs_t r;
	int zombies;

	o->ret1 = o->f->o->ctx_create(o->f->p, &o->ctx);
	start_regs(&r);
	if (o->ret1 == 0)
		o->ret1 = o->f->o->switch_to(o->ctx, o->f->as, &r, &t);
	pthread_barrier_wait(&o->step); /* main releases o->ctx */
	pthread_barrier_wait(&o->step);
	/* A new context of this thread takes the orphan over: no new stub thread. */
	o->ret2 = o->f->o->ctx_create(o->f->p, &ctx);
	start_regs(&r);
	if (o->ret2 == 0)
		o->ret2 = o->f->o->switch_to(ctx, o->f->as, &r, &t);
	o->tasks_after_adopt = count_tasks(((struct ptrace_as *)o->f->as)->pid, &zombies);
	o->f->o->ctx_release(ctx);
	return NULL;
}

/* A context released on another thread cannot end its stub thread (only its tracer can):
 * the thread stays, and the next context of the same host thread adopts it. */
static void context_released_elsewhere_leaves_an_adoptable_thread(void **state)
{
	struct fixture *f = *state;
	struct orphaner o = { .f = f };
	pthread_t th;
	int zombies;
	pid_t pid;

	LOAD(f, f->as, prog_syscalls);
	pthread_barrier_init(&o.step, NULL, 2);
	assert_int_equal(pthread_create(&th, NULL, orphaner_main, &o), 0);
	pthread_barrier_wait(&o.step);
	assert_int_equal(o.ret1, 0);
	pid = ((struct ptrace_as *)f->as)->pid;
	assert_int_equal(count_tasks(pid, &zombies), 3);
	f->o->ctx_release(o.ctx);
	assert_int_equal(count_tasks(pid, &zombies), 3); /* still there */
	pthread_barrier_wait(&o.step);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&o.step);
	assert_int_equal(o.ret2, 0);
	assert_int_equal(o.tasks_after_adopt, 3);
	/* Released on its own thread at last: gone. */
	assert_int_equal(count_tasks(pid, &zombies), 2);
	assert_int_equal(zombies, 0);
	assert_no_unreaped();
}

/* Each context carries its own FPU state, though they share one stub process. */
static void fpu_state_is_per_thread(void **state)
{
	struct fixture *f = *state;
	pthread_barrier_t before;
	struct plat_fpu fpu[2];
	struct runner ru[2];

	LOAD(f, f->as, prog_xmm);
	pthread_barrier_init(&before, NULL, 2);
	for (int i = 0; i < 2; i++) {
		uint64_t v = 0x1111111111111111ULL * (uint64_t)(i + 1);

		plat_fpu_init(&fpu[i]);
		memcpy(fpu[i].data + XMM0_OFF, &v, 8);
		runner_start(&ru[i], f, CODE_ADDR, 0);
		ru[i].r.rsi = 0xabc0 + (uint64_t)i;
		ru[i].fpu_in = &fpu[i];
		ru[i].before = &before;
		runner_go(&ru[i]);
	}
	for (int i = 0; i < 2; i++) {
		uint64_t got;

		pthread_join(ru[i].thread, NULL);
		assert_int_equal(ru[i].ret, 0);
		assert_int_equal(ru[i].t.kind, TRAP_SYSCALL);
		assert_int_equal(ru[i].r.rdi, 0x1111111111111111ULL * (uint64_t)(i + 1));
		assert_int_equal(ru[i].fpu_ret, 0);
		memcpy(&got, ru[i].fpu_out.data + XMM1_OFF, 8);
		assert_int_equal(got, 0xabc0 + (uint64_t)i);
	}
	pthread_barrier_destroy(&before);
}

/* Timing: getpid round trips with 1, 2 and then 4 threads in one address space at once. */
static void round_trip_with_four_threads(void **state)
{
	struct fixture *f = *state;
	const int iters = 5000;
	struct worker w[4];

	for (int n = 1; n <= 4; n *= 2) {
		uint64_t wall, sum = 0;

		memset(f->mem + SHARED_OFF, 0, PG);
		wall = now_ns();
		run_workers(f, n, iters, w);
		wall = now_ns() - wall;
		for (int i = 0; i < n; i++)
			sum += w[i].ns / (uint64_t)iters;
		print_message("getpid round trip, %d thread(s) at once on %ld CPUs: %llu ns per "
			      "thread, %llu ns of wall time per trap overall\n", n,
			      sysconf(_SC_NPROCESSORS_ONLN), (unsigned long long)(sum / (uint64_t)n),
			      (unsigned long long)(wall / ((uint64_t)n * (uint64_t)iters)));
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(two_threads_run_one_address_space),
		T(eight_threads_run_one_address_space),
		T(unmap_from_a_thread_of_the_stub),
		T(unmap_from_a_thread_without_stub_thread),
		T(interrupt_hits_only_its_thread),
		T(thread_exits_while_others_run),
		T(hundred_attach_exit_cycles),
		T(release_with_threads_attached),
		T(context_released_elsewhere_leaves_an_adoptable_thread),
		T(fpu_state_is_per_thread),
		T(round_trip_with_four_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
