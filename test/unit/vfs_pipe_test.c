/* vfs_pipe_test.c: the pipe's ring of page buffers (merging, wrap-around, full, resize) and the pipe files'
 * non-blocking behaviour: EOF, EPIPE, EAGAIN, PIPE_BUF atomicity, poll bits, fstat. With
 * no task (t == NULL) nothing ever blocks, so every path is testable without threads. */
#include "test/unit/vfs_test_util.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sentry/fs/pipe.h"

/* Writes append to the newest buffer while their sub-page part fits; a whole-page write
 * takes a new buffer; reads free buffers and the ring wraps. */
static void ring_buffer_wraps(void **state)
{
	struct pipe *p = pipe_new(2 * PIPE_PAGE);
	char *big = calloc(1, 3 * PIPE_PAGE), out[32];

	assert_int_equal(pipe_buf_write(p, "0123456789", 10), 10);
	assert_int_equal(pipe_buf_write(p, "abc", 3), 3); /* merged: still one buffer */
	assert_int_equal(p->used, 1);
	assert_int_equal(pipe_buf_read(p, out, 6), 6);
	assert_memory_equal(out, "012345", 6);
	assert_int_equal(pipe_buf_write(p, big, PIPE_PAGE), PIPE_PAGE); /* a new buffer */
	assert_int_equal(p->used, 2);
	assert_int_equal(pipe_room(p), 0);
	assert_int_equal(pipe_buf_write(p, "Z", 1), 0); /* the newest buffer is full */
	assert_int_equal(pipe_buf_read(p, out, 7), 7);	 /* the first buffer is freed */
	assert_memory_equal(out, "6789abc", 7);
	assert_int_equal(pipe_buf_write(p, "XY", 2), 2); /* wraps to ring slot 0 */
	assert_int_equal(pipe_buf_read(p, big, 3 * PIPE_PAGE), PIPE_PAGE + 2);
	assert_memory_equal(big + PIPE_PAGE, "XY", 2);
	assert_int_equal(pipe_buf_read(p, out, sizeof(out)), 0);
	free(big);
	pipe_free(p);
}

/* 3000-byte writes do not share a page: 16 fill the default pipe, as in Linux. */
static void buffers_count_not_bytes(void **state)
{
	struct pipe *p = pipe_new(PIPE_DEFAULT_SIZE);
	char *big = calloc(1, 3000), out[4];
	int n = 0;

	while (pipe_buf_write(p, big, 3000) == 3000)
		n++;
	assert_int_equal(n, 16);
	assert_int_equal(p->len, 48000);
	assert_int_equal(pipe_buf_peek(p, out, 4), 4);
	assert_int_equal(p->len, 48000);
	pipe_buf_consume(p, 3001);
	assert_int_equal(p->used, 15);
	free(big);
	pipe_free(p);
}

static void resize_keeps_data(void **state)
{
	struct pipe *p = pipe_new(PIPE_DEFAULT_SIZE);
	char *big = calloc(1, 8192), out[8];

	assert_int_equal(pipe_buf_write(p, big, 8000), 8000); /* two buffers */
	assert_int_equal(pipe_buf_resize(p, 4096, false), -EBUSY);
	assert_int_equal(pipe_buf_resize(p, PIPE_MAX_SIZE + 1, false), -EPERM);
	assert_int_equal(pipe_buf_resize(p, PIPE_LIMIT_SIZE + 1, true), -EINVAL);
	assert_int_equal(pipe_buf_resize(p, 5000, false), 8192);
	assert_int_equal(pipe_buf_read(p, big, 7998), 7998);
	assert_int_equal(pipe_buf_write(p, "xy", 2), 2);
	assert_int_equal(pipe_buf_read(p, out, 4), 4);
	assert_memory_equal(out, "\0\0xy", 4);
	free(big);
	pipe_free(p);
}

static void read_write_eof_and_epipe(void **state)
{
	struct file *rd, *wr;
	struct kstat st;
	char buf[16];

	assert_int_equal(pipe_create(0, &rd, &wr), 0);
	assert_true(file_is_pipe(rd));
	assert_int_equal(vfs_write(NULL, wr, "hello", 5), 5);
	assert_int_equal(vfs_read(NULL, rd, buf, 3), 3);
	assert_memory_equal(buf, "hel", 3);
	assert_int_equal(vfs_read(NULL, rd, buf, sizeof(buf)), 2);
	assert_int_equal(vfs_read(NULL, rd, buf, sizeof(buf)), -EAGAIN); /* would block */
	assert_int_equal(vfs_write(NULL, rd, "x", 1), -EBADF);
	assert_int_equal(vfs_read(NULL, wr, buf, 1), -EBADF);
	assert_int_equal(vfs_lseek(rd, 0, SEEK_SET), -ESPIPE);
	assert_int_equal(vfs_pread(NULL, rd, buf, 1, 0), -ESPIPE);
	assert_int_equal(vfs_fstat(rd, &st), 0);
	assert_true(S_ISFIFO(st.mode));
	assert_int_equal(pipe_get_size(rd), PIPE_DEFAULT_SIZE);
	file_put(wr);
	assert_int_equal(vfs_read(NULL, rd, buf, sizeof(buf)), 0); /* EOF */
	file_put(rd);

	assert_int_equal(pipe_create(O_NONBLOCK, &rd, &wr), 0);
	file_put(rd);
	assert_int_equal(vfs_write(NULL, wr, "x", 1), -EPIPE);
	file_put(wr);
	assert_int_equal(pipe_create(O_DIRECT, &rd, &wr), -EINVAL);
	assert_int_equal(pipe_create(O_RDWR, &rd, &wr), -EINVAL);
}

static void small_writes_are_atomic(void **state)
{
	size_t cap = PIPE_DEFAULT_SIZE;
	char *big = calloc(1, cap + 4096);
	struct file *rd, *wr;

	assert_int_equal(pipe_create(O_NONBLOCK, &rd, &wr), 0);
	assert_int_equal(vfs_write(NULL, wr, big, cap - 4096 - 10), (ssize_t)(cap - 4096 - 10));
	/* 100 bytes <= PIPE_BUF fit in the newest buffer's tail: merged. */
	assert_int_equal(vfs_write(NULL, wr, big, 5), 5);
	/* 100 more do not fit there: a new buffer (the last) holds them whole. */
	assert_int_equal(vfs_write(NULL, wr, big, 100), 100);
	assert_int_equal(vfs_write(NULL, wr, big, 100), 100); /* merged again */
	/* A large write takes what fits: its sub-page part merges, whole pages wait. */
	assert_int_equal(vfs_write(NULL, wr, big, 4096 + 50), 50);
	assert_int_equal(vfs_write(NULL, wr, big, 4096), -EAGAIN);
	assert_int_equal(vfs_read(NULL, rd, big, cap + 4096), (ssize_t)(cap - 4096 + 245));
	free(big);
	file_put(rd);
	file_put(wr);
}

static void poll_bits(void **state)
{
	struct file *rd, *wr;
	struct waitq *q;

	assert_int_equal(pipe_create(0, &rd, &wr), 0);
	assert_int_equal(vfs_poll(NULL, rd, &q), 0);
	assert_non_null(q);
	assert_int_equal(vfs_poll(NULL, wr, &q), POLLOUT | POLLWRNORM);
	assert_int_equal(vfs_write(NULL, wr, "x", 1), 1);
	assert_int_equal(vfs_poll(NULL, rd, &q), POLLIN | POLLRDNORM);
	file_put(wr);
	assert_int_equal(vfs_poll(NULL, rd, &q), POLLIN | POLLRDNORM | POLLHUP);
	file_put(rd);

	assert_int_equal(pipe_create(0, &rd, &wr), 0);
	file_put(rd);
	assert_true(vfs_poll(NULL, wr, &q) & POLLERR);
	file_put(wr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring_buffer_wraps),
		cmocka_unit_test(buffers_count_not_bytes),
		cmocka_unit_test(resize_keeps_data),
		cmocka_unit_test(read_write_eof_and_epipe),
		cmocka_unit_test(small_writes_are_atomic),
		cmocka_unit_test(poll_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
