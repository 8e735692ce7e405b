/* A static guest for the pod test: `pod_shm put KEY TEXT` leaves TEXT in a new SysV shared
 * memory segment of KEY; `pod_shm get KEY` prints what the segment of KEY holds. Two
 * containers of one pod share the sandbox's IPC namespace, so one's put is the other's get. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>

int main(int argc, char **argv)
{
	int put = argc == 4 && !strcmp(argv[1], "put");
	key_t key;
	char *p;
	int id;

	if (!put && !(argc == 3 && !strcmp(argv[1], "get"))) {
		fprintf(stderr, "usage: pod_shm put KEY TEXT | pod_shm get KEY\n");
		return 2;
	}
	key = (key_t)strtol(argv[2], NULL, 0);
	id = shmget(key, 4096, put ? IPC_CREAT | IPC_EXCL | 0600 : 0);
	if (id < 0) {
		perror("shmget");
		return 1;
	}
	p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		perror("shmat");
		return 1;
	}
	if (put)
		snprintf(p, 4096, "%s", argv[3]);
	else
		printf("%s\n", p);
	return 0;
}
