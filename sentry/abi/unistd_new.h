/* unistd_new.h: x86-64 syscall numbers newer than the build host's kernel headers
 * (Debian 12 ships 6.1's, which stop at 450). Values from the Linux ABI. */
#ifndef RUNSC_SENTRY_ABI_UNISTD_NEW_H
#define RUNSC_SENTRY_ABI_UNISTD_NEW_H

#ifndef __NR_cachestat
#define __NR_cachestat 451
#define __NR_fchmodat2 452
#define __NR_map_shadow_stack 453
#define __NR_futex_wake 454
#define __NR_futex_wait 455
#define __NR_futex_requeue 456
#define __NR_statmount 457
#define __NR_listmount 458
#define __NR_lsm_get_self_attr 459
#define __NR_lsm_set_self_attr 460
#define __NR_lsm_list_modules 461
#define __NR_mseal 462
#endif
#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#define __NR_getxattrat 464
#define __NR_listxattrat 465
#define __NR_removexattrat 466
#define __NR_open_tree_attr 467
#define __NR_file_getattr 468
#define __NR_file_setattr 469
#endif

#endif
