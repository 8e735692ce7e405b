/* copy_range: copy_file_range between regular files (offsets, positions, errors) and
 * posix_fadvise's checks. */
#include "harness.h"

static void copy_file_range_copies_and_moves_positions(void)
{
	int in = CHECK_OK(open(h_make_file("src", "0123456789"), O_RDONLY));
	int out = CHECK_OK(open(h_path("dst"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	loff_t ioff = 2, ooff = 0;
	char buf[16] = {0};

	CHECK_EQ(copy_file_range(in, &ioff, out, &ooff, 5, 0), 5);
	CHECK_EQ(ioff, 7);
	CHECK_EQ(ooff, 5);
	CHECK_EQ(pread(out, buf, sizeof(buf), 0), 5);
	CHECK_STR(buf, "23456");
	/* Without offsets the file positions move. */
	CHECK_EQ(lseek(in, 8, SEEK_SET), 8);
	CHECK_EQ(copy_file_range(in, NULL, out, NULL, 100, 0), 2);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 10);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 2);
	/* At EOF: 0. */
	CHECK_EQ(copy_file_range(in, NULL, out, NULL, 10, 0), 0);
	close(in);
	close(out);
}

static void copy_file_range_errors(void)
{
	int in = CHECK_OK(open(h_make_file("src2", "abc"), O_RDONLY));
	int ro = CHECK_OK(open(h_path("src2"), O_RDONLY));
	int p[2];
	loff_t neg = -1;

	CHECK_ERR(copy_file_range(in, NULL, ro, NULL, 1, 0), EBADF);
	CHECK_ERR(copy_file_range(in, NULL, 999, NULL, 1, 0), EBADF);
	CHECK_ERR(copy_file_range(in, NULL, ro, NULL, 1, 1), EINVAL);
	CHECK_OK(pipe(p));
	CHECK_ERR(copy_file_range(in, NULL, p[1], NULL, 1, 0), EINVAL);
	int rw = CHECK_OK(open(h_path("src2"), O_RDWR));
	CHECK_ERR(copy_file_range(in, &neg, rw, NULL, 1, 0), EOVERFLOW);
	loff_t a = 0, b = 1;
	CHECK_ERR(copy_file_range(rw, &a, rw, &b, 2, 0), EINVAL); /* overlapping */
	close(in);
	close(ro);
	close(rw);
	close(p[0]);
	close(p[1]);
}

static void fadvise_checks_its_arguments(void)
{
	int fd = CHECK_OK(open(h_make_file("adv", "x"), O_RDONLY));
	int p[2];

	CHECK_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
	CHECK_EQ(posix_fadvise(fd, 0, 0, 99), EINVAL);
	CHECK_EQ(posix_fadvise(999, 0, 0, POSIX_FADV_NORMAL), EBADF);
	CHECK_OK(pipe(p));
	CHECK_EQ(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE);
	close(fd);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(copy_file_range_copies_and_moves_positions);
	RUN(copy_file_range_errors);
	RUN(fadvise_checks_its_arguments);
	return h_end();
}
