/* vfs_pipe_test.c: the pipe ring buffer (wrap-around, full, resize) and the pipe files'
 * non-blocking behaviour: EOF, EPIPE, EAGAIN, PIPE_BUF atomicity, poll bits, fstat. With
 * no task (t == NULL) nothing ever blocks, so every path is testable without threads. */
#include "test/unit/vfs_test_util.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sentry/fs/pipe.h"

static void ring_buffer_wraps(void **state)
{
	struct pipe *p = pipe_new(16);
	char out[32];

	assert_int_equal(pipe_buf_write(p, "0123456789", 10), 10);
	assert_int_equal(pipe_buf_read(p, out, 6), 6);
	assert_memory_equal(out, "012345", 6);
	assert_int_equal(pipe_buf_write(p, "abcdefghijkl", 12), 12); /* wraps */
	assert_int_equal(pipe_buf_write(p, "Z", 1), 0);		     /* full */
	assert_int_equal(pipe_buf_read(p, out, sizeof(out)), 16);
	assert_memory_equal(out, "6789abcdefghijkl", 16);
	assert_int_equal(pipe_buf_read(p, out, sizeof(out)), 0);
	pipe_free(p);
}

static void resize_keeps_data(void **state)
{
	struct pipe *p = pipe_new(PIPE_DEFAULT_SIZE);
	char *big = calloc(1, 8192), out[8];

	assert_int_equal(pipe_buf_write(p, big, 8000), 8000);
	assert_int_equal(pipe_buf_resize(p, 4096), -EBUSY);
	assert_int_equal(pipe_buf_resize(p, PIPE_MAX_SIZE + 1), -EPERM);
	assert_int_equal(pipe_buf_resize(p, 5000), 8192);
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
	assert_int_equal(vfs_write(NULL, wr, big, cap - 10), (ssize_t)(cap - 10));
	/* 100 bytes <= PIPE_BUF do not fit whole: nothing is written. */
	assert_int_equal(vfs_write(NULL, wr, big, 100), -EAGAIN);
	/* A large write takes what fits. */
	assert_int_equal(vfs_write(NULL, wr, big, 5000), 10);
	assert_int_equal(vfs_write(NULL, wr, big, 5000), -EAGAIN);
	assert_int_equal(vfs_read(NULL, rd, big, cap + 4096), (ssize_t)cap);
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
		cmocka_unit_test(resize_keeps_data),
		cmocka_unit_test(read_write_eof_and_epipe),
		cmocka_unit_test(small_writes_are_atomic),
		cmocka_unit_test(poll_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
